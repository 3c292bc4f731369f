"""Reductions: sum, mean, max/min, cumulative sum."""

from .. import _meta
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
    """Largest value over ``axis``; the gradient is shared evenly by tied maxima (as PyTorch's amax)."""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.axis = axis
        return get_array_module(x).max(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        return _extremum_grad(ctx, grad_out)


class Min(Function):
    """Smallest value over ``axis``; the gradient is shared evenly by tied minima (as PyTorch's amin)."""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.axis = axis
        return get_array_module(x).min(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        return _extremum_grad(ctx, grad_out)


def _extremum_grad(ctx, grad_out):
    (x,) = ctx.inputs
    kept = _kept_shape(x.shape, ctx.axis)
    hits = (x.detach() == ctx.output.detach().reshape(kept)).to(dtype=x.dtype)
    share = hits / hits.sum(ctx.axis, keepdim=True)
    return grad_out.reshape(kept) * share


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return get_array_module(x).cumsum(x, axis=axis, dtype=x.dtype if x.dtype.kind == "f" else None)

    @staticmethod
    def forward_meta(ctx, x, axis):
        ctx.axis = axis
        return _meta.empty(x.shape, x.dtype if x.dtype.kind == "f" else "int64")

    @staticmethod
    def backward(ctx, grad_out):
        # each input reaches every later output: a cumulative sum from the end
        return grad_out.flip(ctx.axis).cumsum(ctx.axis).flip(ctx.axis)


class Prod(Function):
    """Product over ``axis``; the gradient of each factor is the product of the others (zeros included).

    The others' product is computed from the values (exclusive cumulative products from both
    ends), so a second derivative through prod is not available.
    """

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.axis = axis
        return get_array_module(x).prod(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        from ..tensor import Tensor

        (x,) = ctx.inputs
        array = x._array
        xp = get_array_module(array)
        axes = tuple(range(array.ndim)) if ctx.axis is None else ctx.axis
        rest = tuple(i for i in range(array.ndim) if i not in axes)
        moved = xp.transpose(array, rest + axes)
        flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
        before = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1)
        others = (before * after).reshape(moved.shape)
        inverse = tuple(int(i) for i in xp.argsort(xp.asarray(rest + axes)))
        others = Tensor._from_array(xp.transpose(others, inverse), grad_out.device)
        return grad_out.reshape(_kept_shape(x.shape, ctx.axis)) * others.detach()
