"""numba's compiled loops (the ``fast`` extra) at the edges the leaf grid does not reach.

Skipped without numba; test_conv_paths.py runs every applicable leaf whether numba is there or not.
"""

import numpy as np
import pytest

pytest.importorskip("numba")

from lucid.kernels import _compiled  # noqa: E402
from lucid.kernels import conv as kernels  # noqa: E402
from lucid.kernels.conv import polyphase, tuning  # noqa: E402
from lucid.kernels.conv import workspace  # noqa: E402

from .test_conv_paths import naive_conv1d, naive_conv_transpose1d, naive_grad_weight, out_length  # noqa: E402

if not _compiled.AVAILABLE:
    pytest.skip("compiled kernels switched off (LUCID_NO_NUMBA) or unusable", allow_module_level=True)

# (N, C_in, C_out, K, stride, padding, dilation, groups, L)
SHAPES = {
    "depthwise-dilated": (1, 4, 4, 3, 1, 2, 2, 4, 9),
    "grouped-wide-padding": (1, 4, 4, 3, 3, 5, 1, 2, 4),
    # the gather kernel's leftovers: channel counts that are not multiples of its blocks of 4
    "gather-odd-channels": (2, 7, 5, 5, 3, 2, 1, 1, 50),
    "gather-grouped": (2, 12, 8, 4, 2, 1, 1, 2, 40),
    "gather-stride-above-kernel": (1, 5, 6, 2, 4, 1, 1, 1, 30),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_compiled_leaves_match_the_definition_on_odd_shapes(rng, name):
    n, c_in, c_out, k, s, p, d, groups, length = SHAPES[name]
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in // groups, k))
    y = rng.standard_normal((n, c_out, out_length(length, k, s, p, d)))
    case = kernels.make_case(x.shape, w.shape, length, s, p, d, groups, 8)
    tol = dict(rtol=1e-10, atol=1e-10)
    for leaf in kernels.applicable("conv1d", case):
        np.testing.assert_allclose(kernels.conv1d(x, w, s, p, d, groups, method=leaf.name),
                                   naive_conv1d(x, w, s, p, d, groups), **tol)
    for leaf in kernels.applicable("grad_input", case):
        np.testing.assert_allclose(kernels.conv1d_grad_input(y, w, length, s, p, d, groups, method=leaf.name),
                                   naive_conv_transpose1d(y, w, length, s, p, d, groups), **tol)
    for leaf in kernels.applicable("grad_weight", case):
        np.testing.assert_allclose(kernels.conv1d_grad_weight(x, y, k, s, p, d, groups, method=leaf.name),
                                   naive_grad_weight(x, y, k, s, p, d, groups), **tol)


def test_a_numba_that_fails_to_load_leaves_only_numpy_leaves(monkeypatch):
    monkeypatch.setattr(_compiled, "get", lambda name: None)
    case = kernels.make_case((1, 2, 8), (2, 1, 3), 8, 1, 1, 1, 2)
    for op in kernels.OPS:
        assert not any(leaf.name.endswith("_compiled") for leaf in kernels.applicable(op, case))
    np.testing.assert_allclose(kernels.conv1d(np.ones((1, 2, 8)), np.ones((2, 1, 3)), 1, 1, 1, 2)[0, 0, 1:-1], 3.0)


@pytest.mark.parametrize("block", [1, 7, tuning.GATHER_BLOCK])
def test_the_gather_kernels_agree_across_position_blocks(rng, monkeypatch, block):
    """Each job reads a zero-padded, phase-split window of its block; no block edge may lose a tap,
    and the weight gradient's per-worker partial sums must add up."""
    monkeypatch.setattr(tuning, "GATHER_BLOCK", block)
    y = rng.standard_normal((2, 9, 70))
    w = rng.standard_normal((9, 6, 5))
    b = rng.standard_normal(6)
    tol = dict(rtol=1e-10, atol=1e-10)
    for s, p, d in [(2, 1, 1), (3, 4, 2), (1, 2, 3)]:
        length = (70 - 1) * s - 2 * p + d * 4 + 1
        x = rng.standard_normal((2, 6, length))
        got_x = kernels.conv1d_grad_input(y, w, length, s, p, d, 1, bias=b, method="gather_compiled")
        got_y = kernels.conv1d(x, w, s, p, d, 1, bias=b[:1].repeat(9), method="gather_compiled")
        got_w = kernels.conv1d_grad_weight(x, y, 5, s, p, d, 1, method="gather_compiled")
        np.testing.assert_allclose(got_x, naive_conv_transpose1d(y, w, length, s, p, d, 1) + b[:, None], **tol)
        np.testing.assert_allclose(got_y, naive_conv1d(x, w, s, p, d, 1) + b[0], **tol)
        np.testing.assert_allclose(got_w, naive_grad_weight(x, y, 5, s, p, d, 1), **tol)


@pytest.mark.parametrize("k, s, p, d, groups", [(16, 8, 4, 1, 1), (5, 2, 3, 3, 2), (2, 4, 1, 1, 1), (7, 3, 0, 2, 3)])
def test_the_compiled_phase_weight_is_numpys_layout(rng, k, s, p, d, groups):
    """The polyphase kernels' rearranged weight, zeros where no tap lands included."""
    w = rng.standard_normal((6 * groups, 5, k)).astype(np.float32)
    case = kernels.make_case((1, 5 * groups, 64), w.shape, 64, s, p, d, groups)
    got = polyphase.phase_weight(case, w)
    with workspace.compiled_kernels(False):
        expected = polyphase.phase_weight(case, w)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("samples_per_chunk", [1, 2, None])
@pytest.mark.parametrize("n, c_in, c_out, k, s, p, d, groups, length", [
    (3, 4, 6, 4, 2, 1, 1, 1, 200),     # seq-decoder-like
    (2, 6, 4, 16, 8, 4, 1, 2, 400),    # hifigan-like, grouped
    (2, 3, 5, 5, 3, 7, 2, 1, 200),     # dilated, wide padding
    (2, 2, 2, 3, 5, 0, 1, 1, 300),     # stride above kernel: phases no tap writes
])
def test_the_compiled_col2im_matches_the_definition_in_chunks_of_samples(
        rng, monkeypatch, samples_per_chunk, n, c_in, c_out, k, s, p, d, groups, length):
    l_out = out_length(length, k, s, p, d)
    y = rng.standard_normal((n, c_out, l_out))
    w = rng.standard_normal((c_out, c_in // groups, k))
    b = rng.standard_normal(c_in)
    if samples_per_chunk is not None:
        monkeypatch.setattr(tuning, "WORKSPACE_BYTES", samples_per_chunk * 8 * c_in * k * l_out)
    got = kernels.conv1d_grad_input(y, w, length, s, p, d, groups, bias=b, method="col2im_compiled")
    np.testing.assert_allclose(got, naive_conv_transpose1d(y, w, length, s, p, d, groups) + b[:, None],
                               rtol=1e-10, atol=1e-10)
