"""1-D convolution kernels on raw arrays.

Layouts: ``x`` is (N, C_in, L), ``w`` is (C_out, C_in // groups, K), ``grad_out`` and the
output are (N, C_out, L_out) with ``L_out = (L + 2p - d(K-1) - 1) // s + 1``.

``conv1d_grad_input`` is the adjoint of ``conv1d`` in ``x`` and is exactly the forward of
a transposed convolution whose weight, (C_in_T, C_out_T // groups, K), has the same layout.

Every kernel has three formulations, picked per shape (``method=None``/"auto") or forced
with ``method=`` or the :func:`formulation` context manager. They compute the same thing with
the same FLOPs and differ in the memory traffic around the GEMMs:

``"polyphase"``
    Tap ``k`` touches long-signal position ``l·s + k·d - p = (l + q)·s + r`` (``q, r`` from
    ``divmod``). Splitting the long signal into its ``s`` phases turns the strided
    convolution into unit-stride ones: for the transposed forward, output phases that read
    the same shifts share one GEMM contracting over (shift, channel); for conv1d and the
    weight gradient, one GEMM per shift contracts over (phase, channel). No FLOP is spent on
    a zero tap. Costs one transposing copy of the weight (into a layout where every GEMM
    operand is a view) and one of the long signal.
``"gemm"``
    One GEMM over all taps, on the weight as stored, plus an im2col gather (conv1d, weight
    gradient) or a col2im scatter-add (transposed forward, one add per phase family and
    shift). Its buffer is K/s times the long signal, so it wins when the weight is large
    next to the signal (few positions, many channels).
``"direct"``
    No GEMM: multiply-adds on the arrays themselves. For depthwise layers, where a GEMM would
    contract over one element, a multiply-add per tap on cache-sized (batch, group) blocks;
    with numba, dense layers run its gather kernels (:func:`_gather`): per (sample, group,
    position block), the window of the input split into its stride phases, accumulated 4
    output channels at a time.

"auto" picks direct for depthwise layers, and (with numba) for layers whose outputs each sum
at most GATHER_MAX_CONTRACTION products, where a GEMM that thin runs far below BLAS speed;
else whichever of polyphase and gemm moves fewer elements by a rough traffic estimate
(``_conv1d_costs``/``_grad_input_costs``); the weight gradient uses gemm.
``conv1d_and_grad_weight`` is a transposed convolution's backward: input and weight gradients
from one shared im2col.

GEMMs batch over samples and groups through ``matmul`` broadcasting; with few positions per
sample they instead take (batch, position) as one column axis, as the polyphase transposed
forward always does (one GEMM per phase family per chunk, written into a phase buffer that a
single interleaving copy turns into the output). Work runs in chunks of batch
and position so that a call's scratch stays near :data:`WORKSPACE_BYTES` however long the
input; scratch buffers are reused across calls per thread (fresh pages cost as much as the
copies into them; :func:`release_scratch` drops them), and large copies are split over a
small thread pool, since NumPy's copies are single-threaded but release the GIL. Arrays come
from ``get_array_module``, so the same code runs on CuPy (no pool or scratch reuse there).

Stride 1 (``_unit_stride``: long signals) skips the copies altogether: the polyphase transposed
forward and the weight gradient run one GEMM per tap on views of the arrays themselves (a slice
along the last axis is a BLAS operand), accumulating through a per-sample temporary.

With numba installed (the ``fast`` extra), the direct kernels, the col2im of the gemm transposed
forward and the polyphase weight rearrangement run compiled loops from :mod:`._compiled`
instead of their NumPy passes; ``LUCID_NO_NUMBA=1`` or ``formulation(None, compiled=False)``
keeps NumPy.
"""

import collections
import concurrent.futures
import contextlib
import functools
import math
import os
import threading

from ..backend import get_array_module
from . import _compiled

METHODS = ("polyphase", "gemm", "direct")
# Upper bound on a kernel call's scratch buffers (the shifted/phase copies and GEMM results of
# one chunk); a call larger than this is processed in chunks of batch and position.
WORKSPACE_BYTES = 16 << 20
_forced = [None]
_use_compiled = [True]


@contextlib.contextmanager
def formulation(method, compiled=None):
    """Force every kernel called inside the block to use ``method`` (one of METHODS, or None);
    ``compiled=False`` keeps them on NumPy even where numba's compiled loops would run."""
    if method is not None and method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} or None, got {method!r}")
    previous = _forced[0], _use_compiled[0]
    _forced[0] = method
    if compiled is not None:
        _use_compiled[0] = bool(compiled)
    try:
        yield
    finally:
        _forced[0], _use_compiled[0] = previous


def _compiled_fn(xp, name):
    """numba's compiled ``name`` when it may run here (NumPy arrays, numba importable, not switched off), else None."""
    if not (_use_compiled[0] and _compiled.AVAILABLE) or xp.__name__ != "numpy":
        return None
    return _compiled.get(name)


def _bias_arg(xp, bias, size, dtype):
    """(bias as a contiguous array, has_bias) for the compiled loops, which take no None."""
    if bias is None:
        return xp.zeros(1, dtype=dtype), False
    return xp.ascontiguousarray(bias.reshape(size), dtype=dtype), True


def auto_method(kernel, a_shape, w_shape, stride, padding, dilation, groups, length=None):
    """The formulation ``method="auto"`` runs for ``kernel`` ("conv1d", "conv1d_grad_input" with
    the input ``length``, or "conv1d_and_grad_weight") on arrays of these shapes."""
    import numpy  # the shapes are of NumPy arrays: "auto" may take the compiled kernels

    c_out, c_group, k = w_shape
    if kernel == "conv1d_grad_input":
        return _grad_input_method(None, numpy, tuple(a_shape), tuple(w_shape), length, stride, padding, dilation,
                                  groups)
    out_length = conv1d_output_length(a_shape[-1], k, stride, padding, dilation)
    costs = _conv1d_costs(tuple(a_shape), tuple(w_shape), out_length, stride, padding, dilation,
                          kernel == "conv1d_and_grad_weight")
    chosen = _choose(None, c_group, c_out // groups, costs)
    return "direct" if _gathers(None, numpy, c_group * k) else chosen


def conv1d_output_length(length, kernel_size, stride, padding, dilation):
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def _depthwise(c_group, c_out_group):
    """Nothing to contract over: per-tap multiply-adds (direct) beat GEMMs, and the compiled
    depthwise loops beat the gather kernels' blocks of 4 channels."""
    return c_group * c_out_group <= 2


def _choose(method, c_group, c_out_group, costs=None):
    """The formulation to run: the forced one, else by shape.

    ``costs`` maps "polyphase" and "gemm" to rough memory-traffic estimates (in elements; the
    FLOPs are the same): polyphase pays a transposing copy of the weight, the GEMM route a
    K/s-fold im2col or col2im buffer on the long signal.
    """
    method = method or _forced[0] or "auto"
    if method == "auto":
        if _depthwise(c_group, c_out_group):
            return "direct"
        if costs is None:
            return "gemm"
        return min(("polyphase", "gemm"), key=costs.__getitem__)
    if method not in METHODS:
        raise ValueError(f"method must be 'auto' or one of {METHODS}, got {method!r}")
    return method


@functools.lru_cache(maxsize=512)
def _conv1d_costs(x_shape, w_shape, out_length, stride, padding, dilation, shared=False):
    n, c_in, length = x_shape
    c_out, _, k = w_shape
    shifts = len({q for _, q, _ in _taps(k, stride, padding, dilation)})
    weight, long, short, cols = c_out * w_shape[1] * k, n * c_in * length, n * c_out * out_length, n * c_in * k * out_length
    return {"polyphase": _SETUP["polyphase"] + 3 * weight + 3 * long + 2 * shifts * short,
            "gemm": _SETUP["gemm"] + (1 if shared else 2) * cols + 2 * short}


@functools.lru_cache(maxsize=512)
def _grad_input_costs(g_shape, w_shape, length, stride, padding, dilation, groups, compiled=False):
    """``compiled``: the gemm route's col2im is numba's col2im_phases (one read of the columns)."""
    n, c_out, out_length = g_shape
    _, c_group, k = w_shape
    shifts = len({q for _, q, _ in _taps(k, stride, padding, dilation)})
    weight, short, long = c_out * c_group * k, n * c_out * out_length, n * groups * c_group * length
    cols = n * groups * c_group * k * out_length
    gemm = 2 * cols + long + short if compiled else 4 * cols + long
    return {"polyphase": _SETUP["polyphase"] + 2 * weight + 2 * shifts * short + 3 * long,
            "gemm": _SETUP["gemm"] + gemm}


# fixed Python-side cost of each formulation, in the same units (about a nanosecond each)
_SETUP = {"polyphase": 30000, "gemm": 8000}

# Stride 1 needs no phases: per-tap GEMMs run on views of the arrays (no shifted copy, no im2col).
# Measured in-process against the copying formulations (2 threads): the polyphase transposed
# forward (dilated (8, 64, 64, K3, d2, L4096): 1.2-1.3x) and the weight gradient (1.1-1.4x on
# long signals, any width) won; they lost on short signals (a per-sample Python loop) and, for the
# transposed forward, on 128-channel contractions (one wide GEMM over all taps is faster there).
# conv1d's forward and the shared-im2col backward pair gained under 10% this way and keep theirs.
UNIT_STRIDE_MIN_POSITIONS = 2048
UNIT_STRIDE_MAX_CONTRACTION = 64


def _unit_stride(xp, stride, positions, contraction):
    """Whether a stride-1 kernel runs its per-tap-GEMM form (NumPy only)."""
    return (stride == 1 and xp.__name__ == "numpy" and positions >= UNIT_STRIDE_MIN_POSITIONS
            and contraction <= UNIT_STRIDE_MAX_CONTRACTION)


@functools.lru_cache(maxsize=512)
def _taps(kernel_size, stride, padding, dilation):
    """(k, q, r) per tap: tap k reads/writes long-signal position l·s + k·d - p = (l + q)·s + r."""
    return tuple((k,) + divmod(k * dilation - padding, stride) for k in range(kernel_size))


def _runs(indices):
    """``indices`` (sorted) as a slice when consecutive, else as a list for fancy indexing."""
    if indices == list(range(indices[0], indices[-1] + 1)):
        return slice(indices[0], indices[-1] + 1)
    return list(indices)


# Scratch buffers are kept per thread and reused from call to call: a fresh large NumPy array
# is fresh pages from the OS, and faulting them in costs as much as the copies that fill them.
# Chunking keeps each one near WORKSPACE_BYTES; larger requests are not kept.
SCRATCH_KEEP_BYTES = 32 << 20
_local = threading.local()


def release_scratch():
    """Drop this thread's cached scratch buffers (they are reallocated on the next call)."""
    _local.buffers = {}


def _scratch(xp, shape, dtype, slot):
    """An uninitialised array for temporary use within one kernel call; ``slot`` names its role."""
    if xp.__name__ != "numpy":
        return xp.empty(shape, dtype=dtype)
    dtype = xp.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > SCRATCH_KEEP_BYTES:
        return xp.empty(shape, dtype=dtype)
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = {}
    buffer = buffers.get(slot)
    if buffer is None or buffer.nbytes < nbytes:
        buffer = buffers[slot] = xp.empty(max(nbytes, 1 << 16), dtype=xp.uint8)
    return buffer[:nbytes].view(dtype).reshape(shape)


def _matmul(xp, a, b, slot):
    """``a @ b`` into a scratch buffer."""
    shape = xp.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    return xp.matmul(a, b, out=_scratch(xp, shape, xp.result_type(a, b), slot))


def _matmul_into(xp, a, b, out, add=False):
    """``out = a @ b``, or ``out += a @ b`` through a scratch buffer when ``add``."""
    if add:
        out += _matmul(xp, a, b, "res")
    else:
        xp.matmul(a, b, out=out)


def _window(xp, a, start, stop, slot="window"):
    """``a[..., start:stop]`` with zeros outside ``[0, L)``; a view when no padding is needed."""
    length = a.shape[-1]
    if start >= 0 and stop <= length:
        return a[..., start:stop]
    out = _scratch(xp, a.shape[:-1] + (stop - start,), a.dtype, slot)
    lo, hi = max(start, 0), min(stop, length)
    if hi > lo:
        out[..., : lo - start] = 0
        out[..., lo - start : hi - start] = a[..., lo:hi]
        out[..., hi - start :] = 0
    else:
        out[...] = 0
    return out


def _shifted(xp, a, groups, shifts, start, size):
    """(N, G, len(shifts), C_g, size) with out[n, g, j, c, m] = a[n, g·C_g + c, start + m - shifts[j]]."""
    n, c, _ = a.shape
    out = _scratch(xp, (n, groups, len(shifts), c // groups, size), a.dtype, "shifted")
    for j, q in enumerate(shifts):
        _assign(xp, out[:, :, j], _window(xp, a, start - q, start - q + size, "shifted-window")
                .reshape(n, groups, c // groups, size))
    return out


def _phases(xp, a, groups, stride, start, size):
    """(N, G, s, C_g, size) with out[n, g, r, c, m] = a[n, g·C_g + c, (start + m)·s + r] (zero outside)."""
    n, c, _ = a.shape
    src = _window(xp, a, start * stride, (start + size) * stride, "phases-window")
    if stride == 1:
        return src.reshape(n, groups, 1, c // groups, size)
    src = src.reshape(n, groups, c // groups, size, stride)
    out = _scratch(xp, (n, groups, stride, c // groups, size), a.dtype, "phases")
    _assign(xp, out, src.transpose(0, 1, 4, 2, 3))
    return out


def _phase_weight(xp, w, groups, taps, stride, shifts):
    """(G, Q, O_g, s, C_g) with out[g, j, o, r, c] = w[g·O_g + o, c, k] for tap k at (shifts[j], r), else 0.

    In this layout every GEMM operand the polyphase kernels need is a strided view: rows
    (shift, out-channel) by columns (phase, in-channel) for the transposed forward, rows
    out-channel by columns (phase, in-channel) per shift for conv1d.
    """
    c_out, c_group, k = w.shape
    o_group = c_out // groups
    compiled = _compiled_fn(xp, "phase_weight")
    if compiled is not None:  # 3-5x faster than NumPy's strided copies (hifigan-up1: 2.4 ms of a 16 ms forward)
        out = xp.empty((groups, len(shifts), o_group, stride, c_group), dtype=w.dtype)
        tap_shift = xp.asarray([shifts.index(q) for _, q, _ in taps], dtype=xp.int64)
        tap_phase = xp.asarray([r for _, _, r in taps], dtype=xp.int64)
        covered = xp.zeros((len(shifts), stride), dtype=bool)
        covered[tap_shift, tap_phase] = True
        args = (xp.ascontiguousarray(w), out, tap_shift, tap_phase, covered)
        _run(lambda a, b: compiled(*args, a, b), _ranges(c_out, _WORKERS), xp)
        return out
    first = taps[0]
    start = first[1] * stride + first[2] - first[0]  # long-signal offset of k = 0, minus shifts[0]·s
    if all(q * stride + r - tap == start for tap, q, r in taps):
        # unit dilation: taps are consecutive positions, so one window of K reshapes into (Q, s)
        lo = start - shifts[0] * stride
        wg = w.reshape(groups, o_group, c_group, k)
        out = xp.empty((groups, len(shifts), o_group, stride, c_group), dtype=w.dtype)
        spans = []
        for j in range(len(shifts)):
            first_tap = j * stride - lo  # the tap at phase 0 of this shift (may lie outside [0, K))
            spans.append((j, first_tap, max(0, -first_tap), min(stride, k - first_tap)))

        def fill(o0, o1):
            # every shift's slab of a block of output channels at once, while the block is in cache
            for j, first_tap, r_lo, r_hi in spans:
                dst = out[:, j, o0:o1]
                dst[:, :, :r_lo] = 0
                dst[:, :, r_hi:] = 0
                dst[:, :, r_lo:r_hi] = wg[:, o0:o1, :, first_tap + r_lo : first_tap + r_hi].transpose(0, 1, 3, 2)

        step = max(1, DIRECT_BLOCK_BYTES // max(1, groups * c_group * k * w.dtype.itemsize))
        _run(fill, [(o0, min(o0 + step, o_group)) for o0 in range(0, o_group, step)], xp)
        return out
    out = xp.zeros((groups, len(shifts), o_group, stride, c_group), dtype=w.dtype)
    wt = w.reshape(groups, o_group, c_group, k)
    for tap, q, r in taps:
        out[:, shifts.index(q), :, r, :] = wt[..., tap]
    return out


def _chunks(n, size, column_bytes, budget=None):
    """(n0, n1, m0, m1) blocks of the (batch, position) columns, each under the workspace budget."""
    budget = WORKSPACE_BYTES if budget is None else budget
    per_block = max(1, budget // max(column_bytes, 1))
    if per_block >= n * size:
        return [(0, n, 0, size)]
    if per_block >= size:
        step = per_block // size
        return [(n0, min(n0 + step, n), 0, size) for n0 in range(0, n, step)]
    step = max(per_block, 64)
    return [(n0, n0 + 1, m0, min(m0 + step, size)) for n0 in range(n) for m0 in range(0, size, step)]


def _assign(xp, dst, src, add=False, extra=None):
    """``dst[...] = src (+ extra)`` or ``dst += src``, split across the pool along dst's first long axis."""
    axis = next((i for i, size in enumerate(dst.shape) if size > 1), 0)

    def part(array, a, b):
        if array is None or array.ndim < dst.ndim or array.shape[axis] == 1:
            return array
        return array[(slice(None),) * axis + (slice(a, b),)]

    def fn(a, b):
        d, s_ = part(dst, a, b), part(src, a, b)
        if add:
            d += s_
        elif extra is not None:
            xp.add(s_, part(extra, a, b), out=d)
        else:
            d[...] = s_

    _split(fn, dst.shape[axis] if dst.ndim else 1, dst.nbytes, xp)


def _matmul_small(xp, a, b):
    """a (..., O, C) @ b (..., C, M) where C is tiny: a broadcast multiply when C == 1."""
    if a.shape[-1] == 1:
        return a * b
    return xp.matmul(a, b)


# Blocks of the direct kernels are sized to stay in a core's cache and run on a small thread
# pool: those kernels are elementwise NumPy work, which releases the GIL but is single-threaded.
DIRECT_BLOCK_BYTES = 1 << 20
PARALLEL_BYTES = 1 << 20  # copies larger than this are split across the pool
_WORKERS = min(os.cpu_count() or 1, 8)
_pool = [None]


def _blocks(fn, n, groups, row_bytes, xp):
    """Call fn(n0, n1, g0, g1) over (batch, group) blocks of about DIRECT_BLOCK_BYTES each."""
    per_block = max(1, DIRECT_BLOCK_BYTES // max(row_bytes, 1))
    g_step = min(groups, per_block)
    n_step = max(1, per_block // g_step)
    blocks = [(n0, min(n0 + n_step, n), g0, min(g0 + g_step, groups))
              for n0 in range(0, n, n_step) for g0 in range(0, groups, g_step)]
    _run(fn, blocks, xp)


def _run(fn, blocks, xp):
    """fn(*block) for every block, on the thread pool when there are several and the arrays are NumPy's."""
    workers = min(len(blocks), _WORKERS)
    if workers < 2 or xp.__name__ != "numpy":
        for block in blocks:
            fn(*block)
        return
    if _pool[0] is None:
        _pool[0] = concurrent.futures.ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="lucid-conv")
    for future in [_pool[0].submit(fn, *block) for block in blocks]:
        future.result()


def _split(fn, size, nbytes, xp):
    """fn(a, b) over halves of range(size) in parallel when the copy is big enough to pay for the hand-off.

    The GEMMs already run on BLAS threads; this spreads the transposing copies between them.
    """
    if size < 2 or nbytes < PARALLEL_BYTES:
        fn(0, size)
        return
    _run(fn, _ranges(size, _WORKERS), xp)


def _ranges(size, parts):
    """range(size) cut into at most ``parts`` consecutive non-empty (start, stop) pieces of near-equal length."""
    parts = min(size, parts)
    if parts < 1:
        return []
    bounds = [size * i // parts for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


# ------------------------------------------------------------------------------ conv1d


def conv1d(x, w, stride, padding, dilation, groups, *, bias=None, method=None):
    """Cross-correlation: y[n, o, l] = sum_{c, k} w[o, c, k] x_padded[n, g(o)·C_g + c, l·s + k·d] (+ bias[o])."""
    c_out, c_group, k = w.shape
    out_length = conv1d_output_length(x.shape[-1], k, stride, padding, dilation)
    costs = _conv1d_costs(x.shape, w.shape, out_length, stride, padding, dilation)
    if _gathers(method, get_array_module(x), c_group * k):
        method = "direct"
    method = _choose(method, c_group, c_out // groups, costs)
    run = {"polyphase": _conv1d_polyphase, "gemm": _conv1d_gemm, "direct": _conv1d_direct}[method]
    return run(x, w, out_length, stride, padding, dilation, groups, bias)


def _conv1d_polyphase(x, w, out_length, stride, padding, dilation, groups, bias, weight=None):
    # y[n, o, l] = sum_q P_q[n, o, l + q] with P_q = W_q @ (the phases of x that shift q taps)
    xp = get_array_module(x)
    n = x.shape[0]
    c_out, c_group, k = w.shape
    o_group = c_out // groups
    taps = _taps(k, stride, padding, dilation)
    shifts = tuple(sorted({q for _, q, _ in taps}))
    if weight is None:
        weight = _phase_weight(xp, w, groups, taps, stride, shifts)
    q_min, span = shifts[0], shifts[-1] - shifts[0]
    plans = []
    for j, q in enumerate(shifts):
        rows = _runs(sorted(r for _, q_, r in taps if q_ == q))
        a = weight[:, j][:, :, rows]  # (G, O_g, R, C_g): a view when the phases are consecutive
        plans.append((q - q_min, rows, a.reshape(groups, o_group, -1)))
    out = xp.empty((n, c_out, out_length), dtype=x.dtype)
    view = out.reshape(n, groups, o_group, out_length)
    column_bytes = x.dtype.itemsize * (stride * x.shape[1] + 2 * c_out)
    for n0, n1, l0, l1 in _chunks(n, out_length, column_bytes):
        size = l1 - l0 + span
        phases = _phases(xp, x[n0:n1], groups, stride, l0 + q_min, size)
        dst = view[n0:n1, :, :, l0:l1]
        for i, (offset, rows, a) in enumerate(plans):
            b = phases[:, :, rows].reshape(n1 - n0, groups, -1, size)
            part = _matmul(xp, a, b, "res")[..., offset : offset + l1 - l0]
            _assign(xp, dst, part, add=i > 0)
    if bias is not None:
        out += bias.reshape(1, -1, 1)
    return out


def _grad_weight_unit_stride(x, grad_out, kernel_size, padding, dilation, groups):
    # stride 1: gw[:, :, k] = sum_n grad_out[n, :, l] x[n, :, l + k·d - p]^T, one GEMM per tap and
    # sample on views (the transposed slice of x is a BLAS operand), contracting over positions
    xp = get_array_module(x)
    n, c_in, length = x.shape
    _, c_out, out_length = grad_out.shape
    c_group, o_group = c_in // groups, c_out // groups
    gw = xp.zeros((kernel_size, groups, o_group, c_group), dtype=x.dtype)
    xg = x.reshape(n, groups, c_group, length)
    gg = grad_out.reshape(n, groups, o_group, out_length)
    spans = _tap_spans([padding - tap * dilation for tap in range(kernel_size)], out_length, length)
    step = max(1, WORKSPACE_BYTES // (x.dtype.itemsize * groups * o_group * c_group))  # per-sample partials
    for n0 in range(0, n, step):
        n1 = min(n, n0 + step)
        tmp = _scratch(xp, (n1 - n0, groups, o_group, c_group), x.dtype, "res-part")
        for tap, offset, lo, hi in spans:
            if hi > lo:
                rows = xg[n0:n1, :, :, lo - offset : hi - offset].transpose(0, 1, 3, 2)
                part = xp.matmul(gg[n0:n1, :, :, lo:hi], rows, out=tmp)
                gw[tap] += part.sum(axis=0)
    out = xp.empty((c_out, c_group, kernel_size), dtype=x.dtype)
    out.reshape(groups, o_group, c_group, kernel_size)[...] = gw.transpose(1, 2, 3, 0)
    return out


def _conv1d_gemm(x, w, out_length, stride, padding, dilation, groups, bias):
    xp = get_array_module(x)
    n = x.shape[0]
    c_out, c_group, k = w.shape
    weight = w.reshape(groups, c_out // groups, c_group * k)
    out = xp.empty((n, c_out, out_length), dtype=x.dtype)
    column_bytes = x.dtype.itemsize * (k * x.shape[1] + c_out)
    batched = _batched_layout(n, out_length, 0, x.dtype.itemsize)
    for n0, n1, l0, l1 in _chunks(n, out_length, column_bytes):
        cols = _unfold(xp, x[n0:n1], k, stride, padding, dilation, groups, l0, l1, batched)
        if batched:
            cols = cols.reshape(n1 - n0, groups, c_group * k, l1 - l0)
            out[n0:n1, :, l0:l1] = _matmul(xp, weight, cols, "res").reshape(n1 - n0, c_out, l1 - l0)
            continue
        res = _matmul(xp, weight, cols.reshape(groups, c_group * k, -1), "res")
        out[n0:n1, :, l0:l1] = res.reshape(c_out, n1 - n0, l1 - l0).transpose(1, 0, 2)
    if bias is not None:
        out += bias.reshape(1, -1, 1)
    return out


def _conv1d_direct(x, w, out_length, stride, padding, dilation, groups, bias):
    xp = get_array_module(x)
    n, c_in, length = x.shape
    c_out, c_group, k = w.shape
    if not _depthwise(c_group, c_out // groups) and _compiled_fn(xp, "gather") is not None:
        # y[., o, l] sums w[o, c, k] x[., c, (l + q_k)·s + r_k] over every tap: phase r_k of x, shifted by q_k
        return _gather(xp, x, w.reshape(groups, c_out // groups, c_group, k), bias, out_length, False, stride,
                       padding, dilation)
    compiled = _compiled_fn(xp, "direct_conv1d")  # depthwise: compiled per-tap loops
    if compiled is not None:
        out = xp.empty((n, c_out, out_length), dtype=x.dtype)
        bias_arg, has_bias = _bias_arg(xp, bias, c_out, x.dtype)
        compiled(xp.ascontiguousarray(x), xp.ascontiguousarray(w, dtype=x.dtype), bias_arg, has_bias, out,
                 stride, padding, dilation, groups)
        return out
    o_group = c_out // groups
    span = (out_length - 1) * stride + 1
    stop = max(length + padding, (k - 1) * dilation + span - padding)
    xg = x.reshape(n, groups, c_group, length)
    wg = w.reshape(groups, o_group, c_group, k)
    out = xp.empty((n, groups, o_group, out_length), dtype=x.dtype)
    b = None if bias is None else bias.reshape(groups, o_group, 1)

    def block(n0, n1, g0, g1):
        padded = _window(xp, xg[n0:n1, g0:g1], -padding, stop)  # (n, g, C_g, L_pad)
        acc = out[n0:n1, g0:g1]
        for tap in range(k):
            xs = padded[..., tap * dilation : tap * dilation + span : stride]
            part = _matmul_small(xp, wg[g0:g1, :, :, tap], xs)  # (n, g, O_g, L_out)
            if tap == 0:
                acc[...] = part
            else:
                acc += part
        if b is not None:
            acc += b[g0:g1]

    _blocks(block, n, groups, x.dtype.itemsize * c_group * (length + span), xp)
    return out.reshape(n, c_out, out_length)


def conv1d_grad_input(grad_out, w, length, stride, padding, dilation, groups, *, bias=None, method=None):
    """Adjoint of ``conv1d`` in x: scatter each output column back over the taps it read.

    Returns (N, C_in, length) (+ ``bias[c]``, the transposed convolution's bias);
    ``length`` picks among the input lengths that give this L_out.
    """
    method = _grad_input_method(method, get_array_module(grad_out), grad_out.shape, w.shape, length, stride, padding,
                                dilation, groups)
    run = {"polyphase": _grad_input_polyphase, "gemm": _grad_input_gemm, "direct": _grad_input_direct}[method]
    return run(grad_out, w, length, stride, padding, dilation, groups, bias)


# numba's gather kernel beat both GEMM formulations, and PyTorch, wherever each output sums few
# products (seq-decoder-like layers: 1.2-2x), tied at 256 and lost from about 512 (hifigan-up1/up2)
GATHER_MAX_CONTRACTION = 384
GATHER_RANGES_PER_WORKER = 4
GATHER_RANGE_PRODUCTS = 1 << 24  # about half a millisecond of one core
GATHER_BLOCK = 512  # coarse positions per job of the gather kernel: its accumulators and inputs stay in L1
GATHER_DOT_WINDOW_BYTES = 512 << 10  # the weight gradient's input window per job (L2-sized)


def _gather(xp, x, wt, bias, length, transposed, stride, padding, dilation):
    """numba's gather kernel (:mod:`._compiled`) over (sample, group, position block) jobs on the pool:
    out[n, g·O_g + o, m·P_out + r] = bias + sum over c and the taps k with tap_out[k] = r of
    wt[g, o, c, k] · x[n, g·C_g + c, (m + tap_shift[k])·P_in + tap_in[k]]; ``wt`` is (G, O_g, C_g, K).
    conv1d reads phase r_k of x at shift q_k, the transposed convolution writes phase r_k from shift -q_k."""
    n = x.shape[0]
    groups, o_group, _, k = wt.shape
    out = xp.empty((n, groups * o_group, length), dtype=x.dtype)
    bias_arg, has_bias = _bias_arg(xp, bias, groups * o_group, x.dtype)
    plan = _gather_plan(xp, k, stride, padding, dilation, transposed)
    args = (xp.ascontiguousarray(x), xp.ascontiguousarray(wt, dtype=x.dtype), bias_arg, has_bias, out) + plan
    compiled = _compiled_fn(xp, "gather")
    _run(lambda first, last: compiled(*args, GATHER_BLOCK, first, last),
         _job_ranges(n * groups, -(-length // plan[1]), out.size * wt.shape[2] * k // plan[1]), xp)
    return out


@functools.lru_cache(maxsize=512)
def _gather_plan(xp, kernel_size, stride, padding, dilation, transposed):
    """(P_in, P_out, tap_in, tap_out, tap_shift) of the gather kernel, the taps as int64 arrays."""
    taps = _taps(kernel_size, stride, padding, dilation)
    phases = xp.asarray([r for _, _, r in taps], dtype=xp.int64)
    shifts = xp.asarray([q for _, q, _ in taps], dtype=xp.int64)
    zeros = xp.zeros(kernel_size, dtype=xp.int64)
    return (1, stride, zeros, phases, -shifts) if transposed else (stride, 1, phases, zeros, shifts)


def _job_ranges(rows, positions, products, block=None):
    """(first, last) ranges of the gather kernels' (sample·group, position block) jobs: one per
    worker, or up to GATHER_RANGES_PER_WORKER per worker when the call's ``products`` (multiply-adds)
    pay for the hand-offs, so that a core slowed by another process does not hold the call back."""
    jobs = rows * -(-positions // (block or GATHER_BLOCK))
    return _ranges(jobs, max(_WORKERS, min(GATHER_RANGES_PER_WORKER * _WORKERS, products // GATHER_RANGE_PRODUCTS)))


def _gather_grad_weight(xp, x, grad_out, kernel_size, stride, padding, dilation, groups):
    """conv1d_grad_weight by numba's gather_grad_weight: one partial sum per job range, added at the end."""
    n, c_in, _ = x.shape
    _, c_out, out_length = grad_out.shape
    # longer blocks than the other gather kernels: each 4x4 block of dot products ends in 16
    # horizontal sums, which 512 positions did not amortise (dilated: 25 -> 37 GFMA/s at 2048)
    window_bytes = x.dtype.itemsize * stride * (c_in // groups)
    block = min(4 * GATHER_BLOCK, max(GATHER_BLOCK, GATHER_DOT_WINDOW_BYTES // window_bytes))
    ranges = _job_ranges(n * groups, out_length, grad_out.size * (c_in // groups) * kernel_size, block)
    parts = xp.zeros((len(ranges), groups, c_out // groups, c_in // groups, kernel_size), dtype=x.dtype)
    args = (xp.ascontiguousarray(x), xp.ascontiguousarray(grad_out, dtype=x.dtype))
    _, _, tap_in, _, tap_shift = _gather_plan(xp, kernel_size, stride, padding, dilation, False)
    compiled = _compiled_fn(xp, "gather_grad_weight")
    _run(lambda i, first, last: compiled(*args, parts[i], stride, tap_in, tap_shift, block, first, last),
         [(i, a, b) for i, (a, b) in enumerate(ranges)], xp)
    out = xp.empty((c_out, c_in // groups, kernel_size), dtype=x.dtype)
    parts.sum(axis=0, out=out.reshape(parts.shape[1:]))
    return out


def _grad_input_method(method, xp, g_shape, w_shape, length, stride, padding, dilation, groups):
    """The formulation conv1d_grad_input runs: ``_choose``'s, except that "auto" takes the compiled
    gather kernel (direct) when an output's sum, C_out/G times the taps of its phase, is short."""
    c_out, c_group, k = w_shape
    if _gathers(method, xp, (c_out // groups) * _taps_per_phase(k, stride, padding, dilation)):
        return "direct"
    compiled = _compiles_col2im(xp, g_shape, w_shape, groups)
    costs = _grad_input_costs(tuple(g_shape), tuple(w_shape), length, stride, padding, dilation, groups, compiled)
    return _choose(method, c_out // groups, c_group, costs)


@functools.lru_cache(maxsize=512)
def _taps_per_phase(kernel_size, stride, padding, dilation):
    """The most taps that write one phase of a transposed convolution's output."""
    return max(collections.Counter(r for _, _, r in _taps(kernel_size, stride, padding, dilation)).values())


def _gathers(method, xp, contraction):
    """Whether "auto" runs numba's gather kernels (the direct formulation): they are compiled here and
    each output sums at most GATHER_MAX_CONTRACTION products (channels times the taps that reach it)."""
    return ((method or _forced[0] or "auto") == "auto" and contraction <= GATHER_MAX_CONTRACTION
            and _compiled_fn(xp, "gather") is not None)


def _grad_input_polyphase(grad_out, w, length, stride, padding, dilation, groups, bias, weight=None):
    # output phase r at coarse position m: sum over its taps (q, k) of w_k^T grad_out[:, :, m - q].
    # Columns are (batch, position), so each phase family is ONE GEMM over all samples of a chunk,
    # written straight into a (G, s, C_g, N, M) phase buffer; one interleaving copy then fills
    # the output (and adds the bias).
    xp = get_array_module(grad_out)
    n, c_out, out_length = grad_out.shape
    _, c_group, k = w.shape
    c_in = groups * c_group
    if weight is None and _unit_stride(xp, stride, length, c_out // groups):
        return _grad_input_unit_stride(grad_out, w, length, padding, dilation, groups, bias)
    taps = _taps(k, stride, padding, dilation)
    shifts = tuple(sorted({q for _, q, _ in taps}))
    if weight is None:
        weight = _phase_weight(xp, w, groups, taps, stride, shifts)
    plans, idle, coarse = _families(taps, shifts, stride, length)
    plans = [(js, phases, count, _family_weight(weight, js, phases, groups, count * c_group))
             for js, phases, count in plans]
    out = xp.empty((n, c_in, coarse * stride), dtype=grad_out.dtype)
    view = out.reshape(n, groups, c_group, coarse, stride)
    b = None if bias is None else bias.reshape(1, groups, c_group, 1, 1)
    column_bytes = grad_out.dtype.itemsize * (len(shifts) * c_out + stride * c_in)
    budget = max(WORKSPACE_BYTES, min(2 * WORKSPACE_BYTES, grad_out.nbytes + out.nbytes))
    for n0, n1, m0, m1 in _chunks(n, coarse, column_bytes, budget):
        size, count_n = m1 - m0, n1 - n0
        shifted = _shifted_columns(xp, grad_out[n0:n1], groups, shifts, m0, size)  # (G, Q, O_g, N, M)
        dst = view[n0:n1, :, :, m0:m1]
        if stride == 1 and count_n == 1 and len(plans) == 1:
            # one phase, one sample: the GEMM writes the output rows themselves
            js, _, _, a = plans[0]
            src = shifted[:, js].reshape(groups, -1, size)
            xp.matmul(a, src, out=dst[0, ..., 0])
            if b is not None:
                dst += b
            continue
        res = _scratch(xp, (groups, stride, c_group, count_n, size), grad_out.dtype, "res")
        if idle:
            res[:, idle] = 0
        for js, phases, count, a in plans:
            src = shifted[:, js].reshape(groups, -1, count_n * size)
            if isinstance(phases, slice):
                xp.matmul(a, src, out=res[:, phases].reshape(groups, count * c_group, count_n * size))
            else:
                part = _matmul(xp, a, src, "res-part")
                res[:, phases] = part.reshape(groups, count, c_group, count_n, size)
        _assign(xp, dst, res.transpose(3, 0, 2, 4, 1), extra=b)
    if coarse * stride != length:
        out = xp.ascontiguousarray(out[:, :, :length])
    return out


def _tap_spans(offsets, length, other_length):
    """Stride 1: per tap, (tap, offset, lo, hi): the tap adds into positions t in [lo, hi) of a
    signal of ``length`` from positions t - offset of one of ``other_length``; the widest tap first."""
    spans = []
    for tap, offset in enumerate(offsets):
        lo = max(0, offset)
        spans.append((tap, offset, lo, max(lo, min(length, other_length + offset))))
    return sorted(spans, key=lambda span: span[2] - span[3])


def _accumulate_taps(xp, weights, src, dst, spans, start, tmp):
    """dst = sum over spans of weights[tap] @ src[..., t - offset] for t in [start, start + width): the
    widest tap's GEMM writes dst itself, the others add through ``tmp``; positions no tap reaches are zeroed."""
    stop = start + dst.shape[-1]
    for j, (tap, offset, lo, hi) in enumerate(spans):
        lo, hi = max(lo, start), min(hi, stop)
        if j == 0:
            if hi > lo:
                xp.matmul(weights[tap], src[..., lo - offset : hi - offset], out=dst[..., lo - start : hi - start])
            else:
                lo = hi = start
            dst[..., : lo - start] = 0
            dst[..., hi - start :] = 0
        elif hi > lo:
            dst[..., lo - start : hi - start] += xp.matmul(weights[tap], src[..., lo - offset : hi - offset],
                                                           out=tmp[..., : hi - lo])


def _grad_input_unit_stride(grad_out, w, length, padding, dilation, groups, bias):
    # stride 1: out[n, :, t] = sum_k W_k^T grad_out[n, :, t + p - k·d]. Every operand is a view
    # (a slice along the last axis is a BLAS matrix), so no shifted copy is built: per sample,
    # the widest tap's GEMM writes the output rows, the others go through a cache-sized temporary.
    xp = get_array_module(grad_out)
    n, c_out, out_length = grad_out.shape
    _, c_group, k = w.shape
    o_group = c_out // groups
    wt = xp.ascontiguousarray(w.reshape(groups, o_group, c_group, k).transpose(3, 0, 2, 1), dtype=grad_out.dtype)
    spans = _tap_spans([tap * dilation - padding for tap in range(k)], length, out_length)
    out = xp.empty((n, groups * c_group, length), dtype=grad_out.dtype)
    gg = grad_out.reshape(n, groups, o_group, out_length)
    view = out.reshape(n, groups, c_group, length)
    b = None if bias is None else bias.reshape(groups, c_group, 1)
    for n0, n1, m0, m1 in _chunks(n, length, grad_out.dtype.itemsize * groups * c_group):
        tmp = _scratch(xp, (groups, c_group, m1 - m0), grad_out.dtype, "res")
        for i in range(n0, n1):
            dst = view[i, :, :, m0:m1]
            _accumulate_taps(xp, wt, gg[i], dst, spans, m0, tmp)
            if b is not None:
                dst += b
    return out


def _shifted_columns(xp, a, groups, shifts, start, size):
    """(G, len(shifts), C_g, N, size) with out[g, j, c, n, m] = a[n, g·C_g + c, start + m - shifts[j]] (zero outside)."""
    n, c, length = a.shape
    out = _scratch(xp, (groups, len(shifts), c // groups, n, size), a.dtype, "shifted")
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
        _assign(xp, dst[..., lo:hi], src[..., first + lo : first + hi])
    return out


@functools.lru_cache(maxsize=512)
def _families(taps, shifts, stride, length):
    """Group the output phases by the shifts their taps read: (shift rows, phases, count) per
    group, the phases no tap writes, and the coarse length ceil(length / s)."""
    by_phase = {}
    for _, q, r in taps:
        by_phase.setdefault(r, []).append(shifts.index(q))
    families = {}
    for r in sorted(by_phase):
        families.setdefault(tuple(sorted(by_phase[r])), []).append(r)
    plans = [(_runs(list(js)), _runs(rs), len(rs)) for js, rs in families.items()]
    idle = sorted(set(range(stride)) - set(by_phase))
    return plans, idle, -(-length // stride)


def _family_weight(weight, js, phases, groups, rows):
    """The (G, R·C_g, Q·O_g) GEMM operand of one family: a view of the phase weight when both runs are slices."""
    a = weight[:, js][:, :, :, phases]  # (G, Q, O_g, R, C_g)
    return a.reshape(groups, -1, rows).transpose(0, 2, 1)


def _grad_input_gemm(grad_out, w, length, stride, padding, dilation, groups, bias):
    # cols = w^T @ grad_out over all taps (w used as stored), then col2im: per phase family and
    # shift, one add of a (phase, position)-transposed slab instead of one strided add per tap
    xp = get_array_module(grad_out)
    n, c_out, out_length = grad_out.shape
    _, c_group, k = w.shape
    o_group = c_out // groups
    c_in = groups * c_group
    weight = w.reshape(groups, o_group, c_group * k).transpose(0, 2, 1)
    if k * out_length * length <= TINY_SCATTER:
        # a small call: col2im as a second GEMM with a cached 0/1 scatter matrix, fewest NumPy calls
        cols = xp.matmul(weight, grad_out.reshape(n, groups, o_group, out_length))
        scatter = _scatter_matrix(k, stride, padding, dilation, length, out_length)
        out = xp.matmul(cols.reshape(n, c_in, k * out_length), xp.asarray(scatter, dtype=cols.dtype))
        if bias is not None:
            out += bias.reshape(1, -1, 1)
        return out
    if _compiles_col2im(xp, grad_out.shape, w.shape, groups):
        # one GEMM over (sample, position) columns per chunk of samples, then a compiled col2im that
        # sums each output row's taps per phase and interleaves once (the weight is used as stored)
        compiled = _compiled_fn(xp, "col2im_phases")
        out = xp.empty((n, c_in, length), dtype=grad_out.dtype)
        bias_arg, has_bias = _bias_arg(xp, bias, c_in, grad_out.dtype)
        _, _, _, tap_phase, shifts = _gather_plan(xp, k, stride, padding, dilation, True)
        tap_shift = -shifts
        step = max(1, WORKSPACE_BYTES // (grad_out.dtype.itemsize * c_in * k * out_length))
        for n0 in range(0, n, step):
            n1 = min(n, n0 + step)
            g = _scratch(xp, (groups, o_group, n1 - n0, out_length), grad_out.dtype, "shifted")
            _assign(xp, g, grad_out[n0:n1].reshape(n1 - n0, groups, o_group, out_length).transpose(1, 2, 0, 3))
            cols = _matmul(xp, weight, g.reshape(groups, o_group, -1), "res")
            cols = cols.reshape(groups, c_group, k, n1 - n0, out_length)
            _run(lambda a, b: compiled(cols, bias_arg, has_bias, out[n0:n1], stride, tap_phase, tap_shift, a, b),
                 _ranges((n1 - n0) * c_in, _WORKERS), xp)
        return out
    compiled = _compiled_fn(xp, "col2im") if k <= COMPILED_COL2IM_MAX_TAPS else None
    if compiled is not None:
        # one compiled pass per chunk scatters every tap straight into the output rows (no zero fill, no trim)
        out = xp.empty((n, c_in, length), dtype=grad_out.dtype)
        bias_arg, has_bias = _bias_arg(xp, bias, c_in, grad_out.dtype)
        for n0, n1, l0, l1 in _chunks(n, out_length, grad_out.dtype.itemsize * c_in * k):
            g = grad_out[n0:n1, :, l0:l1].reshape(n1 - n0, groups, o_group, l1 - l0)
            cols = _matmul(xp, weight, g, "res").reshape(n1 - n0, c_in, k, l1 - l0)
            compiled(cols, bias_arg, has_bias, l0 == 0, out[n0:n1], l0, stride, padding, dilation)
        return out
    coarse, adds = _col2im_plan(k, stride, padding, dilation, length, out_length)
    if bias is None:
        out = xp.zeros((n, c_in, coarse * stride), dtype=grad_out.dtype)
    else:  # start from the bias instead of adding it in a pass of its own
        out = xp.empty((n, c_in, coarse * stride), dtype=grad_out.dtype)
        out[...] = bias.reshape(1, -1, 1)
    view = out.reshape(n, groups, c_group, coarse, stride)
    column_bytes = grad_out.dtype.itemsize * c_in * k
    for n0, n1, l0, l1 in _chunks(n, out_length, column_bytes):
        g = grad_out[n0:n1, :, l0:l1].reshape(n1 - n0, groups, o_group, l1 - l0)
        cols = _matmul(xp, weight, g, "res").reshape(n1 - n0, groups, c_group, k, l1 - l0)
        for phases, tap_rows, lo, hi, q in adds:
            lo, hi = max(lo, l0), min(hi, l1)
            if hi <= lo:
                continue
            src = cols[:, :, :, tap_rows, lo - l0 : hi - l0].transpose(0, 1, 2, 4, 3)
            if isinstance(phases, slice):
                _assign(xp, view[n0:n1, :, :, lo + q : hi + q, phases], src, add=True)
            else:
                block = view[n0:n1, :, :, lo + q : hi + q]
                block[..., phases] += src
    if coarse * stride != length:
        out = xp.ascontiguousarray(out[:, :, :length])
    return out


def _compiles_col2im(xp, g_shape, w_shape, groups):
    """Whether the gemm transposed forward runs numba's col2im_phases: compiled here and one
    sample's columns fit the workspace (its chunks are whole samples)."""
    n, c_out, out_length = g_shape
    _, c_group, k = w_shape
    per_sample = 4 * groups * c_group * k * out_length  # float32 bytes; float64 chunks twice as often
    return per_sample <= WORKSPACE_BYTES and _compiled_fn(xp, "col2im_phases") is not None


TINY_SCATTER = 1 << 14
# numba's col2im beat the NumPy slab adds on short kernels (seq-decoder, K=4: 1.27x) and lost
# on long ones (istft-like, K=1024: 0.89x), where the adds are few and large
COMPILED_COL2IM_MAX_TAPS = 8


@functools.lru_cache(maxsize=256)
def _scatter_matrix(k, stride, padding, dilation, length, out_length):
    """(K·L_out, length) 0/1 matrix: column t sums the (tap, position) pairs that write position t."""
    import numpy

    matrix = numpy.zeros((k * out_length, length), dtype=numpy.float64)
    for tap in range(k):
        for pos in range(out_length):
            t = pos * stride + tap * dilation - padding
            if 0 <= t < length:
                matrix[tap * out_length + pos, t] = 1.0
    matrix.flags.writeable = False
    return matrix


@functools.lru_cache(maxsize=512)
def _col2im_plan(k, stride, padding, dilation, length, out_length):
    """(coarse length, [(phases, taps, lo, hi, shift)]): one add of cols[taps, lo:hi] per family and shift."""
    taps = _taps(k, stride, padding, dilation)
    shifts = tuple(sorted({q for _, q, _ in taps}))
    plans, _, coarse = _families(taps, shifts, stride, length)
    tap_at = {(q, r): tap for tap, q, r in taps}
    adds = []
    for js, phases, _ in plans:
        rs = list(range(stride))[phases] if isinstance(phases, slice) else phases
        for j in (range(len(shifts))[js] if isinstance(js, slice) else js):
            q = shifts[j]
            lo, hi = max(0, -q), min(out_length, coarse - q)
            if hi > lo:
                adds.append((phases, _runs([tap_at[q, r] for r in rs]), lo, hi, q))
    return coarse, tuple(adds)


def _grad_input_direct(grad_out, w, length, stride, padding, dilation, groups, bias):
    # per output phase: the sum over its taps of w_k · grad_out shifted, then one strided write
    xp = get_array_module(grad_out)
    n, c_out, out_length = grad_out.shape
    _, c_group, k = w.shape
    o_group = c_out // groups
    if not _depthwise(c_group, o_group) and _compiled_fn(xp, "gather") is not None:
        # out[., c, m·s + r] sums w[o, c, k] grad_out[., o, m - q_k] over the taps k with r_k = r
        wt = w.reshape(groups, o_group, c_group, k).transpose(0, 2, 1, 3)  # (G, C_g, O_g, K)
        return _gather(xp, grad_out, wt, bias, length, True, stride, padding, dilation)
    compiled = _compiled_fn(xp, "direct_grad_input")  # depthwise: a compiled scatter
    if compiled is not None:
        out = xp.empty((n, groups * c_group, length), dtype=grad_out.dtype)
        bias_arg, has_bias = _bias_arg(xp, bias, groups * c_group, grad_out.dtype)
        compiled(xp.ascontiguousarray(grad_out), xp.ascontiguousarray(w, dtype=grad_out.dtype), bias_arg, has_bias,
                 out, stride, padding, dilation, groups)
        return out
    taps = _taps(k, stride, padding, dilation)
    shifts = tuple(sorted({q for _, q, _ in taps}))
    by_phase = {}
    for tap, q, r in taps:
        by_phase.setdefault(r, []).append((q, tap))
    coarse = -(-length // stride)
    lo = -shifts[-1]  # grad_out[..., m - q] for every m in [0, coarse) and shift q is padded[..., m - q - lo]
    hi = coarse - shifts[0]
    gg = grad_out.reshape(n, groups, o_group, out_length)
    wg = w.reshape(groups, o_group, c_group, k).transpose(0, 2, 1, 3)  # (G, C_g, O_g, K)
    out = xp.empty((n, groups, c_group, coarse, stride), dtype=grad_out.dtype)
    b = None if bias is None else bias.reshape(groups, c_group, 1)

    def block(n0, n1, g0, g1):
        padded = _window(xp, gg[n0:n1, g0:g1], lo, hi)
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

    _blocks(block, n, groups, grad_out.dtype.itemsize * (o_group * out_length + 2 * c_group * coarse * stride), xp)
    out = out.reshape(n, groups * c_group, coarse * stride)
    return out if coarse * stride == length else xp.ascontiguousarray(out[:, :, :length])


def conv1d_grad_weight(x, grad_out, kernel_size, stride, padding, dilation, groups, *, method=None):
    """Gradient of ``conv1d`` in w: gw[o, c, k] = sum_{n, l} grad_out[n, o, l] x_padded[n, c, l·s + k·d]."""
    c_group = x.shape[1] // groups
    xp = get_array_module(x)
    chosen = _choose(method, c_group, grad_out.shape[1] // groups)
    if _gathers(method, xp, c_group * kernel_size):
        chosen = "direct"
    elif chosen != "direct" and (method or _forced[0] or "auto") == "auto" and \
            _unit_stride(xp, stride, grad_out.shape[-1], 0):
        chosen = "polyphase"  # whose stride-1 form is the per-tap GEMMs
    run = {"polyphase": _grad_weight_polyphase, "gemm": _grad_weight_gemm, "direct": _grad_weight_direct}[chosen]
    return run(x, grad_out, kernel_size, stride, padding, dilation, groups)


def _grad_weight_polyphase(x, grad_out, kernel_size, stride, padding, dilation, groups):
    # per shift q: gw[:, :, taps of q] = sum_{n, m} grad_out[n, o, m - q] · phases(x)[n, (r, c), m]
    xp = get_array_module(x)
    n, c_in, _ = x.shape
    _, c_out, out_length = grad_out.shape
    c_group, o_group = c_in // groups, c_out // groups
    if _unit_stride(xp, stride, out_length, 0):  # contracts over positions, not channels
        return _grad_weight_unit_stride(x, grad_out, kernel_size, padding, dilation, groups)
    taps = _taps(kernel_size, stride, padding, dilation)
    shifts = tuple(sorted({q for _, q, _ in taps}))
    q_min, span = shifts[0], shifts[-1] - shifts[0]
    rows = [_runs(sorted(r for _, q_, r in taps if q_ == q)) for q in shifts]
    acc = xp.zeros((groups, len(shifts), o_group, stride, c_group), dtype=x.dtype)
    column_bytes = x.dtype.itemsize * (stride * c_in + len(shifts) * c_out)
    for n0, n1, l0, l1 in _chunks(n, out_length, column_bytes):
        size = l1 - l0 + span
        phases = _phases(xp, x[n0:n1], groups, stride, l0 + q_min, size)
        # grad_out[n, o, l0 + j - (q - q_min)] at column j of the phase window
        moved = _shifted(xp, grad_out[n0:n1, :, l0:l1], groups, [q - q_min for q in shifts], 0, size)
        for j, r_rows in enumerate(rows):
            b = phases[:, :, r_rows]
            count = b.shape[2]
            part = _matmul(xp, moved[:, :, j], b.reshape(n1 - n0, groups, -1, size).transpose(0, 1, 3, 2), "res")
            block = acc[:, j]
            block[:, :, r_rows] += part.sum(axis=0).reshape(groups, o_group, count, c_group)
    return _from_phase_weight(xp, acc, taps, stride, shifts, kernel_size)


def _from_phase_weight(xp, acc, taps, stride, shifts, kernel_size):
    """Inverse of _phase_weight: (G, Q, O_g, s, C_g) back to a new (G·O_g, C_g, K) array."""
    groups, count, o_group, _, c_group = acc.shape
    out = xp.empty((groups * o_group, c_group, kernel_size), dtype=acc.dtype)
    gw = out.reshape(groups, o_group, c_group, kernel_size)
    first = taps[0]
    start = first[1] * stride + first[2] - first[0]
    if all(q * stride + r - tap == start for tap, q, r in taps):
        lo = start - shifts[0] * stride
        flat = acc.transpose(0, 2, 4, 1, 3).reshape(groups, o_group, c_group, count * stride)
        gw[...] = flat[..., lo : lo + kernel_size]
        return out
    for tap, q, r in taps:
        gw[..., tap] = acc[:, shifts.index(q), :, r, :]
    return out


def _grad_weight_gemm(x, grad_out, kernel_size, stride, padding, dilation, groups):
    # gw (O_g, C_g·K) = grad_out (O_g, N·L_out) @ im2col(x)^T, one GEMM per group with (batch, position) columns
    xp = get_array_module(x)
    n, c_in, _ = x.shape
    _, c_out, out_length = grad_out.shape
    c_group, o_group = c_in // groups, c_out // groups
    out = xp.empty((c_out, c_group, kernel_size), dtype=x.dtype)
    gw = out.reshape(groups, o_group, c_group * kernel_size)
    column_bytes = x.dtype.itemsize * (kernel_size * c_in + c_out)
    for i, (n0, n1, l0, l1) in enumerate(_chunks(n, out_length, column_bytes)):
        cols = _unfold(xp, x[n0:n1], kernel_size, stride, padding, dilation, groups, l0, l1)
        cols = cols.reshape(groups, c_group * kernel_size, -1)
        g = grad_out[n0:n1, :, l0:l1].reshape(n1 - n0, groups, o_group, l1 - l0).transpose(1, 2, 0, 3)
        _matmul_into(xp, g.reshape(groups, o_group, -1), cols.transpose(0, 2, 1), gw, add=i > 0)
    return out


def _grad_weight_direct(x, grad_out, kernel_size, stride, padding, dilation, groups):
    xp = get_array_module(x)
    n, c_in, length = x.shape
    _, c_out, out_length = grad_out.shape
    c_group, o_group = c_in // groups, c_out // groups
    if not _depthwise(c_group, o_group) and _compiled_fn(xp, "gather_grad_weight") is not None:
        return _gather_grad_weight(xp, x, grad_out, kernel_size, stride, padding, dilation, groups)
    compiled = _compiled_fn(xp, "direct_grad_weight")  # depthwise: compiled per-tap dot products
    if compiled is not None:
        gw = xp.empty((c_out, c_group, kernel_size), dtype=x.dtype)
        compiled(xp.ascontiguousarray(x), xp.ascontiguousarray(grad_out, dtype=x.dtype), gw,
                 stride, padding, dilation, groups)
        return gw
    span = (out_length - 1) * stride + 1
    stop = max(length + padding, (kernel_size - 1) * dilation + span - padding)
    xg = x.reshape(n, groups, c_group, length)
    gg = grad_out.reshape(n, groups, o_group, out_length)
    parts = {}

    def block(n0, n1, g0, g1):
        padded = _window(xp, xg[n0:n1, g0:g1], -padding, stop)
        g = gg[n0:n1, g0:g1]
        gw = xp.empty((g1 - g0, o_group, c_group, kernel_size), dtype=x.dtype)
        for tap in range(kernel_size):
            xs = padded[..., tap * dilation : tap * dilation + span : stride]
            gw[..., tap] = xp.einsum("ngol,ngcl->goc", g, xs)
        parts[n0, g0] = gw

    _blocks(block, n, groups, x.dtype.itemsize * (c_group * length + o_group * out_length), xp)
    out = xp.zeros((c_out, c_group, kernel_size), dtype=x.dtype)
    gw = out.reshape(groups, o_group, c_group, kernel_size)
    for (_, g0), part in parts.items():
        gw[g0 : g0 + part.shape[0]] += part
    return out


def conv1d_and_grad_weight(x, w, grad_out, stride, padding, dilation, groups, *, method=None):
    """``(conv1d(x, w, ...), conv1d_grad_weight(x, grad_out, K, ...))`` sharing one im2col of ``x``.

    A transposed convolution's backward is exactly this pair with ``x`` its incoming
    gradient: both gradients read the same K/s-fold unfold of the long signal.
    """
    c_out, c_group, k = w.shape
    o_group = c_out // groups
    out_length = conv1d_output_length(x.shape[-1], k, stride, padding, dilation)
    costs = _conv1d_costs(x.shape, w.shape, out_length, stride, padding, dilation, shared=True)
    chosen = _choose(method, c_group, o_group, costs)
    if _gathers(method, get_array_module(x), c_group * k):
        chosen = method = "direct"  # both halves in numba's gather kernels, no BLAS call at all
    if chosen != "gemm" or grad_out.shape[-1] != out_length:
        return (conv1d(x, w, stride, padding, dilation, groups, method=chosen),
                conv1d_grad_weight(x, grad_out, k, stride, padding, dilation, groups, method=method))
    xp = get_array_module(x)
    n = x.shape[0]
    weight = w.reshape(groups, o_group, c_group * k)
    y = xp.empty((n, c_out, out_length), dtype=x.dtype)
    gw_out = xp.empty((c_out, c_group, k), dtype=x.dtype)
    gw = gw_out.reshape(groups, o_group, c_group * k)
    column_bytes = x.dtype.itemsize * (k * x.shape[1] + c_out)
    batched = _batched_layout(n, out_length, gw.size, x.dtype.itemsize)
    for i, (n0, n1, l0, l1) in enumerate(_chunks(n, out_length, column_bytes)):
        cols = _unfold(xp, x[n0:n1], k, stride, padding, dilation, groups, l0, l1, batched)
        g = grad_out[n0:n1, :, l0:l1].reshape(n1 - n0, groups, o_group, l1 - l0)
        if batched:
            cols = cols.reshape(n1 - n0, groups, c_group * k, l1 - l0)
            # the GEMM writes y's rows in place; per-sample weight partials are added without a temporary
            xp.matmul(weight, cols, out=y[n0:n1, :, l0:l1].reshape(n1 - n0, groups, o_group, l1 - l0))
            if n1 - n0 == 1:
                _matmul_into(xp, g[0], cols[0].transpose(0, 2, 1), gw, add=i > 0)
                continue
            part = _matmul(xp, g, cols.transpose(0, 1, 3, 2), "res")
            if i == 0:
                part.sum(axis=0, out=gw)
            else:
                gw += part.sum(axis=0)
            continue
        cols = cols.reshape(groups, c_group * k, -1)
        res = _matmul(xp, weight, cols, "res")
        y[n0:n1, :, l0:l1] = res.reshape(c_out, n1 - n0, l1 - l0).transpose(1, 0, 2)
        _matmul_into(xp, g.transpose(1, 2, 0, 3).reshape(groups, o_group, -1), cols.transpose(0, 2, 1), gw,
                     add=i > 0)
    return y, gw_out


def _batched_layout(n, positions, weight_size, itemsize):
    """Per-sample GEMMs (no batch/channel transposes) when each is wide enough and the
    per-sample weight-gradient partials stay small."""
    return n > 1 and positions >= 256 and n * weight_size * itemsize <= WORKSPACE_BYTES


UNFOLD_LOOP_MAX_TAPS = 32


def _unfold(xp, x, kernel_size, stride, padding, dilation, groups, start, stop, batched=False):
    """im2col of output positions [start, stop): (G, C_g, K, N, stop - start) with
    cols[g, c, k, n, l] = x_padded[n, g·C_g + c, (start + l)·s + k·d] (columns are (batch, position));
    ``batched``: (N, G, C_g, K, stop - start), one GEMM per sample and no batch/channel transpose.

    Taps read ``x`` itself (no padded copy): each fills its in-range columns and zeroes the rest.
    Past UNFOLD_LOOP_MAX_TAPS taps a per-tap Python loop costs more than the copy: the window
    of ``x`` the chunk reads (zero-padded where needed) is viewed with a (tap, position) stride
    pair and copied in one call."""
    n, c, length = x.shape
    size = stop - start
    first = start * stride - padding
    if kernel_size > UNFOLD_LOOP_MAX_TAPS:
        span = (size - 1) * stride + (kernel_size - 1) * dilation + 1
        window = _window(xp, x, first, first + span, "unfold-window")
        batch, channel, step = window.strides
        taps = xp.lib.stride_tricks.as_strided(
            window, (n, groups, c // groups, kernel_size, size),
            (batch, (c // groups) * channel, channel, dilation * step, stride * step))
        if batched:
            cols = _scratch(xp, (n, groups, c // groups, kernel_size, size), x.dtype, "cols")
            _assign(xp, cols, taps)
        else:
            cols = _scratch(xp, (groups, c // groups, kernel_size, n, size), x.dtype, "cols")
            _assign(xp, cols, taps.transpose(1, 2, 3, 0, 4))
        return cols
    taps = []
    for k in range(kernel_size):
        base = first + k * dilation  # x position of column 0
        lo = min(size, max(0, -(-(-base) // stride)))
        hi = max(lo, min(size, (length - 1 - base) // stride + 1))
        taps.append((k, lo, hi, slice(base + lo * stride, base + (hi - 1) * stride + 1, stride) if hi > lo else None))
    if batched:
        cols = _scratch(xp, (n, groups, c // groups, kernel_size, size), x.dtype, "cols")
        src = x.reshape(n, groups, c // groups, length)

        def fill(a, b):
            for k, lo, hi, taken in taps:
                dst = cols[a:b, :, :, k]
                if lo > 0:
                    dst[..., :lo] = 0
                if hi < size:
                    dst[..., hi:] = 0
                if taken is not None:
                    dst[..., lo:hi] = src[a:b, ..., taken]

        _split(fill, n, cols.nbytes, xp)
        return cols
    cols = _scratch(xp, (groups, c // groups, kernel_size, n, size), x.dtype, "cols")
    src = x.reshape(n, groups, c // groups, length).transpose(1, 2, 0, 3)

    def fill(a, b):
        for k, lo, hi, taken in taps:
            dst = cols[:, a:b, k]
            if lo > 0:
                dst[..., :lo] = 0
            if hi < size:
                dst[..., hi:] = 0
            if taken is not None:
                dst[..., lo:hi] = src[:, a:b, :, taken]

    _split(fill, c // groups, cols.nbytes, xp)
    return cols
