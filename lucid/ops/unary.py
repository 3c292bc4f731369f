"""Elementwise functions of one tensor."""

from ..autograd.function import Function
from ..backend import get_array_module


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).exp(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.output


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).log(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out / ctx.inputs[0]


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).tanh(x)

    @staticmethod
    def backward(ctx, grad_out):
        y = ctx.output
        return grad_out * (1 - y * y)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x)
        # exp of a non-positive number never overflows: split by sign
        z = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        y = ctx.output
        return grad_out * y * (1 - y)


class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).maximum(x, 0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return grad_out * (x.detach() > 0).to(dtype=grad_out.dtype)


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).abs(x)

    @staticmethod
    def backward(ctx, grad_out):
        x = ctx.inputs[0].detach()
        sign = (x > 0).to(dtype=grad_out.dtype) - (x < 0).to(dtype=grad_out.dtype)
        return grad_out * sign
