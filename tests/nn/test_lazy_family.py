"""Every lazy class goes through the same lifecycle; one table drives all of them.

Before the first call the inferred size, weight and bias read None; the first call (or a
checkpoint) infers and materializes in place, exactly as the eager class initialises;
rejected inputs change nothing; copies, pickles and dtype moves behave; PyTorch agrees.
"""

import copy
import pathlib
import pickle
from dataclasses import dataclass, field

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.optim as optim

FIXTURES = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "lazy_family.npz", allow_pickle=False)


@dataclass
class Lazy:
    cls: type
    eager: type
    kwargs: dict  # everything except the inferred size
    input_shape: tuple
    inferred: int  # the size the first input should give
    weight_shape: tuple
    fixture: str  # a case of lazy_family.npz with this layer's kind
    attribute: str = "in_channels"
    torch_name: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def id(self):
        return self.cls.__name__

    def make(self, **changes):
        return self.cls(**{**self.kwargs, **changes})

    def make_eager(self):
        return self.eager(self.inferred, **self.kwargs)


TABLE = [
    Lazy(nn.LazyConv1d, nn.Conv1d, dict(out_channels=4, kernel_size=3, padding=1), (2, 3, 8), 3, (4, 3, 3),
         "14-conv1d"),
    Lazy(nn.LazyConv2d, nn.Conv2d, dict(out_channels=4, kernel_size=(3, 2), stride=2, groups=2), (2, 6, 7, 6), 6,
         (4, 3, 3, 2), "01-conv2d"),
    Lazy(nn.LazyConv3d, nn.Conv3d, dict(out_channels=2, kernel_size=2, padding=1), (1, 3, 4, 3, 5), 3,
         (2, 3, 2, 2, 2), "05-conv3d"),
    Lazy(nn.LazyConvTranspose1d, nn.ConvTranspose1d, dict(out_channels=6, kernel_size=4, stride=2, padding=1),
         (3, 5, 7), 5, (5, 6, 4), "12-conv_transpose1d"),
    Lazy(nn.LazyConvTranspose2d, nn.ConvTranspose2d, dict(out_channels=4, kernel_size=3, stride=(2, 1),
                                                          output_padding=(1, 0), groups=2),
         (2, 2, 3, 4), 2, (2, 2, 3, 3), "07-conv_transpose2d"),
    Lazy(nn.LazyConvTranspose3d, nn.ConvTranspose3d, dict(out_channels=3, kernel_size=(1, 2, 3)), (1, 4, 2, 3, 2), 4,
         (4, 3, 1, 2, 3), "11-conv_transpose3d"),
    Lazy(nn.LazyLinear, nn.Linear, dict(out_features=3), (2, 4, 5), 5, (3, 5), "15-linear", attribute="in_features"),
]
IDS = [row.id for row in TABLE]
table = pytest.mark.parametrize("row", TABLE, ids=IDS)


def randn(rng, shape, dtype="float32"):
    return lucid.tensor(rng.standard_normal(shape).astype(dtype))


def unbatched_shape(row):
    return row.input_shape[1:]


@table
def test_before_the_first_call_the_inferred_size_and_parameters_read_none(row):
    layer = row.make()
    assert getattr(layer, row.attribute) is None and layer.weight is None and layer.bias is None
    assert layer.has_uninitialized_params()
    params = list(layer.parameters())
    assert len(params) == 2 and all(isinstance(p, nn.UninitializedParameter) for p in params)
    assert isinstance(layer, row.eager)
    assert f"{row.attribute}=None" in repr(layer)


@table
def test_passing_the_inferred_size_is_a_type_error(row):
    with pytest.raises(TypeError, match=f"unexpected keyword argument .{row.attribute}."):
        row.cls(**{row.attribute: 3}, **row.kwargs)


@table
def test_the_first_call_infers_the_size_and_materializes_in_place(row, rng):
    layer = row.make()
    placeholders = list(layer.parameters())
    y = layer(randn(rng, row.input_shape))
    assert getattr(layer, row.attribute) == row.inferred and not layer.has_uninitialized_params()
    assert layer.weight.shape == row.weight_shape and layer.bias.shape == (y.shape[1 if row.attribute ==
                                                                                    "in_channels" else -1],)
    assert layer.weight is placeholders[0] and layer.bias is placeholders[1]
    assert type(layer.weight) is nn.Parameter and layer.weight.requires_grad
    assert f"{row.attribute}={row.inferred}" in repr(layer)


@table
def test_a_materialized_lazy_layer_equals_the_eager_layer_with_the_same_seed(row, rng):
    x = randn(rng, row.input_shape)
    lucid.manual_seed(7)
    eager = row.make_eager()
    lucid.manual_seed(7)
    lazy = row.make()
    np.testing.assert_array_equal(lazy(x).numpy(), eager(x).numpy())
    for name in ("weight", "bias"):
        np.testing.assert_array_equal(getattr(lazy, name).numpy(), getattr(eager, name).numpy())


@table
def test_a_checkpoint_materializes_a_fresh_lazy_layer_before_copying(row, rng):
    source = row.make()
    x = randn(rng, row.input_shape)
    expected = source(x).numpy()
    fresh = row.make()
    result = fresh.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert getattr(fresh, row.attribute) == row.inferred
    np.testing.assert_array_equal(fresh(x).numpy(), expected)


@table
def test_a_checkpoint_with_a_wrong_rank_weight_is_rejected_and_changes_nothing(row):
    fresh = row.make()
    with pytest.raises(RuntimeError, match="cannot materialize from the checkpoint: weight must be"):
        fresh.load_state_dict({"weight": np.zeros((2,) * (len(row.weight_shape) + 1)), "bias": np.zeros(3)})
    assert fresh.has_uninitialized_params() and getattr(fresh, row.attribute) is None


@table
def test_a_rejected_first_input_leaves_the_layer_unmaterialized(row, rng):
    layer = row.make()
    params = list(layer.parameters())
    for bad in (lucid.zeros(*row.input_shape, dtype="int64"), np.zeros(row.input_shape), lucid.zeros(())):
        with pytest.raises((TypeError, ValueError)):
            layer(bad)
        assert getattr(layer, row.attribute) is None and layer.weight is None
        assert all(isinstance(p, nn.UninitializedParameter) for p in params)
    assert layer(randn(rng, row.input_shape)).ndim == len(row.input_shape)  # still usable


@table
def test_a_later_input_with_another_size_is_rejected(row, rng):
    layer = row.make()
    layer(randn(rng, row.input_shape))
    weight = layer.weight.numpy().copy()
    shape = list(row.input_shape)
    shape[1 if row.attribute == "in_channels" else -1] += row.extra.get("step", 2 if row.id != "LazyLinear" else 1)
    with pytest.raises(ValueError, match=f"{row.attribute}={row.inferred}"):
        layer(randn(rng, tuple(shape)))
    np.testing.assert_array_equal(layer.weight.numpy(), weight)


@table
def test_an_unbatched_first_input_infers_from_its_own_channel_axis(row, rng):
    layer = row.make()
    x = randn(rng, row.input_shape)
    y = layer(x[0])
    assert getattr(layer, row.attribute) == row.inferred
    np.testing.assert_allclose(y.numpy(), layer(x).numpy()[0], rtol=1e-6, atol=1e-6)


@table
def test_to_before_materialization_records_the_dtype_for_later(row, rng):
    layer = row.make().to(lucid.float64)
    assert layer.weight is None
    with pytest.raises(TypeError, match="input dtype lucid.float32 and weight dtype lucid.float64 must match"):
        layer(randn(rng, row.input_shape))
    assert layer.has_uninitialized_params()  # the rejected call rolled back
    y = layer(randn(rng, row.input_shape, "float64"))
    assert layer.weight.dtype == lucid.float64 and layer.bias.dtype == lucid.float64 and y.dtype == lucid.float64


@table
@pytest.mark.parametrize("copier", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))], ids=["deepcopy", "pickle"])
def test_copies_of_unmaterialized_and_materialized_layers_work(row, copier, rng):
    x = randn(rng, row.input_shape)
    lazy_copy = copier(row.make())
    assert lazy_copy.has_uninitialized_params() and getattr(lazy_copy, row.attribute) is None
    assert lazy_copy(x).shape is not None and getattr(lazy_copy, row.attribute) == row.inferred
    layer = row.make()
    expected = layer(x).numpy()
    clone = copier(layer)
    assert clone.weight is not layer.weight
    np.testing.assert_array_equal(clone(x).numpy(), expected)


@table
def test_an_optimizer_built_before_the_first_call_still_trains(row, rng):
    layer = row.make()
    opt = optim.SGD(layer.parameters(), lr=0.1)
    x = randn(rng, row.input_shape)
    before = layer(x)
    loss = (before * before).mean()
    loss.backward()
    weight = layer.weight.numpy().copy()
    opt.step()
    assert not np.array_equal(layer.weight.numpy(), weight)
    assert float(((layer(x) * layer(x)).mean()).item()) < float(loss.item())


def _fixture(name):
    return {key.split(".", 1)[1]: FIXTURES[key] for key in FIXTURES.files if key.startswith(name + ".")}


def _fixture_kwargs(row, data):
    if row.attribute == "in_features":
        return dict(out_features=data["weight"].shape[0], bias="bias" in data)
    transposed = str(data["kind"]).startswith("conv_transpose")
    groups = int(data["groups"])
    kwargs = dict(out_channels=data["weight"].shape[1] * groups if transposed else data["weight"].shape[0],
                  kernel_size=tuple(int(k) for k in data["weight"].shape[2:]), stride=tuple(data["stride"]),
                  padding=tuple(data["padding"]), dilation=tuple(data["dilation"]), groups=groups,
                  bias="bias" in data)
    if transposed:
        kwargs["output_padding"] = tuple(data["output_padding"])
    return kwargs


@table
def test_the_inferred_weight_shape_matches_pytorchs_lazy_layer(row):
    data = _fixture(row.fixture)
    layer = row.cls(**_fixture_kwargs(row, data), dtype=str(data["dtype"]))
    layer(lucid.tensor(data["x"]))
    assert layer.weight.shape == tuple(data["lazy_weight_shape"])


@table
def test_forward_and_gradients_match_pytorch_after_loading_its_weights(row):
    data = _fixture(row.fixture)
    layer = row.cls(**_fixture_kwargs(row, data))
    layer.load_state_dict({k: data[k] for k in ("weight", "bias") if k in data})  # materializes from shapes
    x = lucid.tensor(data["x"], requires_grad=True)
    y = layer(x)
    tol = dict(rtol=1e-10, atol=1e-10) if str(data["dtype"]) == "float64" else dict(rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(y.numpy(), data["y"], **tol)
    y.backward(lucid.tensor(data["grad_out"]))
    np.testing.assert_allclose(x.grad.numpy(), data["grad_x"], **tol)
    np.testing.assert_allclose(layer.weight.grad.numpy(), data["grad_weight"], **tol)
    if "bias" in data:
        np.testing.assert_allclose(layer.bias.grad.numpy(), data["grad_bias"], **tol)


@table
def test_a_live_pytorch_lazy_layer_agrees_on_shapes_and_values(row, rng):
    torch = pytest.importorskip("torch")
    kwargs = dict(row.kwargs)
    torch_layer = getattr(torch.nn, row.id)(*kwargs.values()) if row.attribute == "in_features" else \
        getattr(torch.nn, row.id)(**kwargs)
    x = rng.standard_normal(row.input_shape).astype(np.float32)
    expected = torch_layer(torch.tensor(x)).detach().numpy()
    layer = row.make()
    layer.load_state_dict(torch_layer.state_dict())  # a PyTorch state_dict materializes the lazy layer
    assert layer.weight.shape == tuple(torch_layer.weight.shape)
    np.testing.assert_allclose(layer(lucid.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-5)
    unbatched = torch_layer(torch.tensor(x[0])).detach().numpy()
    np.testing.assert_allclose(layer(lucid.tensor(x[0])).numpy(), unbatched, rtol=1e-5, atol=1e-5)
