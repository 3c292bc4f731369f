"""Optional numba-compiled loops for the passes NumPy runs as separate calls (``pip install lucid[fast]``).

:mod:`lucid.kernels.conv` calls these only where they measured faster than its NumPy code and
falls back to NumPy when numba is missing, when ``LUCID_NO_NUMBA=1`` is set, or inside
``conv.formulation(None, compiled=False)``. numba is imported on first use (it takes about
0.2 s) and the functions are compiled then, once per dtype/layout, and cached on disk.

Every function writes into an output array the caller allocated; the direct (depthwise)
kernels run their outer loop with ``prange`` over independent rows, so no two threads write
the same element.
Positions follow conv.py: long-signal position ``t = l·s + k·d - p`` for short position ``l``, tap ``k``.
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
    import numba
    from numba import prange

    # reassoc lets LLVM vectorise the reductions; no flag that changes inf/nan handling
    jit = numba.njit(cache=True, parallel=True, nogil=True, fastmath={"reassoc", "contract"})

    @jit
    def direct_conv1d(x, w, bias, has_bias, y, stride, padding, dilation, groups):
        # y[n, o, l] = bias[o] + sum_{c, k} w[o, c, k] x[n, g(o)·C_g + c, l·s + k·d - p]
        n, _, length = x.shape
        c_out, c_group, k = w.shape
        o_group = c_out // groups
        out_length = y.shape[2]
        # positions [inner_lo, inner_hi) read every tap inside the signal: no bounds checks there
        inner_lo = min(out_length, max(0, (padding + stride - 1) // stride))
        inner_hi = max(inner_lo, min(out_length, (length - 1 - (k - 1) * dilation + padding) // stride + 1))
        for row in prange(n * c_out):
            b, o = row // c_out, row % c_out
            first = (o // o_group) * c_group
            dst = y[b, o]
            start = bias[o] if has_bias else 0
            for l in range(inner_lo):
                dst[l] = start
            for l in range(inner_hi, out_length):
                dst[l] = start
            for l in range(inner_lo, inner_hi):
                dst[l] = start
            for c in range(c_group):
                src = x[b, first + c]
                for l in range(inner_lo, inner_hi):
                    acc = dst[l]
                    t = l * stride - padding
                    for tap in range(k):
                        acc += w[o, c, tap] * src[t + tap * dilation]
                    dst[l] = acc
                for tap in range(k):  # the edges, tap by tap
                    base = tap * dilation - padding
                    lo = min(out_length, max(0, (-base + stride - 1) // stride))
                    hi = max(lo, min(out_length, (length - 1 - base) // stride + 1))
                    wk = w[o, c, tap]
                    for l in range(lo, min(hi, inner_lo)):
                        dst[l] += wk * src[l * stride + base]
                    for l in range(max(lo, inner_hi), hi):
                        dst[l] += wk * src[l * stride + base]

    @jit
    def direct_grad_input(g, w, bias, has_bias, out, stride, padding, dilation, groups):
        # out[n, g·C_g + c, l·s + k·d - p] += w[g·O_g + o, c, k] g[n, g·O_g + o, l]: a row-local scatter
        n, c_out, out_length = g.shape
        _, c_group, k = w.shape
        o_group = c_out // groups
        length = out.shape[2]
        c_in = groups * c_group
        for row in prange(n * c_in):
            b, ci = row // c_in, row % c_in
            grp, c = ci // c_group, ci % c_group
            dst = out[b, ci]
            dst[:] = bias[ci] if has_bias else 0
            for o in range(grp * o_group, (grp + 1) * o_group):
                src = g[b, o]
                for tap in range(k):
                    base = tap * dilation - padding
                    lo = min(out_length, max(0, (-base + stride - 1) // stride))
                    hi = max(lo, min(out_length, (length - 1 - base) // stride + 1))
                    wk = w[o, c, tap]
                    for l in range(lo, hi):
                        dst[l * stride + base] += wk * src[l]

    @numba.njit(cache=True, parallel=True, nogil=True)  # in order: reassociating this float64 sum measured slower
    def direct_grad_weight(x, g, gw, stride, padding, dilation, groups):
        # gw[o, c, k] = sum_{n, l} g[n, o, l] x[n, g(o)·C_g + c, l·s + k·d - p], accumulated in float64
        n, _, length = x.shape
        _, c_out, out_length = g.shape
        _, c_group, k = gw.shape
        o_group = c_out // groups
        for o in prange(c_out):
            first = (o // o_group) * c_group
            for c in range(c_group):
                for tap in range(k):
                    base = tap * dilation - padding
                    lo = min(out_length, max(0, (-base + stride - 1) // stride))
                    hi = max(lo, min(out_length, (length - 1 - base) // stride + 1))
                    acc = 0.0
                    for b in range(n):
                        src, gr = x[b, first + c], g[b, o]
                        for l in range(lo, hi):
                            acc += gr[l] * src[l * stride + base]
                    gw[o, c, tap] = acc

    # serial: it runs right after a GEMM, while OpenBLAS's threads still spin on the cores, and
    # numba's parallel workers measured 3-4x slower there than one thread
    @numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
    def col2im(cols, bias, has_bias, init, out, start, stride, padding, dilation):
        # out[n, c, (start + l)·s + k·d - p] += cols[n, c, k, l]; init: first set the rows to the bias (or 0)
        n, c_in, k, size = cols.shape
        length = out.shape[2]
        for row in range(n * c_in):
            b, c = row // c_in, row % c_in
            dst = out[b, c]
            if init:
                dst[:] = bias[c] if has_bias else 0
            for tap in range(k):
                base = start * stride + tap * dilation - padding
                lo = min(size, max(0, (-base + stride - 1) // stride))
                hi = max(lo, min(size, (length - 1 - base) // stride + 1))
                src = cols[b, c, tap]
                for l in range(lo, hi):
                    dst[l * stride + base] += src[l]

    return {f.__name__: f for f in (direct_conv1d, direct_grad_input, direct_grad_weight, col2im)}
