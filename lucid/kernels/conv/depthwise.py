"""Depthwise layers (each output sums one or two channels): multiply-adds per tap, no GEMM.

``*_compiled`` are numba's row loops (``_numba.direct_*``, serial over a range of independent
rows, the ranges spread over the workspace's pool); the NumPy forms run a multiply-add per tap on cache-sized (batch, group) blocks on the pool.
"""

from ...backend import get_array_module
from . import tuning
from . import workspace as ws


def _rows(fn, rows, products, xp):
    """fn(first, last) over ranges of ``rows``: one range per worker once the call's multiply-adds
    pay for the hand-offs, else one range on this thread."""
    ws.run(fn, ws.ranges(rows, min(tuning.WORKERS, max(1, products // tuning.GATHER_RANGE_PRODUCTS))), xp)


def _matmul_small(xp, a, b):
    """a (..., O, C) @ b (..., C, M) where C is tiny: a broadcast multiply when C == 1."""
    return a * b if a.shape[-1] == 1 else xp.matmul(a, b)


def conv1d_compiled(case, x, w, bias=None):
    xp = get_array_module(x)
    out = xp.empty((case.n, case.c_out, case.out_length), dtype=x.dtype)
    bias_arg, has_bias = ws.bias_arg(xp, bias, case.c_out, x.dtype)
    args = (xp.ascontiguousarray(x), xp.ascontiguousarray(w, dtype=x.dtype), bias_arg, has_bias, out,
            case.stride, case.padding, case.dilation, case.groups)
    kernel = ws.compiled("direct_conv1d")
    _rows(lambda a, b: kernel(*args, a, b), case.n * case.c_out, case.macs, xp)
    return out


def grad_input_compiled(case, grad_out, w, bias=None):
    xp = get_array_module(grad_out)
    out = xp.empty((case.n, case.c_in, case.length), dtype=grad_out.dtype)
    bias_arg, has_bias = ws.bias_arg(xp, bias, case.c_in, grad_out.dtype)
    args = (xp.ascontiguousarray(grad_out), xp.ascontiguousarray(w, dtype=grad_out.dtype), bias_arg, has_bias, out,
            case.stride, case.padding, case.dilation, case.groups)
    kernel = ws.compiled("direct_grad_input")
    _rows(lambda a, b: kernel(*args, a, b), case.n * case.c_in, case.macs, xp)
    return out


def grad_weight_compiled(case, x, grad_out, bias=None):
    xp = get_array_module(x)
    gw = xp.empty((case.c_out, case.c_group, case.kernel_size), dtype=x.dtype)
    args = (xp.ascontiguousarray(x), xp.ascontiguousarray(grad_out, dtype=x.dtype), gw,
            case.stride, case.padding, case.dilation, case.groups)
    kernel = ws.compiled("direct_grad_weight")
    _rows(lambda a, b: kernel(*args, a, b), case.c_out, case.macs, xp)
    return gw


def _padded_span(case):
    span = (case.out_length - 1) * case.stride + 1
    return span, max(case.length + case.padding, (case.kernel_size - 1) * case.dilation + span - case.padding)


def conv1d_numpy(case, x, w, bias=None):
    xp = get_array_module(x)
    n, groups, c_group, o_group, k = case.n, case.groups, case.c_group, case.o_group, case.kernel_size
    span, stop = _padded_span(case)
    xg = x.reshape(n, groups, c_group, case.length)
    wg = w.reshape(groups, o_group, c_group, k)
    out = xp.empty((n, groups, o_group, case.out_length), dtype=x.dtype)
    b = None if bias is None else bias.reshape(groups, o_group, 1)

    def block(n0, n1, g0, g1):
        padded = ws.window(xp, xg[n0:n1, g0:g1], -case.padding, stop)  # (n, g, C_g, L_pad)
        acc = out[n0:n1, g0:g1]
        for tap in range(k):
            part = _matmul_small(xp, wg[g0:g1, :, :, tap], padded[..., tap * case.dilation :][..., :span:case.stride])
            if tap == 0:
                acc[...] = part
            else:
                acc += part
        if b is not None:
            acc += b[g0:g1]

    ws.blocks(block, n, groups, x.dtype.itemsize * c_group * (case.length + span), xp)
    return out.reshape(n, case.c_out, case.out_length)


def grad_input_numpy(case, grad_out, w, bias=None):
    # per output phase: the sum over its taps of w_k · grad_out shifted, then one strided write
    xp = get_array_module(grad_out)
    n, groups, c_group, o_group, stride = case.n, case.groups, case.c_group, case.o_group, case.stride
    plan = case.taps
    by_phase = {}
    for t in plan.taps:
        by_phase.setdefault(t.r, []).append((t.q, t.k))
    coarse = -(-case.length // stride)
    lo = -plan.shifts[-1]  # grad_out[..., m - q] for every m in [0, coarse) and shift q is padded[..., m - q - lo]
    hi = coarse - plan.shifts[0]
    gg = grad_out.reshape(n, groups, o_group, case.out_length)
    wg = w.reshape(groups, o_group, c_group, case.kernel_size).transpose(0, 2, 1, 3)  # (G, C_g, O_g, K)
    out = xp.empty((n, groups, c_group, coarse, stride), dtype=grad_out.dtype)
    b = None if bias is None else bias.reshape(groups, c_group, 1)

    def block(n0, n1, g0, g1):
        padded = ws.window(xp, gg[n0:n1, g0:g1], lo, hi)
        dst = out[n0:n1, g0:g1]
        for r in range(stride):
            acc = None
            for q, tap in by_phase.get(r, ()):
                part = _matmul_small(xp, wg[g0:g1, :, :, tap], padded[..., -q - lo : -q - lo + coarse])
                acc = part if acc is None else xp.add(acc, part, out=acc)
            if acc is None:
                dst[..., r] = 0 if b is None else b[g0:g1]
            elif b is None:
                dst[..., r] = acc
            else:
                xp.add(acc, b[g0:g1], out=dst[..., r])

    row_bytes = grad_out.dtype.itemsize * (o_group * case.out_length + 2 * c_group * coarse * stride)
    ws.blocks(block, n, groups, row_bytes, xp)
    out = out.reshape(n, case.c_in, coarse * stride)
    return out if coarse * stride == case.length else xp.ascontiguousarray(out[:, :, : case.length])


def grad_weight_numpy(case, x, grad_out, bias=None):
    xp = get_array_module(x)
    n, groups, c_group, o_group, k = case.n, case.groups, case.c_group, case.o_group, case.kernel_size
    span, stop = _padded_span(case)
    xg = x.reshape(n, groups, c_group, case.length)
    gg = grad_out.reshape(n, groups, o_group, case.out_length)
    parts = {}

    def block(n0, n1, g0, g1):
        padded = ws.window(xp, xg[n0:n1, g0:g1], -case.padding, stop)
        g = gg[n0:n1, g0:g1]
        gw = xp.empty((g1 - g0, o_group, c_group, k), dtype=x.dtype)
        for tap in range(k):
            xs = padded[..., tap * case.dilation :][..., :span:case.stride]
            gw[..., tap] = xp.einsum("ngol,ngcl->goc", g, xs)
        parts[n0, g0] = gw

    ws.blocks(block, n, groups, x.dtype.itemsize * (c_group * case.length + o_group * case.out_length), xp)
    out = xp.zeros((case.c_out, c_group, k), dtype=x.dtype)
    gw = out.reshape(groups, o_group, c_group, k)
    for (_, g0), part in parts.items():
        gw[g0 : g0 + part.shape[0]] += part
    return out
