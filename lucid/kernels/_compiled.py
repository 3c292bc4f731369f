"""Optional numba-compiled loops for the passes NumPy runs as separate calls (``pip install lucid[fast]``).

The ``*_compiled`` leaves of :mod:`lucid.kernels.conv` call these; they do not apply when numba
is missing, when ``LUCID_NO_NUMBA=1`` is set, or inside ``conv.compiled_kernels(False)``. numba is imported on first use (it takes about
0.2 s) and the functions are compiled then, once per dtype/layout, and cached on disk.

The loops themselves live in :mod:`._numba`. Every function writes into an output array the
caller allocated. Every kernel is serial over a range of independent rows or jobs (no two
ranges write the same element), and the conv workspace spreads the ranges over its thread pool.
"""

import importlib.util
import os

AVAILABLE = os.environ.get("LUCID_NO_NUMBA", "") in ("", "0") and importlib.util.find_spec("numba") is not None
_functions = {}


def get(name):
    """The compiled function ``name``, or None when numba is unavailable (sets AVAILABLE to False)."""
    global AVAILABLE
    if not AVAILABLE:
        return None
    if not _functions:
        try:
            _functions.update(_build())
        except Exception:  # numba present but unusable (e.g. built for another NumPy)
            AVAILABLE = False
            return None
    return _functions[name]


def _build():
    from . import _numba

    return _numba.KERNELS
