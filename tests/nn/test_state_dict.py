"""Module registration, traversal and state_dict save/load."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose1d(2, 3, 3)
        self.scale = nn.Parameter(lucid.ones(3))
        self.register_buffer("steps", lucid.zeros(1))
        self.register_buffer("cache", lucid.zeros(2), persistent=False)

    def forward(self, x):
        return self.up(x) * self.scale.reshape(1, 3, 1)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Block()
        self.second = nn.Sequential(nn.ConvTranspose1d(3, 1, 2), nn.LazyConvTranspose1d(2, 2))

    def forward(self, x):
        return self.second(self.first(x))


def test_attributes_register_parameters_buffers_and_submodules_in_order():
    model = Model()
    assert [n for n, _ in model.named_parameters()] == [
        "first.scale", "first.up.weight", "first.up.bias", "second.0.weight", "second.0.bias", "second.1.weight",
        "second.1.bias"]
    assert [n for n, _ in model.named_buffers()] == ["first.steps", "first.cache"]
    assert [type(m).__name__ for m in model.children()] == ["Block", "Sequential"]
    assert len(list(model.modules())) == 6
    assert list(model.state_dict()) == ["first.scale", "first.steps", "first.up.weight", "first.up.bias",
                                        "second.0.weight", "second.0.bias", "second.1.weight", "second.1.bias"]


def test_a_shared_parameter_is_listed_once():
    model = nn.Module()
    model.a = nn.ConvTranspose1d(2, 2, 1)
    model.b = model.a
    assert len(list(model.parameters())) == 2


def test_assigning_the_wrong_type_to_a_parameter_slot_is_a_type_error():
    layer = nn.ConvTranspose1d(2, 2, 1)
    with pytest.raises(TypeError, match="cannot assign Tensor to parameter 'weight'"):
        layer.weight = lucid.zeros(2, 2, 1)
    layer.bias = None
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]


def test_round_trip_through_state_dict_into_a_fresh_model(rng):
    model = Model()
    x = lucid.tensor(rng.standard_normal((1, 2, 5)).astype(np.float32))
    expected = model(x).numpy()
    fresh = Model()
    assert fresh.load_state_dict(model.state_dict()) == ([], [])
    np.testing.assert_array_equal(fresh(x).numpy(), expected)


def test_load_copies_values_and_does_not_alias_the_source():
    layer = nn.ConvTranspose1d(1, 1, 2, bias=False)
    source = np.array([[[1.0, 2.0]]], dtype=np.float32)
    layer.load_state_dict({"weight": source})
    source[...] = 0
    assert layer.weight.numpy().tolist() == [[[1.0, 2.0]]]


def test_values_are_cast_to_the_parameters_dtype():
    layer = nn.ConvTranspose1d(1, 1, 2, bias=False)
    layer.load_state_dict({"weight": np.array([[[1, 2]]], dtype=np.int64)})
    assert layer.weight.dtype == "float32" and layer.weight.numpy().tolist() == [[[1.0, 2.0]]]


class ArrayLike:
    """Anything with __array__ (a PyTorch tensor, say) loads directly."""

    def __init__(self, array):
        self.array = np.asarray(array)
        self.shape = self.array.shape

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)


def test_objects_with_array_protocol_load_directly():
    layer = nn.ConvTranspose1d(2, 1, 2)
    layer.load_state_dict({"weight": ArrayLike(np.ones((2, 1, 2))), "bias": ArrayLike([0.5])})
    assert layer.bias.item() == 0.5 and layer.weight.numpy().sum() == 4


def test_a_pytorch_state_dict_loads_directly(rng):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.ConvTranspose1d(3, 4, 5, stride=2)
    ours = nn.LazyConvTranspose1d(4, 5, stride=2)
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((2, 3, 6)).astype(np.float32)
    np.testing.assert_allclose(ours(lucid.tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_non_strict_loading_reports_missing_and_unexpected_keys():
    model = Model()
    state = model.state_dict()
    del state["first.scale"]
    state["surprise"] = lucid.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["first.scale"] and result.unexpected_keys == ["surprise"]


def test_every_problem_is_reported_at_once_and_nothing_changes():
    model = Model()
    model(lucid.zeros(1, 2, 4))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state = {k: v.numpy() + 1 for k, v in model.state_dict().items()}
    state["first.up.bias"] = np.zeros(7)
    state["second.1.weight"] = "junk"
    del state["first.steps"]
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    for fragment in ["missing key(s) in state_dict: 'first.steps'", "size mismatch for first.up.bias",
                     "second.1.weight: expected a tensor or array, got str"]:
        assert fragment in message
    after = {k: v.numpy() for k, v in model.state_dict().items()}
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_a_failed_load_into_a_lazy_model_leaves_it_lazy():
    model = Model()
    good = Model()
    good(lucid.zeros(1, 2, 4))
    state = good.state_dict()
    state["first.up.weight"] = np.zeros((9, 9, 9))
    with pytest.raises(RuntimeError, match="size mismatch for first.up.weight"):
        model.load_state_dict(state)
    assert model.second[1].in_channels is None and model.second[1].has_uninitialized_params()


def test_load_state_dict_rejects_non_mappings():
    with pytest.raises(TypeError, match="state_dict must be a mapping"):
        nn.ConvTranspose1d(1, 1, 1).load_state_dict([("weight", np.zeros((1, 1, 1)))])


def test_a_subclass_can_extend_load_from_state_dict_to_rename_keys():
    class Renamed(nn.ConvTranspose1d):
        def _load_from_state_dict(self, state_dict, prefix, *args):
            if prefix + "kernel" in state_dict:
                state_dict = {**state_dict, prefix + "weight": state_dict[prefix + "kernel"]}
            super()._load_from_state_dict(state_dict, prefix, *args)

    layer = Renamed(1, 1, 2, bias=False)
    layer.load_state_dict({"kernel": np.full((1, 1, 2), 3.0)}, strict=False)
    assert layer.weight.numpy().tolist() == [[[3.0, 3.0]]]


def test_train_eval_zero_grad_and_to():
    model = Model()
    assert model.training and not model.eval().first.up.training and model.train().second[0].training
    out = model(lucid.zeros(1, 2, 3)).sum()
    out.backward()
    assert model.first.up.weight.grad is not None
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.to(lucid.float64)
    assert all(p.dtype == "float64" for p in model.parameters() if p._array is not None)
    assert model(lucid.zeros(1, 2, 3, dtype="float64")).dtype == "float64"
    with pytest.raises(TypeError, match="only accepts floating dtypes"):
        model.to("int64")
    with pytest.raises(RuntimeError, match="no GPU backend"):
        model.to("cuda")


def test_repr_nests_children_and_uses_extra_repr():
    text = repr(nn.Sequential(nn.ConvTranspose1d(1, 2, 3), nn.LazyConvTranspose1d(4, 1)))
    assert text == ("Sequential(\n"
                    "  (0): ConvTranspose1d(in_channels=1, out_channels=2, kernel_size=(3,), stride=(1,))\n"
                    "  (1): LazyConvTranspose1d(in_channels=None, out_channels=4, kernel_size=(1,), stride=(1,))\n"
                    ")")


def test_forward_hooks_run_around_forward():
    layer = nn.ConvTranspose1d(1, 1, 1)
    seen = []
    handle = layer.register_forward_hook(lambda module, args, out: seen.append(out.shape))
    layer(lucid.zeros(1, 1, 3))
    handle.remove()
    layer(lucid.zeros(1, 1, 3))
    assert seen == [(1, 1, 3)]
