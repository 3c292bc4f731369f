"""BatchNorm, LayerNorm, GroupNorm: finite-difference gradients, running statistics, bad input."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck


def _param(rng, *shape):
    return lucid.tensor(rng.standard_normal(shape), requires_grad=True)


def test_batch_norm_gradients_match_finite_differences_in_training(rng):
    x, w, b = _param(rng, 3, 2, 4), _param(rng, 2), _param(rng, 2)
    rm, rv = lucid.zeros(2, dtype="float64"), lucid.ones(2, dtype="float64")
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=True), (x, w, b))


def test_batch_norm_gradients_match_finite_differences_in_eval(rng):
    x, w, b = _param(rng, 3, 2, 4), _param(rng, 2), _param(rng, 2)
    rm, rv = lucid.tensor(rng.standard_normal(2)), lucid.tensor(rng.random(2) + 0.5)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))


def test_layer_norm_gradients_match_finite_differences(rng):
    x, w, b = _param(rng, 2, 3, 4), _param(rng, 3, 4), _param(rng, 3, 4)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), (x, w, b))


def test_group_norm_gradients_match_finite_differences(rng):
    x, w, b = _param(rng, 2, 4, 3), _param(rng, 4), _param(rng, 4)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))


def test_batch_norm_second_derivative_matches_finite_differences(rng):
    x = _param(rng, 4, 2)
    rm, rv = lucid.zeros(2, dtype="float64"), lucid.ones(2, dtype="float64")

    def first_gradient(t):
        with lucid.enable_grad():
            y = F.batch_norm(t, rm, rv, training=True)
            (g,) = lucid.autograd.grad((y * y * y).sum(), t, create_graph=True)
        return g

    assert gradcheck(first_gradient, x)


def test_eval_mode_uses_the_running_statistics():
    layer = nn.BatchNorm1d(2)
    layer.running_mean.copy_(lucid.tensor([1.0, -1.0]))
    layer.running_var.copy_(lucid.tensor([4.0, 0.25]))
    layer.eval()
    out = layer(lucid.tensor([[3.0, 0.0]]))  # a batch of one is fine in eval
    np.testing.assert_allclose(out.numpy(), [[2 / np.sqrt(4 + 1e-5), 1 / np.sqrt(0.25 + 1e-5)]], rtol=1e-6)
    assert layer.num_batches_tracked.item() == 0


def test_training_counts_batches_and_updates_with_the_unbiased_variance():
    layer = nn.BatchNorm1d(1, momentum=0.5)
    layer(lucid.tensor([[0.0], [2.0]]))
    assert layer.num_batches_tracked.item() == 1 and layer.num_batches_tracked.dtype == lucid.int64
    np.testing.assert_allclose(layer.running_mean.numpy(), [0.5])
    np.testing.assert_allclose(layer.running_var.numpy(), [0.5 * 1 + 0.5 * 2.0])  # unbiased var of {0, 2} is 2


def test_untracked_batch_norm_has_no_buffers_and_always_uses_batch_statistics():
    layer = nn.BatchNorm1d(2, track_running_stats=False).eval()
    assert list(layer.state_dict()) == ["weight", "bias"]
    out = layer(lucid.tensor([[1.0, 2.0], [3.0, 6.0]]))
    np.testing.assert_allclose(out.numpy(), [[-1, -1], [1, 1]], atol=1e-4)


def test_batch_norm_state_dict_keys_equal_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Conv1d(2, 3, 1), torch.nn.BatchNorm1d(3), torch.nn.LayerNorm(4),
                                 torch.nn.GroupNorm(1, 3))
    ours = nn.Sequential(nn.Conv1d(2, 3, 1), nn.BatchNorm1d(3), nn.LayerNorm(4), nn.GroupNorm(1, 3))
    theirs(torch.randn(2, 2, 4))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    assert ours[1].num_batches_tracked.item() == 1


NORM_ERRORS = [
    # (layer, input shape, message)
    (lambda: nn.BatchNorm1d(4), (2, 3, 5), r"expected input with num_features=4 channels \(dim 1\), got 3 channels"),
    (lambda: nn.BatchNorm2d(3), (2, 3, 5), r"expected 4-D input, got 3-D input of shape \(2, 3, 5\)"),
    (lambda: nn.BatchNorm1d(3), (1, 3), "expected more than 1 value per channel when training"),
    (lambda: nn.LayerNorm(4), (2, 5), r"normalized_shape=\[4\] expects input of shape \[\*, 4\], got input of shape"),
    (lambda: nn.GroupNorm(2, 4), (2, 6, 3), r"expected input with num_channels=4 channels \(dim 1\), got 6"),
]


@pytest.mark.parametrize("make, shape, message", NORM_ERRORS, ids=["bn channels", "bn rank", "bn one value",
                                                                   "ln shape", "gn channels"])
def test_a_bad_input_raises_clearly_and_changes_no_statistic(make, shape, message):
    layer = make()
    before = {k: v.numpy().copy() for k, v in layer.state_dict().items()}
    with pytest.raises(ValueError, match=message):
        layer(lucid.ones(*shape))
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key], err_msg=key)


def test_group_norm_refuses_groups_that_do_not_divide_the_channels():
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)


def test_batch_norm_keeps_float64_after_double():
    layer = nn.BatchNorm2d(2).double()
    out = layer(lucid.tensor(np.ones((2, 2, 2, 2))))
    assert out.dtype == lucid.float64 and layer.running_var.dtype == lucid.float64


def test_tracked_instance_norm_over_train_steps_then_eval_equals_torch(rng):
    torch = pytest.importorskip("torch")
    ours = nn.InstanceNorm1d(3, affine=True, track_running_stats=True).double()
    theirs = torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True).double()
    for _ in range(3):
        x = rng.standard_normal((2, 3, 5)) * 3 + 1
        ours(lucid.tensor(x))
        theirs(torch.tensor(x))
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 5))
    np.testing.assert_allclose(ours(lucid.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-10, err_msg=key)


def test_instance_norm_gradients_match_finite_differences(rng):
    x, w, b = _param(rng, 2, 3, 4), _param(rng, 3), _param(rng, 3)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))


def test_normalize_gives_unit_rows_and_a_zero_row_a_finite_zero_gradient():
    x = lucid.tensor([[3.0, 4.0], [0.0, 0.0]], requires_grad=True)
    out = F.normalize(x, dim=1)
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    out.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy()[1], [1e12, 1e12], rtol=1e-6)  # 1/eps, as PyTorch


def test_one_hot_marks_each_class():
    out = F.one_hot(lucid.tensor([[0, 2], [1, 1]]), num_classes=3)
    assert out.dtype == lucid.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[0], [[1, 0, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="class value 3 is not below num_classes=3"):
        F.one_hot(lucid.tensor([3]), num_classes=3)
