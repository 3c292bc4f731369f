"""The LazyConvTranspose1d lifecycle: before, inference, training, checkpoints, copies."""

import copy
import pickle

import numpy as np
import pytest

import lucid
import lucid.nn as nn


def make_lazy(**kwargs):
    return nn.LazyConvTranspose1d(**{**dict(out_channels=6, kernel_size=4, stride=2, padding=1), **kwargs})


def test_before_the_first_forward_everything_inferred_reads_none():
    layer = make_lazy()
    assert layer.in_channels is None and layer.weight is None and layer.bias is None
    assert layer.has_uninitialized_params()
    params = list(layer.parameters())
    assert len(params) == 2 and all(isinstance(p, nn.UninitializedParameter) for p in params)
    assert isinstance(layer, nn.ConvTranspose1d)
    assert repr(layer) == ("LazyConvTranspose1d(in_channels=None, out_channels=6, kernel_size=(4,), stride=(2,), "
                           "padding=(1,))")


def test_the_first_forward_infers_in_channels_and_materializes_in_place():
    layer = make_lazy()
    placeholders = list(layer.parameters())
    y = layer(lucid.zeros(3, 5, 7))
    assert y.shape == (3, 6, 14)
    assert layer.in_channels == 5 and not layer.has_uninitialized_params()
    assert layer.weight.shape == (5, 6, 4) and layer.bias.shape == (6,)
    assert layer.weight is placeholders[0] and layer.bias is placeholders[1]
    assert type(layer.weight) is nn.Parameter and layer.weight.requires_grad
    assert "in_channels=5" in repr(layer)


def test_a_materialized_lazy_layer_equals_the_eager_layer_with_the_same_seed(rng):
    lucid.manual_seed(21)
    eager = nn.ConvTranspose1d(5, 6, 4, stride=2, padding=1)
    lucid.manual_seed(21)
    lazy = make_lazy()
    x = lucid.tensor(rng.standard_normal((2, 5, 7)).astype(np.float32))
    np.testing.assert_array_equal(lazy(x).numpy(), eager(x).numpy())
    np.testing.assert_array_equal(lazy.weight.numpy(), eager.weight.numpy())
    np.testing.assert_array_equal(lazy.bias.numpy(), eager.bias.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_weights_follow_the_first_inputs_dtype_when_none_was_given(dtype):
    layer = make_lazy()
    y = layer(lucid.zeros(1, 2, 3, dtype=dtype))
    assert layer.weight.dtype == dtype and layer.bias.dtype == dtype and y.dtype == dtype


def test_an_explicit_dtype_wins_over_the_input_and_to_records_a_target():
    layer = make_lazy(dtype="float64")
    layer(lucid.zeros(1, 2, 3, dtype="float64"))
    assert layer.weight.dtype == "float64"
    moved = make_lazy().to(lucid.float64)
    assert moved.weight is None
    with pytest.raises(TypeError, match="input dtype lucid.float32 and weight dtype lucid.float64 must match"):
        moved(lucid.zeros(1, 2, 3))
    assert moved.has_uninitialized_params()  # the rejected call rolled back
    moved(lucid.zeros(1, 2, 3, dtype="float64"))
    assert moved.weight.dtype == lucid.float64


def test_without_bias_only_the_weight_is_inferred():
    layer = make_lazy(bias=False)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    layer(lucid.zeros(1, 2, 3))
    assert layer.bias is None and layer.weight.shape == (2, 6, 4)


def test_an_optimizer_built_before_the_first_forward_still_trains(rng):
    lucid.manual_seed(0)
    layer = make_lazy(out_channels=2)
    params = list(layer.parameters())  # what an optimizer would hold

    def sgd_step(lr=0.1):
        with lucid.no_grad():
            for p in params:
                if p.grad is not None:
                    p.sub_(p.grad, alpha=lr)
                    p.grad = None

    x = lucid.tensor(rng.standard_normal((4, 3, 8)).astype(np.float32))
    target_layer = nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1)
    with lucid.no_grad():
        target = target_layer(x)
    losses = []
    for _ in range(50):
        loss = ((layer(x) - target) ** 2).mean()
        loss.backward()
        sgd_step()
        losses.append(loss.item())
    assert params[0] is layer.weight and params[1] is layer.bias
    assert losses[-1] < 0.2 * losses[0]


def test_state_dict_before_and_after_materialization():
    layer = make_lazy()
    before = layer.state_dict()
    assert list(before) == ["weight", "bias"]
    assert all(isinstance(v, nn.UninitializedParameter) for v in before.values())
    layer(lucid.zeros(1, 3, 2))
    after = layer.state_dict()
    assert after["weight"].shape == (3, 6, 4) and after["bias"].shape == (6,)
    assert not isinstance(after["weight"], nn.Parameter) and not after["weight"].requires_grad


def test_a_checkpoint_loads_into_a_fresh_lazy_layer_and_reproduces_outputs(rng):
    trained = make_lazy()
    x = lucid.tensor(rng.standard_normal((2, 5, 7)).astype(np.float32))
    expected = trained(x).numpy()
    fresh = make_lazy()
    placeholders = list(fresh.parameters())
    result = fresh.load_state_dict(trained.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert fresh.in_channels == 5 and fresh.weight is placeholders[0]
    np.testing.assert_array_equal(fresh(x).numpy(), expected)


def test_a_float64_checkpoint_materializes_float64_weights_and_numpy_values_load():
    fresh = make_lazy()
    fresh.load_state_dict({"weight": np.ones((2, 6, 4)), "bias": np.zeros(6)})
    assert fresh.in_channels == 2 and fresh.weight.dtype == "float64"
    assert np.array_equal(fresh.weight.numpy(), np.ones((2, 6, 4)))


@pytest.mark.parametrize("state, message", [
    ({"weight": np.zeros((5, 3)), "bias": np.zeros(6)}, "weight must be 3-D, got shape (5, 3)"),
    ({"weight": np.zeros((5, 4, 4)), "bias": np.zeros(6)}, "size mismatch for weight: the checkpoint has shape (5, 4, 4), the model expects (5, 6, 4)"),
    ({"weight": np.zeros((5, 6, 3)), "bias": np.zeros(6)}, "the model expects (5, 6, 4)"),
    ({"weight": np.zeros((5, 6, 4)), "bias": np.zeros(5)}, "size mismatch for bias"),
    ({"weight": np.zeros((5, 6, 4))}, "missing key(s) in state_dict: 'bias'"),
    ({"bias": np.zeros(6)}, "missing key(s) in state_dict: 'weight'"),
    ({"weight": np.zeros((5, 6, 4)), "bias": np.zeros(6), "extra": np.zeros(1)}, "unexpected key(s) in state_dict: 'extra'"),
    ({"weight": "not a tensor", "bias": np.zeros(6)}, "expected a tensor or array, got str"),
], ids=["2d-weight", "out-per-group", "kernel", "bias", "missing-bias", "missing-weight", "unexpected", "type"])
def test_bad_checkpoints_are_load_errors_and_leave_the_layer_unmaterialized(state, message):
    layer = make_lazy()
    with pytest.raises((RuntimeError, TypeError)) as info:
        layer.load_state_dict(state)
    assert message in str(info.value)
    assert layer.in_channels is None and layer.has_uninitialized_params()


def test_a_checkpoint_whose_leading_axis_differs_from_the_inferred_channels_is_rejected():
    layer = make_lazy()
    layer(lucid.zeros(1, 4, 3))
    weight = layer.weight.numpy().copy()
    with pytest.raises(RuntimeError, match=r"checkpoint has shape \(5, 6, 4\), the model expects \(4, 6, 4\)"):
        layer.load_state_dict({"weight": np.zeros((5, 6, 4)), "bias": np.zeros(6)})
    assert np.array_equal(layer.weight.numpy(), weight)


def test_lazy_and_eager_checkpoints_are_interchangeable(rng):
    eager = nn.ConvTranspose1d(3, 6, 4, stride=2, padding=1)
    lazy = make_lazy()
    lazy.load_state_dict(eager.state_dict())
    back = nn.ConvTranspose1d(3, 6, 4, stride=2, padding=1)
    back.load_state_dict(lazy.state_dict())
    x = lucid.tensor(rng.standard_normal((1, 3, 5)).astype(np.float32))
    np.testing.assert_array_equal(back(x).numpy(), eager(x).numpy())


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))], ids=["deepcopy", "pickle"])
def test_copies_before_and_after_materialization_are_independent(copier):
    layer = make_lazy()
    twin = copier(layer)
    assert twin.has_uninitialized_params()
    layer(lucid.zeros(1, 2, 3))
    assert twin.in_channels is None and twin.weight is None
    twin(lucid.zeros(1, 7, 3))
    assert twin.in_channels == 7 and layer.in_channels == 2
    again = copier(layer)
    assert again.weight is not layer.weight
    np.testing.assert_array_equal(again.weight.numpy(), layer.weight.numpy())


def test_a_decoder_of_lazy_layers_infers_every_channel_count():
    decoder = nn.Sequential(make_lazy(out_channels=8), make_lazy(out_channels=4), make_lazy(out_channels=1))
    y = decoder(lucid.zeros(2, 16, 10))
    assert y.shape == (2, 1, 80)
    assert [m.in_channels for m in decoder] == [16, 8, 4]
    fresh = nn.Sequential(make_lazy(out_channels=8), make_lazy(out_channels=4), make_lazy(out_channels=1))
    fresh.load_state_dict(decoder.state_dict())
    x = lucid.randn(2, 16, 10)
    np.testing.assert_array_equal(fresh(x).numpy(), decoder(x).numpy())
