"""Special functions on raw arrays: erf (NumPy has none, and lucid does not depend on SciPy)."""

import math

import numpy as np

from ..backend import get_array_module

# erf is expanded in a Taylor series around the nearest of these centres. Each centre's
# erf(c) and 2/√π·e^(-c²) come once from the correctly rounded scalar math.erf / math.exp.
_STEP = 1 / 16
_SATURATION = 6.0  # erfc(6) ≈ 2e-17 is below float64's half-ulp of 1: erf(|x| ≥ 6) is ±1
_CENTRES = np.arange(0.0, _SATURATION + _STEP, _STEP)
_ERF_AT = np.array([math.erf(c) for c in _CENTRES])
_SLOPE_AT = np.array([2 / math.sqrt(math.pi) * math.exp(-c * c) for c in _CENTRES])
_TERMS = 18  # |h| ≤ 1/32: the n-th term is below (|h|·2c)^n / n!, under 1e-17 long before n = 18


def erf(x):
    """The error function, elementwise; float64 results are within a few ulp of the true value.

    For |x| < 6, with c the nearest multiple of 1/16 and h = |x| - c,
    erf(c + h) = erf(c) + 2/√π·e^(-c²)·Σ_{n≥1} (-1)^(n-1) H_{n-1}(c) h^n / n!
    (H the Hermite polynomials, from their recurrence). Half-precision and single-precision
    inputs are computed in float64 and rounded back; integers give float64.
    """
    xp = get_array_module(x)
    x = xp.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    z = x.astype(np.float64)
    a = xp.minimum(xp.abs(z), _SATURATION)
    index = xp.rint(xp.nan_to_num(a) / _STEP).astype(np.int64)
    c = index * _STEP
    h = a - c  # exact: a and c are within 1/32 of each other
    hermite_prev, hermite = xp.zeros_like(c), xp.ones_like(c)  # H_{-1} := 0, H_0 = 1
    power = xp.ones_like(h)  # (-h)^n / n!
    total = xp.zeros_like(h)
    for n in range(1, _TERMS + 1):
        power = power * (-h) / n
        total = total - hermite * power
        hermite_prev, hermite = hermite, 2 * c * hermite - 2 * (n - 1) * hermite_prev
    out = xp.asarray(_ERF_AT)[index] + xp.asarray(_SLOPE_AT)[index] * total
    out = xp.where(a >= _SATURATION, 1.0, out)
    out = xp.where(xp.isnan(z), z, xp.copysign(out, z))
    return out.astype(dtype, copy=False)
