"""Argument checks shared by functionals and modules; each error names the argument and the value."""

import numbers

import numpy as np

from ..backend import to_device
from ..dtypes import to_dtype


def int_tuple(name, value, n, minimum):
    """``value`` (an int or an n-tuple of ints, each >= minimum) as an n-tuple."""
    if type(value) is int and value >= minimum:  # the common cases, without the general checks
        return (value,) * n
    if type(value) is tuple and len(value) == n and all(type(v) is int and v >= minimum for v in value):
        return value
    if isinstance(value, str):
        if name == "padding":
            raise ValueError(f"String padding is not supported; padding must be an int, got {value!r}")
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(items) != n or not all(_is_int(v) for v in items):
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in items):
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return tuple(int(v) for v in items)


def positive_int(name, value):
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def _is_int(value):
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool)


def parameter_options(bias, dtype, device):
    """Check a layer's ``bias`` flag and parameter ``dtype``/``device``; returns the resolved device (or None)."""
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool, got {type(bias).__name__} {bias!r}")
    if dtype is not None and not to_dtype(dtype).is_floating_point:
        raise TypeError(f"dtype must be a floating point dtype, got {to_dtype(dtype)}")
    return None if device is None else to_device(device)


def check_output_padding(output_padding, stride, dilation):
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(
                f"output_padding must be smaller than max(stride, dilation) = {max(s, d)}, got {output_padding}"
            )


def check_groups_divide(name, channels, groups):
    if channels % groups:
        raise ValueError(f"{name} ({channels}) must be divisible by groups ({groups})")
