"""Weight initialisation, in place and without recording a graph (PyTorch's formulas).

Every function fills the tensor it is given (a Parameter, or its ``.data``: they share
storage and version counter), bumps its version, and returns it. ``generator`` may be a
``numpy.random.Generator``; by default lucid's global generator (``lucid.manual_seed``) draws.
"""

import math
import numbers

import numpy as np

from ..autograd.grad_mode import no_grad
from ..kernels.special import erf
from ..random import generator as _global_generator
from ..tensor import Tensor
from .parameter import is_lazy

_GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0,
          "conv_transpose2d": 1.0, "conv_transpose3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0),
          "selu": 3.0 / 4}


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as PyTorch tabulates it.

    Parameters
    ----------
    nonlinearity : str
        ``linear``, ``conv1d``/``2d``/``3d``, ``conv_transpose1d``/``2d``/``3d``, ``sigmoid``
        (all 1), ``tanh`` (5/3), ``relu`` (√2), ``leaky_relu`` (√(2 / (1 + slope²))) or
        ``selu`` (3/4).
    param : float, optional
        The negative slope of ``leaky_relu`` (default 0.01).

    Returns
    -------
    float
    """
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; "
                         f"choose from {sorted(_GAINS) + ['leaky_relu']}")
    return _GAINS[nonlinearity]


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = size(1) · receptive field, fan_out = size(0) · receptive field.

    For a transposed convolution's (C_in, C_out // groups, K) weight this makes fan_in
    C_out // groups · K, exactly as PyTorch computes it.
    """
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dims, got shape {tensor.shape}")
    receptive = 1
    for size in tensor.shape[2:]:
        receptive *= size
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _target(tensor, where):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{where}: expected a Tensor, got {type(tensor).__name__}")
    if is_lazy(tensor):
        raise ValueError(f"{where}: the tensor is an uninitialized lazy parameter; materialize its layer first "
                         "(a forward pass or nn.utils.materialize)")
    if not tensor.is_floating_point():
        raise TypeError(f"{where}: expected a floating tensor, got dtype {tensor.dtype}")
    return tensor


def _rng(generator):
    if generator is None:
        return _global_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator or None, got {type(generator).__name__}")
    return generator


def _fill(tensor, values):
    with no_grad():
        return tensor.copy_(values)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with draws from U(a, b)."""
    _target(tensor, "uniform_")
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with draws from N(mean, std²)."""
    _target(tensor, "normal_")
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape))


def _normal_cdf(x):
    return 0.5 * (1.0 + erf(np.asarray(x, dtype=np.float64) / math.sqrt(2.0)))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with draws from N(mean, std²) conditioned on lying in [a, b].

    ``a`` and ``b`` are absolute bounds, not multiples of ``std`` (as in PyTorch).

    Notes
    -----
    Draws outside [a, b] are redrawn while that is cheap (at least 10% of draws land
    inside); otherwise each value is the inverse CDF of a uniform draw in
    [Φ((a-mean)/std), Φ((b-mean)/std)], found by bisection.
    """
    _target(tensor, "trunc_normal_")
    if not std > 0 or not a < b:
        raise ValueError(f"trunc_normal_: need std > 0 and a < b, got std={std}, a={a}, b={b}")
    rng = _rng(generator)
    lo, hi = (a - mean) / std, (b - mean) / std
    cdf_lo, cdf_hi = float(_normal_cdf(lo)), float(_normal_cdf(hi))
    count = math.prod(tensor.shape)
    if cdf_hi - cdf_lo >= 0.1:
        values = rng.standard_normal(count)
        outside = (values < lo) | (values > hi)
        while outside.any():
            values[outside] = rng.standard_normal(int(outside.sum()))
            outside = (values < lo) | (values > hi)
    else:
        target = rng.uniform(cdf_lo, cdf_hi, count)
        left, right = np.full(count, float(lo)), np.full(count, float(hi))
        for _ in range(60):  # halves [lo, hi] down to far below float64 spacing
            middle = 0.5 * (left + right)
            below = _normal_cdf(middle) < target
            left, right = np.where(below, middle, left), np.where(below, right, middle)
        values = 0.5 * (left + right)
    values = np.clip(mean + std * values, a, b)
    return _fill(tensor, values.reshape(tensor.shape))


def constant_(tensor, val):
    """Fill with ``val``."""
    _target(tensor, "constant_")
    return _fill(tensor, np.full(tensor.shape, val))


def zeros_(tensor):
    """Fill with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the main diagonal)."""
    _target(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"eye_: needs a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-D convolution weight so the convolution keeps its input (per group).

    Parameters
    ----------
    tensor : Tensor
        Shape ``(out_channels, in_channels, *kernel)``.
    groups : int, optional
        ``out_channels`` must be divisible by it.
    """
    _target(tensor, "dirac_")
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: needs a 3-, 4- or 5-D tensor, got shape {tensor.shape}")
    if tensor.shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 ({tensor.shape[0]}) must be divisible by groups ({groups})")
    per_group = tensor.shape[0] // groups
    values = np.zeros(tensor.shape)
    centre = tuple(size // 2 for size in tensor.shape[2:])
    for group in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(group * per_group + d, d) + centre] = 1.0
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-bound, bound) with bound = gain · √(6 / (fan_in + fan_out))."""
    _target(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill(tensor, _rng(generator).uniform(-bound, bound, tensor.shape))


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    _target(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return _fill(tensor, _rng(generator).normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), tensor.shape))


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound) with bound = gain · √(3 / fan); an empty tensor is left as it is."""
    _target(tensor, "kaiming_uniform_")
    if 0 in tensor.shape:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return _fill(tensor, _rng(generator).uniform(-bound, bound, tensor.shape))


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std²) with std = gain / √fan; an empty tensor is left as it is."""
    _target(tensor, "kaiming_normal_")
    if 0 in tensor.shape:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return _fill(tensor, _rng(generator).normal(0.0, std, tensor.shape))


def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill with a (semi-)orthogonal matrix times ``gain``: dims after the first are flattened.

    Notes
    -----
    The Q of a QR decomposition of a Gaussian matrix, with columns' signs fixed by R's
    diagonal so that Q is uniformly (Haar) distributed, as in PyTorch.
    """
    _target(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: needs a tensor with at least 2 dims, got shape {tensor.shape}")
    if 0 in tensor.shape:
        return tensor
    rows = tensor.shape[0]
    cols = math.prod(tensor.shape) // rows
    flat = _rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))
