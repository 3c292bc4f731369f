"""The OpenBLAS that NumPy's wheel bundles, called directly through ctypes.

NumPy's ``matmul`` cannot accumulate (``C += A @ B`` costs a temporary and one more pass over
C) and falls back to its own slow loop when ``out`` is a strided slice. BLAS's GEMM does both
natively: ``C = A @ B + beta·C`` on matrices given by a pointer and a row stride, so a slice
of a longer signal is an operand as it stands. Everything here is optional: without a bundled
ILP64 OpenBLAS (other wheels, Accelerate, CuPy arrays) :func:`gemm` reports False and callers
use ``matmul``.
"""

import ctypes
import glob
import os

import numpy

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_found = []  # [library or None], filled on first use
_gemms = {}  # numpy dtype -> the cblas ?gemm function


def library():
    """The bundled OpenBLAS as a ctypes library, or None."""
    if not _found:
        _found.append(_open())
    return _found[0]


def _open():
    root = os.path.dirname(numpy.__file__)
    for pattern in ("../numpy.libs/*openblas*", ".dylibs/*openblas*", "../numpy.libs/*openblas*.dll"):
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            # the 64_-suffixed symbols are the ILP64 interface: every integer argument is 64-bit
            for prefix in ("scipy_cblas_", "cblas_"):
                names = {numpy.dtype(numpy.float32): prefix + "sgemm64_", numpy.dtype(numpy.float64): prefix + "dgemm64_"}
                if all(hasattr(lib, name) for name in names.values()):
                    for dtype, name in names.items():
                        fn = getattr(lib, name)
                        real = ctypes.c_float if dtype == numpy.float32 else ctypes.c_double
                        i32, i64, ptr = ctypes.c_int, ctypes.c_int64, ctypes.c_void_p
                        fn.argtypes = [i32, i32, i32, i64, i64, i64, real, ptr, i64, ptr, i64, real, ptr, i64]
                        fn.restype = None
                        _gemms[dtype] = fn
                    break
            setter = getattr(lib, "openblas_set_num_threads_local", None)
            if setter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], ctypes.c_int
            if _gemms or setter is not None:
                return lib
    return None


def thread_setter():
    """``openblas_set_num_threads_local(n) -> previous`` or None."""
    lib = library()
    return getattr(lib, "openblas_set_num_threads_local", None) if lib is not None else None


def _operand(a, itemsize):
    """(pointer, row stride in elements) of a 2-D array BLAS can read as row-major, else None."""
    rows, cols = a.strides
    if cols != itemsize and a.shape[1] > 1:
        return None
    if a.shape[0] == 1:
        return a.ctypes.data, max(a.shape[1], 1)
    if rows <= 0 or rows % itemsize or rows // itemsize < a.shape[1]:
        return None
    return a.ctypes.data, rows // itemsize


def gemm(a, b, c, accumulate=False, trans_a=False, trans_b=False):
    """``c = op(a) @ op(b)`` (or ``c += ...``) in place; op transposes when asked. False (and c
    untouched) when BLAS cannot take these arrays: then the caller computes it another way.

    a, b, c: 2-D NumPy arrays of one float dtype, each row-major with unit column stride (row
    strides may be longer, as in slices of wider arrays). c must not overlap a or b.
    """
    fn = _gemms.get(c.dtype) if (library() is not None and type(c) is numpy.ndarray) else None
    if fn is None or a.dtype != c.dtype or b.dtype != c.dtype or type(a) is not numpy.ndarray \
            or type(b) is not numpy.ndarray or not c.flags.writeable:
        return False
    m, n = c.shape
    k = a.shape[0] if trans_a else a.shape[1]
    if (a.shape[::-1] if trans_a else a.shape) != (m, k) or (b.shape[::-1] if trans_b else b.shape) != (k, n):
        raise ValueError(f"gemm: op(a) {a.shape[::-1] if trans_a else a.shape} @ op(b) "
                         f"{b.shape[::-1] if trans_b else b.shape} does not give c {c.shape}")
    if m == 0 or n == 0:
        return True
    if k == 0:
        if not accumulate:
            c[...] = 0
        return True
    ops = _operand(a, a.itemsize), _operand(b, b.itemsize), _operand(c, c.itemsize)
    if None in ops:
        return False
    (pa, lda), (pb, ldb), (pc, ldc) = ops
    fn(_ROW_MAJOR, _TRANS if trans_a else _NO_TRANS, _TRANS if trans_b else _NO_TRANS, m, n, k,
       1.0, pa, lda, pb, ldb, 1.0 if accumulate else 0.0, pc, ldc)
    return True


def available(dtype):
    """Whether :func:`gemm` runs for arrays of ``dtype``."""
    return library() is not None and numpy.dtype(dtype) in _gemms
