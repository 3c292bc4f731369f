"""Tensor factories: zeros, ones, empty, full, randn, rand, arange, tensor and friends."""

import numbers

import numpy as np

from . import backend
from .dtypes import get_default_dtype, to_dtype
from .random import generator
from .tensor import Tensor, _shape_args


def _make(array, requires_grad, device=None):
    tensor = Tensor._from_array(array, backend.to_device(device))
    tensor.requires_grad = requires_grad
    return tensor


def _shape(shape):
    shape = _shape_args(shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"shape entries must be non-negative, got {shape}")
    return shape


def _factory(name, fill):
    def factory(*shape, dtype=None, device=None, requires_grad=False):
        shape = _shape(shape)
        xp = backend.array_module(device)
        return _make(fill(xp, shape, to_dtype(dtype).numpy), requires_grad, device)

    factory.__name__ = factory.__qualname__ = name
    return factory


zeros = _factory("zeros", lambda xp, shape, dtype: xp.zeros(shape, dtype=dtype))
ones = _factory("ones", lambda xp, shape, dtype: xp.ones(shape, dtype=dtype))
empty = _factory("empty", lambda xp, shape, dtype: xp.empty(shape, dtype=dtype))
randn = _factory("randn", lambda xp, shape, dtype: xp.asarray(generator().standard_normal(shape), dtype=dtype))
rand = _factory("rand", lambda xp, shape, dtype: xp.asarray(generator().random(shape), dtype=dtype))
zeros.__doc__ = "Tensor of zeros; ``zeros(2, 3)`` or ``zeros((2, 3))``."
ones.__doc__ = "Tensor of ones; ``ones(2, 3)`` or ``ones((2, 3))``."
empty.__doc__ = "Uninitialized tensor; ``empty(2, 3)`` or ``empty((2, 3))``."
randn.__doc__ = "Standard normal samples from lucid's seeded generator."
rand.__doc__ = "Uniform samples in [0, 1) from lucid's seeded generator."


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    """Tensor of ``shape`` filled with ``fill_value``."""
    shape = _shape(shape if isinstance(shape, (tuple, list)) else (shape,))
    if dtype is None and isinstance(fill_value, bool):
        dtype = "bool"
    elif dtype is None and isinstance(fill_value, numbers.Integral):
        dtype = "int64"
    return _make(backend.array_module(device).full(shape, fill_value, dtype=to_dtype(dtype).numpy), requires_grad,
                 device)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays, tensors)."""
    return Tensor(data.detach() if isinstance(data, Tensor) else data, dtype=dtype, device=device,
                  requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array."""
    return Tensor._from_array(np.asarray(array), backend.CPU)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` up to (not including) ``end`` in steps of ``step``; int64 for int arguments."""
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if end is None:
        start, end = 0, start
    values = np.arange(start, end, step)
    if dtype is None:
        dtype = "int64" if values.dtype.kind in "iu" else get_default_dtype()
    return _make(backend.array_module(device).asarray(values, dtype=to_dtype(dtype).numpy), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    values = np.linspace(start, end, steps)
    return _make(backend.array_module(device).asarray(values, dtype=to_dtype(dtype).numpy), requires_grad, device)


def _like(factory):
    def like(other, dtype=None, device=None, requires_grad=False):
        return factory(other.shape, dtype=dtype or other.dtype, device=device or other.device,
                       requires_grad=requires_grad)

    like.__doc__ = f"``{factory.__name__}`` with the shape, dtype and device of another tensor."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
randn_like = _like(randn)
rand_like = _like(rand)
def full_like(other, fill_value, dtype=None, device=None, requires_grad=False):
    """``full`` with the shape, dtype and device of another tensor."""
    return full(other.shape, fill_value, dtype=dtype or other.dtype, device=device or other.device,
                requires_grad=requires_grad)


def randint(low=0, high=None, size=None, *, dtype=None, device=None, requires_grad=False):
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None or size is None:
        raise TypeError("randint needs high and size: randint(high, size) or randint(low, high, size)")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    shape = _shape(size if isinstance(size, (tuple, list)) else (size,))
    values = generator().integers(low, high, shape)
    return _make(backend.array_module(device).asarray(values, dtype=to_dtype(dtype or "int64").numpy),
                 requires_grad, device)


def randperm(n, *, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n - 1``."""
    return _make(backend.array_module(device).asarray(generator().permutation(n), dtype=to_dtype(dtype or "int64").numpy),
                 requires_grad, device)


def normal(mean, std, size=None, *, dtype=None, device=None, requires_grad=False):
    """Normal samples; ``mean`` and ``std`` may be numbers (then ``size`` is needed) or tensors (broadcast)."""
    if size is None:
        if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
            raise TypeError("normal(mean, std) with two numbers needs size")
        shape = np.broadcast_shapes(np.shape(mean._array if isinstance(mean, Tensor) else mean),
                                    np.shape(std._array if isinstance(std, Tensor) else std))
        like = mean if isinstance(mean, Tensor) else std
        dtype, device = dtype or like.dtype, device or like.device
    else:
        shape = _shape(size if isinstance(size, (tuple, list)) else (size,))
    raw = [v._array if isinstance(v, Tensor) else v for v in (mean, std)]
    values = generator().normal(raw[0], raw[1], shape)
    return _make(backend.array_module(device).asarray(values, dtype=to_dtype(dtype).numpy), requires_grad, device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``)."""
    return _make(backend.array_module(device).asarray(np.eye(n, n if m is None else m), dtype=to_dtype(dtype).numpy),
                 requires_grad, device)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced in the exponent."""
    values = np.logspace(start, end, steps, base=base)
    return _make(backend.array_module(device).asarray(values, dtype=to_dtype(dtype).numpy), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory with a tensor or NumPy array when dtype and device allow."""
    if isinstance(data, Tensor) and (dtype is None or to_dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray) and dtype is None and backend.to_device(device).type == "cpu":
        return from_numpy(data) if data.dtype in (np.float16, np.float32, np.float64, np.int32, np.int64,
                                                   np.bool_) else Tensor(data)
    return Tensor(data, dtype=dtype, device=device)
