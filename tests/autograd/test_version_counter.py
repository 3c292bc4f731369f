"""The version counter: in-place changes are counted, and a backward that needs a changed tensor raises."""

import numpy as np
import pytest

import lucid
from lucid import nn, optim


def test_data_is_a_detached_tensor_sharing_storage_with_its_parameter():
    layer = nn.Linear(3, 2)
    data = layer.weight.data
    assert isinstance(data, lucid.Tensor) and not data.requires_grad and data.grad_fn is None
    data.normal_(0.0, 0.01)
    assert np.shares_memory(data.numpy(), layer.weight.numpy())
    data.zero_()
    assert np.all(layer.weight.numpy() == 0)


def test_assigning_data_swaps_the_values_and_keeps_the_parameter_object():
    weight = nn.Parameter(lucid.zeros(2, 3))
    weight.data = lucid.ones(4)
    assert weight.shape == (4,) and weight.requires_grad and np.all(weight.numpy() == 1)


def test_in_place_changes_bump_the_version_shared_with_data_and_detach():
    x = lucid.zeros(3)
    alias, detached = x.data, x.detach()
    start = x._version
    x.add_(1)
    alias.mul_(2)
    detached[0] = 5.0
    assert x._version == alias._version == detached._version == start + 3
    assert x.tolist() == [5.0, 2.0, 2.0]


def test_an_out_of_place_op_leaves_the_version_alone():
    x = lucid.zeros(3)
    _ = x + 1
    assert x._version == 0


def test_a_backward_that_needs_a_tensor_changed_in_place_raises():
    x = lucid.randn(4, requires_grad=True)
    y = x * 2
    z = y * y  # keeps y for its backward
    with lucid.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation.*version 1; expected version 0"):
        z.sum().backward()


def test_an_output_kept_for_backward_and_changed_in_place_raises():
    x = lucid.randn(4, requires_grad=True)
    y = x.exp()  # exp's backward reads its own output
    with lucid.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="in-place operation"):
        y.sum().backward()


def test_a_backward_that_does_not_read_the_changed_tensor_still_runs():
    x = lucid.randn(4, requires_grad=True)
    y = x * 1
    z = y + 3  # an addition keeps nothing
    with lucid.no_grad():
        y.add_(1)
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(4, dtype=np.float32))


def test_an_optimizer_step_and_a_state_dict_load_bump_the_parameter_version():
    layer = nn.Linear(2, 2)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    layer(lucid.ones(1, 2)).sum().backward()
    before = layer.weight._version
    opt.step()
    assert layer.weight._version == before + 1
    layer.load_state_dict(layer.state_dict())
    assert layer.weight._version == before + 2


def test_a_stale_graph_over_a_stepped_weight_raises_like_pytorch():
    layer = nn.Linear(2, 2)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    x = lucid.ones(1, 2, requires_grad=True)
    out = layer(x).sum()
    layer.weight.grad = lucid.ones(2, 2)
    opt.step()
    with pytest.raises(RuntimeError, match="in-place operation"):
        out.backward()


def test_a_change_through_a_view_is_seen_by_a_graph_that_kept_the_base():
    x = lucid.randn(2, 3, requires_grad=True)
    y = x * 1
    z = y * y
    view = y.reshape(6)
    with lucid.no_grad():
        view.add_(1)
    assert y._version == 1
    with pytest.raises(RuntimeError, match="in-place operation"):
        z.sum().backward()
