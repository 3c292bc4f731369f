"""F.pad in every mode: finite-difference gradients, live PyTorch parity, bad input."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

PADS = [
    ("constant", (2, 1)), ("constant", (1, -2, 0, 3)), ("constant", (-1, -1, 1, 0, 2, 1)),
    ("reflect", (2, 3)), ("reflect", (-1, 2, 3, 1)), ("replicate", (3, 0, 0, 4)), ("replicate", (-2, 1)),
    ("circular", (3, 2)), ("circular", (-1, 2, 2, -1)),
]


@pytest.mark.parametrize("mode, pad", PADS, ids=[f"{m}{p}" for m, p in PADS])
def test_pad_gradients_match_finite_differences(mode, pad, rng):
    x = lucid.tensor(rng.standard_normal((2, 3, 4, 5)), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, pad, mode=mode), x)


@pytest.mark.parametrize("mode, pad", PADS, ids=[f"{m}{p}" for m, p in PADS])
def test_pad_forward_and_gradient_equal_live_torch(mode, pad, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal({2: (2, 3, 5), 4: (2, 3, 4, 5), 6: (1, 2, 3, 4, 5)}[len(pad)])  # ranks torch accepts
    g_shape = torch.nn.functional.pad(torch.tensor(x), pad, mode=mode).shape
    g = rng.standard_normal(tuple(g_shape))
    ours = lucid.tensor(x, requires_grad=True)
    out = F.pad(ours, pad, mode=mode, value=0.5 if mode == "constant" else None)
    out.backward(lucid.tensor(g))
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.pad(theirs, pad, mode=mode, value=0.5 if mode == "constant" else None)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_reflection_pad_second_derivative_matches_finite_differences(rng):
    x = lucid.tensor(rng.standard_normal((1, 2, 5)), requires_grad=True)

    def first_gradient(t):
        with lucid.enable_grad():  # gradcheck's probes run under no_grad
            y = nn.ReflectionPad1d((2, 3))(t)
            (gx,) = lucid.autograd.grad((y * y * y).sum(), t, create_graph=True)
        return gx

    assert gradcheck(first_gradient, x)


def test_padding_layers_take_an_int_for_every_side():
    x = lucid.ones(1, 1, 2, 3)
    assert nn.ZeroPad2d(1)(x).shape == (1, 1, 4, 5)
    assert nn.ReplicationPad1d(2)(x[0]).shape == (1, 2, 7)
    assert repr(nn.ConstantPad1d(2, 3.0)) == "ConstantPad1d((2, 2), value=3.0)"


PAD_ERRORS = [
    # (pad, mode, input shape, error, message)
    ((3, 1), "reflect", (1, 2, 3), ValueError,
     r"reflect padding must be smaller than the padded dim, got padding \(3, 1\) at dim 2 of input shape \(1, 2, 3\)"),
    ((1, 1), "mirror", (1, 2, 3), ValueError,
     r"mode must be one of \('constant', 'reflect', 'replicate', 'circular'\), got 'mirror'"),
    ((1,), "constant", (1, 2, 3), ValueError, "padding length must be divisible by 2, got 1 values"),
    ((1,) * 8, "constant", (1, 2, 3), ValueError, "at most twice the input's 3 dims, got 8 values"),
    ((4, 0), "circular", (1, 2, 3), ValueError, r"circular padding must be at most the padded dim"),
    ((-2, -2), "constant", (1, 2, 3), ValueError, r"padding \(-2, -2\) leaves dim 2 of input shape \(1, 2, 3\)"),
    ((1.5, 1), "constant", (1, 2, 3), TypeError, "pad must be a sequence of ints"),
]


@pytest.mark.parametrize("pad, mode, shape, error, message", PAD_ERRORS, ids=[r[1] + str(r[0]) for r in PAD_ERRORS])
def test_bad_padding_raises_a_clear_error(pad, mode, shape, error, message):
    x = lucid.ones(*shape)
    with pytest.raises(error, match=message):
        F.pad(x, pad, mode=mode)


def test_a_reflection_pad_layer_that_refuses_an_input_keeps_working():
    layer = nn.ReflectionPad1d(3)
    with pytest.raises(ValueError, match="reflect padding must be smaller"):
        layer(lucid.ones(1, 1, 3))
    assert layer.padding == (3, 3)
    assert layer(lucid.ones(1, 1, 4)).shape == (1, 1, 10)
