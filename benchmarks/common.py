"""Shared pieces of the benchmarks: process tuning, machine description, interleaved timing.

Run the benchmarks from a checkout (``python benchmarks/conv_layers.py`` and so on); they put the
checkout on ``sys.path`` themselves.
"""

import contextlib
import math
import os
import pathlib
import platform
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout

SGEMM_SIZE = 2048


def tune_malloc():
    """Keep freed memory in glibc's heap instead of returning it to the OS after every call.

    Both frameworks in this process allocate fresh multi-MiB arrays per call; by default glibc
    maps large ones with mmap and unmaps them on free, so each call pays page faults on
    memory it just gave back (on this kind of VM about as much as the convolution itself for
    the small shapes). Raising the mmap and trim thresholds affects lucid and PyTorch alike.
    Returns whether the tuning was applied (glibc only).
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 1 << 30) and libc.mallopt(m_trim_threshold, 1 << 30))
    except (OSError, AttributeError):
        return False


def load_torch(threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def best(fns, repeats, block_seconds=0.03, settle=0.3):
    """Best per-call wall time of each callable, the callables interleaved round by round.

    Each round times a block of back-to-back calls of each callable in turn (as a training
    loop calls a layer), sized to last about ``block_seconds``; the best block mean is kept.
    Blocks keep warm threads and caches on both sides, and interleaving them spreads the
    machine's noise over both frameworks alike. A short idle ``settle`` before each block lets
    OpenBLAS's and OpenMP's spinning worker threads from the previous block go to sleep, so
    they do not steal the two cores from the next one.
    """
    sizes = []
    for fn in fns:
        fn()
        start = time.perf_counter()
        fn()
        sizes.append(max(3, min(50, int(block_seconds / max(time.perf_counter() - start, 1e-6)))))
        for _ in range(2 * sizes[-1]):  # warm-up: allocator, caches and thread pools reach steady state
            fn()
    best = [math.inf] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            time.sleep(settle)  # let the other runtime's spinning worker threads go idle
            start = time.perf_counter()
            for _ in range(sizes[i]):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / sizes[i])
    return best


def sgemm_call(size=SGEMM_SIZE):
    """A large float32 matmul through NumPy's BLAS, the machine's GEMM rate reference."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    return lambda: a @ b


def machine_info(torch):
    info = {"platform": platform.platform(), "python": platform.python_version(), "numpy": np.__version__,
            "cores": os.cpu_count()}
    with contextlib.suppress(OSError):
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    blas = "unknown"
    with contextlib.suppress(Exception):
        config = np.show_config(mode="dicts")
        entry = config["Build Dependencies"]["blas"]
        blas = f"{entry.get('name')} {entry.get('version')}"
        if entry.get("openblas configuration"):
            blas += f" ({entry['openblas configuration']})"
    info["blas"] = blas
    core = openblas_core()
    if core:
        info["OpenBLAS kernel"] = core
    with contextlib.suppress(ImportError):
        import threadpoolctl

        pools = threadpoolctl.threadpool_info()
        info["threadpools"] = "; ".join(
            f"{p.get('internal_api')} {p.get('version')} {p.get('architecture', '')} threads={p.get('num_threads')}"
            for p in pools)
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if key in os.environ:
            info[key] = os.environ[key]
    from lucid.kernels import _compiled

    if _compiled.AVAILABLE:
        import numba

        info["compiled kernels"] = f"numba {numba.__version__} (the .[fast] extra: the *_compiled leaves)"
    else:
        info["compiled kernels"] = "off (pure NumPy: numba not installed or LUCID_NO_NUMBA=1)"
    if torch is not None:
        info["torch"] = f"{torch.__version__} (threads={torch.get_num_threads()})"
    return info


def openblas_core():
    """The CPU kernel set OpenBLAS picked at load time (e.g. SkylakeX), read through ctypes."""
    import ctypes
    import glob

    folder = pathlib.Path(np.__file__).parent
    for lib in glob.glob(str(folder.parent / "numpy.libs" / "*openblas*")) + glob.glob(
            str(folder.parent / "scipy_openblas*" / "lib" / "*.so*")):
        with contextlib.suppress(OSError):
            handle = ctypes.CDLL(lib)
            for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
                if hasattr(handle, symbol):
                    fn = getattr(handle, symbol)
                    fn.restype = ctypes.c_char_p
                    return fn().decode()
    return None


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def load_status():
    """The 1-minute load average and the number of processes running now (the machine is shared)."""
    with contextlib.suppress(OSError):
        fields = pathlib.Path("/proc/loadavg").read_text().split()
        return f"load average {fields[0]} (1 min), {fields[3].split('/')[0]} runnable"
    return "unknown"


def leaf_arrays(op, case, rng):
    """Float32 operands of ``op`` on ``case``: (a, b, length_or_kernel) for the kernel call."""
    x = rng.standard_normal((case.n, case.c_in, case.length), dtype=np.float32)
    w = rng.standard_normal((case.c_out, case.c_group, case.kernel_size), dtype=np.float32)
    w /= math.sqrt(case.c_group * case.kernel_size)
    y = rng.standard_normal((case.n, case.c_out, case.out_length), dtype=np.float32)
    return dict(conv1d=(x, w), grad_input=(y, w), grad_weight=(x, y))[op]


def leaf_call(op, case, a, b, method):
    """A no-argument call of one kernel op on ``case`` with leaf ``method`` forced.

    The weight's rearranged layouts are cached across calls, as a layer's are between optimizer steps.
    """
    from lucid.kernels import conv

    s, p, d, g = case.stride, case.padding, case.dilation, case.groups
    if op == "conv1d":
        return lambda: conv.conv1d(a, b, s, p, d, g, method=method, cache_key=(b, 0))
    if op == "grad_input":
        return lambda: conv.conv1d_grad_input(a, b, case.length, s, p, d, g, method=method, cache_key=(b, 0))
    return lambda: conv.conv1d_grad_weight(a, b, case.kernel_size, s, p, d, g, method=method)


def settle_measured_choice(fns, limit=64):
    """Call each of ``fns`` until no convolution case is still timing its near ties.

    With ``conv.measured_choice`` on, the first calls of a case run the cost model's near ties in
    turn; timing them as the steady state would mix in the slower ones. A no-op when it is off.
    """
    from lucid.kernels.conv import registry

    for _ in range(limit):
        if not registry.is_measured_choice():
            return
        for fn in fns:
            fn()
        if not registry.pending():
            return


def time_leaves(op, case, rng, repeats=3, budget_s=0.02, settle=0.05, hopeless=10.0):
    """{leaf name: best seconds per call} of every applicable leaf, the leaves interleaved.

    A leaf whose third single call is more than ``hopeless`` times the fastest one keeps that
    single time instead of joining the interleaved rounds (it cannot be the fastest). Two calls
    come first: numba compiles (or loads from its cache) a loop per new argument layout, and a
    second layout can appear on the second call (the cached weight), 0.1-0.4 s each time.
    """
    from lucid.kernels import conv

    a, b = leaf_arrays(op, case, rng)
    calls = {leaf.name: leaf_call(op, case, a, b, leaf.name) for leaf in conv.applicable(op, case)}
    single = {}
    for name, call in calls.items():
        call()
        call()
        start = time.perf_counter()
        call()
        single[name] = time.perf_counter() - start
    fastest = min(single.values())
    timed = [name for name in calls if single[name] <= hopeless * fastest]
    times = best([calls[name] for name in timed], repeats, block_seconds=budget_s, settle=settle)
    return {**single, **dict(zip(timed, times))}
