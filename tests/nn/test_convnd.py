"""N-d convolutions: kernels against loops, functionals and layers against PyTorch."""

import itertools
import pathlib

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.kernels import conv as kernels1d
from lucid.kernels import convnd as kernels

FIXTURES = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "lazy_family.npz", allow_pickle=False)
CASES = [str(c) for c in FIXTURES["cases"]]
CONV_CASES = [c for c in CASES if not c.endswith("linear")]


def case(name):
    return {key.split(".", 1)[1]: FIXTURES[key] for key in FIXTURES.files if key.startswith(name + ".")}


def tol(dtype):
    return dict(rtol=1e-10, atol=1e-10) if str(dtype) == "float64" else dict(rtol=1e-4, atol=1e-4)


def conv_naive(x, w, stride, padding, dilation, groups):
    """y[n, o, *l] = sum_{c, *k} w[o, c, *k] x_padded[n, g(o)·C_g + c, *(l·s + k·d)], by loops over positions."""
    n_spatial = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    c_out, c_group, *kernel = w.shape
    out_shape = kernels.conv_output_shape(x.shape[2:], kernel, stride, padding, dilation)
    y = np.zeros((x.shape[0], c_out, *out_shape))
    for o in range(c_out):
        g = o // (c_out // groups)
        for pos in itertools.product(*(range(s) for s in out_shape)):
            for tap in itertools.product(*(range(k) for k in kernel)):
                index = tuple(pos[i] * stride[i] + tap[i] * dilation[i] for i in range(n_spatial))
                patch = xp[(slice(None), slice(g * c_group, (g + 1) * c_group)) + index]
                y[(slice(None), o) + pos] += patch @ w[(o, slice(None)) + tap]
    return y


GRID = [
    # (spatial size, kernel, stride, padding, dilation, groups, C_in, C_out)
    ((5, 4), (2, 3), (1, 1), (0, 0), (1, 1), 1, 2, 3),
    ((6, 7), (3, 2), (2, 3), (1, 2), (2, 1), 2, 4, 2),
    ((4, 3, 5), (2, 1, 3), (1, 2, 2), (0, 1, 1), (1, 1, 2), 1, 2, 2),
    ((7,), (3,), (2,), (1,), (2,), 3, 3, 6),
]
GRID_IDS = ["2d-plain", "2d-stride-pad-dilation-groups", "3d", "1d-through-nd"]


@pytest.mark.parametrize("size, kernel, stride, padding, dilation, groups, c_in, c_out", GRID, ids=GRID_IDS)
def test_the_nd_kernel_matches_explicit_loops(rng, size, kernel, stride, padding, dilation, groups, c_in, c_out):
    x = rng.standard_normal((2, c_in, *size))
    w = rng.standard_normal((c_out, c_in // groups, *kernel))
    np.testing.assert_allclose(kernels.convnd(x, w, stride, padding, dilation, groups),
                               conv_naive(x, w, stride, padding, dilation, groups), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("size, kernel, stride, padding, dilation, groups, c_in, c_out", GRID, ids=GRID_IDS)
def test_grad_input_and_grad_weight_are_the_adjoints_of_the_convolution(rng, size, kernel, stride, padding,
                                                                         dilation, groups, c_in, c_out):
    x = rng.standard_normal((2, c_in, *size))
    w = rng.standard_normal((c_out, c_in // groups, *kernel))
    y = kernels.convnd(x, w, stride, padding, dilation, groups)
    probe = rng.standard_normal(y.shape)
    gx = kernels.convnd_grad_input(probe, w, size, stride, padding, dilation, groups)
    gw = kernels.convnd_grad_weight(x, probe, kernel, stride, padding, dilation, groups)
    # <conv(x, w), probe> == <x, conv^T(probe)> == <w, grad_weight(x, probe)>
    assert np.isclose(np.sum(y * probe), np.sum(x * gx), rtol=1e-10)
    assert np.isclose(np.sum(y * probe), np.sum(w * gw), rtol=1e-10)


def test_the_nd_kernels_agree_with_the_1d_fast_path(rng):
    x, w = rng.standard_normal((2, 4, 11)), rng.standard_normal((6, 2, 3))
    cfg = (2, 1, 2, 2)
    y = kernels1d.conv1d(x, w, *cfg)
    np.testing.assert_allclose(kernels.convnd(x, w, (2,), (1,), (2,), 2), y, rtol=1e-12)
    np.testing.assert_allclose(kernels.convnd_grad_input(y, w, (11,), (2,), (1,), (2,), 2),
                               kernels1d.conv1d_grad_input(y, w, 11, *cfg), rtol=1e-12)
    np.testing.assert_allclose(kernels.convnd_grad_weight(x, y, (3,), (2,), (1,), (2,), 2),
                               kernels1d.conv1d_grad_weight(x, y, 3, *cfg), rtol=1e-12)


def _call(kind, x, w, b, data):
    kwargs = dict(stride=tuple(data["stride"]), padding=tuple(data["padding"]), dilation=tuple(data["dilation"]),
                  groups=int(data["groups"]))
    if kind.startswith("conv_transpose"):
        kwargs["output_padding"] = tuple(data["output_padding"])
    return getattr(F, kind)(x, w, b, **kwargs)


@pytest.mark.parametrize("name", CONV_CASES)
def test_functional_forward_and_gradients_match_pytorch_fixtures(name):
    data = case(name)
    kind = str(data["kind"])
    x = lucid.tensor(data["x"], requires_grad=True)
    w = lucid.tensor(data["weight"], requires_grad=True)
    b = lucid.tensor(data["bias"], requires_grad=True) if "bias" in data else None
    y = _call(kind, x, w, b, data)
    np.testing.assert_allclose(y.numpy(), data["y"], **tol(data["dtype"]))
    y.backward(lucid.tensor(data["grad_out"]))
    np.testing.assert_allclose(x.grad.numpy(), data["grad_x"], **tol(data["dtype"]))
    np.testing.assert_allclose(w.grad.numpy(), data["grad_weight"], **tol(data["dtype"]))
    if b is not None:
        np.testing.assert_allclose(b.grad.numpy(), data["grad_bias"], **tol(data["dtype"]))


LAYERS = {"conv1d": nn.Conv1d, "conv2d": nn.Conv2d, "conv3d": nn.Conv3d, "conv_transpose1d": nn.ConvTranspose1d,
          "conv_transpose2d": nn.ConvTranspose2d, "conv_transpose3d": nn.ConvTranspose3d}


@pytest.mark.parametrize("name", CONV_CASES)
def test_eager_layers_loaded_with_the_fixture_weights_match_pytorch(name):
    data = case(name)
    kind = str(data["kind"])
    transposed = kind.startswith("conv_transpose")
    groups = int(data["groups"])
    c_in = data["weight"].shape[0] if transposed else data["weight"].shape[1] * groups
    c_out = data["weight"].shape[1] * groups if transposed else data["weight"].shape[0]
    kwargs = dict(stride=tuple(data["stride"]), padding=tuple(data["padding"]), dilation=tuple(data["dilation"]),
                  groups=groups, bias="bias" in data, dtype=str(data["dtype"]))
    if transposed:
        kwargs["output_padding"] = tuple(data["output_padding"])
    layer = LAYERS[kind](c_in, c_out, data["weight"].shape[2:], **kwargs)
    layer.load_state_dict({k: data[k] for k in ("weight", "bias") if k in data})
    x = lucid.tensor(data["x"], requires_grad=True)
    y = layer(x)
    np.testing.assert_allclose(y.numpy(), data["y"], **tol(data["dtype"]))
    y.backward(lucid.tensor(data["grad_out"]))
    np.testing.assert_allclose(layer.weight.grad.numpy(), data["grad_weight"], **tol(data["dtype"]))
    np.testing.assert_allclose(x.grad.numpy(), data["grad_x"], **tol(data["dtype"]))


@pytest.mark.parametrize("cls, n", [(nn.Conv2d, 2), (nn.Conv3d, 3), (nn.ConvTranspose2d, 2),
                                    (nn.ConvTranspose3d, 3)], ids=lambda v: getattr(v, "__name__", str(v)))
def test_initialisation_bounds_follow_pytorchs_fan_in(cls, n):
    lucid.manual_seed(0)
    layer = cls(4, 6, 3, groups=2)
    fan_in = (6 // 2 if cls.transposed else 4 // 2) * 3 ** n
    bound = 1 / np.sqrt(fan_in)  # kaiming_uniform(a=√5) gives 1/√fan_in as well
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
    assert np.abs(layer.weight.numpy()).max() > 0.8 * bound


@pytest.mark.parametrize("make, message", [
    (lambda: F.conv2d(lucid.zeros(1, 4, 5, 5), lucid.zeros(2, 3, 3, 3)),
     "conv2d: input has 4 channels but weight of shape (2, 3, 3, 3) with groups=1 expects 3"),
    (lambda: F.conv2d(lucid.zeros(1, 3, 2, 5), lucid.zeros(2, 3, 3, 3)),
     "conv2d: padded input size 2 along spatial dim 0 is shorter than the dilated kernel 3"),
    (lambda: F.conv3d(lucid.zeros(1, 3, 5, 5), lucid.zeros(2, 3, 3, 3, 3)),
     "conv3d: input must be 5-D (batch, channels, *spatial), got 4-D input of shape (1, 3, 5, 5)"),
    (lambda: F.conv2d(lucid.zeros(1, 3, 5, 5), lucid.zeros(2, 3, 3, 3), stride=(1, 2, 3)),
     "stride must be an int or a tuple of 2 ints, got (1, 2, 3)"),
    (lambda: F.conv_transpose2d(lucid.zeros(1, 3, 5, 5), lucid.zeros(2, 3, 3, 3)),
     "conv_transpose2d: input has 3 channels but weight expects 2"),
    (lambda: F.conv_transpose2d(lucid.zeros(1, 3, 1, 5), lucid.zeros(3, 2, 1, 3), padding=(1, 0)),
     "output size (L-1)*stride - 2*padding + dilation*(K-1) + output_padding + 1 = (-1, 7) is not positive"),
    (lambda: F.conv_transpose3d(lucid.zeros(1, 3, 2, 2, 2), lucid.zeros(3, 2, 1, 1, 1), stride=2,
                                output_padding=(0, 2, 0)),
     "output_padding must be smaller than max(stride, dilation) = 2, got (0, 2, 0)"),
    (lambda: F.conv_transpose2d(lucid.zeros(1, 3, 2, 2), lucid.zeros(3, 2, 1, 1), lucid.zeros(3)),
     "conv_transpose2d: bias must have shape (2,), got (3,)"),
], ids=["channels", "too-short", "rank", "stride-length", "t-channels", "t-not-positive", "t-output-padding",
        "t-bias"])
def test_nd_functionals_check_their_arguments(make, message):
    with pytest.raises((ValueError, TypeError)) as info:
        make()
    assert message in str(info.value)


@pytest.mark.parametrize("seed", range(6))
def test_random_nd_configurations_match_live_pytorch(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    n = 2 + seed % 2
    groups = int(rng.choice([1, 2]))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    stride, dilation = tuple(rng.integers(1, 3, n)), tuple(rng.integers(1, 3, n))
    kernel, padding = tuple(rng.integers(1, 4, n)), tuple(rng.integers(0, 2, n))
    output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    stride, dilation, kernel, padding = (tuple(int(v) for v in t) for t in (stride, dilation, kernel, padding))
    size = tuple(int(v) for v in rng.integers(4, 7, n))
    x = rng.standard_normal((2, c_in, *size))
    for transposed in (False, True):
        w = rng.standard_normal((c_in, c_out // groups, *kernel) if transposed else (c_out, c_in // groups, *kernel))
        name = f"conv_transpose{n}d" if transposed else f"conv{n}d"
        extra = dict(output_padding=output_padding) if transposed else {}
        tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        ty = getattr(torch.nn.functional, name)(tx, tw, None, stride=stride, padding=padding, dilation=dilation,
                                                groups=groups, **extra)
        probe = rng.standard_normal(tuple(ty.shape))
        ty.backward(torch.tensor(probe))
        lx, lw = lucid.tensor(x, requires_grad=True), lucid.tensor(w, requires_grad=True)
        ly = getattr(F, name)(lx, lw, None, stride=stride, padding=padding, dilation=dilation, groups=groups, **extra)
        ly.backward(lucid.tensor(probe))
        np.testing.assert_allclose(ly.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(lw.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-10)
