"""One GEMM over all taps on the weight as stored: im2col for conv1d and the weight gradient,
col2im for the transposed convolution.

The column buffer is K/s times the long signal, so these win when the weight is large next to
the signal (few positions, many channels).
"""

from ...backend import get_array_module
from . import tuning
from . import workspace as ws


def _batched(case, weight_size=0):
    """Per-sample GEMMs (no batch/channel transposes) when each is wide enough and the per-sample
    weight-gradient partials stay small."""
    return (case.n > 1 and case.out_length >= tuning.BATCHED_MIN_POSITIONS
            and case.n * weight_size * case.itemsize <= tuning.WORKSPACE_BYTES)


def unfold(xp, x, case, start, stop, batched=False):
    """im2col of output positions [start, stop): (G, C_g, K, N, stop - start) with
    cols[g, c, k, n, l] = x_padded[n, g·C_g + c, (start + l)·s + k·d] (columns are (batch, position));
    ``batched``: (N, G, C_g, K, stop - start).

    Taps read ``x`` itself (no padded copy): each fills its in-range columns and zeroes the rest.
    Past UNFOLD_LOOP_MAX_TAPS taps the window of ``x`` is viewed with a (tap, position) stride
    pair and copied in one call."""
    n, c, length = x.shape
    k, stride, dilation, groups = case.kernel_size, case.stride, case.dilation, case.groups
    size = stop - start
    first = start * stride - case.padding
    shape = (n, groups, c // groups, k, size) if batched else (groups, c // groups, k, n, size)
    cols = ws.scratch(xp, shape, x.dtype, "cols")
    if k > tuning.UNFOLD_LOOP_MAX_TAPS:
        span = (size - 1) * stride + (k - 1) * dilation + 1
        win = ws.window(xp, x, first, first + span, "unfold-window")
        batch, channel, step = win.strides
        taps = xp.lib.stride_tricks.as_strided(
            win, (n, groups, c // groups, k, size),
            (batch, (c // groups) * channel, channel, dilation * step, stride * step))
        ws.assign(xp, cols, taps if batched else taps.transpose(1, 2, 3, 0, 4))
        return cols
    taps = []
    for tap in range(k):
        base = first + tap * dilation  # x position of column 0
        lo = min(size, max(0, -(-(-base) // stride)))
        hi = max(lo, min(size, (length - 1 - base) // stride + 1))
        taps.append((tap, lo, hi, slice(base + lo * stride, base + (hi - 1) * stride + 1, stride) if hi > lo else None))
    src = x.reshape(n, groups, c // groups, length)
    if not batched:
        src = src.transpose(1, 2, 0, 3)

    def fill(a, b):
        for tap, lo, hi, taken in taps:
            dst = cols[a:b, :, :, tap] if batched else cols[:, a:b, tap]
            if lo > 0:
                dst[..., :lo] = 0
            if hi < size:
                dst[..., hi:] = 0
            if taken is not None:
                dst[..., lo:hi] = src[a:b, ..., taken] if batched else src[:, a:b, :, taken]

    ws.split(fill, n if batched else c // groups, cols.nbytes, xp)
    return cols


def conv1d(case, x, w, bias=None):
    """y = W (O_g, C_g·K) @ im2col(x), per group."""
    xp = get_array_module(x)
    n, c_out, c_group, k, groups = case.n, case.c_out, case.c_group, case.kernel_size, case.groups
    weight = w.reshape(groups, c_out // groups, c_group * k)
    out = xp.empty((n, c_out, case.out_length), dtype=x.dtype)
    batched = _batched(case)
    for n0, n1, l0, l1 in ws.chunks(n, case.out_length, x.dtype.itemsize * (k * case.c_in + c_out)):
        cols = unfold(xp, x[n0:n1], case, l0, l1, batched)
        if batched:
            cols = cols.reshape(n1 - n0, groups, c_group * k, l1 - l0)
            out[n0:n1, :, l0:l1] = ws.matmul(xp, weight, cols, "res").reshape(n1 - n0, c_out, l1 - l0)
            continue
        res = ws.matmul(xp, weight, cols.reshape(groups, c_group * k, -1), "res")
        out[n0:n1, :, l0:l1] = res.reshape(c_out, n1 - n0, l1 - l0).transpose(1, 0, 2)
    if bias is not None:
        out += bias.reshape(1, -1, 1)
    return out


def grad_weight(case, x, grad_out, bias=None):
    """gw (O_g, C_g·K) = grad_out (O_g, N·L_out) @ im2col(x)^T, one GEMM per group."""
    xp = get_array_module(x)
    n, c_out, c_group, k, groups = case.n, case.c_out, case.c_group, case.kernel_size, case.groups
    o_group = c_out // groups
    out = xp.empty((c_out, c_group, k), dtype=x.dtype)
    gw = out.reshape(groups, o_group, c_group * k)
    for i, (n0, n1, l0, l1) in enumerate(ws.chunks(n, case.out_length, x.dtype.itemsize * (k * case.c_in + c_out))):
        cols = unfold(xp, x[n0:n1], case, l0, l1).reshape(groups, c_group * k, -1)
        g = grad_out[n0:n1, :, l0:l1].reshape(n1 - n0, groups, o_group, l1 - l0).transpose(1, 2, 0, 3)
        ws.matmul_into(xp, g.reshape(groups, o_group, -1), cols.transpose(0, 2, 1), gw, add=i > 0)
    return out


def _col2im_plan(case):
    """(coarse length, [(phases, taps, lo, hi, shift)]): one add of cols[taps, lo:hi] per phase family and shift."""
    from .polyphase import families

    plan, stride = case.taps, case.stride
    fams, _, coarse = families(plan, stride, case.length)
    tap_at = {(t.q, t.r): t.k for t in plan.taps}
    adds = []
    for js, phases, _ in fams:
        rs = list(range(stride))[phases] if isinstance(phases, slice) else phases
        for j in (range(len(plan.shifts))[js] if isinstance(js, slice) else js):
            q = plan.shifts[j]
            lo, hi = max(0, -q), min(case.out_length, coarse - q)
            if hi > lo:
                adds.append((phases, ws.runs([tap_at[q, r] for r in rs]), lo, hi, q))
    return coarse, adds


def grad_input(case, grad_out, w, bias=None):
    """cols = W^T @ grad_out over all taps, then col2im in NumPy: per phase family and shift, one add
    of a (phase, position)-transposed slab instead of one strided add per tap."""
    xp = get_array_module(grad_out)
    n, c_out, out_length = grad_out.shape
    c_group, k, groups, stride = case.c_group, case.kernel_size, case.groups, case.stride
    o_group, c_in = c_out // groups, case.c_in
    weight = w.reshape(groups, o_group, c_group * k).transpose(0, 2, 1)
    coarse, adds = _col2im_plan(case)
    if bias is None:
        out = xp.zeros((n, c_in, coarse * stride), dtype=grad_out.dtype)
    else:  # start from the bias instead of adding it in a pass of its own
        out = xp.empty((n, c_in, coarse * stride), dtype=grad_out.dtype)
        out[...] = bias.reshape(1, -1, 1)
    view = out.reshape(n, groups, c_group, coarse, stride)
    for n0, n1, l0, l1 in ws.chunks(n, out_length, grad_out.dtype.itemsize * c_in * k):
        g = grad_out[n0:n1, :, l0:l1].reshape(n1 - n0, groups, o_group, l1 - l0)
        cols = ws.matmul(xp, weight, g, "res").reshape(n1 - n0, groups, c_group, k, l1 - l0)
        for phases, tap_rows, lo, hi, q in adds:
            lo, hi = max(lo, l0), min(hi, l1)
            if hi <= lo:
                continue
            src = cols[:, :, :, tap_rows, lo - l0 : hi - l0].transpose(0, 1, 2, 4, 3)
            if isinstance(phases, slice):
                ws.assign(xp, view[n0:n1, :, :, lo + q : hi + q, phases], src, add=True)
            else:
                block = view[n0:n1, :, :, lo + q : hi + q]
                block[..., phases] += src
    if coarse * stride != case.length:
        out = xp.ascontiguousarray(out[:, :, : case.length])
    return out


def compiled_col2im_fits(case):
    """numba's col2im_phases works on whole samples: one sample's columns must fit the workspace."""
    return case.itemsize * case.c_in * case.kernel_size * case.out_length <= tuning.WORKSPACE_BYTES


def grad_input_compiled(case, grad_out, w, bias=None):
    """One GEMM over (sample, position) columns per chunk of samples, then numba's col2im that sums
    each output row's taps per phase and interleaves once (the weight is used as stored)."""
    xp = get_array_module(grad_out)
    n, c_out, out_length = grad_out.shape
    c_group, k, groups, stride, c_in = case.c_group, case.kernel_size, case.groups, case.stride, case.c_in
    o_group = c_out // groups
    weight = w.reshape(groups, o_group, c_group * k).transpose(0, 2, 1)
    kernel = ws.compiled("col2im_phases")
    out = xp.empty((n, c_in, case.length), dtype=grad_out.dtype)
    bias_arg, has_bias = ws.bias_arg(xp, bias, c_in, grad_out.dtype)
    tap_phase = xp.asarray([t.r for t in case.taps.taps], dtype=xp.int64)
    tap_shift = xp.asarray([t.q for t in case.taps.taps], dtype=xp.int64)
    step = max(1, tuning.WORKSPACE_BYTES // (grad_out.dtype.itemsize * c_in * k * out_length))
    for n0 in range(0, n, step):
        n1 = min(n, n0 + step)
        g = ws.scratch(xp, (groups, o_group, n1 - n0, out_length), grad_out.dtype, "shifted")
        ws.assign(xp, g, grad_out[n0:n1].reshape(n1 - n0, groups, o_group, out_length).transpose(1, 2, 0, 3))
        cols = ws.matmul(xp, weight, g.reshape(groups, o_group, -1), "res").reshape(groups, c_group, k, n1 - n0,
                                                                                    out_length)
        ws.run(lambda a, b: kernel(cols, bias_arg, has_bias, out[n0:n1], stride, tap_phase, tap_shift, a, b),
               ws.ranges((n1 - n0) * c_in, tuning.WORKERS), xp)
    return out
