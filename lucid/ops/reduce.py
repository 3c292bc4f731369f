"""Reductions: sum, mean, max."""

from ..autograd.function import Function
from ..backend import get_array_module


def _kept_shape(shape, axis):
    """``shape`` with reduced axes set to 1 (what keepdims=True would give)."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.axis = axis
        return get_array_module(x).sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return grad_out.reshape(_kept_shape(x.shape, ctx.axis)).expand(x.shape)


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.axis = axis
        out = get_array_module(x).mean(x, axis=axis, keepdims=keepdims)
        ctx.count = x.size // max(out.size, 1) if x.size else 0
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return grad_out.reshape(_kept_shape(x.shape, ctx.axis)).expand(x.shape) / ctx.count


class Max(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.axis = axis
        return get_array_module(x).max(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        kept = _kept_shape(x.shape, ctx.axis)
        hits = (x.detach() == ctx.output.detach().reshape(kept)).to(dtype=x.dtype)
        share = hits / hits.sum(ctx.axis, keepdim=True)
        return grad_out.reshape(kept) * share
