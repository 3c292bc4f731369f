"""clip_grad_norm_, clip_grad_value_, parameters_to_vector and vector_to_parameters, against live torch and by hand."""

import math

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def _params_with_grads(rng, scale):
    params = [nn.Parameter(lucid.tensor(rng.standard_normal(shape).astype(np.float32))) for shape in [(3, 4), (5,)]]
    for p in params:
        p.grad = lucid.tensor(scale * rng.standard_normal(p.shape).astype(np.float32))
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("scale", [0.01, 10.0], ids=["below_max", "above_max"])
def test_clip_grad_norm_scales_the_joint_norm_to_at_most_max_norm(rng, norm_type, scale):
    params = _params_with_grads(rng, scale)
    joined = np.concatenate([p.grad.numpy().ravel() for p in params])
    if math.isinf(norm_type):
        expected = np.max(np.abs(joined))
    else:
        expected = np.sum(np.abs(joined) ** norm_type) ** (1 / norm_type)
    before = [p.grad.numpy().copy() for p in params]
    total = clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
    assert float(total) == pytest.approx(expected, rel=1e-5)
    factor = min(1.0, 1.0 / (expected + 1e-6))
    for p, g in zip(params, before):
        np.testing.assert_allclose(p.grad.numpy(), g * factor, rtol=1e-5)


def test_clip_grad_norm_matches_live_torch(rng):
    torch = pytest.importorskip("torch")
    params = _params_with_grads(rng, 5.0)
    reference = [torch.tensor(p.numpy(), requires_grad=True) for p in params]
    for r, p in zip(reference, params):
        r.grad = torch.tensor(p.grad.numpy())
    total = clip_grad_norm_(params, 0.5)
    expected = torch.nn.utils.clip_grad_norm_(reference, 0.5)
    assert float(total) == pytest.approx(float(expected), rel=1e-6)
    for r, p in zip(reference, params):
        np.testing.assert_allclose(p.grad.numpy(), r.grad.numpy(), rtol=1e-6)


def test_clip_grad_norm_refuses_a_nonfinite_norm_only_when_asked(rng):
    params = _params_with_grads(rng, 1.0)
    params[0].grad._array[0, 0] = np.inf
    before = params[1].grad.numpy().copy()
    with pytest.raises(RuntimeError, match="total norm"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[1].grad.numpy(), before)
    assert math.isinf(float(clip_grad_norm_(params, 1.0)))


def test_clip_grad_norm_skips_parameters_without_gradients_and_accepts_one_tensor():
    p = nn.Parameter(lucid.ones(3))
    assert float(clip_grad_norm_([p], 1.0)) == 0.0
    p.grad = lucid.tensor([3.0, 4.0, 0.0])
    assert float(clip_grad_norm_(p, 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)


def test_clip_grad_value_clamps_each_element(rng):
    params = _params_with_grads(rng, 2.0)
    before = [p.grad.numpy().copy() for p in params]
    clip_grad_value_(params, 0.5)
    for p, g in zip(params, before):
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -0.5, 0.5))


def test_parameters_round_trip_through_one_vector():
    layer = nn.Linear(3, 2)
    vec = parameters_to_vector(layer.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(vec.numpy()[:6], layer.weight.numpy().ravel())
    weight = layer.weight
    vector_to_parameters(lucid.arange(8, dtype="float32"), layer.parameters())
    assert layer.weight is weight
    np.testing.assert_array_equal(layer.weight.numpy(), np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(layer.bias.numpy(), [6.0, 7.0])


def test_parameters_to_vector_is_differentiable():
    layer = nn.Linear(2, 2)
    (parameters_to_vector(layer.parameters()) * lucid.arange(6, dtype="float32")).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), [[0, 1], [2, 3]])
    np.testing.assert_array_equal(layer.bias.grad.numpy(), [4, 5])


@pytest.mark.parametrize("vec, error, message", [
    (np.zeros(8), TypeError, "must be a Tensor"),
    (lucid.zeros(7), ValueError, "hold 8 elements, vec has 7"),
    (lucid.zeros(2, 4), ValueError, "must be 1-D"),
], ids=["not_a_tensor", "wrong_length", "not_1d"])
def test_vector_to_parameters_rejects_a_bad_vector_and_changes_nothing(vec, error, message):
    layer = nn.Linear(3, 2)
    before = layer.weight.numpy().copy()
    with pytest.raises(error, match=message):
        vector_to_parameters(vec, layer.parameters())
    np.testing.assert_array_equal(layer.weight.numpy(), before)
