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
    if end is None:
        start, end = 0, start
    values = np.arange(start, end, step)
    if dtype is None:
        dtype = "int64" if values.dtype.kind in "iu" else get_default_dtype()
    return _make(backend.array_module(device).asarray(values, dtype=to_dtype(dtype).numpy), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
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
