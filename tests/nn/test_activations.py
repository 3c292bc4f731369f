"""Activation functionals: finite-difference gradients (float64) and live PyTorch parity."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

FUNCTIONALS = [
    ("elu", dict(alpha=0.7)), ("silu", {}), ("softplus", dict(beta=2.0, threshold=3.0)), ("mish", {}),
    ("hardtanh", dict(min_val=-0.5, max_val=2.0)), ("relu6", {}), ("hardsigmoid", {}), ("hardswish", {}),
    ("logsigmoid", {}), ("softsign", {}), ("tanhshrink", {}), ("softmax", dict(dim=1)),
    ("log_softmax", dict(dim=-1)), ("glu", dict(dim=1)), ("selu", {}), ("celu", dict(alpha=0.5)),
    ("softmin", dict(dim=0)),
]


def _away_from_kinks(rng, shape):
    """Wide inputs, none within 0.05 of the kinks at 0, ±0.5, 2, ±3 and 6, where finite differences fail."""
    x = 4 * rng.standard_normal(shape)
    for kink in (0, 0.5, -0.5, 2, 3, -3, 6, 1.5):
        x = np.where(np.abs(x - kink) < 0.05, x + 0.1, x)
    return x


@pytest.mark.parametrize("name, kwargs", FUNCTIONALS, ids=[n for n, _ in FUNCTIONALS])
def test_activation_gradients_match_finite_differences(name, kwargs, rng):
    x = lucid.tensor(_away_from_kinks(rng, (2, 4, 3)), requires_grad=True)
    assert gradcheck(lambda t: getattr(F, name)(t, **kwargs), x)


@pytest.mark.parametrize("name, kwargs", FUNCTIONALS, ids=[n for n, _ in FUNCTIONALS])
def test_activation_second_derivatives_match_finite_differences(name, kwargs, rng):
    x = lucid.tensor(_away_from_kinks(rng, (2, 4)), requires_grad=True)

    def first_gradient(t):
        with lucid.enable_grad():
            (g,) = lucid.autograd.grad((getattr(F, name)(t, **kwargs) ** 2).sum(), t, create_graph=True)
        return g

    assert gradcheck(first_gradient, x)


@pytest.mark.parametrize("name, kwargs", FUNCTIONALS, ids=[n for n, _ in FUNCTIONALS])
def test_activation_forward_and_gradient_equal_live_torch(name, kwargs, rng):
    torch = pytest.importorskip("torch")
    x = 6 * rng.standard_normal((3, 4, 5)).astype(np.float32)
    ours, theirs = lucid.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = getattr(F, name)(ours, **kwargs), getattr(torch.nn.functional, name)(theirs, **kwargs)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(lucid.tensor(g))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_softmax_of_huge_logits_stays_finite():
    x = lucid.tensor([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(F.softmax(x, dim=1).numpy(), [[1, 0, 0]], atol=1e-30)
    assert np.isfinite(F.log_softmax(x, dim=1).numpy()).all()
    assert np.isfinite(F.softplus(lucid.tensor([-1e4, 1e4])).numpy()).all()


def test_nan_reaches_only_its_own_outputs():
    x = lucid.tensor([[1.0, float("nan"), -2.0]])
    for fn in (F.elu, F.silu, F.softplus, F.mish):
        out = fn(x).numpy()
        assert np.isnan(out[0, 1]) and np.isfinite(out[0, [0, 2]]).all()


def test_prelu_learns_one_slope_per_channel():
    layer = nn.PReLU(2, init=0.5)
    x = lucid.tensor([[[-1.0, 2.0], [-3.0, -4.0]]])
    out = layer(x)
    np.testing.assert_allclose(out.numpy(), [[[-0.5, 2.0], [-1.5, -2.0]]])
    out.sum().backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), [-1.0, -7.0])
    with pytest.raises(ValueError, match="weight has 2 values but the input has 3 channels"):
        layer(lucid.ones(1, 3, 2))


def test_glu_on_an_odd_dim_raises_naming_the_size():
    with pytest.raises(ValueError, match="even size, got size 3 at dim 1"):
        F.glu(lucid.ones(2, 3), dim=1)


def test_activation_modules_accept_pytorch_arguments():
    for layer in (nn.ELU(alpha=0.5, inplace=True), nn.SiLU(inplace=True), nn.Hardtanh(-2, 2, inplace=False),
                  nn.ReLU6(inplace=True), nn.Mish(inplace=False), nn.Softplus(beta=1, threshold=20)):
        assert layer(lucid.ones(2, 2)).shape == (2, 2)
