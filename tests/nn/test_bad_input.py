"""Bad input gets a clear error that names the argument, and a failed call changes nothing."""

import copy

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F

GOOD = dict(out_channels=4, kernel_size=3, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1)

CONSTRUCTION_ERRORS = [
    # (changed arguments, exception, message fragment)
    (dict(out_channels=0), ValueError, "out_channels must be a positive int, got 0"),
    (dict(out_channels=-2), ValueError, "out_channels must be a positive int, got -2"),
    (dict(out_channels=2.5), TypeError, "out_channels must be an int, got float 2.5"),
    (dict(out_channels="4"), TypeError, "out_channels must be an int"),
    (dict(kernel_size=0), ValueError, "kernel_size must be positive, got 0"),
    (dict(kernel_size=1.5), TypeError, "kernel_size must be an int or a tuple of 1 ints, got 1.5"),
    (dict(kernel_size=(3, 3)), TypeError, "kernel_size must be an int or a tuple of 1 ints, got (3, 3)"),
    (dict(stride=0), ValueError, "stride must be positive, got 0"),
    (dict(stride=True), TypeError, "stride must be an int"),
    (dict(dilation=0), ValueError, "dilation must be positive, got 0"),
    (dict(dilation=-1), ValueError, "dilation must be positive, got -1"),
    (dict(groups=0), ValueError, "groups must be a positive int, got 0"),
    (dict(groups=2.0), TypeError, "groups must be an int, got float 2.0"),
    (dict(padding=-1), ValueError, "padding must be non-negative, got -1"),
    (dict(padding="same"), ValueError, "String padding is not supported"),
    (dict(padding="valid"), ValueError, "String padding is not supported"),
    (dict(output_padding=-1), ValueError, "output_padding must be non-negative, got -1"),
    (dict(stride=2, output_padding=2), ValueError, "output_padding must be smaller than max(stride, dilation) = 2, got (2,)"),
    (dict(stride=1, dilation=1, output_padding=1), ValueError, "max(stride, dilation) = 1"),
    (dict(groups=3), ValueError, "out_channels (4) must be divisible by groups (3)"),
    (dict(bias="yes"), TypeError, "bias must be a bool"),
    (dict(dtype="float8"), ValueError, "dtype must be one of"),
    (dict(dtype="int64"), TypeError, "dtype must be a floating point dtype, got lucid.int64"),
    (dict(dtype=3.5), TypeError, "dtype must be a lucid dtype, a string or a NumPy dtype"),
    (dict(device="tpu"), ValueError, "device must be one of ['cpu'], got 'tpu'"),
    (dict(device="cuda"), RuntimeError, "no GPU backend is available"),
    (dict(device="gpu"), RuntimeError, "no GPU backend is available"),
    (dict(device=0), TypeError, "device must be a string"),
]


@pytest.mark.parametrize("layer", ["eager", "lazy"])
@pytest.mark.parametrize("changes, error, message", CONSTRUCTION_ERRORS,
                         ids=[f"{list(c)[0]}={list(c.values())[0]!r}" for c, _, _ in CONSTRUCTION_ERRORS])
def test_bad_constructor_arguments_raise_a_clear_error(layer, changes, error, message):
    kwargs = {**GOOD, **changes}
    with pytest.raises(error) as info:
        if layer == "lazy":
            nn.LazyConvTranspose1d(**kwargs)
        else:
            nn.ConvTranspose1d(4, **kwargs)
    assert message in str(info.value)


def test_eager_in_channels_is_checked_too():
    with pytest.raises(ValueError, match=r"in_channels \(3\) must be divisible by groups \(2\)"):
        nn.ConvTranspose1d(3, 4, 3, groups=2)
    with pytest.raises(TypeError, match="in_channels must be an int, got NoneType"):
        nn.ConvTranspose1d(None, 4, 3)
    with pytest.raises(TypeError, match="unexpected keyword argument .in_channels."):
        nn.LazyConvTranspose1d(4, 3, in_channels=2)


FORWARD_ERRORS = [
    # (input, exception, message fragment) for a layer expecting 4 channels
    (lambda: lucid.zeros(5), ValueError,
     "input must be 3-D (batch, channels, *spatial) or 2-D (channels, *spatial), got 1-D input of shape (5,)"),
    (lambda: lucid.zeros(1, 1, 4, 5), ValueError, "got 4-D input of shape (1, 1, 4, 5)"),
    (lambda: lucid.zeros(2, 4, 5, dtype="int64"), TypeError, "input must be floating point, got dtype lucid.int64"),
    (lambda: np.zeros((2, 4, 5)), TypeError, "input must be a Tensor, got ndarray"),
    (lambda: lucid.zeros(2, 3, 5), ValueError, "expected input with in_channels=4 channels"),
    (lambda: lucid.zeros(2, 4, 5, dtype="float64"), TypeError, "input dtype lucid.float64 and weight dtype lucid.float32 must match"),
    (lambda: lucid.zeros(1, 4, 0), ValueError, "only an empty batch or zero channels may be empty, got input of shape (1, 4, 0)"),
]


@pytest.mark.parametrize("make_input, error, message", FORWARD_ERRORS,
                         ids=["1d", "4d", "int", "ndarray", "channels", "dtype", "length-0"])
def test_bad_forward_input_raises_a_clear_error_and_changes_nothing(make_input, error, message):
    layer = nn.ConvTranspose1d(4, 2, 3)
    before = copy.deepcopy(layer.state_dict())
    with pytest.raises(error) as info:
        layer(make_input())
    assert message in str(info.value)
    assert all(np.array_equal(before[k].numpy(), v.numpy()) for k, v in layer.state_dict().items())


def test_an_output_length_that_is_not_positive_is_rejected():
    layer = nn.ConvTranspose1d(1, 1, kernel_size=1, padding=2)
    with pytest.raises(ValueError, match=r"output length .* = -3 is not positive for L=1"):
        layer(lucid.zeros(1, 1, 1))


@pytest.mark.parametrize("make_input, error, message", [
    (lambda: lucid.zeros(5), ValueError, "got 1-D input"),
    (lambda: lucid.zeros(1, 3, 5, dtype="int64"), TypeError, "must be floating point"),
    (lambda: lucid.zeros(1, 3, 5), ValueError, "in_channels (3) must be divisible by groups (2)"),
    (lambda: lucid.zeros(1, 4, 1), ValueError, "is not positive"),
    (lambda: lucid.zeros(1, 4, 0), ValueError, "only an empty batch or zero channels may be empty"),
], ids=["1d", "int", "groups", "length", "length-0"])
def test_a_lazy_layer_whose_first_input_was_rejected_stays_unmaterialized(make_input, error, message):
    layer = nn.LazyConvTranspose1d(2, 1, padding=3, groups=2)
    params = list(layer.parameters())
    with pytest.raises(error) as info:
        layer(make_input())
    assert message in str(info.value)
    assert layer.in_channels is None and layer.weight is None and layer.bias is None
    assert layer.has_uninitialized_params()
    assert list(layer.parameters()) == params and all(isinstance(p, nn.UninitializedParameter) for p in params)
    layer.padding = (0,)
    assert layer(lucid.zeros(1, 4, 3)).shape == (1, 2, 3)  # still usable afterwards


def test_a_later_input_with_other_channels_is_rejected_after_inference():
    layer = nn.LazyConvTranspose1d(2, 3)
    layer(lucid.zeros(1, 5, 4))
    weight = layer.weight.numpy().copy()
    with pytest.raises(ValueError, match=r"expected input with in_channels=5 channels .* got 6 channels"):
        layer(lucid.zeros(1, 6, 4))
    assert layer.in_channels == 5 and np.array_equal(layer.weight.numpy(), weight)


FUNCTIONAL_ERRORS = [
    (dict(weight=lambda: lucid.zeros(3, 2, 3)), ValueError, "input has 4 channels but weight expects 3"),
    (dict(weight=lambda: lucid.zeros(4, 2)), ValueError, "weight must be 3-D, got shape (4, 2)"),
    (dict(bias=lambda: lucid.zeros(3)), ValueError, "bias must have shape (2,), got (3,)"),
    (dict(groups=3), ValueError, "in_channels (4) must be divisible by groups (3)"),
    (dict(stride=2, output_padding=3), ValueError, "output_padding must be smaller than max(stride, dilation) = 2"),
    (dict(padding="same"), ValueError, "String padding is not supported"),
    (dict(stride=0), ValueError, "stride must be positive, got 0"),
]


@pytest.mark.parametrize("changes, error, message", FUNCTIONAL_ERRORS,
                         ids=["channels", "weight-rank", "bias", "groups", "output_padding", "string", "stride"])
def test_functional_conv_transpose1d_checks_its_arguments(changes, error, message):
    kwargs = dict(weight=lambda: lucid.zeros(4, 2, 3), bias=lambda: None)
    kwargs.update({k: v for k, v in changes.items()})
    weight, bias = kwargs.pop("weight")(), kwargs.pop("bias")()
    with pytest.raises(error) as info:
        F.conv_transpose1d(lucid.zeros(1, 4, 5), weight, bias, **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize("layer", [nn.Conv1d(4, 2, 1, padding=1), nn.ConvTranspose1d(4, 2, 3)], ids=["conv", "transposed"])
def test_an_empty_batch_is_fine_but_an_empty_length_is_refused_like_pytorch(layer):
    assert layer(lucid.zeros(0, 4, 5)).shape[0] == 0
    with pytest.raises(ValueError, match="empty spatial dim"):
        layer(lucid.zeros(2, 4, 0))
