"""Every formulation of the 1-d convolution kernels against loops written from the definition.

The kernels pick polyphase, gemm or direct per shape; each is forced here (``method=`` and
the ``formulation`` context manager) so a path the suite's shapes never choose stays tested.
"""

import numpy as np
import pytest

from lucid.kernels import conv as kernels

METHODS = kernels.METHODS + ("auto",)

# (N, C_in, C_out, K, stride, padding, dilation, groups, L) of conv1d (w is (C_out, C_in // groups, K))
GRID = {
    "plain": (2, 3, 4, 3, 1, 0, 1, 1, 7),
    "strided-padded": (2, 4, 6, 4, 2, 1, 1, 2, 9),
    "kernel-multiple-of-stride": (2, 4, 2, 8, 4, 2, 1, 2, 10),
    "stride-above-kernel": (2, 3, 3, 2, 5, 1, 1, 3, 12),
    "pointwise-stride-3": (1, 2, 2, 1, 3, 0, 1, 1, 5),
    "dilated": (2, 4, 4, 3, 1, 2, 2, 1, 11),
    "dilated-strided": (2, 2, 4, 4, 4, 1, 2, 1, 9),
    "dilation-3-stride-2": (1, 4, 2, 5, 2, 3, 3, 2, 13),
    "depthwise": (2, 6, 6, 4, 2, 1, 1, 6, 8),
    "depthwise-multiplier": (2, 3, 6, 3, 2, 1, 1, 3, 7),
    "wide-padding": (1, 2, 3, 3, 2, 4, 1, 1, 5),
    "length-1": (2, 3, 2, 1, 1, 0, 1, 1, 1),
    "length-1-padded": (1, 2, 2, 3, 1, 1, 1, 1, 1),
    "long": (2, 4, 4, 3, 2, 1, 1, 2, 600),  # >= 256 output positions: one GEMM per sample
    # more taps than UNFOLD_LOOP_MAX_TAPS: im2col as one strided copy
    "many-taps": (2, 3, 2, 40, 8, 5, 1, 1, 90),
    "many-taps-dilated-grouped": (2, 4, 2, 36, 3, 40, 2, 2, 60),
    "many-taps-long": (2, 2, 2, 34, 1, 3, 1, 1, 300),
}


def out_length(length, k, s, p, d):
    return (length + 2 * p - d * (k - 1) - 1) // s + 1


def naive_conv1d(x, w, s, p, d, groups):
    n, c_in, length = x.shape
    c_out, c_group, k = w.shape
    o_group = c_out // groups
    y = np.zeros((n, c_out, out_length(length, k, s, p, d)), dtype=np.float64)
    for g in range(groups):
        xs, ws = x[:, g * c_group : (g + 1) * c_group], w[g * o_group : (g + 1) * o_group]
        for tap in range(k):
            for l in range(y.shape[-1]):
                t = l * s + tap * d - p
                if 0 <= t < length:
                    y[:, g * o_group : (g + 1) * o_group, l] += xs[:, :, t] @ ws[:, :, tap].T
    return y


def naive_conv_transpose1d(y, w, length, s, p, d, groups):
    """Scatter each input column of the transposed convolution over the taps it writes."""
    n, c_out, l_out = y.shape
    _, c_group, k = w.shape
    o_group = c_out // groups
    x = np.zeros((n, groups * c_group, length), dtype=np.float64)
    for g in range(groups):
        ys, ws = y[:, g * o_group : (g + 1) * o_group], w[g * o_group : (g + 1) * o_group]
        for tap in range(k):
            for l in range(l_out):
                t = l * s + tap * d - p
                if 0 <= t < length:
                    x[:, g * c_group : (g + 1) * c_group, t] += ys[:, :, l] @ ws[:, :, tap]
    return x


def naive_grad_weight(x, y, k, s, p, d, groups):
    n, c_in, length = x.shape
    _, c_out, l_out = y.shape
    c_group, o_group = c_in // groups, c_out // groups
    gw = np.zeros((c_out, c_group, k), dtype=np.float64)
    for g in range(groups):
        xs, ys = x[:, g * c_group : (g + 1) * c_group], y[:, g * o_group : (g + 1) * o_group]
        for tap in range(k):
            for l in range(l_out):
                t = l * s + tap * d - p
                if 0 <= t < length:
                    gw[g * o_group : (g + 1) * o_group, :, tap] += ys[:, :, l].T @ xs[:, :, t]
    return gw


def tolerance(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


def cases():
    for name, shape in GRID.items():
        s, d = shape[4], shape[6]
        for extra in range(max(s, d)):  # output_padding of the transposed conv: the same L_out, a longer input
            yield pytest.param(shape, extra, id=f"{name}-op{extra}")


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape, extra", list(cases()))
def test_every_formulation_matches_the_definition(rng, shape, extra, method, dtype):
    n, c_in, c_out, k, s, p, d, groups, length = shape
    l_out = out_length(length, k, s, p, d)
    length += extra
    if out_length(length, k, s, p, d) != l_out:
        pytest.skip("this output_padding changes L_out")
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    y = rng.standard_normal((n, c_out, l_out)).astype(dtype)
    b = rng.standard_normal(c_in).astype(dtype)
    method = None if method == "auto" else method
    tol = tolerance(dtype)

    got = kernels.conv1d(x, w, s, p, d, groups, method=method)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, naive_conv1d(x, w, s, p, d, groups), **tol)

    got = kernels.conv1d_grad_input(y, w, length, s, p, d, groups, method=method)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_allclose(got, naive_conv_transpose1d(y, w, length, s, p, d, groups), **tol)

    got = kernels.conv1d_grad_input(y, w, length, s, p, d, groups, bias=b, method=method)
    expected = naive_conv_transpose1d(y, w, length, s, p, d, groups) + b[:, None]
    np.testing.assert_allclose(got, expected, **tol)

    got = kernels.conv1d_grad_weight(x, y, k, s, p, d, groups, method=method)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, naive_grad_weight(x, y, k, s, p, d, groups), **tol)

    # the transposed convolution's backward pair, sharing one im2col of the long signal
    got_y, got_w = kernels.conv1d_and_grad_weight(x, w, y, s, p, d, groups, method=method)
    np.testing.assert_allclose(got_y, naive_conv1d(x, w, s, p, d, groups), **tol)
    np.testing.assert_allclose(got_w, naive_grad_weight(x, y, k, s, p, d, groups), **tol)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(GRID))
def test_grad_input_is_the_adjoint_of_conv1d(rng, name, method):
    """<conv1d(x), y> == <x, conv1d_grad_input(y)> for every formulation."""
    n, c_in, c_out, k, s, p, d, groups, length = GRID[name]
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in // groups, k))
    y = rng.standard_normal((n, c_out, out_length(length, k, s, p, d)))
    method = None if method == "auto" else method
    lhs = np.vdot(kernels.conv1d(x, w, s, p, d, groups, method=method), y)
    rhs = np.vdot(x, kernels.conv1d_grad_input(y, w, length, s, p, d, groups, method=method))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("method", kernels.METHODS)
@pytest.mark.parametrize("name", ["strided-padded", "dilated-strided", "depthwise", "length-1-padded", "long",
                                  "many-taps-dilated-grouped"])
def test_chunked_and_blocked_runs_give_the_same_result(rng, monkeypatch, name, method):
    """A tiny workspace budget forces one chunk per batch row and position block; a zero
    parallel threshold sends every copy through the thread pool."""
    n, c_in, c_out, k, s, p, d, groups, length = GRID[name]
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in // groups, k))
    y = rng.standard_normal((n, c_out, out_length(length, k, s, p, d)))
    whole = (kernels.conv1d(x, w, s, p, d, groups, method=method),
             kernels.conv1d_grad_input(y, w, length, s, p, d, groups, method=method),
             kernels.conv1d_grad_weight(x, y, k, s, p, d, groups, method=method))
    monkeypatch.setattr(kernels, "WORKSPACE_BYTES", 1)
    monkeypatch.setattr(kernels, "DIRECT_BLOCK_BYTES", 1)
    monkeypatch.setattr(kernels, "PARALLEL_BYTES", 0)
    chunked = (kernels.conv1d(x, w, s, p, d, groups, method=method),
               kernels.conv1d_grad_input(y, w, length, s, p, d, groups, method=method),
               kernels.conv1d_grad_weight(x, y, k, s, p, d, groups, method=method))
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_the_formulation_context_manager_forces_a_path_and_restores_auto(rng, monkeypatch):
    called = []
    for name in ("_grad_input_polyphase", "_grad_input_gemm", "_grad_input_direct"):
        original = getattr(kernels, name)
        monkeypatch.setattr(kernels, name, lambda *a, _f=original, _n=name: called.append(_n) or _f(*a))
    y = rng.standard_normal((1, 4, 5))
    w = rng.standard_normal((4, 2, 3))
    for method in kernels.METHODS:
        with kernels.formulation(method):
            kernels.conv1d_grad_input(y, w, 11, 2, 0, 1, 1)
        assert called[-1] == f"_grad_input_{method}"
    kernels.conv1d_grad_input(y, w, 11, 2, 0, 1, 1, method="direct")  # the keyword wins outside a block
    assert called[-1] == "_grad_input_direct"


def test_an_unknown_formulation_is_rejected():
    with pytest.raises(ValueError, match="method must be"):
        with kernels.formulation("fft"):
            pass
    with pytest.raises(ValueError, match="method must be"):
        kernels.conv1d(np.zeros((1, 1, 4)), np.zeros((1, 1, 2)), 1, 0, 1, 1, method="fft")


@pytest.mark.parametrize("budget", [1, 1 << 12])
@pytest.mark.parametrize("name", ["strided-padded", "dilated-strided", "wide-padding", "length-1-padded", "long",
                                  "many-taps-long"])
def test_the_backward_pair_and_transposed_forward_agree_across_chunkings(rng, monkeypatch, name, budget):
    """Chunks of one sample and of a block of positions: the pair's GEMM writes rows of y in
    place and the transposed forward writes its phase GEMMs into the chunk's phase buffer."""
    n, c_in, c_out, k, s, p, d, groups, length = GRID[name]
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in // groups, k))
    y = rng.standard_normal((n, c_out, out_length(length, k, s, p, d)))
    b = rng.standard_normal(c_in)
    monkeypatch.setattr(kernels, "WORKSPACE_BYTES", budget)
    monkeypatch.setattr(kernels, "PARALLEL_BYTES", 0)
    got_y, got_w = kernels.conv1d_and_grad_weight(x, w, y, s, p, d, groups, method="gemm")
    np.testing.assert_allclose(got_y, naive_conv1d(x, w, s, p, d, groups), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got_w, naive_grad_weight(x, y, k, s, p, d, groups), rtol=1e-10, atol=1e-10)
    got = kernels.conv1d_grad_input(y, w, length, s, p, d, groups, bias=b, method="polyphase")
    expected = naive_conv_transpose1d(y, w, length, s, p, d, groups) + b[:, None]
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", ["strided-padded", "dilated", "depthwise", "long"])
def test_weight_gradients_are_new_arrays_that_own_their_memory(rng, name, method):
    """The autograd engine adopts a gradient as ``.grad`` without a copy only when it is not a
    view; a weight gradient as large as the weight must not pay that copy."""
    n, c_in, c_out, k, s, p, d, groups, length = GRID[name]
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in // groups, k))
    y = rng.standard_normal((n, c_out, out_length(length, k, s, p, d)))
    method = None if method == "auto" else method
    gw = kernels.conv1d_grad_weight(x, y, k, s, p, d, groups, method=method)
    _, gw_pair = kernels.conv1d_and_grad_weight(x, w, y, s, p, d, groups, method=method)
    for got in (gw, gw_pair):
        assert got.base is None and got.flags.c_contiguous and got.shape == w.shape
