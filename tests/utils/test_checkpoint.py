"""lucid.utils.checkpoint: gradients equal to the plain run, however the block reaches its tensors."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.utils.checkpoint import checkpoint, checkpoint_sequential


def _grads(model, x, run):
    model.zero_grad()
    x.grad = None
    y = run(x)
    (y * lucid.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape))).sum().backward()
    return y.numpy(), [p.grad.numpy().copy() for p in model.parameters()], x.grad


def _model():
    lucid.manual_seed(0)
    return nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.Tanh(), nn.Conv1d(4, 4, 3, padding=1), nn.GELU(),
                         nn.ConvTranspose1d(4, 2, 4, stride=2, padding=1), nn.Tanh())


@pytest.mark.parametrize("x_requires_grad", [True, False], ids=["input_requires_grad", "input_is_data"])
def test_checkpointed_outputs_and_gradients_equal_the_plain_run(x_requires_grad):
    model = _model()
    x = lucid.randn(2, 2, 6, requires_grad=x_requires_grad)
    y_plain, g_plain, gx_plain = _grads(model, x, model)
    y, g, gx = _grads(model, x, lambda v: checkpoint(model, v, use_reentrant=False))
    np.testing.assert_array_equal(y, y_plain)
    for a, b in zip(g, g_plain):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    if x_requires_grad:
        np.testing.assert_allclose(gx.numpy(), gx_plain.numpy(), rtol=1e-6, atol=1e-7)
    else:
        assert gx is None


def test_checkpoint_sequential_equals_the_plain_run():
    model = _model()
    x = lucid.randn(2, 2, 6, requires_grad=True)
    y_plain, g_plain, gx_plain = _grads(model, x, model)
    y, g, gx = _grads(model, x, lambda v: checkpoint_sequential(model, 3, v))
    np.testing.assert_array_equal(y, y_plain)
    for a, b in zip(g + [gx.numpy()], g_plain + [gx_plain.numpy()]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_tensors_a_closure_reads_and_keyword_arguments_get_their_gradients():
    scale = lucid.randn(3, requires_grad=True)
    x = lucid.randn(4, 3, requires_grad=True)

    def block(v, power=2):
        return (v * scale) ** power

    checkpoint(block, x, power=3).sum().backward()
    expected_scale = (3 * (x.numpy() * scale.numpy()) ** 2 * x.numpy()).sum(0)
    np.testing.assert_allclose(scale.grad.numpy(), expected_scale, rtol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), 3 * (x.numpy() * scale.numpy()) ** 2 * scale.numpy(), rtol=1e-5)


def test_autograd_grad_works_through_a_checkpoint_and_leaves_grad_untouched():
    layer = nn.Linear(3, 2)
    x = lucid.randn(5, 3, requires_grad=True)
    (gw_plain,) = lucid.autograd.grad(layer(x).sum(), [layer.weight])
    (gw,) = lucid.autograd.grad(checkpoint(layer, x).sum(), [layer.weight])
    np.testing.assert_allclose(gw.numpy(), gw_plain.numpy(), rtol=1e-6)
    assert layer.weight.grad is None


@pytest.mark.parametrize("preserve", [True, False])
def test_random_draws_repeat_in_the_recomputation_only_when_the_rng_state_is_preserved(preserve):
    x = lucid.ones(200, requires_grad=True)

    def noisy(v):
        return v * lucid.randn(200)

    y = checkpoint(noisy, x, preserve_rng_state=preserve)
    y.sum().backward()
    same = np.array_equal(x.grad.numpy(), y.numpy())  # d(x·noise)/dx = noise = y / 1
    assert same is preserve


def test_checkpointed_gradients_match_finite_differences():
    layer = nn.Linear(3, 3).double()
    x = lucid.randn(2, 3, dtype="float64", requires_grad=True)
    assert lucid.autograd.gradcheck(lambda v, w: checkpoint(lambda a: (layer(a) * w).tanh(), v),
                                    [x, lucid.randn(3, dtype="float64", requires_grad=True)])


def test_changing_a_saved_input_in_place_makes_backward_raise():
    x = lucid.randn(3, 3)
    leaf = lucid.randn(3, 3, requires_grad=True)
    y = checkpoint(lambda a: (a @ leaf).tanh(), x)
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_without_grad_mode_checkpoint_just_calls_the_function():
    layer = nn.Linear(2, 2)
    with lucid.no_grad():
        y = checkpoint(layer, lucid.ones(1, 2))
    assert y.grad_fn is None
    np.testing.assert_array_equal(y.numpy(), layer(lucid.ones(1, 2)).detach().numpy())


@pytest.mark.parametrize("call, error, message", [
    (lambda: checkpoint(lambda v: (v, v), lucid.ones(2, requires_grad=True)), TypeError, "one Tensor"),
    (lambda: checkpoint_sequential(_model(), 0, lucid.ones(1, 2, 4)), ValueError, "positive int"),
    (lambda: checkpoint_sequential(_model(), 7, lucid.ones(1, 2, 4)), ValueError, "more than the 6"),
], ids=["tuple_output", "zero_segments", "too_many_segments"])
def test_bad_input_is_rejected_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()
