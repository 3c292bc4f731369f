"""The stride-1 per-tap-GEMM forms of the transposed forward and the weight gradient (no shifted
copy, no im2col) against the loop definitions.

They run only on long signals with few channels per tap; the thresholds are lowered here so
small odd shapes exercise them, including taps that reach no position at all and chunking.
"""

import numpy as np
import pytest

from lucid.kernels import conv as kernels

from .test_conv_paths import naive_conv_transpose1d, naive_grad_weight, out_length, tolerance

# (N, C_in, C_out, K, padding, dilation, groups, L)
SHAPES = {
    "dilated": (2, 5, 3, 3, 2, 2, 1, 17),
    "grouped": (3, 6, 4, 4, 1, 1, 2, 11),
    "wide-padding": (1, 3, 5, 3, 6, 1, 1, 5),  # taps cover different parts of the output; its edges stay zero
    "sparse-taps": (2, 3, 4, 5, 6, 3, 1, 2),  # only one tap reaches the signal
    "long-kernel": (2, 4, 4, 7, 3, 3, 2, 25),
    "single-tap": (2, 3, 2, 1, 0, 1, 1, 13),
    "depthwise": (1, 4, 4, 3, 1, 1, 4, 10),
}


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.fixture(params=[None, 1, 200], ids=["one-chunk", "budget-1", "budget-200"])
def unit_stride(request, monkeypatch):
    monkeypatch.setattr(kernels, "UNIT_STRIDE_MIN_POSITIONS", 1)
    monkeypatch.setattr(kernels, "UNIT_STRIDE_MAX_CONTRACTION", 1 << 20)
    if request.param is not None:
        monkeypatch.setattr(kernels, "WORKSPACE_BYTES", request.param)


@pytest.mark.parametrize("bias", [False, True], ids=["no-bias", "bias"])
@pytest.mark.parametrize("name", list(SHAPES))
def test_unit_stride_kernels_match_the_definitions(rng, unit_stride, name, bias, dtype):
    n, c_in, c_out, k, p, d, groups, length = SHAPES[name]
    l_out = out_length(length, k, 1, p, d)
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    y = rng.standard_normal((n, c_out, l_out)).astype(dtype)
    b_in = rng.standard_normal(c_in).astype(dtype) if bias else None
    tol = tolerance(dtype)

    got = kernels._grad_input_unit_stride(y, w, length, p, d, groups, b_in)
    want = naive_conv_transpose1d(y, w, length, 1, p, d, groups) + (0 if b_in is None else b_in.reshape(1, -1, 1))
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, **tol)
    np.testing.assert_allclose(kernels.conv1d_grad_input(y, w, length, 1, p, d, groups, bias=b_in, method="polyphase"),
                               want, **tol)

    want = naive_grad_weight(x, y, k, 1, p, d, groups)
    for got in (kernels._grad_weight_unit_stride(x, y, k, p, d, groups),
                kernels.conv1d_grad_weight(x, y, k, 1, p, d, groups, method="polyphase"),
                kernels.conv1d_grad_weight(x, y, k, 1, p, d, groups)):
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, **tol)


def test_auto_runs_the_unit_stride_form_on_long_narrow_signals(rng, monkeypatch):
    """Without the compiled kernels (which take such narrow layers themselves, see test_conv_compiled)."""
    monkeypatch.setattr(kernels, "_use_compiled", [False])
    calls = []
    for fn in ("_grad_input_unit_stride", "_grad_weight_unit_stride"):
        original = getattr(kernels, fn)
        monkeypatch.setattr(kernels, fn, lambda *a, _f=original, _n=fn: calls.append(_n) or _f(*a))
    x = rng.standard_normal((1, 8, kernels.UNIT_STRIDE_MIN_POSITIONS)).astype(np.float32)
    w = rng.standard_normal((8, 8, 3)).astype(np.float32)
    y = kernels.conv1d(x, w, 1, 2, 2, 1)
    assert kernels.auto_method("conv1d_grad_input", y.shape, w.shape, 1, 2, 2, 1, length=x.shape[-1]) == "polyphase"
    np.testing.assert_allclose(kernels.conv1d_grad_input(y, w, x.shape[-1], 1, 2, 2, 1),
                               naive_conv_transpose1d(y, w, x.shape[-1], 1, 2, 2, 1), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(kernels.conv1d_grad_weight(x, y, 3, 1, 2, 2, 1),
                               naive_grad_weight(x, y, 3, 1, 2, 2, 1), rtol=1e-4, atol=1e-2)
    assert calls == ["_grad_input_unit_stride", "_grad_weight_unit_stride"]
    # short signals, strided ones and wide contractions keep the copying formulations
    calls.clear()
    short = x[..., :64]
    kernels.conv1d_grad_input(kernels.conv1d(short, w, 1, 2, 2, 1), w, 64, 1, 2, 2, 1, method="polyphase")
    kernels.conv1d_grad_weight(x, kernels.conv1d(x, w, 2, 2, 2, 1), 3, 2, 2, 2, 1)
    wide = rng.standard_normal((2 * kernels.UNIT_STRIDE_MAX_CONTRACTION, 8, 3)).astype(np.float32)
    kernels.conv1d_grad_input(kernels.conv1d(x, wide, 1, 2, 2, 1), wide, x.shape[-1], 1, 2, 2, 1, method="polyphase")
    assert calls == []
