"""Gather along one axis by an integer index array, and its adjoint, the scatter-add.

Padding (reflect, replicate, circular), nearest and linear resampling, max pooling and
embedding lookups are gathers; each one's backward is the scatter-add of the same index, and
the scatter-add's backward is the gather again, so gradients of any order follow.
"""

from ..autograd.function import Function
from ..backend import get_array_module


class Gather(Function):
    """``x.take(index, axis)``: shape ``x.shape[:axis] + index.shape + x.shape[axis + 1:]``."""

    @staticmethod
    def forward(ctx, x, axis, index):
        ctx.axis, ctx.index, ctx.size = axis, index, x.shape[axis]
        return get_array_module(x).take(x, index, axis=axis)

    @staticmethod
    def backward(ctx, grad_out):
        return ScatterAdd.apply(grad_out, axis=ctx.axis, index=ctx.index, size=ctx.size)


class ScatterAdd(Function):
    """The adjoint of Gather: zeros with ``size`` along ``axis``, ``x``'s slices added at ``index``."""

    @staticmethod
    def forward(ctx, x, axis, index, size):
        ctx.axis, ctx.index = axis, index
        xp = get_array_module(x)
        flat = index.reshape(-1)
        x = x.reshape(x.shape[:axis] + (flat.size,) + x.shape[axis + index.ndim:])
        # sort the index so that each target's sources form one run, then sum the runs at once
        order = xp.argsort(flat, kind="stable")
        targets, starts = xp.unique(flat[order], return_index=True)
        out_shape = x.shape[:axis] + (size,) + x.shape[axis + 1:]
        if flat.size == 0:
            return xp.zeros(out_shape, dtype=x.dtype)
        sums = xp.add.reduceat(xp.take(x, order, axis=axis), starts, axis=axis)
        if targets.size == size:  # every target hit (always so for padding)
            return sums
        out = xp.zeros(out_shape, dtype=x.dtype)
        out[(slice(None),) * axis + (targets,)] = sums
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return Gather.apply(grad_out, axis=ctx.axis, index=ctx.index)
