"""Views and copies: reshape, permute, expand, indexing, clone, cast."""

from .. import _meta
from ..autograd.function import Function
from ..backend import get_array_module


class Reshape(Function):
    returns_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.reshape(ctx.input_shape)


class Permute(Function):
    returns_view = True

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, grad_out):
        inverse = [0] * len(ctx.axes)
        for i, axis in enumerate(ctx.axes):
            inverse[axis] = i
        return grad_out.permute(*inverse)


class Expand(Function):
    returns_view = True

    """Broadcast to a larger shape; the engine sums the gradient back."""

    @staticmethod
    def forward(ctx, x, shape):
        return get_array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


class GetItem(Function):
    returns_view = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.input_shape = index, x.shape
        try:
            return x[index]
        except IndexError as error:
            raise IndexError(f"index {index!r} is out of range for a tensor of shape {x.shape}: {error}") from None

    @staticmethod
    def backward(ctx, grad_out):
        return IndexAdd.apply(grad_out, shape=tuple(int(s) for s in ctx.input_shape), index=ctx.index)


class IndexAdd(Function):
    """Zeros of ``shape`` with ``x`` added at ``index`` (repeated indices add up)."""

    @staticmethod
    def forward(ctx, x, shape, index):
        ctx.index = index
        xp = get_array_module(x)
        out = xp.zeros(shape, dtype=x.dtype)
        xp.add.at(out, index, x)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out[ctx.index]


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.source = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        if ctx.source.kind != "f":
            return None
        return grad_out.to(dtype=ctx.source)


class Concatenate(Function):
    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] for x in xs]
        return get_array_module(xs[0]).concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad_out):
        grads, start = [], 0
        for size in ctx.sizes:
            index = (slice(None),) * ctx.axis + (slice(start, start + size),)
            grads.append(grad_out[index])
            start += size
        return tuple(grads)


class Flip(Function):
    """Reverse the order along ``axes`` (a copy, as PyTorch's flip)."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return get_array_module(x).flip(x, axes).copy()

    @staticmethod
    def forward_meta(ctx, x, axes):
        ctx.axes = axes
        return _meta.empty(x.shape, x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.flip(ctx.axes)


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return get_array_module(x).roll(x, shifts, axes)

    @staticmethod
    def forward_meta(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return _meta.empty(x.shape, x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.roll(tuple(-s for s in ctx.shifts), ctx.axes)


class SetItem(Function):
    """A copy of ``x`` with ``value`` (broadcast) written at ``index``: ``x[index] = value`` out of place."""

    @staticmethod
    def forward(ctx, x, value, index):
        ctx.index = index
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad_out):
        grad_x = grad_value = None
        if ctx.needs_input_grad[0]:  # the overwritten entries no longer reach the output
            grad_x = SetItem.apply(grad_out, grad_out.new_zeros(()), index=ctx.index)
        if ctx.needs_input_grad[1]:
            grad_value = grad_out[ctx.index]
        return grad_x, grad_value
