"""Every leaf of the 1-d convolution kernels against loops written from the definition.

``choose`` picks one leaf per shape; each applicable leaf is forced here through ``method=`` so a
formulation the suite's shapes never choose stays tested.
"""

import numpy as np
import pytest

from lucid.kernels import conv as kernels
from lucid.kernels.conv import tuning

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
    # the depthwise loops split the signal into its 3 phases; taps start in different phases
    "depthwise-dilated-stride-3": (2, 4, 4, 3, 3, 2, 2, 4, 17),
    "wide-padding": (1, 2, 3, 3, 2, 4, 1, 1, 5),
    "length-1": (2, 3, 2, 1, 1, 0, 1, 1, 1),
    "length-1-padded": (1, 2, 2, 3, 1, 1, 1, 1, 1),
    "long": (2, 4, 4, 3, 2, 1, 1, 2, 600),  # >= 256 output positions: one GEMM per sample
    # more taps than UNFOLD_LOOP_MAX_TAPS: im2col as one strided copy
    "many-taps": (2, 3, 2, 40, 8, 5, 1, 1, 90),
    "many-taps-dilated-grouped": (2, 4, 2, 36, 3, 40, 2, 2, 60),
    "many-taps-long": (2, 2, 2, 34, 1, 3, 1, 1, 300),
    "same-dilated-long": (1, 4, 4, 3, 1, 5, 5, 1, 700),  # a residual block's "same" conv
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


def case_of(shape, length=None):
    n, c_in, c_out, k, s, p, d, groups, base = shape
    return kernels.make_case((n, c_in, base), (c_out, c_in // groups, k), base if length is None else length, s, p, d,
                             groups, out_length=out_length(base, k, s, p, d))


def leaf_params(names=GRID):
    """(shape, op, leaf name) for every leaf that applies to a grid shape (here: numba or not)."""
    for name in names:
        case = case_of(GRID[name])
        for op in kernels.OPS:
            for leaf in kernels.applicable(op, case):
                yield pytest.param(GRID[name], op, leaf.name, id=f"{name}-{op}-{leaf.name}")


def run(op, method, x, w, y, shape, length, bias=None):
    n, c_in, c_out, k, s, p, d, groups, _ = shape
    if op == "conv1d":
        return kernels.conv1d(x, w, s, p, d, groups, bias=bias, method=method)
    if op == "grad_input":
        return kernels.conv1d_grad_input(y, w, length, s, p, d, groups, bias=bias, method=method)
    return kernels.conv1d_grad_weight(x, y, k, s, p, d, groups, method=method)


def expected(op, x, w, y, shape, length):
    n, c_in, c_out, k, s, p, d, groups, _ = shape
    if op == "conv1d":
        return naive_conv1d(x, w, s, p, d, groups)
    if op == "grad_input":
        return naive_conv_transpose1d(y, w, length, s, p, d, groups)
    return naive_grad_weight(x, y, k, s, p, d, groups)


def arrays(rng, shape, length, dtype=np.float64):
    n, c_in, c_out, k, s, p, d, groups, base = shape
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    y = rng.standard_normal((n, c_out, out_length(base, k, s, p, d))).astype(dtype)
    return x, w, y


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.mark.parametrize("shape, op, method", list(leaf_params()))
def test_every_leaf_matches_the_definition(rng, shape, op, method, dtype):
    s, d, base = shape[4], shape[6], shape[8]
    for extra in range(max(s, d)):  # output_padding of the transposed conv: the same L_out, a longer input
        length = base + extra
        if op != "grad_input" and extra:
            break
        if out_length(length, *shape[3:5], shape[5], d) != out_length(base, *shape[3:5], shape[5], d):
            continue
        x, w, y = arrays(rng, shape, length, dtype)
        want = expected(op, x, w, y, shape, length)
        got = run(op, method, x, w, y, shape, length)
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, **tolerance(dtype))
        if op != "grad_weight":  # the fused bias
            bias = rng.standard_normal(got.shape[1]).astype(dtype)
            np.testing.assert_allclose(run(op, method, x, w, y, shape, length, bias), want + bias[:, None],
                                       **tolerance(dtype))


@pytest.mark.parametrize("shape, op, method", list(leaf_params(["strided-padded", "dilated", "depthwise", "long",
                                                                 "many-taps-long", "same-dilated-long"])))
def test_every_leaf_agrees_across_chunkings(rng, monkeypatch, shape, op, method):
    """Scratch budgets of one byte: chunks of one sample and of a block of positions, pool splits."""
    length = shape[8]
    x, w, y = arrays(rng, shape, length)
    whole = run(op, method, x, w, y, shape, length)
    for name in ("WORKSPACE_BYTES", "DIRECT_BLOCK_BYTES", "PER_TAP_BLOCK_BYTES", "PARALLEL_BYTES"):
        monkeypatch.setattr(tuning, name, 0 if name == "PARALLEL_BYTES" else 1)
    if method == "col2im_compiled":  # chunks of whole samples: one sample's columns per chunk
        n, c_in, c_out, k, s, p, d, groups, _ = shape
        monkeypatch.setattr(tuning, "WORKSPACE_BYTES", 8 * c_in * k * y.shape[-1])
    np.testing.assert_allclose(run(op, method, x, w, y, shape, length), whole, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shape, op, method", list(leaf_params(["strided-padded", "dilated", "depthwise", "long"])))
def test_weight_gradients_are_new_arrays_that_own_their_memory(rng, shape, op, method):
    """The autograd engine adopts a gradient as ``.grad`` without a copy only when it is not a
    view; a weight gradient as large as the weight must not pay that copy."""
    if op != "grad_weight":
        pytest.skip("weight gradients only")
    x, w, y = arrays(rng, shape, shape[8])
    gw = run(op, method, x, w, y, shape, shape[8])
    assert gw.base is None and gw.flags.c_contiguous and gw.shape == w.shape


@pytest.mark.parametrize("name", ["strided-padded", "dilated-strided", "depthwise", "many-taps"])
def test_conv1d_and_its_input_gradient_are_adjoint_for_every_leaf(rng, name):
    """<conv1d(x), y> == <x, conv1d_grad_input(y)>, whichever leaves run the two."""
    shape = GRID[name]
    x, w, y = arrays(rng, shape, shape[8])
    case = case_of(shape)
    n, c_in, c_out, k, s, p, d, groups, length = shape
    for forward in kernels.applicable("conv1d", case):
        lhs = np.vdot(kernels.conv1d(x, w, s, p, d, groups, method=forward.name), y)
        for adjoint in kernels.applicable("grad_input", case):
            rhs = np.vdot(x, kernels.conv1d_grad_input(y, w, length, s, p, d, groups, method=adjoint.name))
            np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


def test_choose_picks_an_applicable_leaf_for_every_op():
    for name, shape in GRID.items():
        case = case_of(shape)
        for op in kernels.OPS:
            assert kernels.choose(op, case) in kernels.applicable(op, case)


def test_an_unknown_or_inapplicable_leaf_is_rejected_with_the_names_that_exist():
    with pytest.raises(ValueError, match="method must be None or one of .*im2col_gemm"):
        kernels.conv1d(np.zeros((1, 1, 4)), np.zeros((1, 1, 2)), 1, 0, 1, 1, method="fft")
    with pytest.raises(ValueError, match="does not apply.*applicable"):
        kernels.conv1d(np.zeros((1, 1, 4)), np.zeros((1, 1, 2)), 2, 0, 1, 1, method="per_tap_gemm")


def test_without_compiled_kernels_no_compiled_leaf_applies():
    case = case_of(GRID["depthwise"])
    with kernels.compiled_kernels(False):
        for op in kernels.OPS:
            assert not any(leaf.name.endswith("_compiled") for leaf in kernels.applicable(op, case))
            assert not kernels.choose(op, case).name.endswith("_compiled")


@pytest.mark.parametrize("shape, op", [(GRID[name], op) for name in ("dilated", "same-dilated-long", "many-taps-long",
                                                                      "length-1-padded") for op in kernels.OPS])
def test_per_tap_without_blas_matches_with_it(rng, monkeypatch, shape, op, dtype):
    """The in-place BLAS path and the matmul-through-a-temporary path (no bundled OpenBLAS) agree."""
    from lucid.kernels import blas

    length = shape[8]
    x, w, y = arrays(rng, shape, length, dtype)
    bias = None if op == "grad_weight" else rng.standard_normal(shape[2] if op == "conv1d" else shape[1]).astype(dtype)
    with_blas = run(op, "per_tap_gemm", x, w, y, shape, length, bias)
    monkeypatch.setattr(blas, "_gemms", {})
    monkeypatch.setattr(tuning, "PER_TAP_BLOCK_BYTES", 64)  # several blocks of positions
    without = run(op, "per_tap_gemm", x, w, y, shape, length, bias)
    np.testing.assert_allclose(without, with_blas, **tolerance(dtype))
    want = expected(op, x, w, y, shape, length) + (0 if bias is None else bias[:, None])
    np.testing.assert_allclose(without, want, **tolerance(dtype))
