"""lucid.kernels.blas: GEMM through the OpenBLAS NumPy bundles, against NumPy's matmul."""

import numpy as np
import pytest

from lucid.kernels import blas

needs_blas = pytest.mark.skipif(not blas.available(np.float32), reason="no bundled ILP64 OpenBLAS here")


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("accumulate", [False, True])
def test_gemm_on_slices_of_wider_arrays_matches_matmul(rng, dtype, trans_a, trans_b, accumulate):
    m, n, k = 5, 7, 3
    wide_a = rng.standard_normal((k, m + 4) if trans_a else (m, k + 4)).astype(dtype)
    wide_b = rng.standard_normal((n, k + 2) if trans_b else (k, n + 6)).astype(dtype)
    a = wide_a[:, 2 : 2 + m] if trans_a else wide_a[:, 1 : 1 + k]
    b = wide_b[:, 1 : 1 + k] if trans_b else wide_b[:, 3 : 3 + n]
    wide_c = rng.standard_normal((m, n + 5)).astype(dtype)
    c = wide_c[:, 2 : 2 + n]
    before = wide_c.copy()
    want = (a.T if trans_a else a) @ (b.T if trans_b else b) + (c if accumulate else 0)
    assert blas.gemm(a, b, c, accumulate=accumulate, trans_a=trans_a, trans_b=trans_b)
    np.testing.assert_allclose(c, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    # nothing outside the slice of c was written
    np.testing.assert_array_equal(wide_c[:, :2], before[:, :2])
    np.testing.assert_array_equal(wide_c[:, 2 + n :], before[:, 2 + n :])


@needs_blas
def test_gemm_overwrites_nan_in_c_unless_accumulating(rng):
    a, b = np.ones((2, 3), np.float32), np.ones((3, 2), np.float32)
    c = np.full((2, 2), np.nan, np.float32)
    assert blas.gemm(a, b, c)
    np.testing.assert_array_equal(c, 3.0)
    a[1, 1] = np.inf
    assert blas.gemm(a, b, c, accumulate=True)
    np.testing.assert_array_equal(c[0], 6.0)
    assert np.isposinf(c[1]).all()


@pytest.mark.parametrize("arrays", [
    lambda: (np.ones((2, 3), np.float16), np.ones((3, 2), np.float16), np.zeros((2, 2), np.float16)),
    lambda: (np.ones((2, 3), np.int64), np.ones((3, 2), np.int64), np.zeros((2, 2), np.int64)),
    lambda: (np.ones((2, 3), np.float32), np.ones((3, 2), np.float64), np.zeros((2, 2), np.float32)),
    lambda: (np.ones((2, 6), np.float32)[:, ::2], np.ones((3, 2), np.float32), np.zeros((2, 2), np.float32)),
    lambda: (np.ones((2, 3), np.float32), np.ones((3, 2), np.float32), np.zeros((2, 4), np.float32)[:, ::2]),
], ids=["float16", "int64", "mixed", "strided-columns", "strided-output"])
def test_gemm_declines_what_blas_cannot_take_and_leaves_c_alone(arrays):
    a, b, c = arrays()
    before = c.copy()
    assert blas.gemm(a, b, c) is False
    np.testing.assert_array_equal(c, before)


@needs_blas
def test_gemm_rejects_mismatched_shapes_naming_them():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        blas.gemm(np.ones((2, 3), np.float32), np.ones((4, 2), np.float32), np.zeros((2, 2), np.float32))


@needs_blas
def test_gemm_with_an_empty_contraction_zeroes_or_keeps_c():
    c = np.full((2, 2), 5.0, np.float32)
    assert blas.gemm(np.ones((2, 0), np.float32), np.ones((0, 2), np.float32), c, accumulate=True)
    np.testing.assert_array_equal(c, 5.0)
    assert blas.gemm(np.ones((2, 0), np.float32), np.ones((0, 2), np.float32), c)
    np.testing.assert_array_equal(c, 0.0)
