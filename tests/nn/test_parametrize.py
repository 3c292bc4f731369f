"""weight_norm, spectral_norm and parametrizations against PyTorch fixtures, finite differences and torch itself."""

import json
import pathlib

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.nn.utils import parametrizations, parametrize, remove_spectral_norm, remove_weight_norm, spectral_norm, \
    weight_norm

FIXTURES = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "parametrize.npz", allow_pickle=False)
CASES = sorted({key.split("/")[0] for key in FIXTURES.files})

LAYERS = {
    "conv1d": lambda: nn.Conv1d(4, 6, 3, padding=1),
    "conv_transpose1d": lambda: nn.ConvTranspose1d(4, 6, 4, stride=2, padding=1),
    "linear": lambda: nn.Linear(5, 3),
    "conv2d": lambda: nn.Conv2d(3, 4, (2, 3)),
}
TRANSFORMS = {
    "weight_norm": weight_norm,
    "parametrizations.weight_norm": parametrizations.weight_norm,
    "spectral_norm": spectral_norm,
    "parametrizations.spectral_norm": parametrizations.spectral_norm,
}


def _case(case):
    config = json.loads(str(FIXTURES[f"{case}/config"]))
    keys = [str(k) for k in FIXTURES[f"{case}/keys"]]
    state = {key: FIXTURES[f"{case}/sd/{key}"] for key in keys}
    module = TRANSFORMS[config["transform"]](LAYERS[config["layer"]](), **config["kwargs"])
    return module, keys, state


@pytest.mark.parametrize("case", CASES)
def test_a_torch_checkpoint_loads_strictly_and_saves_back_under_the_same_keys(case):
    module, keys, state = _case(case)
    module.load_state_dict(state, strict=True)
    saved = module.state_dict()
    assert list(saved) == keys
    for key in keys:
        np.testing.assert_array_equal(saved[key].numpy(), state[key])


@pytest.mark.parametrize("case", CASES)
def test_train_and_eval_outputs_gradients_and_power_iteration_match_torch(case):
    module, _, state = _case(case)
    module.load_state_dict(state)
    module.train()
    y = module(lucid.tensor(FIXTURES[f"{case}/x"]))
    np.testing.assert_allclose(y.numpy(), FIXTURES[f"{case}/y_train"], rtol=1e-4, atol=1e-5)
    (y * lucid.tensor(FIXTURES[f"{case}/probe"])).sum().backward()
    names = [key.split("/", 2)[2] for key in FIXTURES.files if key.startswith(f"{case}/grad/")]
    params = dict(module.named_parameters())
    assert sorted(params) == sorted(names)
    for name in names:
        np.testing.assert_allclose(params[name].grad.numpy(), FIXTURES[f"{case}/grad/{name}"], rtol=1e-4, atol=1e-5)
    buffers = dict(module.named_buffers())
    for key in FIXTURES.files:
        if key.startswith(f"{case}/after/"):
            name = key.split("/", 2)[2]
            np.testing.assert_allclose(buffers[name].numpy(), FIXTURES[key], rtol=1e-4, atol=1e-6)
    module.eval()
    with lucid.no_grad():
        y = module(lucid.tensor(FIXTURES[f"{case}/x"]))
    np.testing.assert_allclose(y.numpy(), FIXTURES[f"{case}/y_eval"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("transform", ["weight_norm", "parametrizations.weight_norm"])
def test_weight_norm_gradients_match_finite_differences(transform):
    layer = TRANSFORMS[transform](nn.ConvTranspose1d(3, 2, 3, stride=2).double())
    x = lucid.randn(2, 3, 4, dtype="float64")
    params = [p for name, p in layer.named_parameters() if "bias" not in name]
    assert len(params) == 2
    assert lucid.autograd.gradcheck(lambda g, v: layer(x), params)


@pytest.mark.parametrize("transform", ["spectral_norm", "parametrizations.spectral_norm"])
def test_spectral_norm_gradients_match_finite_differences_in_eval_mode(transform):
    layer = TRANSFORMS[transform](nn.Conv1d(3, 2, 3).double()).eval()
    x = lucid.randn(2, 3, 5, dtype="float64")
    weight = [p for name, p in layer.named_parameters() if "bias" not in name]
    assert lucid.autograd.gradcheck(lambda w: layer(x), weight)


def test_weight_norm_keeps_the_layers_output_and_remove_weight_norm_gives_it_back():
    layer = nn.Conv1d(4, 6, 3)
    x = lucid.randn(2, 4, 8)
    before = layer(x).numpy()
    weight_norm(layer)
    assert "weight" not in dict(layer.named_parameters())
    np.testing.assert_allclose(layer(x).numpy(), before, rtol=1e-5, atol=1e-6)
    remove_weight_norm(layer)
    assert sorted(dict(layer.named_parameters())) == ["bias", "weight"]
    assert not layer._forward_pre_hooks
    np.testing.assert_allclose(layer(x).numpy(), before, rtol=1e-5, atol=1e-6)


def test_remove_spectral_norm_leaves_the_normalized_weight():
    layer = spectral_norm(nn.Linear(5, 4), n_power_iterations=50)
    x = lucid.randn(3, 5)
    layer(x)  # a training-mode call: the power iteration converges
    layer.eval()
    before = layer(x).numpy()
    remove_spectral_norm(layer)
    assert sorted(layer.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(layer(x).numpy(), before, rtol=1e-5)
    assert np.linalg.norm(layer.weight.numpy(), 2) == pytest.approx(1.0, rel=1e-2)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations_restores_the_plain_class_and_keys(leave):
    layer = nn.Linear(3, 2)
    original = layer.weight
    parametrizations.spectral_norm(layer).eval()
    value = layer.weight.numpy()
    parametrize.remove_parametrizations(layer, "weight", leave_parametrized=leave)
    assert type(layer) is nn.Linear and not parametrize.is_parametrized(layer)
    assert sorted(layer.state_dict()) == ["bias", "weight"]
    assert layer.weight is original  # one stored tensor: the same Parameter object stays
    if leave:
        np.testing.assert_allclose(layer.weight.numpy(), value, rtol=1e-6)


def test_a_custom_parametrization_reads_and_assigns_through_right_inverse():
    class Symmetric(nn.Module):
        def forward(self, x):
            return x + x.transpose(0, 1)

        def right_inverse(self, a):
            return a * 0.5

    layer = nn.Linear(3, 3)
    parametrize.register_parametrization(layer, "weight", Symmetric())
    w = layer.weight.numpy()
    np.testing.assert_allclose(w, w.T)
    assert parametrize.is_parametrized(layer, "weight") and not parametrize.is_parametrized(layer, "bias")
    target = np.array([[2.0, 1.0, 0.0], [1.0, 4.0, 3.0], [0.0, 3.0, 6.0]], dtype=np.float32)
    layer.weight = lucid.tensor(target)
    np.testing.assert_allclose(layer.weight.numpy(), target, rtol=1e-6)
    assert parametrize.type_before_parametrizations(layer) is nn.Linear


def test_cached_computes_the_parametrized_tensor_once():
    layer = parametrizations.weight_norm(nn.Linear(3, 2))
    assert layer.weight is not layer.weight
    with parametrize.cached():
        assert layer.weight is layer.weight


def test_the_hook_form_checkpoint_loads_into_the_parametrization_form():
    source = weight_norm(nn.Conv1d(2, 3, 3))
    target = parametrizations.weight_norm(nn.Conv1d(2, 3, 3))
    target.load_state_dict(source.state_dict(), strict=True)
    x = lucid.randn(1, 2, 6)
    np.testing.assert_allclose(target(x).numpy(), source(x).numpy(), rtol=1e-6)


# ------------------------------------------------------------------------------------------------ lazy layers

LAZY_TRANSFORMS = [weight_norm, parametrizations.weight_norm, spectral_norm, parametrizations.spectral_norm]
LAZY_IDS = ["weight_norm", "parametrizations.weight_norm", "spectral_norm", "parametrizations.spectral_norm"]


def _decoder(transform):
    return nn.Sequential(transform(nn.LazyConvTranspose1d(8, 4, stride=2, padding=1)), nn.Tanh(),
                         transform(nn.LazyConvTranspose1d(2, 4, stride=2, padding=1)))


@pytest.mark.parametrize("transform", LAZY_TRANSFORMS, ids=LAZY_IDS)
def test_a_lazy_decoder_lists_its_final_parameters_before_the_first_forward(transform):
    decoder = _decoder(transform)
    names = [name for name, _ in decoder.named_parameters()]
    decoder(lucid.randn(1, 3, 5))
    assert [name for name, _ in decoder.named_parameters()] == names
    assert all(not nn.parameter.is_lazy(p) for p in decoder.parameters())


@pytest.mark.parametrize("transform", LAZY_TRANSFORMS, ids=LAZY_IDS)
def test_a_lazy_normalized_decoder_trains_with_an_early_optimizer_saves_and_reloads(transform, tmp_path):
    lucid.manual_seed(0)
    decoder = _decoder(transform)
    optimizer = lucid.optim.Adam(decoder.parameters(), lr=1e-2)  # built before anything has a shape
    x, target = lucid.randn(2, 3, 5), lucid.randn(2, 2, 20)
    losses = []
    for _ in range(15):
        loss = ((decoder(x) - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    assert all(p.grad is not None for p in optimizer.param_groups[0]["params"])
    lucid.save(decoder.state_dict(), tmp_path / "decoder.safetensors")
    fresh = _decoder(transform)
    fresh.load_state_dict(lucid.load(tmp_path / "decoder.safetensors"), strict=True)
    decoder.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh(x).numpy(), decoder(x).numpy())


@pytest.mark.parametrize("case", ["wn_conv_transpose1d", "pwn_conv_transpose1d_dim1", "sn_conv_transpose1d",
                                  "psn_conv_transpose1d"])
def test_a_torch_normalized_checkpoint_materializes_a_lazy_normalized_layer(case):
    config = json.loads(str(FIXTURES[f"{case}/config"]))
    keys = [str(k) for k in FIXTURES[f"{case}/keys"]]
    layer = TRANSFORMS[config["transform"]](nn.LazyConvTranspose1d(6, 4, stride=2, padding=1), **config["kwargs"])
    layer.load_state_dict({key: FIXTURES[f"{case}/sd/{key}"] for key in keys}, strict=True)
    assert layer.in_channels == 4
    assert list(layer.state_dict()) == keys
    layer.eval()
    x = lucid.tensor(FIXTURES[f"{case}/x"])
    if "sn" not in case:  # spectral norm's eval output follows the power iteration of the train step
        np.testing.assert_allclose(layer(x).numpy(), FIXTURES[f"{case}/y_eval"], rtol=1e-4, atol=1e-5)


def test_remove_weight_norm_on_a_still_lazy_layer_gives_back_the_plain_lazy_layer():
    layer = weight_norm(nn.LazyConv1d(4, 3))
    remove_weight_norm(layer)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer(lucid.randn(1, 2, 5)).shape == (1, 4, 3)
    assert sorted(layer.state_dict()) == ["bias", "weight"]


def test_a_rejected_first_input_leaves_a_lazy_weight_normed_layer_as_it_was():
    layer = parametrizations.weight_norm(nn.LazyConv1d(4, 3))
    names = [name for name, _ in layer.named_parameters()]
    with pytest.raises((ValueError, RuntimeError, TypeError)):
        layer(lucid.randn(1, 2))  # wrong rank
    assert [name for name, _ in layer.named_parameters()] == names
    assert type(layer) is nn.LazyConv1d
    assert layer(lucid.randn(1, 2, 5)).shape == (1, 4, 3)


# -------------------------------------------------------------------------------------------------- bad input

def _plain_weight_checkpoint():
    return nn.Conv1d(2, 3, 3).state_dict()


BAD = [
    ("weight_norm_on_a_missing_parameter", lambda m: weight_norm(m, name="kernel"), ValueError,
     "no parameter 'kernel'"),
    ("weight_norm_twice", lambda m: weight_norm(weight_norm(m)), RuntimeError, "already weight-normalized"),
    ("weight_norm_dim_out_of_range", lambda m: weight_norm(m, dim=3), ValueError, "dim 3 is out of range"),
    ("remove_weight_norm_without_it", lambda m: remove_weight_norm(m), ValueError, "weight_norm of 'weight' not found"),
    ("parametrized_weight_norm_twice", lambda m: parametrizations.weight_norm(parametrizations.weight_norm(m)),
     RuntimeError, "already parametrized"),
    ("parametrized_weight_norm_on_a_missing_parameter", lambda m: parametrizations.weight_norm(m, name="w"),
     ValueError, "no parameter 'w'"),
    ("spectral_norm_twice", lambda m: spectral_norm(spectral_norm(m)), RuntimeError, "already has spectral_norm"),
    ("spectral_norm_negative_iterations", lambda m: spectral_norm(m, n_power_iterations=-1), ValueError,
     "n_power_iterations"),
    ("remove_spectral_norm_without_it", lambda m: remove_spectral_norm(m), ValueError, "not found"),
    ("remove_parametrizations_without_one", lambda m: parametrize.remove_parametrizations(m, "weight"), ValueError,
     "no parametrization on 'weight'"),
    ("register_parametrization_on_a_missing_tensor",
     lambda m: parametrize.register_parametrization(m, "kernel", nn.Identity()), ValueError, "'kernel'"),
    ("a_plain_checkpoint_into_a_weight_normed_layer",
     lambda m: weight_norm(m).load_state_dict(_plain_weight_checkpoint()), RuntimeError,
     "expects 'weight_g' and 'weight_v' instead of 'weight'"),
]


@pytest.mark.parametrize("action, error, message", [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_input_raises_clearly_and_changes_nothing(action, error, message):
    layer = nn.Conv1d(2, 3, 3)
    with pytest.raises(error, match=message):
        action(layer)


def test_a_failed_transform_leaves_the_layer_untouched():
    layer = weight_norm(nn.Conv1d(2, 3, 3))
    state = {k: v.numpy().copy() for k, v in layer.state_dict().items()}
    hooks = dict(layer._forward_pre_hooks)
    for action in (lambda: weight_norm(layer), lambda: weight_norm(layer, dim=5, name="bias"),
                   lambda: layer.load_state_dict(_plain_weight_checkpoint())):
        with pytest.raises((RuntimeError, ValueError)):
            action()
        assert dict(layer._forward_pre_hooks) == hooks
        assert sorted(layer.state_dict()) == sorted(state)
        for key, value in layer.state_dict().items():
            np.testing.assert_array_equal(value.numpy(), state[key])


def test_a_plain_checkpoint_error_names_the_expected_keys():
    layer = weight_norm(nn.Conv1d(2, 3, 3))
    with pytest.raises(RuntimeError) as info:
        layer.load_state_dict(_plain_weight_checkpoint())
    text = str(info.value)
    assert "'weight_g'" in text and "'weight_v'" in text and "missing" in text and "unexpected" in text


# ------------------------------------------------------------------------------------------------ live parity

@pytest.mark.parametrize("dim", [0, 1, 2, -2, None])
def test_weight_norm_over_any_dim_matches_live_torch(dim):
    torch = pytest.importorskip("torch")
    import warnings

    reference = torch.nn.ConvTranspose1d(3, 4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(reference, dim=dim)
    layer = weight_norm(nn.ConvTranspose1d(3, 4, 3), dim=dim)
    layer.load_state_dict(reference.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 3, 5)).astype(np.float32)
    np.testing.assert_allclose(layer(lucid.tensor(x)).numpy(), reference(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-6)
    assert [tuple(v.shape) for v in layer.state_dict().values()] == \
        [tuple(v.shape) for v in reference.state_dict().values()]


def test_spectral_norm_training_steps_track_live_torch():
    torch = pytest.importorskip("torch")
    reference = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(6, 5), n_power_iterations=1)
    layer = parametrizations.spectral_norm(nn.Linear(6, 5))
    layer.load_state_dict(reference.state_dict())
    x = np.random.default_rng(1).standard_normal((3, 6)).astype(np.float32)
    for _ in range(4):  # each training-mode read runs one more power-iteration step
        np.testing.assert_allclose(layer(lucid.tensor(x)).numpy(), reference(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("transform", LAZY_TRANSFORMS, ids=LAZY_IDS)
def test_a_deep_copy_of_a_lazy_normalized_layer_materializes_on_its_own(transform):
    import copy

    original = transform(nn.LazyConv1d(3, 3))
    names = [name for name, _ in original.named_parameters()]
    clone = copy.deepcopy(original)
    assert clone(lucid.randn(1, 2, 5)).shape == (1, 3, 3)
    assert [name for name, _ in clone.named_parameters()] == names
    assert all(nn.parameter.is_lazy(p) for p in original.parameters())
    again = copy.deepcopy(clone)
    x = lucid.randn(1, 2, 5)
    clone.eval(), again.eval()
    np.testing.assert_array_equal(again(x).numpy(), clone(x).numpy())


@pytest.mark.parametrize("transform", LAZY_TRANSFORMS, ids=LAZY_IDS)
def test_summary_leaves_a_lazy_normalized_decoder_lazy_and_materialize_applies_the_transform(transform):
    decoder = _decoder(transform)
    names = [name for name, _ in decoder.named_parameters()]
    expected = 3 * 8 * 4 + 8 + 8 * 2 * 4 + 2 + (3 + 8 if "weight_norm" in transform.__qualname__ else 0)
    assert nn.utils.summary(decoder, (1, 3, 50)).total_params == expected  # g: one per input channel (dim 0)
    assert all(nn.parameter.is_lazy(p) for p in decoder.parameters())
    assert nn.utils.materialize(decoder, (1, 3, 50)) == (1, 2, 200)
    assert [name for name, _ in decoder.named_parameters()] == names
    assert sum(p.numel() for p in decoder.parameters()) == expected
