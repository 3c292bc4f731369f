"""Stride 1: one GEMM per tap on views of the arrays themselves (a slice along the last axis is a
BLAS operand), so no im2col or phase copy is built.

With NumPy's bundled OpenBLAS (:mod:`lucid.kernels.blas`) every tap's GEMM accumulates straight
into its slice of the output (``beta = 1``), so the output is the only array written. Without it,
each GEMM writes a cache-sized temporary that is added in, block by block of positions so that
the rows being accumulated stay in L2.
"""

from ...backend import get_array_module
from .. import blas
from . import tuning
from . import workspace as ws


def direct(case):
    """Whether the taps accumulate in place through BLAS (else through a temporary)."""
    return case.numpy and case.itemsize in (4, 8) and blas.available("float32" if case.itemsize == 4 else "float64")


def _tap_spans(offsets, length, other_length):
    """Per tap, (tap, offset, lo, hi): the tap adds into positions t in [lo, hi) of a signal of
    ``length`` from positions t - offset of one of ``other_length``; the widest tap first."""
    spans = []
    for tap, offset in enumerate(offsets):
        lo = max(0, offset)
        spans.append((tap, offset, lo, max(lo, min(length, other_length + offset))))
    return sorted(spans, key=lambda span: span[2] - span[3])


def _tap_gemm(xp, w, x, out, add, tmp):
    """out (G, O, m) = w (G, O, C) @ x (G, C, m), or += when ``add``.

    ``tmp`` None: in place through BLAS, group by group (NumPy's matmul for a group BLAS does not
    take). Else through a contiguous prefix of ``tmp``: NumPy's matmul into a strided ``out``
    skips BLAS for its own loop, several times slower.
    """
    if tmp is None:
        for g in range(out.shape[0]):
            if not blas.gemm(w[g], x[g], out[g], accumulate=add):
                _tap_gemm(xp, w[g : g + 1], x[g : g + 1], out[g : g + 1], add, xp.empty(out[g].shape, out.dtype))
        return
    part = xp.matmul(w, x, out=tmp.reshape(-1)[: out.size].reshape(out.shape))
    if add:
        out += part
    else:
        out[...] = part


def _accumulate_taps(xp, weights, src, dst, spans, start, tmp, filled=False):
    """dst = sum over spans of weights[tap] @ src[..., t - offset] for t in [start, start + width); positions
    no tap reaches are zeroed. ``filled``: dst already holds a value to add to (the bias)."""
    stop = start + dst.shape[-1]
    for j, (tap, offset, lo, hi) in enumerate(spans):
        lo, hi = max(lo, start), min(hi, stop)
        if hi > lo:
            _tap_gemm(xp, weights[tap], src[..., lo - offset : hi - offset], dst[..., lo - start : hi - start],
                      filled or j > 0, tmp)
        if j == 0 and not filled:
            if hi <= lo:
                lo = hi = start
            dst[..., : lo - start] = 0
            dst[..., hi - start :] = 0


def _taps_over(xp, case, weights, src, out, offsets, bias, rows):
    """out[n] = sum_k weights[k] @ src[n] shifted by offsets[k] (+ bias), block by block of positions."""
    n, groups, channels, length = out.shape
    spans = _tap_spans(offsets, length, src.shape[-1])
    step = length if direct(case) else max(64, tuning.PER_TAP_BLOCK_BYTES // (out.dtype.itemsize * max(rows, 1)))
    b = None if bias is None else bias.reshape(groups, channels, 1)
    tmp = None if direct(case) else ws.scratch(xp, (groups, channels, min(step, length)), out.dtype, "res")
    for i in range(n):
        for m0 in range(0, length, step):
            dst = out[i, :, :, m0 : m0 + step]
            if b is not None and tmp is None:  # the GEMMs add onto the bias: one pass fewer than adding it after
                dst[...] = b
                _accumulate_taps(xp, weights, src[i], dst, spans, m0, tmp, filled=True)
                continue
            _accumulate_taps(xp, weights, src[i], dst, spans, m0, tmp)
            if b is not None:
                dst += b


def conv1d(case, x, w, bias=None, weight=None):
    """y[n, :, l] = sum_k W_k x[n, :, l + k·d - p] with W_k = w[:, :, k]."""
    xp = get_array_module(x)
    groups, o_group, c_group, k = case.groups, case.o_group, case.c_group, case.kernel_size
    if weight is None:
        weight = per_tap_weight(case, w)
    out = xp.empty((case.n, case.c_out, case.out_length), dtype=x.dtype)
    _taps_over(xp, case, weight, x.reshape(case.n, groups, c_group, case.length),
               out.reshape(case.n, groups, o_group, case.out_length),
               [case.padding - tap * case.dilation for tap in range(k)], bias, case.c_out)
    return out


def per_tap_weight(case, w):
    """(K, G, O_g, C_g): each tap's GEMM operand contiguous."""
    xp = get_array_module(w)
    wg = w.reshape(case.groups, case.o_group, case.c_group, case.kernel_size)
    return xp.ascontiguousarray(wg.transpose(3, 0, 1, 2))


def grad_input_weight(case, w):
    """(K, G, C_g, O_g): each tap's transposed operand contiguous."""
    xp = get_array_module(w)
    wg = w.reshape(case.groups, case.o_group, case.c_group, case.kernel_size)
    return xp.ascontiguousarray(wg.transpose(3, 0, 2, 1))


def grad_input(case, grad_out, w, bias=None, weight=None):
    """out[n, :, t] = sum_k W_k^T grad_out[n, :, t + p - k·d]."""
    xp = get_array_module(grad_out)
    groups, o_group, c_group, k = case.groups, case.o_group, case.c_group, case.kernel_size
    if weight is None:
        weight = grad_input_weight(case, w)
    out = xp.empty((case.n, case.c_in, case.length), dtype=grad_out.dtype)
    _taps_over(xp, case, weight, grad_out.reshape(case.n, groups, o_group, case.out_length),
               out.reshape(case.n, groups, c_group, case.length),
               [tap * case.dilation - case.padding for tap in range(k)], bias, case.c_in)
    return out


def grad_weight(case, x, grad_out, bias=None):
    """gw[:, :, k] = sum_n grad_out[n, :, l] x[n, :, l + k·d - p]^T: one GEMM per tap and sample,
    contracting over positions (the transposed slice of x is a BLAS operand)."""
    xp = get_array_module(x)
    n, groups, o_group, c_group, k = case.n, case.groups, case.o_group, case.c_group, case.kernel_size
    length, out_length = case.length, case.out_length
    gw = xp.zeros((k, groups, o_group, c_group), dtype=x.dtype)
    xg = x.reshape(n, groups, c_group, length)
    gg = grad_out.reshape(n, groups, o_group, out_length)
    spans = _tap_spans([case.padding - tap * case.dilation for tap in range(k)], out_length, length)
    if direct(case):
        for tap, offset, lo, hi in spans:  # every sample's product accumulates into gw[tap] in place
            for i in range(n):
                for g in range(groups):
                    a, b = gg[i, g, :, lo:hi], xg[i, g, :, lo - offset : hi - offset]
                    if hi > lo and not blas.gemm(a, b, gw[tap, g], accumulate=True, trans_b=True):
                        gw[tap, g] += a @ b.T
    else:
        step = max(1, tuning.WORKSPACE_BYTES // (x.dtype.itemsize * groups * o_group * c_group))  # per-sample partials
        for n0 in range(0, n, step):
            n1 = min(n, n0 + step)
            tmp = ws.scratch(xp, (n1 - n0, groups, o_group, c_group), x.dtype, "res-part")
            for tap, offset, lo, hi in spans:
                if hi > lo:
                    rows = xg[n0:n1, :, :, lo - offset : hi - offset].transpose(0, 1, 3, 2)
                    gw[tap] += xp.matmul(gg[n0:n1, :, :, lo:hi], rows, out=tmp).sum(axis=0)
    out = xp.empty((case.c_out, c_group, k), dtype=x.dtype)
    out.reshape(groups, o_group, c_group, k)[...] = gw.transpose(1, 2, 3, 0)
    return out
