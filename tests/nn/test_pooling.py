"""Pooling and interpolation: finite-difference gradients, a live PyTorch grid, bad input."""

import re

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid.autograd import gradcheck

POOLS = [
    ("avg_pool1d", dict(kernel_size=3)), ("avg_pool1d", dict(kernel_size=4, stride=2, padding=2, ceil_mode=True)),
    ("avg_pool1d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avg_pool1d", dict(kernel_size=5, stride=3, padding=2, count_include_pad=False)),
    ("max_pool1d", dict(kernel_size=3)), ("max_pool1d", dict(kernel_size=4, stride=2, padding=1)),
    ("max_pool1d", dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    ("max_pool1d", dict(kernel_size=2, stride=3, padding=1, ceil_mode=True)),
    ("adaptive_avg_pool1d", dict(output_size=3)), ("adaptive_avg_pool1d", dict(output_size=7)),
]
POOLS_2D = [
    ("avg_pool2d", dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), ceil_mode=True)),
    ("avg_pool2d", dict(kernel_size=2, divisor_override=3)),
    ("max_pool2d", dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
    ("adaptive_avg_pool2d", dict(output_size=(3, None))),
]
RESAMPLES = [
    dict(scale_factor=2), dict(scale_factor=2.5), dict(size=5), dict(size=16), dict(size=11, mode="nearest-exact"),
    dict(scale_factor=3, mode="linear"), dict(size=5, mode="linear"), dict(size=13, mode="linear", align_corners=True),
    dict(scale_factor=1.7, mode="linear"), dict(scale_factor=1.7, mode="linear", recompute_scale_factor=True),
    dict(size=1, mode="linear", align_corners=True),
]


def _ids(rows):
    return [f"{name}{sorted(kw.items())}" for name, kw in rows]


@pytest.mark.parametrize("name, kwargs", POOLS + POOLS_2D, ids=_ids(POOLS + POOLS_2D))
def test_pool_gradients_match_finite_differences(name, kwargs, rng):
    shape = (1, 2, 9) if name.endswith("1d") else (1, 1, 5, 6)
    x = lucid.tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: getattr(F, name)(t, **kwargs), x)


@pytest.mark.parametrize("name, kwargs", POOLS + POOLS_2D, ids=_ids(POOLS + POOLS_2D))
def test_pool_forward_and_gradient_equal_live_torch(name, kwargs, rng):
    torch = pytest.importorskip("torch")
    shape = (2, 3, 11) if name.endswith("1d") else (2, 2, 7, 6)
    x = rng.standard_normal(shape)
    ours, theirs = lucid.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = getattr(F, name)(ours, **kwargs), getattr(torch.nn.functional, name)(theirs, **kwargs)
    g = rng.standard_normal(out.shape)
    out.backward(lucid.tensor(g))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_max_pool_indices_equal_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 2, 6, 7))
    _, ours = F.max_pool2d(lucid.tensor(x), 3, 2, 1, return_indices=True)
    _, theirs = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_max_pool_gradient_goes_to_the_first_of_tied_maxima():
    x = lucid.tensor([[[1.0, 3.0, 3.0, 0.0]]], requires_grad=True)
    F.max_pool1d(x, 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[0, 1, 0, 0]]])


@pytest.mark.parametrize("kwargs", RESAMPLES, ids=[str(sorted(k.items())) for k in RESAMPLES])
def test_interpolate_forward_and_gradient_equal_live_torch(kwargs, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 7))
    ours, theirs = lucid.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = F.interpolate(ours, **kwargs), torch.nn.functional.interpolate(theirs, **kwargs)
    g = rng.standard_normal(out.shape)
    out.backward(lucid.tensor(g))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kwargs", [dict(scale_factor=2.3, mode="linear"), dict(size=(5, 2), mode="bilinear"),
                                    dict(scale_factor=2)], ids=["linear", "bilinear", "nearest"])
def test_interpolate_gradients_match_finite_differences(kwargs, rng):
    shape = (1, 2, 3, 4) if kwargs.get("mode") == "bilinear" else (1, 2, 4)
    x = lucid.tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, **kwargs), x)


RESAMPLE_ERRORS = [
    (lambda x: F.avg_pool1d(x, 2, padding=2), "padding (2,) must be at most half the effective kernel size (2,)"),
    (lambda x: F.max_pool1d(x, 9), "input of spatial size (5,) is too small for kernel_size=(9,)"),
    (lambda x: F.avg_pool1d(x[0, 0], 2), "input must be 2-D or 3-D (with a batch dim), got 1-D"),
    (lambda x: F.interpolate(x, scale_factor=2, size=4), "give exactly one of size and scale_factor"),
    (lambda x: F.interpolate(x, scale_factor=2, mode="cubic"), "mode must be one of"),
    (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"), "mode 'bilinear' needs 4-D input, got 3-D"),
    (lambda x: F.interpolate(x, scale_factor=2, align_corners=True), "align_corners only applies to the linear"),
]


@pytest.mark.parametrize("call, message", RESAMPLE_ERRORS, ids=["pad", "kernel", "rank", "both", "mode",
                                                                "mode-rank", "align"])
def test_bad_pooling_or_resampling_arguments_raise_clearly(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call(lucid.ones(1, 2, 5))
