"""Polyphase GEMMs: the long signal split into its ``s`` phases turns a strided convolution into
unit-stride ones (see :mod:`.geometry` for the (q, r) of each tap).

For the transposed convolution, output phases that read the same shifts share one GEMM
contracting over (shift, channel); for conv1d and the weight gradient, one GEMM per shift
contracts over (phase, channel). No FLOP is spent on a zero tap. Costs one transposing copy of
the weight (into a layout where every GEMM operand is a view, :func:`phase_weight`) and one of
the long signal.
"""

import functools

from ...backend import get_array_module
from . import tuning
from . import workspace as ws


def _phases(xp, a, groups, stride, start, size):
    """(N, G, s, C_g, size) with out[n, g, r, c, m] = a[n, g·C_g + c, (start + m)·s + r] (zero outside)."""
    n, c, _ = a.shape
    src = ws.window(xp, a, start * stride, (start + size) * stride, "phases-window")
    if stride == 1:
        return src.reshape(n, groups, 1, c // groups, size)
    src = src.reshape(n, groups, c // groups, size, stride)
    out = ws.scratch(xp, (n, groups, stride, c // groups, size), a.dtype, "phases")
    ws.assign(xp, out, src.transpose(0, 1, 4, 2, 3))
    return out


def phase_weight(case, w):
    """(G, Q, O_g, s, C_g) with out[g, j, o, r, c] = w[g·O_g + o, c, k] for tap k at (shifts[j], r), else 0.

    In this layout every GEMM operand the polyphase kernels need is a strided view.
    """
    xp = get_array_module(w)
    plan, stride, groups = case.taps, case.stride, case.groups
    c_out, c_group, k = w.shape
    o_group = c_out // groups
    shape = (groups, len(plan.shifts), o_group, stride, c_group)
    if ws.has_compiled(case.numpy):  # one compiled pass: each row's (C_g, K) block transposed while in L1
        out = xp.empty(shape, dtype=w.dtype)
        tap_shift = xp.asarray([plan.shifts.index(t.q) for t in plan.taps], dtype=xp.int64)
        tap_phase = xp.asarray([t.r for t in plan.taps], dtype=xp.int64)
        covered = xp.zeros((len(plan.shifts), stride), dtype=bool)
        covered[tap_shift, tap_phase] = True
        args = (xp.ascontiguousarray(w), out, tap_shift, tap_phase, covered)
        kernel = ws.compiled("phase_weight")
        ws.run(lambda a, b: kernel(*args, a, b), ws.ranges(c_out, tuning.WORKERS), xp)
        return out
    out = xp.zeros(shape, dtype=w.dtype)
    wt = w.reshape(groups, o_group, c_group, k)
    for t in plan.taps:
        out[:, plan.shifts.index(t.q), :, t.r, :] = wt[..., t.k]
    return out


def _from_phase_weight(xp, acc, case):
    """Inverse of phase_weight: (G, Q, O_g, s, C_g) back to a new (G·O_g, C_g, K) array."""
    groups, _, o_group, _, c_group = acc.shape
    plan, k = case.taps, case.kernel_size
    out = xp.empty((groups * o_group, c_group, k), dtype=acc.dtype)
    gw = out.reshape(groups, o_group, c_group, k)
    for t in plan.taps:
        gw[..., t.k] = acc[:, plan.shifts.index(t.q), :, t.r, :]
    return out


def conv1d(case, x, w, bias=None, weight=None):
    """y[n, o, l] = sum_q P_q[n, o, l + q] with P_q = W_q @ (the phases of x that shift q taps)."""
    xp = get_array_module(x)
    n, c_out, groups, stride, plan = case.n, case.c_out, case.groups, case.stride, case.taps
    o_group = c_out // groups
    if weight is None:
        weight = phase_weight(case, w)
    plans = []
    for j, q in enumerate(plan.shifts):
        rows = ws.runs(sorted(t.r for t in plan.taps if t.q == q))
        a = weight[:, j][:, :, rows]  # (G, O_g, R, C_g): a view when the phases are consecutive
        plans.append((q - plan.q_min, rows, a.reshape(groups, o_group, -1)))
    out = xp.empty((n, c_out, case.out_length), dtype=x.dtype)
    view = out.reshape(n, groups, o_group, case.out_length)
    for n0, n1, l0, l1 in ws.chunks(n, case.out_length, x.dtype.itemsize * (stride * case.c_in + 2 * c_out)):
        size = l1 - l0 + plan.span
        phases = _phases(xp, x[n0:n1], groups, stride, l0 + plan.q_min, size)
        dst = view[n0:n1, :, :, l0:l1]
        for i, (offset, rows, a) in enumerate(plans):
            b = phases[:, :, rows].reshape(n1 - n0, groups, -1, size)
            part = ws.matmul(xp, a, b, "res")[..., offset : offset + l1 - l0]
            ws.assign(xp, dst, part, add=i > 0)
    if bias is not None:
        out += bias.reshape(1, -1, 1)
    return out


def grad_weight(case, x, grad_out, bias=None):
    """Per shift q: gw[:, :, taps of q] = sum_{n, m} grad_out[n, o, m - q] · phases(x)[n, (r, c), m]."""
    xp = get_array_module(x)
    n, groups, stride, plan = case.n, case.groups, case.stride, case.taps
    c_group, o_group, out_length = case.c_group, case.o_group, case.out_length
    rows = [ws.runs(sorted(t.r for t in plan.taps if t.q == q)) for q in plan.shifts]
    acc = xp.zeros((groups, len(plan.shifts), o_group, stride, c_group), dtype=x.dtype)
    column_bytes = x.dtype.itemsize * stride * case.c_in
    for n0, n1, l0, l1 in ws.chunks(n, out_length, column_bytes):
        size = l1 - l0 + plan.span
        phases = _phases(xp, x[n0:n1], groups, stride, l0 + plan.q_min, size)
        g = grad_out[n0:n1, :, l0:l1].reshape(n1 - n0, groups, o_group, l1 - l0)
        for j, r_rows in enumerate(rows):
            # only the columns this shift reads: a product with a column it does not read would
            # carry a NaN or inf of x into gradients the definition leaves finite
            offset = plan.shifts[j] - plan.q_min
            b = phases[:, :, r_rows, :, offset : offset + l1 - l0]
            count = b.shape[2]
            part = ws.matmul(xp, g, b.reshape(n1 - n0, groups, -1, l1 - l0).transpose(0, 1, 3, 2), "res")
            block = acc[:, j]
            block[:, :, r_rows] += part.sum(axis=0).reshape(groups, o_group, count, c_group)
    return _from_phase_weight(xp, acc, case)


def _shifted_columns(xp, a, groups, shifts, start, size):
    """(G, len(shifts), C_g, N, size) with out[g, j, c, n, m] = a[n, g·C_g + c, start + m - shifts[j]] (zero outside)."""
    n, c, length = a.shape
    out = ws.scratch(xp, (groups, len(shifts), c // groups, n, size), a.dtype, "shifted")
    src = a.reshape(n, groups, c // groups, length).transpose(1, 2, 0, 3)  # (G, C_g, N, L)
    for j, q in enumerate(shifts):
        first = start - q  # source position of column 0
        lo, hi = max(0, -first), min(size, length - first)
        dst = out[:, j]
        if hi <= lo:
            dst[...] = 0
            continue
        if lo > 0:
            dst[..., :lo] = 0
        if hi < size:
            dst[..., hi:] = 0
        ws.assign(xp, dst[..., lo:hi], src[..., first + lo : first + hi])
    return out


@functools.lru_cache(maxsize=512)
def families(plan, stride, length):
    """Group the output phases by the shifts their taps read: (shift rows, phases, count) per
    group, the phases no tap writes, and the coarse length ceil(length / s)."""
    by_phase = {}
    for t in plan.taps:
        by_phase.setdefault(t.r, []).append(plan.shifts.index(t.q))
    fams = {}
    for r in sorted(by_phase):
        fams.setdefault(tuple(sorted(by_phase[r])), []).append(r)
    out = [(ws.runs(js), ws.runs(rs), len(rs)) for js, rs in fams.items()]
    idle = sorted(set(range(stride)) - set(by_phase))
    return out, idle, -(-length // stride)


def _family_weight(weight, js, phases, groups, rows):
    """The (G, R·C_g, Q·O_g) GEMM operand of one family: a view of the phase weight when both runs are slices."""
    a = weight[:, js][:, :, :, phases]  # (G, Q, O_g, R, C_g)
    return a.reshape(groups, -1, rows).transpose(0, 2, 1)


def grad_input(case, grad_out, w, bias=None, weight=None):
    """Output phase r at coarse position m: the sum over its taps (q, k) of w_k^T grad_out[:, :, m - q].

    Columns are (batch, position), so each phase family is ONE GEMM over all samples of a chunk,
    written into a (G, s, C_g, N, M) phase buffer that one interleaving copy turns into the output
    (adding the bias on the way).
    """
    xp = get_array_module(grad_out)
    n, c_out, _ = grad_out.shape
    groups, stride, plan, c_group, c_in = case.groups, case.stride, case.taps, case.c_group, case.c_in
    if weight is None:
        weight = phase_weight(case, w)
    fams, idle, coarse = families(plan, stride, case.length)
    fams = [(js, phases, count, _family_weight(weight, js, phases, groups, count * c_group))
            for js, phases, count in fams]
    out = xp.empty((n, c_in, coarse * stride), dtype=grad_out.dtype)
    view = out.reshape(n, groups, c_group, coarse, stride)
    b = None if bias is None else bias.reshape(1, groups, c_group, 1, 1)
    column_bytes = grad_out.dtype.itemsize * (len(plan.shifts) * c_out + stride * c_in)
    budget = max(tuning.WORKSPACE_BYTES, min(2 * tuning.WORKSPACE_BYTES, grad_out.nbytes + out.nbytes))
    for n0, n1, m0, m1 in ws.chunks(n, coarse, column_bytes, budget):
        size, count_n = m1 - m0, n1 - n0
        shifted = _shifted_columns(xp, grad_out[n0:n1], groups, plan.shifts, m0, size)  # (G, Q, O_g, N, M)
        dst = view[n0:n1, :, :, m0:m1]
        if stride == 1 and count_n == 1 and len(fams) == 1:
            # one phase, one sample: the GEMM writes the output rows themselves
            js, _, _, a = fams[0]
            xp.matmul(a, shifted[:, js].reshape(groups, -1, size), out=dst[0, ..., 0])
            if b is not None:
                dst += b
            continue
        res = ws.scratch(xp, (groups, stride, c_group, count_n, size), grad_out.dtype, "res")
        if idle:
            res[:, idle] = 0
        for js, phases, count, a in fams:
            src = shifted[:, js].reshape(groups, -1, count_n * size)
            if isinstance(phases, slice):
                xp.matmul(a, src, out=res[:, phases].reshape(groups, count * c_group, count_n * size))
            else:
                part = ws.matmul(xp, a, src, "res-part")
                res[:, phases] = part.reshape(groups, count, c_group, count_n, size)
        ws.assign(xp, dst, res.transpose(3, 0, 2, 4, 1), extra=b)
    if coarse * stride != case.length:
        out = xp.ascontiguousarray(out[:, :, : case.length])
    return out
