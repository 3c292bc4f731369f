"""Function forms of tensor operations: ``lucid.exp(x)``, ``lucid.cat([a, b])`` ..."""

import builtins
import math
import numbers

import numpy as np

from .ops.shape import Concatenate
from .tensor import Size, Tensor, _as_operand, _promote, where


def _method(name, doc=None):
    """``lucid.<name>(input, ...)``: the Tensor method of that name applied to ``input``."""

    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): input must be a Tensor, got {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc or f"``input.{name}(...)`` as a function; see ``Tensor.{name}``."
    return function


_METHODS = (
    "abs", "sign", "floor", "ceil", "round", "trunc", "neg", "exp", "log", "log1p", "expm1", "log2", "log10", "sqrt",
    "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "atan", "arctan", "atan2", "arctan2", "tanh", "sigmoid",
    "relu", "clamp", "clip", "clamp_min", "clamp_max", "minimum", "maximum", "masked_fill", "nan_to_num", "isnan",
    "isinf", "isfinite", "softmax", "log_softmax", "logsumexp", "sum", "mean", "var", "std", "prod", "amax", "amin",
    "argmax", "argmin", "any", "all", "cumsum", "norm", "matmul", "mm", "bmm", "reshape", "flatten", "unflatten",
    "squeeze", "unsqueeze", "transpose", "swapaxes", "swapdims", "t", "permute", "movedim", "moveaxis", "narrow",
    "select", "flip", "roll", "repeat_interleave", "index_select", "gather", "chunk", "split", "unbind", "eq", "ne",
    "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "equal", "logical_and",
    "logical_or", "logical_xor", "logical_not", "numel", "clone", "detach", "sinc", "sort", "argsort", "topk",
)
for _name in _METHODS:
    globals()[_name] = _method(_name)
del _name


def max(input, dim=None, keepdim=False, *, other=None):  # noqa: A001 (PyTorch's name)
    """``input.max(...)``: the largest value, ``(values, indices)`` along a dim, or ``maximum`` with a tensor."""
    return input.max(dim, keepdim, other=other)


def min(input, dim=None, keepdim=False, *, other=None):  # noqa: A001
    """``input.min(...)``: the smallest value, ``(values, indices)`` along a dim, or ``minimum`` with a tensor."""
    return input.min(dim, keepdim, other=other)


def pow(input, exponent):  # noqa: A001
    """``input ** exponent``; either may be a number (a number base gives ``base ** tensor``)."""
    if isinstance(input, Tensor):
        return input**exponent
    if not isinstance(exponent, Tensor):
        raise TypeError("pow needs at least one Tensor argument")
    return exponent.__rpow__(input)


def add(input, other, *, alpha=1):
    """``input + alpha * other``."""
    return _as_tensor(input, other).add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    """``input - alpha * other``."""
    return _as_tensor(input, other).sub(other, alpha=alpha)


subtract = sub


def mul(input, other):
    """``input * other``."""
    return _as_tensor(input, other) * other


multiply = mul


def div(input, other):
    """``input / other``."""
    return _as_tensor(input, other) / other


divide = true_divide = div


def _as_tensor(value, like):
    return value if isinstance(value, Tensor) else _as_operand(value, like)


def is_tensor(obj):
    """True when ``obj`` is a lucid Tensor (Parameters included)."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """Whether ``input`` has a floating dtype."""
    return input.is_floating_point()


def cat(tensors, dim=0):
    """Join tensors along an existing dimension."""
    tensors = list(tensors)
    if not tensors or not builtins.all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("cat expects a non-empty sequence of Tensors")
    first = tensors[0]
    ndim = first.ndim
    if not -ndim <= dim < ndim:
        raise IndexError(f"dim {dim} is out of range for {ndim}-d tensors")
    dim %= ndim
    for t in tensors[1:]:
        if t.ndim != ndim or t.shape[:dim] + t.shape[dim + 1 :] != first.shape[:dim] + first.shape[dim + 1 :]:
            raise ValueError(f"cat: shapes {first.shape} and {t.shape} differ outside dim {dim}")
        first, t = _promote(first, t)
    dtype = first.dtype
    return Concatenate.apply(*[t.to(dtype=dtype) for t in tensors], axis=dim)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise TypeError("stack expects a non-empty sequence of Tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack expects tensors of one shape, got shapes {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def broadcast_shapes(*shapes):
    """The shape that ``shapes`` broadcast to, as a ``lucid.Size``."""
    try:
        return Size(np.broadcast_shapes(*(tuple(s) for s in shapes)))
    except ValueError:
        raise RuntimeError(f"shapes {shapes} do not broadcast together") from None


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def einsum(equation, *operands):
    """Sums of products over index letters, e.g. ``einsum("bij,bjk->bik", a, b)``.

    Notes
    -----
    Built from ``permute``, ``reshape``, broadcasting products and ``sum``, so it is differentiable.
    ``...`` and a letter repeated within one operand (diagonals) are not supported.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    subscripts = inputs.split(",")
    if "." in equation:
        raise ValueError(f"einsum: '...' is not supported, got {equation!r}")
    if len(subscripts) != len(operands):
        raise ValueError(f"einsum: {equation!r} names {len(subscripts)} operands, got {len(operands)}")
    letters = []
    for sub, operand in zip(subscripts, operands):
        if len(sub) != operand.ndim or len(set(sub)) != len(sub):
            raise ValueError(f"einsum: subscripts {sub!r} do not fit an operand of shape {operand.shape} (one "
                             "distinct letter per dim)")
        letters += [c for c in sub if c not in letters]
    if not arrow:
        output = "".join(sorted(c for c in letters if inputs.count(c) == 1))
    if builtins.any(c not in letters for c in output):
        raise ValueError(f"einsum: output letters {output!r} must appear among the inputs")
    order = list(output) + [c for c in letters if c not in output]
    product = None
    for sub, operand in zip(subscripts, operands):
        present = [c for c in order if c in sub]
        aligned = operand.permute(*[sub.index(c) for c in present])
        shape = [aligned.shape[present.index(c)] if c in sub else 1 for c in order]
        aligned = aligned.reshape(*shape)
        product = aligned if product is None else product * aligned
    summed = tuple(range(len(output), len(order)))
    return product.sum(summed) if summed else product


def numel(input):
    """The number of elements of ``input``."""
    return input.numel()


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether all values of ``a`` and ``b`` are close (NumPy's rule)."""
    return builtins.bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise closeness of ``a`` and ``b`` (a bool tensor)."""
    return Tensor(np.isclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


pi = math.pi
e = math.e
inf = math.inf
nan = math.nan

__all__ = list(_METHODS) + [
    "add", "allclose", "bmm", "broadcast_shapes", "broadcast_tensors", "cat", "concat", "concatenate", "div",
    "divide", "e", "einsum", "inf", "is_floating_point", "is_tensor", "isclose", "max", "min", "mul", "multiply", "nan",
    "pi", "pow", "stack", "sub", "subtract", "true_divide", "where",
]
