"""In-place methods: recorded like PyTorch inside a graph, raw writes outside one, clear errors otherwise."""

import numpy as np
import pytest

import lucid


def _x():
    return lucid.tensor([0.5, -1.0, 2.0], requires_grad=True)


def test_in_place_arithmetic_on_a_non_leaf_is_recorded_and_differentiated():
    x = _x()
    y = x * 1
    out = y.mul_(3).add_(1).pow_(2)
    assert out is y and y.grad_fn is not None and y._version == 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (3 * x.detach().numpy() + 1) * 3)


@pytest.mark.parametrize("method, args, derivative", [
    ("clamp_", (-0.5, 1.0), lambda v: ((v >= -0.5) & (v <= 1.0)).astype(float)),
    ("neg_", (), lambda v: -np.ones_like(v)),
    ("exp_", (), np.exp),
    ("sin_", (), np.cos),
    ("sqrt_", (), None),
    ("masked_fill_", (lucid.tensor([True, False, False]), 7.0), lambda v: np.array([0.0, 1.0, 1.0])),
    ("zero_", (), lambda v: np.zeros_like(v)),
    ("fill_", (4.0,), lambda v: np.zeros_like(v)),
    ("sub_", (lucid.tensor([1.0, 2.0, 3.0]),), lambda v: np.ones_like(v)),
    ("div_", (2.0,), lambda v: np.full_like(v, 0.5)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_each_in_place_method_passes_the_gradient_of_its_operation(method, args, derivative):
    if derivative is None:  # sqrt_: positive inputs
        x = lucid.tensor([0.25, 1.0, 4.0], requires_grad=True)
        derivative = lambda v: 0.5 / np.sqrt(v)  # noqa: E731
    else:
        x = _x()
    y = x * 1
    getattr(y, method)(*args)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), derivative(x.detach().numpy().astype(np.float64)), rtol=1e-6)


def test_in_place_values_equal_the_out_of_place_ones():
    x = lucid.randn(4)
    for method, args in [("clamp_", (-0.2, 0.3)), ("masked_fill_", (x > 0, 1.0)), ("pow_", (2,)), ("neg_", ())]:
        expected = getattr(x, method[:-1])(*args).numpy()
        got = getattr(x.clone(), method)(*args).numpy()
        np.testing.assert_array_equal(got, expected)


def test_a_graph_that_kept_the_old_values_raises_after_a_recorded_in_place_change():
    x = _x()
    y = x * 1
    z = y * y  # keeps y for its backward
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


def test_an_earlier_use_of_the_old_value_still_gets_its_own_gradient():
    # v used y before the change; its gradient must not go through the in-place multiplication
    x = _x()
    y = x * 1
    v = y + 3
    y.mul_(2)
    (v.sum() + y.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0, 3.0])


def test_an_in_place_add_of_a_graph_tensor_into_a_plain_tensor_joins_the_graph():
    x = _x()
    total = lucid.zeros(3)
    total += x * 2
    assert total.grad_fn is not None and total.requires_grad
    total.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_copy_into_a_plain_tensor_records_the_source():
    x = _x()
    buffer = lucid.zeros(2, 3)
    buffer.copy_(x * 2)
    (buffer * lucid.tensor([[1.0], [3.0]])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 8.0, 8.0])


def test_augmented_assignment_is_in_place_as_in_pytorch():
    x = lucid.ones(3)
    alias, before = x, x._array
    x += 1
    x *= 3
    assert x is alias and x._array is before and x.tolist() == [6.0, 6.0, 6.0] and x._version == 2


def test_autograd_grad_sees_through_in_place_ops():
    x = _x()
    y = x * 2
    y.add_(x)
    (g,) = lucid.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(g.numpy(), [3.0, 3.0, 3.0])


def test_in_place_changes_of_leaves_that_require_grad_still_raise_outside_no_grad():
    w = _x()
    for call in (lambda: w.add_(1), lambda: w.clamp_(0, 1), lambda: w.masked_fill_(w > 0, 0.0), lambda: w.zero_()):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad is being modified in place"):
            call()
    assert w.tolist() == [0.5, -1.0, 2.0] and w._version == 0
    with lucid.no_grad():
        w.clamp_(0, 1).mul_(2)
    assert w.tolist() == [1.0, 0.0, 2.0] and w.grad_fn is None


def test_in_place_changes_of_views_inside_a_graph_reach_the_base_like_pytorch():
    # expected values from PyTorch 2.13 on the same program
    values = np.array([[0.3, -1.2, 2.0, 0.1], [1.5, -0.1, 0.7, -2.0]], dtype=np.float32)
    x = lucid.tensor(values, requires_grad=True)
    w = lucid.tensor([2.0, 3.0], requires_grad=True)
    y = x * 2
    y[:, 1:3].mul_(w.reshape(2, 1)).clamp_(-2, 2)  # a slice
    y.view(8)[0:2] += 5  # a slice of a reshape
    y.t()[0].sin_()  # a row of a transpose
    y[0][1] = w[0] * w[1]  # item assignment into a view
    (y * lucid.tensor(values)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [[-0.6313, 6.0, 2.0, 0.2], [0.1411, -0.6, 2.0, -4.0]], atol=1e-4)
    np.testing.assert_allclose(x.grad.numpy(), [[0.4653, 0.0, 0.0, 0.2], [-2.97, -0.6, 0.0, -4.0]], atol=1e-4)
    np.testing.assert_allclose(w.grad.numpy(), [-3.6, -2.38], atol=1e-4)


def test_in_place_changes_of_an_expanded_tensor_are_refused_and_change_nothing():
    x = lucid.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="in-place add_: this tensor's memory is read-only"):
        x.expand(3, 2).add_(1)
    y = x * lucid.ones(1, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"in-place mul_ on a view \(from ExpandBackward\).*clone\(\)"):
        y.expand(3, 2).mul_(2)
    assert x.tolist() == [1.0, 2.0] and y.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("call, message", [
    (lambda t: t.add_(lucid.ones(2, 3)), r"in-place add_: the result has shape \(2, 3\), which does not fit this "
                                           r"tensor's shape \(3,\)"),
    (lambda t: t.long().div_(2), "result type lucid.float32 cannot be cast to this tensor's dtype lucid.int64"),
    (lambda t: t.fill_(lucid.ones(2)), "fill_ takes a number or a one-element tensor"),
    (lambda t: t.copy_(lucid.ones(4)), r"copy_: source of shape \(4,\) does not fit \(3,\)"),
], ids=["broadcast-output", "float-into-int", "fill-many", "copy-shape"])
def test_a_failed_in_place_call_names_the_problem_and_changes_nothing(call, message):
    t = lucid.tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=message):
        call(t)
    assert t.tolist() == [1.0, 2.0, 3.0] and t._version == 0


def test_in_place_ops_on_a_non_leaf_match_pytorch():
    torch = pytest.importorskip("torch")
    values = np.array([[0.3, -1.2, 2.0], [1.5, -0.1, 0.7]], dtype=np.float32)
    results = []
    for lib in (lucid, torch):
        x = lib.tensor(values, requires_grad=True)
        y = x * 2
        z = y * 3  # built before the change; its backward needs only the 3
        y.clamp_(-1.0, 2.5).mul_(x).masked_fill_(x < 0, 0.5)
        y += 1
        (y.sum() + z.sum()).backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    for got, expected in zip(*results):
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_item_assignment_inside_a_graph_is_recorded_like_pytorch():
    x = lucid.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    v = lucid.tensor([10.0, 20.0], requires_grad=True)
    y = x * 2
    y[:, 1] = v * 3
    y[0, 0] = 0.0
    (y * lucid.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert y.tolist() == [[0.0, 30.0, 6.0], [8.0, 60.0, 12.0]]
    assert x.grad.tolist() == [[0.0, 0.0, 6.0], [8.0, 0.0, 12.0]] and v.grad.tolist() == [6.0, 15.0]


def test_a_copying_reshape_does_not_share_the_version_counter():
    x = lucid.ones(2, 3)
    assert x.reshape(6)._version_box is x._version_box  # a real view
    assert x.t().reshape(6)._version_box is not x._version_box  # had to copy
    assert x.repeat(2, 1)._version_box is not x._version_box


def test_normal_on_a_non_leaf_inside_a_graph_cuts_the_gradient_like_pytorch():
    x = _x()
    y = x * 2
    y.normal_()
    (y + x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
