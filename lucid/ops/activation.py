"""Elementwise primitives for activations (leaky ReLU, ELU, softplus, hardtanh, erf) and softmax.

Composite activations (GELU, SiLU, Mish ...) are plain code over these in lucid.nn.functional.
"""

import math

from ..autograd.function import Function
from ..backend import get_array_module
from ..kernels.special import erf


class LeakyReLU(Function):
    """x where x > 0, negative_slope · x elsewhere (the gradient at 0 is negative_slope, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.negative_slope = negative_slope
        xp = get_array_module(x)
        scaled = xp.multiply(x, negative_slope, dtype=x.dtype)
        if 0 <= negative_slope <= 1:  # then max(x, s·x) is the rule: two passes instead of where's four
            return xp.maximum(x, scaled, out=scaled)
        return xp.where(x > 0, x, scaled)

    @staticmethod
    def backward(ctx, grad_out):
        positive = (ctx.inputs[0].detach() > 0).to(dtype=grad_out.dtype)
        return grad_out * (positive + (1 - positive) * ctx.negative_slope)


class Erf(Function):
    @staticmethod
    def forward(ctx, x):
        return erf(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return grad_out * (2 / math.sqrt(math.pi)) * (-(x * x)).exp()


def _mask(condition, like):
    """A constant 0/1 tensor of ``like``'s dtype where ``condition`` (a bool tensor) holds."""
    return condition.to(dtype=like.dtype)


class ELU(Function):
    """x where x > 0, alpha·(exp(x) - 1) elsewhere."""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.alpha = alpha
        xp = get_array_module(x)
        return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        positive = _mask(ctx.inputs[0].detach() > 0, grad_out)
        # below zero the slope alpha·exp(x) equals out + alpha, which keeps the rule differentiable
        return grad_out * (positive + (1 - positive) * (ctx.output + ctx.alpha))


class Softplus(Function):
    """log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.beta, ctx.threshold = beta, threshold
        xp = get_array_module(x)
        z = x * beta
        smooth = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta  # never overflows
        return xp.where(z > threshold, x, smooth).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        x = ctx.inputs[0]
        linear = _mask(x.detach() * ctx.beta > ctx.threshold, grad_out)
        return grad_out * (linear + (1 - linear) * (x * ctx.beta).sigmoid())


class Hardtanh(Function):
    """x clipped to [min_val, max_val]; the gradient passes strictly inside the interval, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        ctx.bounds = (min_val, max_val)
        return get_array_module(x).clip(x, min_val, max_val).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        x = ctx.inputs[0].detach()
        low, high = ctx.bounds
        return grad_out * _mask(x > low, grad_out) * _mask(x < high, grad_out)


class Softmax(Function):
    """exp(x) / sum(exp(x)) along ``axis`` (shifted by the maximum, so it never overflows)."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp = get_array_module(x)
        e = xp.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    @staticmethod
    def backward(ctx, grad_out):
        y = ctx.output
        return y * (grad_out - (grad_out * y).sum(ctx.axis, keepdim=True))


class LogSoftmax(Function):
    """x - log(sum(exp(x))) along ``axis``."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp = get_array_module(x)
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out - ctx.output.exp() * grad_out.sum(ctx.axis, keepdim=True)
