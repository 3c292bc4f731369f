"""numba's compiled loops (lucid.kernels._compiled, the ``fast`` extra) against the definitions.

Skipped without numba; ``LUCID_NO_NUMBA=1`` or ``formulation(None, compiled=False)`` keep the
NumPy paths, which test_conv_paths.py covers whether numba is installed or not.
"""

import numpy as np
import pytest

pytest.importorskip("numba")

from lucid.kernels import _compiled  # noqa: E402
from lucid.kernels import conv as kernels  # noqa: E402

from .test_conv_paths import (  # noqa: E402
    naive_conv1d, naive_conv_transpose1d, naive_grad_weight, out_length, tolerance)

if not _compiled.AVAILABLE:
    pytest.skip("compiled kernels switched off (LUCID_NO_NUMBA) or unusable", allow_module_level=True)

# (N, C_in, C_out, K, stride, padding, dilation, groups, L): direct (depthwise) and col2im (K <= 8) shapes
SHAPES = {
    "depthwise": (2, 6, 6, 4, 2, 1, 1, 6, 19),
    "depthwise-multiplier": (2, 3, 6, 3, 2, 1, 1, 3, 7),
    "depthwise-dilated": (1, 4, 4, 3, 1, 2, 2, 4, 9),
    "grouped-wide-padding": (1, 4, 4, 3, 3, 5, 1, 2, 4),
    "dense-strided": (3, 4, 6, 4, 2, 1, 1, 1, 300),
    "dense-dilated": (2, 3, 2, 5, 2, 3, 3, 1, 40),
    # the gather kernel's leftovers: channel counts that are not multiples of its blocks of 4
    "gather-odd-channels": (2, 7, 5, 5, 3, 2, 1, 1, 50),
    "gather-grouped": (2, 12, 8, 4, 2, 1, 1, 2, 40),
    "gather-stride-above-kernel": (1, 5, 6, 2, 4, 1, 1, 1, 30),
}


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.mark.parametrize("method", ["direct", "gemm"])
@pytest.mark.parametrize("name", list(SHAPES))
def test_compiled_paths_match_the_definition_and_numpy(rng, name, method, dtype):
    n, c_in, c_out, k, s, p, d, groups, length = SHAPES[name]
    l_out = out_length(length, k, s, p, d)
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    y = rng.standard_normal((n, c_out, l_out)).astype(dtype)
    b = rng.standard_normal(c_in).astype(dtype)
    tol = tolerance(dtype)
    results = {}
    for compiled in (True, False):
        with kernels.formulation(method, compiled=compiled):
            results[compiled] = (
                kernels.conv1d(x, w, s, p, d, groups),
                kernels.conv1d(x, w, s, p, d, groups, bias=b[:c_out] if c_out <= c_in else None),
                kernels.conv1d_grad_input(y, w, length, s, p, d, groups),
                kernels.conv1d_grad_input(y, w, length, s, p, d, groups, bias=b),
                kernels.conv1d_grad_weight(x, y, k, s, p, d, groups),
            )
    got = results[True]
    assert all(a.dtype == dtype for a in got)
    np.testing.assert_allclose(got[0], naive_conv1d(x, w, s, p, d, groups), **tol)
    np.testing.assert_allclose(got[2], naive_conv_transpose1d(y, w, length, s, p, d, groups), **tol)
    np.testing.assert_allclose(got[3], naive_conv_transpose1d(y, w, length, s, p, d, groups) + b[:, None], **tol)
    np.testing.assert_allclose(got[4], naive_grad_weight(x, y, k, s, p, d, groups), **tol)
    for a, c in zip(got, results[False]):
        np.testing.assert_allclose(a, c, **tol)


def test_col2im_runs_compiled_across_chunks(rng, monkeypatch):
    # a budget of a few columns splits batch and positions; every chunk must add, only the first initialise
    monkeypatch.setattr(kernels, "WORKSPACE_BYTES", 2048)
    x = rng.standard_normal((2, 4, 150))
    w = rng.standard_normal((4, 3, 4))
    b = rng.standard_normal(3)
    with kernels.formulation("gemm"):
        got = kernels.conv1d_grad_input(x, w, 300, 2, 1, 1, 1, bias=b)
    np.testing.assert_allclose(got, naive_conv_transpose1d(x, w, 300, 2, 1, 1, 1) + b[:, None], rtol=1e-10, atol=1e-10)


def test_the_switch_keeps_numpy(monkeypatch):
    calls = []
    monkeypatch.setattr(_compiled, "get", lambda name: calls.append(name))
    x = np.ones((1, 2, 8))
    w = np.ones((2, 1, 3))
    with kernels.formulation("direct", compiled=False):
        kernels.conv1d(x, w, 1, 1, 1, 2)
    assert calls == []
    with kernels.formulation("direct"):
        kernels.conv1d(x, w, 1, 1, 1, 2)  # get() returning None falls back to NumPy
    assert calls == ["direct_conv1d"]


@pytest.mark.parametrize("block", [1, 7, kernels.GATHER_BLOCK])
def test_the_gather_kernels_agree_across_position_blocks(rng, monkeypatch, block):
    """Each job reads a zero-padded, phase-split window of its block; no block edge may lose a tap,
    and the weight gradient's per-worker partial sums must add up."""
    monkeypatch.setattr(kernels, "GATHER_BLOCK", block)
    y = rng.standard_normal((2, 9, 70))
    w = rng.standard_normal((9, 6, 5))
    b = rng.standard_normal(6)
    tol = dict(rtol=1e-10, atol=1e-10)
    for s, p, d in [(2, 1, 1), (3, 4, 2), (1, 2, 3)]:
        length = (70 - 1) * s - 2 * p + d * 4 + 1
        x = rng.standard_normal((2, 6, length))
        with kernels.formulation("direct"):
            got_x = kernels.conv1d_grad_input(y, w, length, s, p, d, 1, bias=b)
            got_y = kernels.conv1d(x, w, s, p, d, 1, bias=b[:1].repeat(9))
            got_w = kernels.conv1d_grad_weight(x, y, 5, s, p, d, 1)
        np.testing.assert_allclose(got_x, naive_conv_transpose1d(y, w, length, s, p, d, 1) + b[:, None], **tol)
        np.testing.assert_allclose(got_y, naive_conv1d(x, w, s, p, d, 1) + b[0], **tol)
        np.testing.assert_allclose(got_w, naive_grad_weight(x, y, 5, s, p, d, 1), **tol)


def test_auto_gathers_narrow_transposed_convolutions_and_keeps_gemms_for_wide_ones():
    # seq-decoder: each output sums 32 channels x 2 taps; hifigan-up1: 512 x 2
    assert kernels.auto_method("conv1d_grad_input", (16, 32, 1024), (32, 16, 4), 2, 1, 1, 1, length=2048) == "direct"
    assert kernels.auto_method("conv1d_grad_input", (4, 512, 128), (512, 256, 16), 8, 4, 1, 1, length=1024) != "direct"
    with kernels.formulation(None, compiled=False):
        assert kernels.auto_method("conv1d_grad_input", (16, 32, 1024), (32, 16, 4), 2, 1, 1, 1,
                                   length=2048) != "direct"


@pytest.mark.parametrize("k, s, p, d, groups", [(16, 8, 4, 1, 1), (5, 2, 3, 3, 2), (2, 4, 1, 1, 1), (7, 3, 0, 2, 3)])
def test_the_compiled_phase_weight_is_numpys_layout(rng, k, s, p, d, groups):
    """The polyphase kernels' rearranged weight, zeros where no tap lands included."""
    w = rng.standard_normal((6 * groups, 5, k)).astype(np.float32)
    taps = kernels._taps(k, s, p, d)
    shifts = tuple(sorted({q for _, q, _ in taps}))
    got = kernels._phase_weight(np, w, groups, taps, s, shifts)
    with kernels.formulation(None, compiled=False):
        expected = kernels._phase_weight(np, w, groups, taps, s, shifts)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("samples_per_chunk", [1, 2, None])
@pytest.mark.parametrize("n, c_in, c_out, k, s, p, d, groups, length", [
    (3, 4, 6, 4, 2, 1, 1, 1, 200),     # seq-decoder-like
    (2, 6, 4, 16, 8, 4, 1, 2, 400),    # hifigan-like, grouped
    (2, 3, 5, 5, 3, 7, 2, 1, 200),     # dilated, wide padding
    (2, 2, 2, 3, 5, 0, 1, 1, 300),     # stride above kernel: phases no tap writes
])
def test_the_compiled_col2im_of_the_gemm_route_matches_the_definition(
        rng, monkeypatch, samples_per_chunk, n, c_in, c_out, k, s, p, d, groups, length):
    """Past the tiny-call scatter matrix, gemm's transposed forward runs one GEMM per chunk of whole
    samples and numba's col2im_phases; chunks of 1 and 2 samples must agree with the whole batch."""
    l_out = out_length(length, k, s, p, d)
    assert k * l_out * length > kernels.TINY_SCATTER
    y = rng.standard_normal((n, c_out, l_out))
    w = rng.standard_normal((c_out, c_in // groups, k))
    b = rng.standard_normal(c_in)
    if samples_per_chunk is not None:
        monkeypatch.setattr(kernels, "WORKSPACE_BYTES", samples_per_chunk * 8 * c_in * k * l_out)
    assert kernels._compiles_col2im(np, y.shape, w.shape, groups)
    with kernels.formulation("gemm"):
        got = kernels.conv1d_grad_input(y, w, length, s, p, d, groups, bias=b)
    np.testing.assert_allclose(got, naive_conv_transpose1d(y, w, length, s, p, d, groups) + b[:, None],
                               rtol=1e-10, atol=1e-10)
