"""The numba-compiled loops behind :mod:`._compiled` (imported only through it, on first use).

Functions are module-level so that numba's on-disk cache also covers the kernels that call the
small helpers (a closure over other compiled functions is recompiled in every process).
Positions follow kernels/conv/geometry.py: long-signal position ``t = l·s + k·d - p`` for short position ``l``, tap ``k``.
"""

import numba
import numpy as np

# reassoc lets LLVM vectorise the reductions; no flag that changes inf/nan handling. Every loop
# is serial over a range of rows that the conv workspace spreads over its thread pool: numba's
# own parallel threads (prange, OpenMP) wait on OpenBLAS's spinning workers, measured 60 µs ->
# 2-13 ms for a small depthwise call made right after a GEMM.
jit = numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})


# The direct loops run tap by tap over the positions each tap reaches, on unit-stride slices
# (an axpy or a dot that LLVM vectorises; a loop over taps inside the positions, or a strided
# index, measured 10-70x slower). At stride s > 1 the long signal is first split into its s
# phases, phase a holding positions a, a + s, ...: position l·s + base is then entry l + q of
# phase a, with base = q·s + a.


@jit
def _split_phases(src, stride, phases):
    # phases[a, j] = src[j·s + a] for j·s + a < len(src)
    for a in range(stride):
        row = phases[a]
        for j in range((src.shape[0] - a + stride - 1) // stride):
            row[j] = src[j * stride + a]


@jit
def _merge_phases(phases, stride, dst):
    # dst[j·s + a] = phases[a, j]: the inverse of _split_phases
    for a in range(stride):
        row = phases[a]
        for j in range((dst.shape[0] - a + stride - 1) // stride):
            dst[j * stride + a] = row[j]


@jit
def _long_slice(src, phases, stride, base, lo, hi):
    # long-signal positions l·s + base for l in [lo, hi) as one unit-stride slice: of src itself
    # at stride 1, else of the phase that holds them (phases = src split by _split_phases)
    if stride == 1:
        return src[lo + base : hi + base]
    a = base % stride
    q = (base - a) // stride
    return phases[a, lo + q : hi + q]


@jit
def _tap_range(base, stride, short, long):
    # short positions l in [lo, hi) with 0 <= l·s + base < long
    lo = min(short, max(0, (-base + stride - 1) // stride))
    return lo, max(lo, min(short, (long - 1 - base) // stride + 1))


@jit
def _axpy(dst, a, src):
    # dst += a·src over two equal-length unit-stride slices
    for i in range(dst.shape[0]):
        dst[i] += a * src[i]


@jit
def _dot_slices(a, b):
    # sum a·b of two equal-length slices: blocks of 256 in their dtype (vectorised), added in float64
    total = 0.0
    for start in range(0, a.shape[0], 256):
        part = a.dtype.type(0)
        for i in range(start, min(start + 256, a.shape[0])):
            part += a[i] * b[i]
        total += part
    return total


@jit
def direct_conv1d(x, w, bias, has_bias, y, stride, padding, dilation, groups, first_row, last_row):
    # y[n, o, l] = bias[o] + sum_{c, k} w[o, c, k] x[n, g(o)·C_g + c, l·s + k·d - p]
    n, _, length = x.shape
    c_out, c_group, k = w.shape
    o_group = c_out // groups
    out_length = y.shape[2]
    width = (length + stride - 1) // stride
    phases = np.empty((stride, width), dtype=x.dtype)
    for row in range(first_row, last_row):  # rows of (sample, output channel)
        b, o = row // c_out, row % c_out
        first = (o // o_group) * c_group
        dst = y[b, o]
        dst[:] = bias[o] if has_bias else 0
        for c in range(c_group):
            src = x[b, first + c]
            if stride > 1:
                _split_phases(src, stride, phases)
            for tap in range(k):
                base = tap * dilation - padding
                lo, hi = _tap_range(base, stride, out_length, length)
                _axpy(dst[lo:hi], w[o, c, tap], _long_slice(src, phases, stride, base, lo, hi))


@jit
def direct_grad_input(g, w, bias, has_bias, out, stride, padding, dilation, groups, first_row, last_row):
    # out[n, g·C_g + c, l·s + k·d - p] += w[g·O_g + o, c, k] g[n, g·O_g + o, l]: a row-local scatter
    n, c_out, out_length = g.shape
    _, c_group, k = w.shape
    o_group = c_out // groups
    length = out.shape[2]
    c_in = groups * c_group
    width = (length + stride - 1) // stride
    phases = np.empty((stride, width), dtype=out.dtype)
    for row in range(first_row, last_row):  # rows of (sample, input channel)
        b, ci = row // c_in, row % c_in
        grp, c = ci // c_group, ci % c_group
        dst = out[b, ci]  # at s > 1 the sums gather in the phases, then interleave into dst
        if stride == 1:
            dst[:] = bias[ci] if has_bias else 0
        else:
            phases[:] = bias[ci] if has_bias else 0
        for o in range(grp * o_group, (grp + 1) * o_group):
            src = g[b, o]
            for tap in range(k):
                base = tap * dilation - padding
                lo, hi = _tap_range(base, stride, out_length, length)
                _axpy(_long_slice(dst, phases, stride, base, lo, hi), w[o, c, tap], src[lo:hi])
        if stride > 1:
            _merge_phases(phases, stride, dst)


@jit
def direct_grad_weight(x, g, gw, stride, padding, dilation, groups, first_row, last_row):
    # gw[o, c, k] = sum_{n, l} g[n, o, l] x[n, g(o)·C_g + c, l·s + k·d - p], accumulated in float64
    n, _, length = x.shape
    _, c_out, out_length = g.shape
    _, c_group, k = gw.shape
    o_group = c_out // groups
    width = (length + stride - 1) // stride
    phases = np.empty((stride, width), dtype=x.dtype)
    acc = np.zeros(k, dtype=np.float64)
    for o in range(first_row, last_row):  # output channels
        first = (o // o_group) * c_group
        for c in range(c_group):
            acc[:] = 0
            for b in range(n):
                src, gr = x[b, first + c], g[b, o]
                if stride > 1:
                    _split_phases(src, stride, phases)
                for tap in range(k):
                    base = tap * dilation - padding
                    lo, hi = _tap_range(base, stride, out_length, length)
                    acc[tap] += _dot_slices(gr[lo:hi], _long_slice(src, phases, stride, base, lo, hi))
            for tap in range(k):
                gw[o, c, tap] = acc[tap]


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _madd_4x4(acc, rows, c, offset, wv, n):
    # acc[u, i] += sum_v wv[u, v] rows[c + v, offset + i] for 4 outputs u and 4 rows v: each loaded
    # element feeds 4 FMAs and each accumulator load/store carries 4 (1-D slices keep the loads unit-stride)
    x0, x1 = rows[c, offset : offset + n], rows[c + 1, offset : offset + n]
    x2, x3 = rows[c + 2, offset : offset + n], rows[c + 3, offset : offset + n]
    a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
    u0, u1, u2, u3 = wv[0, 0], wv[0, 1], wv[0, 2], wv[0, 3]
    v0, v1, v2, v3 = wv[1, 0], wv[1, 1], wv[1, 2], wv[1, 3]
    y0, y1, y2, y3 = wv[2, 0], wv[2, 1], wv[2, 2], wv[2, 3]
    z0, z1, z2, z3 = wv[3, 0], wv[3, 1], wv[3, 2], wv[3, 3]
    for i in range(n):
        e0, e1, e2, e3 = x0[i], x1[i], x2[i], x3[i]
        a0[i] += u0 * e0 + u1 * e1 + u2 * e2 + u3 * e3
        a1[i] += v0 * e0 + v1 * e1 + v2 * e2 + v3 * e3
        a2[i] += y0 * e0 + y1 * e1 + y2 * e2 + y3 * e3
        a3[i] += z0 * e0 + z1 * e1 + z2 * e2 + z3 * e3


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _madd_1x4(acc, rows, c, offset, wv, n):
    # one row into 4 outputs: the rows left over after the groups of 4
    x0 = rows[c, offset : offset + n]
    a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
    u0, v0, y0, z0 = wv[0, 0], wv[1, 0], wv[2, 0], wv[3, 0]
    for i in range(n):
        e0 = x0[i]
        a0[i] += u0 * e0
        a1[i] += v0 * e0
        a2[i] += y0 * e0
        a3[i] += z0 * e0


@numba.njit(cache=True, nogil=True)
def _phase_window(x, first_channel, channels, phases, start, width):
    # rows[a·C + c, j] = x[first_channel + c, (start + j)·phases + a], zero outside the signal
    length = x.shape[1]
    rows = np.zeros((phases * channels, width), dtype=x.dtype)
    for a in range(phases):
        j_lo = max(0, -start)
        j_hi = max(j_lo, min(width, (length - a - 1) // phases + 1 - start))
        for c in range(channels):
            src = x[first_channel + c]
            dst = rows[a * channels + c]
            if phases == 1:  # a contiguous copy
                dst[j_lo:j_hi] = src[start + j_lo : start + j_hi]
                continue
            for j in range(j_lo, j_hi):
                dst[j] = src[(start + j) * phases + a]
    return rows


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dot_4x4(acc, short, o, m0, rows, row, offset, n):
    # acc[u, v] += sum_i short[o + u, m0 + i] rows[row + v, offset + i]: 16 dot products, 8 loads per 16 FMAs
    s0, s1 = short[o, m0 : m0 + n], short[o + 1, m0 : m0 + n]
    s2, s3 = short[o + 2, m0 : m0 + n], short[o + 3, m0 : m0 + n]
    x0, x1 = rows[row, offset : offset + n], rows[row + 1, offset : offset + n]
    x2, x3 = rows[row + 2, offset : offset + n], rows[row + 3, offset : offset + n]
    # the first products start the sums (a typed zero without knowing the dtype)
    t00, t01, t02, t03 = s0[0] * x0[0], s0[0] * x1[0], s0[0] * x2[0], s0[0] * x3[0]
    t10, t11, t12, t13 = s1[0] * x0[0], s1[0] * x1[0], s1[0] * x2[0], s1[0] * x3[0]
    t20, t21, t22, t23 = s2[0] * x0[0], s2[0] * x1[0], s2[0] * x2[0], s2[0] * x3[0]
    t30, t31, t32, t33 = s3[0] * x0[0], s3[0] * x1[0], s3[0] * x2[0], s3[0] * x3[0]
    for i in range(1, n):
        a0, a1, a2, a3 = s0[i], s1[i], s2[i], s3[i]
        e0, e1, e2, e3 = x0[i], x1[i], x2[i], x3[i]
        t00 += a0 * e0
        t01 += a0 * e1
        t02 += a0 * e2
        t03 += a0 * e3
        t10 += a1 * e0
        t11 += a1 * e1
        t12 += a1 * e2
        t13 += a1 * e3
        t20 += a2 * e0
        t21 += a2 * e1
        t22 += a2 * e2
        t23 += a2 * e3
        t30 += a3 * e0
        t31 += a3 * e1
        t32 += a3 * e2
        t33 += a3 * e3
    acc[0, 0] += t00
    acc[0, 1] += t01
    acc[0, 2] += t02
    acc[0, 3] += t03
    acc[1, 0] += t10
    acc[1, 1] += t11
    acc[1, 2] += t12
    acc[1, 3] += t13
    acc[2, 0] += t20
    acc[2, 1] += t21
    acc[2, 2] += t22
    acc[2, 3] += t23
    acc[3, 0] += t30
    acc[3, 1] += t31
    acc[3, 2] += t32
    acc[3, 3] += t33


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dot(short, m0, rows, offset, n):
    total = short[m0] * rows[offset]
    for i in range(1, n):
        total += short[m0 + i] * rows[offset + i]
    return total


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def gather_grad_weight(x, g, gw, stride, tap_in, tap_shift, block, first, last):
    # conv1d's weight gradient: gw[grp, o, c, k] += the sum over samples and positions l of
    # g[n, grp·O_g + o, l] · x[n, grp·C_g + c, (l + tap_shift[k])·s + tap_in[k]], with the jobs of gather
    # (sample, group, block of l) and the same phase-split window of x; ``gw`` is this job range's partial sum.
    groups, o_group, c_group, k = gw.shape
    out_length = g.shape[2]
    lo_shift = tap_shift.min()
    span = tap_shift.max() - lo_shift
    p_blocks = (out_length + block - 1) // block
    part = np.zeros((4, 4), dtype=gw.dtype)
    for job in range(first, last):
        b, grp, pb = job // (groups * p_blocks), (job // p_blocks) % groups, job % p_blocks
        m0 = pb * block
        size = min(block, out_length - m0)
        rows = _phase_window(x[b], grp * c_group, c_group, stride, m0 + lo_shift, size + span)
        short = g[b, grp * o_group : (grp + 1) * o_group]
        full_o, full_c = o_group - o_group % 4, c_group - c_group % 4
        for tap in range(k):
            row = tap_in[tap] * c_group
            offset = tap_shift[tap] - lo_shift
            for o in range(0, full_o, 4):
                for c in range(0, full_c, 4):
                    part[:, :] = 0
                    _dot_4x4(part, short, o, m0, rows, row + c, offset, size)
                    for u in range(4):
                        for v in range(4):
                            gw[grp, o + u, c + v, tap] += part[u, v]
            for o in range(o_group):
                for c in range(c_group):
                    if o >= full_o or c >= full_c:
                        gw[grp, o, c, tap] += _dot(short[o], m0, rows[row + c], offset, size)


# serial, run on kernels/conv/workspace.py's thread pool (jobs [first, last) per call): numba's OpenMP workers spin
# after a parallel loop and took the cores from the GEMMs that followed (a backward ran 2-4x slower)
@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def gather(x, wt, bias, has_bias, out, in_phases, out_phases, tap_in, tap_out, tap_shift, block, first, last):
    # out[n, g·O_g + o, m·P_out + r] = bias[g·O_g + o] + the sum over channels c and taps k with
    # tap_out[k] == r of wt[g, o, c, k] · x[n, g·C_g + c, (m + tap_shift[k])·P_in + tap_in[k]] (0 outside x).
    # conv1d is (P_in, P_out) = (s, 1), the transposed convolution (1, s). A job is one (sample, group,
    # block of coarse positions m): it copies the window of x it reads, split into its P_in phases, then
    # accumulates 4 output channels at a time over cache-resident rows.
    n, _, in_length = x.shape
    groups, o_group, c_group, k = wt.shape
    length = out.shape[2]
    coarse = (length + out_phases - 1) // out_phases
    lo_shift = tap_shift.min()
    span = tap_shift.max() - lo_shift
    p_blocks = (coarse + block - 1) // block
    for job in range(first, last):
        b, grp, pb = job // (groups * p_blocks), (job // p_blocks) % groups, job % p_blocks
        m0 = pb * block
        size = min(block, coarse - m0)
        rows = _phase_window(x[b], grp * c_group, c_group, in_phases, m0 + lo_shift, size + span)
        acc = np.empty((4, size), dtype=out.dtype)
        wv = np.zeros((4, 4), dtype=wt.dtype)
        for o0 in range(0, o_group, 4):
            no = min(4, o_group - o0)
            for r in range(out_phases):
                for u in range(4):
                    acc[u, :] = bias[grp * o_group + o0 + u] if has_bias and u < no else 0
                for tap in range(k):
                    if tap_out[tap] != r:
                        continue
                    row = tap_in[tap] * c_group
                    offset = tap_shift[tap] - lo_shift
                    for c in range(0, c_group - 3, 4):
                        for u in range(no):
                            for v in range(4):
                                wv[u, v] = wt[grp, o0 + u, c + v, tap]
                        _madd_4x4(acc, rows, row + c, offset, wv, size)
                    for c in range(c_group - c_group % 4, c_group):
                        for u in range(no):
                            wv[u, 0] = wt[grp, o0 + u, c, tap]
                        _madd_1x4(acc, rows, row + c, offset, wv, size)
                t0 = m0 * out_phases + r
                count = min(size, (length - t0 + out_phases - 1) // out_phases)
                for u in range(no):
                    if count <= 0:
                        break
                    dst = out[b, grp * o_group + o0 + u, t0:]
                    src = acc[u]
                    if out_phases == 1:  # conv1d: a contiguous copy
                        dst[:count] = src[:count]
                        continue
                    for i in range(count):
                        dst[i * out_phases] = src[i]


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def col2im_phases(cols, bias, has_bias, out, stride, tap_phase, tap_shift, first, last):
    # The transposed convolution's col2im: out[n, g·C_g + c, (l + q_k)·s + r_k] += cols[g, c, k, n, l]
    # for the output rows n·C + (g·C_g + c) in [first, last). Each row sums its taps into one
    # accumulator per output phase (contiguous adds), then interleaves the phases once.
    groups, c_group, k, _, in_length = cols.shape
    channels = groups * c_group
    length = out.shape[2]
    coarse = (length + stride - 1) // stride
    acc = np.empty((stride, coarse), dtype=out.dtype)
    for row in range(first, last):
        b, ch = row // channels, row % channels
        g, c = ch // c_group, ch % c_group
        acc[:, :] = bias[ch] if has_bias else 0
        for tap in range(k):
            q = tap_shift[tap]
            lo = min(coarse, max(0, q))
            hi = max(lo, min(coarse, in_length + q))
            dst = acc[tap_phase[tap], lo:hi]
            src = cols[g, c, tap, b, lo - q : hi - q]
            for i in range(hi - lo):
                dst[i] += src[i]
        dst = out[b, ch]
        for r in range(stride):
            a = acc[r]
            for m in range((length - r + stride - 1) // stride):
                dst[m * stride + r] = a[m]


@numba.njit(cache=True, nogil=True)
def phase_weight(w, out, tap_shift, tap_phase, covered, first, last):
    # out[g, j, o, r, c] = w[g·O_g + o, c, k] for the tap k at (shift j, phase r), 0 where no tap lands,
    # for the rows g·O_g + o in [first, last): each row's (C_g, K) block is transposed while in L1
    _, q, o_group, stride, c_group = out.shape
    k = w.shape[2]
    for row in range(first, last):
        g, o = row // o_group, row % o_group
        for j in range(q):
            for r in range(stride):
                if not covered[j, r]:
                    out[g, j, o, r, :] = 0
        src = w[row]
        for tap in range(k):
            dst = out[g, tap_shift[tap], o, tap_phase[tap]]
            for c in range(c_group):
                dst[c] = src[c, tap]


KERNELS = {f.__name__: f for f in (direct_conv1d, direct_grad_input, gather, gather_grad_weight,
                                   direct_grad_weight, col2im_phases, phase_weight)}
