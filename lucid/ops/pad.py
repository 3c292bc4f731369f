"""Constant padding (negative pads crop) as one primitive; its backward pads by the negated amounts."""

from ..autograd.function import Function
from ..backend import get_array_module


class ConstantPad(Function):
    """Pad each axis by ``(before, after)`` with ``value``; a negative amount removes that many entries."""

    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.pads = pads
        xp = get_array_module(x)
        crop = tuple(slice(max(-b, 0), x.shape[i] - max(-a, 0)) for i, (b, a) in enumerate(pads))
        x = x[crop]
        grow = [(max(b, 0), max(a, 0)) for b, a in pads]
        if not any(b or a for b, a in grow):
            return x.copy()
        out = xp.full(tuple(s + b + a for s, (b, a) in zip(x.shape, grow)), value, dtype=x.dtype)
        out[tuple(slice(b, b + s) for s, (b, _) in zip(x.shape, grow))] = x
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return ConstantPad.apply(grad_out, pads=tuple((-b, -a) for b, a in ctx.pads), value=0)
