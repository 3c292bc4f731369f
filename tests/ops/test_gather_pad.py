"""Gather, ScatterAdd and ConstantPad: against naive array code, and their gradients of first and second order."""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck
from lucid.ops.gather import Gather, ScatterAdd
from lucid.ops.pad import ConstantPad


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_scatter_add_sums_repeated_indices_and_leaves_unhit_targets_zero(axis, rng):
    index = np.array([[3, 0], [3, 3], [1, 0]])
    shape = [2, 3, 2]
    shape[axis] = 5
    x_shape = tuple(shape[:axis]) + index.shape + tuple(shape[axis + 1:])
    x = rng.standard_normal(x_shape)
    out = ScatterAdd.apply(lucid.tensor(x), axis=axis, index=index, size=5).numpy()
    expected = np.zeros(shape)
    moved = np.moveaxis(expected, axis, 0)
    np.add.at(moved, index.reshape(-1), np.moveaxis(x.reshape(tuple(shape[:axis]) + (6,) + tuple(shape[axis + 1:])),
                                                    axis, 0))
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_gather_and_scatter_add_are_adjoint(rng):
    index = rng.integers(0, 4, (3, 2))
    x = rng.standard_normal((2, 4, 3))
    y = rng.standard_normal((2, 3, 2, 3))
    left = np.sum(Gather.apply(lucid.tensor(x), axis=1, index=index).numpy() * y)
    right = np.sum(x * ScatterAdd.apply(lucid.tensor(y), axis=1, index=index, size=4).numpy())
    np.testing.assert_allclose(left, right, rtol=1e-12)


def _second_order(function, x):
    def first_gradient(t):
        with lucid.enable_grad():
            (g,) = lucid.autograd.grad((function(t) ** 3).sum(), t, create_graph=True)
        return g

    return gradcheck(first_gradient, x)


def test_gather_gradients_of_first_and_second_order_match_finite_differences(rng):
    index = np.array([2, 0, 2, 1])
    x = lucid.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(lambda t: Gather.apply(t, axis=1, index=index), x)
    assert _second_order(lambda t: Gather.apply(t, axis=1, index=index), x)


def test_scatter_add_gradients_match_finite_differences(rng):
    index = np.array([2, 0, 2])
    x = lucid.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(lambda t: ScatterAdd.apply(t, axis=0, index=index, size=4), x)
    assert _second_order(lambda t: ScatterAdd.apply(t, axis=0, index=index, size=4), x)


def test_gather_skip_passes_no_gradient_for_that_index():
    x = lucid.ones(3, 2, requires_grad=True)
    Gather.apply(x, axis=0, index=np.array([0, 1, 1, 2]), skip=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1], [0, 0], [1, 1]])


def test_constant_pad_crops_for_negative_amounts_and_its_gradients_check(rng):
    x = rng.standard_normal((3, 4))
    out = ConstantPad.apply(lucid.tensor(x), pads=((1, -1), (-2, 2)), value=7.0).numpy()
    expected = np.pad(x[:2, 2:], ((1, 0), (0, 2)), constant_values=7.0)
    np.testing.assert_array_equal(out, expected)
    t = lucid.tensor(x, requires_grad=True)
    assert gradcheck(lambda t: ConstantPad.apply(t, pads=((1, -1), (-2, 2)), value=7.0), t)
    assert _second_order(lambda t: ConstantPad.apply(t, pads=((2, 0), (-1, 1)), value=0.0), t)
