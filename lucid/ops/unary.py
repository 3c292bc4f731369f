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


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).sin(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.inputs[0].cos()


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).cos(x)

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out * ctx.inputs[0].sin()


class Tan(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).tan(x)

    @staticmethod
    def backward(ctx, grad_out):
        y = ctx.output
        return grad_out * (1 + y * y)


class Atan(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).arctan(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return grad_out / (1 + x * x)


class Log1p(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).log1p(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out / (ctx.inputs[0] + 1)


class Expm1(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).expm1(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * (ctx.output + 1)


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x).sqrt(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out / (2 * ctx.output)


class Rsqrt(Function):
    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x)
        return (1 / xp.sqrt(x)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        y = ctx.output
        return grad_out * -0.5 * y * y * y


class PiecewiseConstant(Function):
    """floor, ceil, round, trunc, sign: their gradient is zero wherever it exists (as PyTorch returns)."""

    @staticmethod
    def forward(ctx, x, name):
        return getattr(get_array_module(x), name)(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 0
