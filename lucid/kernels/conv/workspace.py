"""Scratch buffers, chunking and the thread pool shared by every formulation.

Scratch buffers are kept per thread and reused from call to call: a fresh large NumPy array is
fresh pages from the OS, and faulting them in costs as much as the copies that fill them. Work
runs in chunks of batch and position so that a call's scratch stays near
``tuning.WORKSPACE_BYTES`` however long the input. Large copies are split over a small thread
pool, since NumPy's copies are single-threaded but release the GIL. On other array modules
(CuPy) there is no pool and no scratch reuse.
"""

import concurrent.futures
import contextlib
import math
import threading

from . import tuning
from .. import _compiled

_local = threading.local()
_pool = [None]
_use_compiled = [True]


@contextlib.contextmanager
def compiled_kernels(enabled):
    """Inside the block, leaves that need numba do (``True``) or do not (``False``) apply."""
    previous = _use_compiled[0]
    _use_compiled[0] = bool(enabled)
    try:
        yield
    finally:
        _use_compiled[0] = previous


def has_compiled(numpy=True):
    """Whether numba's compiled loops may run here (NumPy arrays, numba importable, not switched off)."""
    return numpy and _use_compiled[0] and _compiled.AVAILABLE and _compiled.get("gather") is not None


def compiled(name):
    return _compiled.get(name)


def release_scratch():
    """Drop this thread's cached scratch buffers (they are reallocated on the next call)."""
    _local.buffers = {}


def scratch(xp, shape, dtype, slot):
    """An uninitialised array for temporary use within one kernel call; ``slot`` names its role."""
    if xp.__name__ != "numpy":
        return xp.empty(shape, dtype=dtype)
    dtype = xp.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > tuning.SCRATCH_KEEP_BYTES:
        return xp.empty(shape, dtype=dtype)
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = {}
    buffer = buffers.get(slot)
    if buffer is None or buffer.nbytes < nbytes:
        buffer = buffers[slot] = xp.empty(max(nbytes, 1 << 16), dtype=xp.uint8)
    return buffer[:nbytes].view(dtype).reshape(shape)


def matmul(xp, a, b, slot):
    """``a @ b`` into a scratch buffer."""
    shape = xp.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    return xp.matmul(a, b, out=scratch(xp, shape, xp.result_type(a, b), slot))


def matmul_into(xp, a, b, out, add=False):
    """``out = a @ b``, or ``out += a @ b`` through a scratch buffer when ``add``."""
    if add:
        out += matmul(xp, a, b, "res")
    else:
        xp.matmul(a, b, out=out)


def window(xp, a, start, stop, slot="window"):
    """``a[..., start:stop]`` with zeros outside ``[0, L)``; a view when no padding is needed."""
    length = a.shape[-1]
    if start >= 0 and stop <= length:
        return a[..., start:stop]
    out = scratch(xp, a.shape[:-1] + (stop - start,), a.dtype, slot)
    lo, hi = max(start, 0), min(stop, length)
    if hi > lo:
        out[..., : lo - start] = 0
        out[..., lo - start : hi - start] = a[..., lo:hi]
        out[..., hi - start :] = 0
    else:
        out[...] = 0
    return out


def chunks(n, size, column_bytes, budget=None):
    """(n0, n1, m0, m1) blocks of the (batch, position) columns, each under the workspace budget."""
    budget = tuning.WORKSPACE_BYTES if budget is None else budget
    per_block = max(1, budget // max(column_bytes, 1))
    if per_block >= n * size:
        return [(0, n, 0, size)]
    if per_block >= size:
        step = per_block // size
        return [(n0, min(n0 + step, n), 0, size) for n0 in range(0, n, step)]
    step = max(per_block, 64)
    return [(n0, n0 + 1, m0, min(m0 + step, size)) for n0 in range(n) for m0 in range(0, size, step)]


def assign(xp, dst, src, add=False, extra=None):
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

    split(fn, dst.shape[axis] if dst.ndim else 1, dst.nbytes, xp)


def blocks(fn, n, groups, row_bytes, xp):
    """Call fn(n0, n1, g0, g1) over (batch, group) blocks of about DIRECT_BLOCK_BYTES each."""
    per_block = max(1, tuning.DIRECT_BLOCK_BYTES // max(row_bytes, 1))
    g_step = min(groups, per_block)
    n_step = max(1, per_block // g_step)
    run(fn, [(n0, min(n0 + n_step, n), g0, min(g0 + g_step, groups))
             for n0 in range(0, n, n_step) for g0 in range(0, groups, g_step)], xp)


def run(fn, jobs, xp):
    """[fn(*job) for job in jobs], on the thread pool when there are several and the arrays are NumPy's."""
    workers = min(len(jobs), tuning.WORKERS)
    if workers < 2 or xp.__name__ != "numpy":
        return [fn(*job) for job in jobs]
    if _pool[0] is None:
        _pool[0] = concurrent.futures.ThreadPoolExecutor(max_workers=tuning.WORKERS, thread_name_prefix="lucid-conv")
    return [future.result() for future in [_pool[0].submit(fn, *job) for job in jobs]]


def split(fn, size, nbytes, xp):
    """fn(a, b) over pieces of range(size) in parallel when the copy is big enough to pay for the hand-off."""
    if size < 2 or nbytes < tuning.PARALLEL_BYTES:
        fn(0, size)
        return
    run(fn, ranges(size, tuning.WORKERS), xp)


def ranges(size, parts):
    """range(size) cut into at most ``parts`` consecutive non-empty (start, stop) pieces of near-equal length."""
    parts = min(size, parts)
    if parts < 1:
        return []
    bounds = [size * i // parts for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def bias_arg(xp, bias, size, dtype):
    """(bias as a contiguous array, has_bias) for the compiled loops, which take no None."""
    if bias is None:
        return xp.zeros(1, dtype=dtype), False
    return xp.ascontiguousarray(bias.reshape(size), dtype=dtype), True


def runs(indices):
    """``indices`` (sorted) as a slice when consecutive, else as a list for fancy indexing."""
    indices = list(indices)
    if indices == list(range(indices[0], indices[-1] + 1)):
        return slice(indices[0], indices[-1] + 1)
    return indices
