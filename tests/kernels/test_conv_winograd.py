"""Winograd F(3, 3): its matrices from the definition, the leaf on many-block shapes, the BLAS thread setting."""

import threading

import numpy as np
import pytest

from lucid.kernels import conv as kernels
from lucid.kernels.conv import winograd
from lucid.kernels.conv import workspace as ws

from .test_conv_paths import naive_conv1d, naive_conv_transpose1d

pytestmark = pytest.mark.skipif(not ws.has_compiled(), reason="the Winograd leaf needs numba")


def toom_cook(points):
    """(A^T, G, B^T) of the correlation F(3, 3) from four finite points and infinity (Vandermonde rows)."""
    def rows(count):
        return np.array([[p**i for i in range(count)] for p in points] + [[0.0] * (count - 1) + [1.0]])

    return rows(3).T, rows(3), np.linalg.inv(rows(5)).T


def correlate(g, d):
    return np.array([sum(g[k] * d[i + k] for k in range(3)) for i in range(3)])


def test_the_matrices_compute_the_correlation(rng):
    for _ in range(20):
        g, d = rng.standard_normal(3), rng.standard_normal(5)
        expected = correlate(g, d)
        assert np.allclose(winograd.A_T @ ((winograd.G @ g) * (winograd.B_T @ d)), expected, rtol=1e-12, atol=1e-12)
        a, gm, b = toom_cook([0, 1, -1, 2])
        assert np.allclose(a @ ((gm @ g) * (b @ d)), expected, rtol=1e-12, atol=1e-12)


def test_the_matrices_are_toom_cooks_up_to_a_row_scaling():
    a, g, b = toom_cook([0, 1, -1, 2])
    scale = np.array([row[np.flatnonzero(row)[0]] for row in winograd.B_T]) / np.array(
        [row[np.flatnonzero(row)[0]] for row in b])
    assert np.allclose(winograd.B_T, b * scale[:, None])
    assert np.allclose(winograd.G, g / scale[:, None])
    assert np.allclose(winograd.A_T, a)
    assert np.array_equal(winograd.B_T, np.round(winograd.B_T))  # the input transform is adds only


@pytest.mark.parametrize("k,d,c", [(3, 1, 5), (7, 3, 4), (11, 5, 3), (2, 2, 6), (4, 1, 7), (13, 1, 2)])
def test_many_blocks_and_pieces_match_the_definition(rng, monkeypatch, k, d, c):
    # small blocks, so that a call runs many blocks over both workers and every phase
    monkeypatch.setattr(winograd.tuning, "WINOGRAD_BLOCK_BYTES", 1)
    n, length, p = 2, 3 * d * 40 + 5, d * (k - 1) // 2
    x = rng.standard_normal((n, c, length))
    w = rng.standard_normal((c + 1, c, k))
    b = rng.standard_normal(c + 1)
    y = kernels.conv1d(x, w, 1, p, d, 1, bias=b, method="winograd_compiled")
    np.testing.assert_allclose(y, naive_conv1d(x, w, 1, p, d, 1) + b[:, None], rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(y.shape)
    gx = kernels.conv1d_grad_input(g, w, length, 1, p, d, 1, method="winograd_compiled")
    np.testing.assert_allclose(gx, naive_conv_transpose1d(g, w, length, 1, p, d, 1), rtol=1e-10, atol=1e-10)


def test_float32_error_stays_near_the_rounding_of_the_dense_sum(rng):
    x = rng.standard_normal((1, 64, 3000), dtype=np.float32)
    w = (rng.standard_normal((64, 64, 11)) / np.sqrt(64 * 11)).astype(np.float32)
    y = kernels.conv1d(x, w, 1, 25, 5, 1, method="winograd_compiled")
    reference = naive_conv1d(x.astype(np.float64), w.astype(np.float64), 1, 25, 5, 1)
    assert np.abs(y - reference).max() <= 2e-5 * np.abs(reference).max()


def test_blas_threads_restores_the_count_after_nested_and_concurrent_use():
    setter = ws._blas_setter()
    if setter is None:
        pytest.skip("no OpenBLAS thread setter in this NumPy")
    before = setter(3)
    try:
        barrier = threading.Barrier(2)

        def inside():
            with ws.blas_threads(1):
                barrier.wait()
                with ws.blas_threads(1):
                    pass
                barrier.wait()

        threads = [threading.Thread(target=inside) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert setter(3) == 3
    finally:
        setter(before)
