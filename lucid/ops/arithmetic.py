"""Broadcasting arithmetic and matrix product."""

from ..autograd.function import Function
from ..backend import get_array_module


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, -grad_out


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad_out):
        needs_a, needs_b = ctx.needs_input_grad
        return grad_out * ctx.input(1) if needs_a else None, grad_out * ctx.input(0) if needs_b else None


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def backward(ctx, grad_out):
        needs_a, needs_b = ctx.needs_input_grad
        b = ctx.input(1)
        grad_a = grad_out / b if needs_a else None
        grad_b = -grad_out * ctx.input(0) / (b * b) if needs_b else None
        return grad_a, grad_b


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out


class PowScalar(Function):
    """x ** c for a constant exponent c."""

    @staticmethod
    def forward(ctx, x, exponent):
        ctx.exponent = exponent
        if x.dtype.kind in "iub" and (exponent < 0 or exponent != int(exponent)):
            x = x.astype("float32")
        return x**exponent

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        c = ctx.exponent
        if c == 0:
            return grad_out * 0
        return grad_out * c * x ** (c - 1)


class Pow(Function):
    """a ** b for two tensors; d/db uses log(a), so it is defined for a > 0."""

    @staticmethod
    def forward(ctx, a, b):
        return a**b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.inputs
        out = ctx.output
        grad_a = grad_out * b * a ** (b - 1) if a.requires_grad else None
        grad_b = None
        if b.requires_grad:
            from ..tensor import where

            # 0 ** b is flat in b for b >= 0: PyTorch's gradient there is 0, not 0 * log(0)
            flat = ((a == 0) & (b >= 0)).detach()
            grad_b = grad_out * where(flat, 0.0, out * a.log())
        return grad_a, grad_b


class MatMul(Function):
    """a @ b with NumPy's rules for 1-D operands and broadcast batch dims."""

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f"matmul needs at least 1-D operands, got shapes {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise RuntimeError(f"matmul shape mismatch: {a.shape} @ {b.shape}")
        return get_array_module(a).matmul(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.inputs
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g = grad_out.unsqueeze(-2) if a.ndim == 1 else grad_out
        g = g.unsqueeze(-1) if b.ndim == 1 else g
        grad_a = grad_b = None
        if a.requires_grad:
            grad_a = g @ b2.transpose(-1, -2)
            grad_a = grad_a.squeeze(-2) if a.ndim == 1 else grad_a
        if b.requires_grad:
            grad_b = a2.transpose(-1, -2) @ g
            grad_b = grad_b.squeeze(-1) if b.ndim == 1 else grad_b
        return grad_a, grad_b


class Maximum(Function):
    """Elementwise larger value; at ties each input gets half the gradient (as in PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        return get_array_module(a).maximum(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        return _extremum_grads(ctx, grad_out, larger=True)


class Minimum(Function):
    """Elementwise smaller value; at ties each input gets half the gradient (as in PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        return get_array_module(a).minimum(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        return _extremum_grads(ctx, grad_out, larger=False)


def _extremum_grads(ctx, grad_out, larger):
    a, b = (t.detach() for t in ctx.inputs)
    wins = (a > b) if larger else (a < b)
    share = wins.to(dtype=grad_out.dtype) + (a == b).to(dtype=grad_out.dtype) * 0.5
    grad_a = grad_out * share if ctx.needs_input_grad[0] else None
    grad_b = grad_out * (1 - share) if ctx.needs_input_grad[1] else None
    return grad_a, grad_b


class Where(Function):
    """``a`` where ``condition`` holds, ``b`` elsewhere; ``condition`` is a constant bool array."""

    @staticmethod
    def forward(ctx, a, b, condition):
        ctx.condition = condition
        return get_array_module(a).where(condition, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        from ..tensor import Tensor

        keep = Tensor._from_array(ctx.condition, grad_out.device).to(dtype=grad_out.dtype)
        grad_a = grad_out * keep if ctx.needs_input_grad[0] else None
        grad_b = grad_out * (1 - keep) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Clamp(Function):
    """x limited to [min, max] (scalars, either may be None); the gradient passes where min <= x <= max."""

    @staticmethod
    def forward(ctx, x, min, max):
        ctx.bounds = (min, max)
        out = get_array_module(x).clip(x, min, max)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        x = ctx.inputs[0].detach()
        low, high = ctx.bounds
        inside = (x == x)  # NaN inputs get no gradient
        if low is not None:
            inside = inside & (x >= low)
        if high is not None:
            inside = inside & (x <= high)
        return grad_out * inside.to(dtype=grad_out.dtype)


class Atan2(Function):
    """The angle of the point (b, a): ``atan2(a, b)``."""

    @staticmethod
    def forward(ctx, a, b):
        return get_array_module(a).arctan2(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.inputs
        scale = grad_out / (a * a + b * b)
        return (scale * b if ctx.needs_input_grad[0] else None), (-scale * a if ctx.needs_input_grad[1] else None)
