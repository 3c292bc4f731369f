"""Window functions for spectral analysis, as ``torch.hann_window`` and friends.

Each returns a 1-d tensor of ``window_length`` values. ``periodic=True`` (the default, as in
PyTorch) gives the window for spectral analysis: the symmetric window of length
``window_length + 1`` without its last value.
"""

import math

import numpy as np

from . import backend
from .creation import _make
from .dtypes import to_dtype


def _window(name, window_length, periodic, dtype, device, requires_grad, values):
    if not isinstance(window_length, int) or isinstance(window_length, bool) or window_length < 0:
        raise ValueError(f"{name}: window_length must be a non-negative int, got {window_length!r}")
    dtype = to_dtype(dtype)
    if not dtype.is_floating_point:
        raise ValueError(f"{name}: dtype must be floating point, got {dtype}")
    if window_length <= 1:
        array = np.ones(window_length)
    else:
        m = window_length + 1 if periodic else window_length
        array = values(np.arange(m, dtype=np.float64), m)[:window_length]
    return _make(backend.array_module(device).asarray(array, dtype=dtype.numpy), requires_grad, device)


def _cosine_sum(coefficients):
    def values(n, m):
        phase = 2 * math.pi * n / (m - 1)
        return sum((-1) ** k * a * np.cos(k * phase) for k, a in enumerate(coefficients))

    return values


def hann_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The Hann window ``0.5 - 0.5 cos(2 pi n / (M - 1))``.

    Examples
    --------
    >>> import lucid
    >>> lucid.hann_window(4)
    tensor([0. , 0.5, 1. , 0.5])
    """
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, _cosine_sum((0.5, 0.5)))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, device=None,
                   requires_grad=False):
    """The Hamming window ``alpha - beta cos(2 pi n / (M - 1))``."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum((alpha, beta)))


def blackman_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The Blackman window ``0.42 - 0.5 cos(2 pi n / (M - 1)) + 0.08 cos(4 pi n / (M - 1))``."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum((0.42, 0.5, 0.08)))


def bartlett_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The triangular Bartlett window ``1 - |2 n / (M - 1) - 1|``."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, m: 1 - np.abs(2 * n / (m - 1) - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, device=None, requires_grad=False):
    """The Kaiser window ``I0(beta sqrt(1 - (2 n / (M - 1) - 1)^2)) / I0(beta)``."""
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, m: np.i0(beta * np.sqrt(np.clip(1 - (2 * n / (m - 1) - 1) ** 2, 0, None))) / np.i0(beta))


__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"]
