"""numba's gather kernels (``_numba.gather``, ``gather_grad_weight``): no GEMM at all.

Per (sample, group, block of positions) job, the window of the input the block reads is copied
split into its stride phases, then 4 output channels at a time accumulate over cache-resident
rows. Where each output sums few products, a GEMM that thin runs far below the BLAS peak and
this wins. The kernels are serial; the jobs run in ranges on the workspace's thread pool
(numba's own parallel workers spin after a loop and slowed the GEMMs that followed).
"""

import functools

from ...backend import get_array_module
from . import tuning
from . import workspace as ws


@functools.lru_cache(maxsize=512)
def _plan(kernel_size, stride, padding, dilation, transposed):
    """(P_in, P_out, tap_in, tap_out, tap_shift) of the gather kernel, the taps as int64 arrays."""
    import numpy

    from .geometry import tap_plan

    taps = tap_plan(kernel_size, stride, padding, dilation).taps
    phases = numpy.asarray([t.r for t in taps], dtype=numpy.int64)
    shifts = numpy.asarray([t.q for t in taps], dtype=numpy.int64)
    zeros = numpy.zeros(kernel_size, dtype=numpy.int64)
    return (1, stride, zeros, phases, -shifts) if transposed else (stride, 1, phases, zeros, shifts)


def _job_ranges(rows, positions, products, block):
    """(first, last) ranges of (sample·group, position block) jobs: one per worker, or more when
    the call's ``products`` (multiply-adds) pay for the hand-offs."""
    jobs = rows * -(-positions // block)
    per = max(tuning.WORKERS, min(tuning.GATHER_RANGES_PER_WORKER * tuning.WORKERS,
                                  products // tuning.GATHER_RANGE_PRODUCTS))
    return ws.ranges(jobs, per)


def _gather(case, x, wt, bias, length, transposed):
    """out[n, g·O_g + o, m·P_out + r] = bias + the sum over c and the taps k with tap_out[k] = r of
    wt[g, o, c, k] · x[n, g·C_g + c, (m + tap_shift[k])·P_in + tap_in[k]]; ``wt`` is (G, O_g, C_g, K)."""
    xp = get_array_module(x)
    n = x.shape[0]
    groups, o_group, _, k = wt.shape
    out = xp.empty((n, groups * o_group, length), dtype=x.dtype)
    bias_arg, has_bias = ws.bias_arg(xp, bias, groups * o_group, x.dtype)
    plan = _plan(k, case.stride, case.padding, case.dilation, transposed)
    args = (xp.ascontiguousarray(x), xp.ascontiguousarray(wt, dtype=x.dtype), bias_arg, has_bias, out) + plan
    kernel = ws.compiled("gather")
    block = tuning.GATHER_BLOCK
    ws.run(lambda first, last: kernel(*args, block, first, last),
           _job_ranges(n * groups, -(-length // plan[1]), out.size * wt.shape[2] * k // plan[1], block), xp)
    return out


def conv1d(case, x, w, bias=None):
    """y[., o, l] sums w[o, c, k] x[., c, (l + q_k)·s + r_k] over every tap."""
    return _gather(case, x, w.reshape(case.groups, case.o_group, case.c_group, case.kernel_size), bias,
                   case.out_length, False)


def grad_input_weight(case, w):
    """(G, C_g, O_g, K), contiguous: the transposed convolution's weight as the kernel reads it."""
    xp = get_array_module(w)
    return xp.ascontiguousarray(w.reshape(case.groups, case.o_group, case.c_group, case.kernel_size)
                                .transpose(0, 2, 1, 3))


def grad_input(case, grad_out, w, bias=None, weight=None):
    """out[., c, m·s + r] sums w[o, c, k] grad_out[., o, m - q_k] over the taps k with r_k = r."""
    wt = grad_input_weight(case, w) if weight is None else weight
    return _gather(case, grad_out, wt, bias, case.length, True)


def grad_weight(case, x, grad_out, bias=None):
    """One partial sum per job range, added at the end."""
    xp = get_array_module(x)
    groups, o_group, c_group, k = case.groups, case.o_group, case.c_group, case.kernel_size
    # longer blocks than the other gathers: each 4x4 block of dot products ends in 16 horizontal sums
    window_bytes = x.dtype.itemsize * case.stride * c_group
    block = min(4 * tuning.GATHER_BLOCK, max(tuning.GATHER_BLOCK, tuning.GATHER_DOT_WINDOW_BYTES // window_bytes))
    ranges = _job_ranges(case.n * groups, case.out_length, grad_out.size * c_group * k, block)
    parts = xp.zeros((len(ranges), groups, o_group, c_group, k), dtype=x.dtype)
    args = (xp.ascontiguousarray(x), xp.ascontiguousarray(grad_out, dtype=x.dtype))
    _, _, tap_in, _, tap_shift = _plan(k, case.stride, case.padding, case.dilation, False)
    kernel = ws.compiled("gather_grad_weight")
    ws.run(lambda i, first, last: kernel(*args, parts[i], case.stride, tap_in, tap_shift, block, first, last),
           [(i, a, b) for i, (a, b) in enumerate(ranges)], xp)
    out = xp.empty((case.c_out, c_group, k), dtype=x.dtype)
    parts.sum(axis=0, out=out.reshape(parts.shape[1:]))
    return out
