"""ConvTranspose1d and F.conv_transpose1d: definition, PyTorch fixtures, gradients, init."""

import itertools
import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from tests.naive import conv_transpose1d_grads_naive, conv_transpose1d_naive

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "conv_transpose1d.npz"


def _run(x, w, b, grad_out, **cfg):
    """Forward and the three gradients through lucid's autograd."""
    x = lucid.tensor(x, requires_grad=True)
    w = lucid.tensor(w, requires_grad=True)
    b = None if b is None else lucid.tensor(b, requires_grad=True)
    y = F.conv_transpose1d(x, w, b, **cfg)
    y.backward(lucid.tensor(grad_out.astype(y.numpy().dtype)))
    return y.numpy(), x.grad.numpy(), w.grad.numpy(), None if b is None else b.grad.numpy()


def _tolerance(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ output length
LENGTH_GRID = [
    (stride, padding, dilation, output_padding, groups, length)
    for stride, padding, dilation, groups, length in itertools.product([1, 2, 3], [0, 1, 2], [1, 2], [1, 2], [1, 5])
    for output_padding in range(max(stride, dilation))
    if (length - 1) * stride - 2 * padding + dilation * 2 + output_padding + 1 > 0
]


@pytest.mark.parametrize(
    "stride, padding, dilation, output_padding, groups, length", LENGTH_GRID,
    ids=[f"s{s}-p{p}-d{d}-op{o}-g{g}-L{n}" for s, p, d, o, g, n in LENGTH_GRID],
)
def test_output_length_follows_the_formula_and_values_match_the_definition(
        stride, padding, dilation, output_padding, groups, length, rng):
    layer = nn.ConvTranspose1d(4, 6, kernel_size=3, stride=stride, padding=padding, output_padding=output_padding,
                               groups=groups, dilation=dilation, dtype="float64")
    x = rng.standard_normal((2, 4, length))
    y = layer(lucid.tensor(x))
    expected_length = (length - 1) * stride - 2 * padding + dilation * (3 - 1) + output_padding + 1
    assert y.shape == (2, 6, expected_length)
    reference = conv_transpose1d_naive(x, layer.weight.numpy(), layer.bias.numpy(), stride, padding,
                                       output_padding, groups, dilation)
    np.testing.assert_allclose(y.numpy(), reference, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------- random configurations
@st.composite
def configurations(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    depthwise = draw(st.booleans())
    c_in = groups * (1 if depthwise else draw(st.integers(1, 3)))
    c_out = groups * (1 if depthwise else draw(st.integers(1, 3)))
    stride, dilation = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    k = draw(st.integers(1, 6))
    padding = draw(st.integers(0, 3))
    output_padding = draw(st.integers(0, max(stride, dilation) - 1))
    length = draw(st.integers(1, 7))
    if (length - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1 <= 0:
        padding = 0
    return dict(n=draw(st.integers(1, 3)), c_in=c_in, c_out=c_out, k=k, stride=stride, padding=padding,
                output_padding=output_padding, groups=groups, dilation=dilation, length=length,
                bias=draw(st.booleans()), dtype=draw(st.sampled_from([np.float32, np.float64])),
                seed=draw(st.integers(0, 2**16)))


@settings(max_examples=60, deadline=None)
@given(configurations())
def test_forward_and_all_three_gradients_match_the_naive_definition(c):
    rng = np.random.default_rng(c["seed"])
    dtype = c["dtype"]
    x = rng.standard_normal((c["n"], c["c_in"], c["length"])).astype(dtype)
    w = rng.standard_normal((c["c_in"], c["c_out"] // c["groups"], c["k"])).astype(dtype)
    b = rng.standard_normal(c["c_out"]).astype(dtype) if c["bias"] else None
    cfg = dict(stride=c["stride"], padding=c["padding"], output_padding=c["output_padding"], groups=c["groups"],
               dilation=c["dilation"])
    expected = conv_transpose1d_naive(x, w, b, **cfg)
    grad_out = rng.standard_normal(expected.shape).astype(dtype)
    y, gx, gw, gb = _run(x, w, b, grad_out, **cfg)
    assert y.dtype == dtype and gx.dtype == dtype and gw.dtype == dtype
    tol = _tolerance(dtype)
    np.testing.assert_allclose(y, expected, **tol)
    ref_gx, ref_gw, ref_gb = conv_transpose1d_grads_naive(x, w, grad_out, c["stride"], c["padding"], c["groups"],
                                                          c["dilation"])
    np.testing.assert_allclose(gx, ref_gx, **tol)
    np.testing.assert_allclose(gw, ref_gw, **tol)
    if b is not None:
        np.testing.assert_allclose(gb, ref_gb, **tol)


# ------------------------------------------------------------ PyTorch fixtures
def _fixture_cases():
    data = np.load(FIXTURES, allow_pickle=False)
    names = sorted({key.split("_")[0] for key in data.files if key.startswith("c") and key.endswith("_config")})
    return data, names


FIXTURE_DATA, FIXTURE_CASES = _fixture_cases()


@pytest.mark.parametrize("case", FIXTURE_CASES)
def test_matches_pytorch_fixtures_forward_and_gradients(case):
    d = {key[len(case) + 1:]: FIXTURE_DATA[key] for key in FIXTURE_DATA.files if key.startswith(case + "_")}
    n, c_in, c_out, k, s, p, op, g, dil, length, bias, bits = (int(v) for v in d["config"])
    y, gx, gw, gb = _run(d["x"], d["w"], d.get("b"), d["grad_out"], stride=s, padding=p, output_padding=op,
                         groups=g, dilation=dil)
    tol = _tolerance(d["x"].dtype)
    np.testing.assert_allclose(y, d["y"], **tol)
    np.testing.assert_allclose(gx, d["grad_x"], **tol)
    np.testing.assert_allclose(gw, d["grad_w"], **tol)
    if bias:
        np.testing.assert_allclose(gb, d["grad_b"], **tol)


def test_a_pytorch_initialized_state_dict_reproduces_pytorch_outputs():
    layer = nn.ConvTranspose1d(6, 4, kernel_size=5, stride=3, padding=1, output_padding=1, groups=2, dilation=2)
    layer.load_state_dict({"weight": FIXTURE_DATA["module_weight"], "bias": FIXTURE_DATA["module_bias"]})
    y = layer(lucid.tensor(FIXTURE_DATA["module_x"]))
    np.testing.assert_allclose(y.numpy(), FIXTURE_DATA["module_y"], rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------- live PyTorch
def test_live_pytorch_parity_including_initialization_bounds(rng):
    torch = pytest.importorskip("torch")
    for cfg in [dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1),
                dict(stride=1, padding=2, output_padding=1, groups=1, dilation=3)]:
        ours = nn.ConvTranspose1d(4, 6, 4, dtype="float64", **cfg)
        theirs = torch.nn.ConvTranspose1d(4, 6, 4, dtype=torch.float64, **cfg)
        theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
        x = rng.standard_normal((3, 4, 9))
        tx = torch.tensor(x, requires_grad=True)
        lx = lucid.tensor(x, requires_grad=True)
        ty, ly = theirs(tx), ours(lx)
        np.testing.assert_allclose(ly.numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
        g = rng.standard_normal(ty.shape)
        ty.backward(torch.tensor(g))
        ly.backward(lucid.tensor(g))
        np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("cfg", [
    dict(stride=2, padding=1, output_padding=1, groups=1, dilation=1),
    dict(stride=3, padding=0, output_padding=2, groups=2, dilation=2),
    dict(stride=1, padding=2, output_padding=0, groups=4, dilation=3),
], ids=["strided", "grouped-dilated", "depthwise"])
def test_gradcheck_in_float64(cfg, rng):
    x = lucid.tensor(rng.standard_normal((2, 4, 5)), requires_grad=True)
    w = lucid.tensor(rng.standard_normal((4, 8 // cfg["groups"], 3)), requires_grad=True)
    b = lucid.tensor(rng.standard_normal(8), requires_grad=True)
    assert lucid.autograd.gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, **cfg), (x, w, b))


# --------------------------------------------------------------- initialization
def test_initialization_is_kaiming_uniform_with_pytorch_fan_in():
    lucid.manual_seed(3)
    layer = nn.ConvTranspose1d(64, 32, kernel_size=5, groups=2)
    fan_in = (32 // 2) * 5  # PyTorch takes fan_in from the weight's second axis
    bound = 1 / math.sqrt(fan_in)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert w.shape == (64, 16, 5) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound  # uniform(-a, a) has std a/√3
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.5 * bound


def test_the_same_seed_gives_the_same_weights_and_another_seed_does_not():
    lucid.manual_seed(11)
    a = nn.ConvTranspose1d(3, 4, 3).weight.numpy().copy()
    lucid.manual_seed(11)
    b = nn.ConvTranspose1d(3, 4, 3).weight.numpy().copy()
    lucid.manual_seed(12)
    c = nn.ConvTranspose1d(3, 4, 3).weight.numpy().copy()
    assert np.array_equal(a, b) and not np.array_equal(a, c)


# --------------------------------------------------------- dtypes and specials
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_dtype_is_kept_through_forward_and_backward(dtype, rng):
    layer = nn.ConvTranspose1d(3, 2, 3, stride=2, dtype=dtype)
    x = lucid.tensor(rng.standard_normal((1, 3, 4)), dtype=dtype, requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype and layer.weight.grad.dtype == dtype
    reference = conv_transpose1d_naive(x.numpy(), layer.weight.numpy(), layer.bias.numpy(), stride=2)
    np.testing.assert_allclose(y.numpy().astype(np.float64), reference, rtol=1e-2 if dtype == "float16" else 1e-5,
                               atol=1e-2 if dtype == "float16" else 1e-5)


def test_nan_and_inf_inputs_propagate_without_crashing():
    layer = nn.ConvTranspose1d(1, 1, 2, bias=False)
    with lucid.no_grad():
        layer.weight.fill_(1.0)
    y = layer(lucid.tensor([[[1.0, np.nan, 2.0, np.inf]]])).numpy()[0, 0]
    assert y[0] == 1.0 and np.isnan(y[1]) and np.isnan(y[2]) and y[3] == np.inf and y[4] == np.inf


def test_accepts_one_tuples_like_pytorch():
    layer = nn.ConvTranspose1d(2, 2, (3,), stride=(2,), padding=(1,), output_padding=(1,), dilation=(1,))
    assert layer.kernel_size == (3,) and layer.stride == (2,) and layer(lucid.zeros(1, 2, 4)).shape == (1, 2, 8)


def test_extra_repr_names_the_configuration():
    text = repr(nn.ConvTranspose1d(4, 8, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False,
                                   dilation=2))
    assert text == ("ConvTranspose1d(in_channels=4, out_channels=8, kernel_size=(3,), stride=(2,), padding=(1,), "
                    "output_padding=(1,), dilation=(2,), groups=2, bias=False)")


def test_output_size_chooses_output_padding_and_rejects_unreachable_sizes():
    layer = nn.ConvTranspose1d(2, 2, 3, stride=3)
    x = lucid.zeros(1, 2, 4)
    assert layer(x).shape[-1] == 12
    assert layer(x, output_size=[14]).shape[-1] == 14
    assert layer(x, output_size=(1, 2, 13)).shape[-1] == 13
    with pytest.raises(ValueError, match=r"output_size .* \[12, 14\] for this input, got 15"):
        layer(x, output_size=[15])
