"""Elementwise primitives for activations: leaky ReLU and erf (GELU is composite over erf/tanh)."""

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
        return xp.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)

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
