"""lucid.save / lucid.load: safetensors round trips, damaged files, PyTorch files, resuming training."""

import os
import pathlib
import pickle

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid import optim

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
TORCH_FILE = FIXTURES / "torch_conv_transpose1d.safetensors"


def _decoder():
    return nn.Sequential(nn.LazyConvTranspose1d(6, 4, stride=2, padding=1), nn.GELU(),
                         nn.LazyConvTranspose1d(3, 3, padding=1), nn.Tanh(), nn.LazyConv1d(1, 3, padding=1))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_state_dicts_round_trip_bit_for_bit_with_their_dtype(tmp_path, rng, dtype):
    bits = {"float16": np.uint16, "float32": np.uint32, "float64": np.uint64}[dtype]
    raw = rng.integers(0, np.iinfo(bits).max, size=(5, 7), dtype=bits, endpoint=True)
    weird = raw.view(dtype)  # every bit pattern: nan payloads, infinities, subnormals, -0.0
    extra = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, np.finfo(dtype).tiny / 2, np.finfo(dtype).max], dtype)
    state = {"weird": lucid.tensor(weird), "extra": lucid.tensor(extra)}
    path = tmp_path / "state.safetensors"
    lucid.save(state, path)
    loaded = lucid.load(path)
    assert list(loaded) == ["weird", "extra"]
    for key in state:
        assert isinstance(loaded[key], lucid.Tensor) and loaded[key].dtype == state[key].dtype
        assert loaded[key].numpy().tobytes() == state[key].numpy().tobytes()


def test_a_module_round_trips_into_a_fresh_lazy_module(tmp_path):
    lucid.manual_seed(1)
    model = _decoder()
    x = lucid.randn(2, 5, 8)
    y = model(x)
    lucid.save(model.state_dict(), tmp_path / "model.safetensors")
    fresh = _decoder()
    fresh.load_state_dict(lucid.load(tmp_path / "model.safetensors"))
    assert fresh[0].in_channels == 5 and fresh[2].in_channels == 6
    np.testing.assert_array_equal(fresh(x).numpy(), y.numpy())


def test_int_bool_and_nested_values_round_trip_with_their_types(tmp_path):
    obj = {"ints": lucid.tensor([1, -2], dtype="int64"), "i32": np.arange(3, dtype=np.int32),
           "mask": lucid.tensor([True, False]), 3: {"step": 7, "lr": 0.1, "nan": float("nan"), "inf": -float("inf")},
           "betas": (0.9, 0.999), "list": [1, "two", None, True, [2.5]], "empty": {}, "big": 2**70}
    lucid.save(obj, tmp_path / "nested.safetensors")
    back = lucid.load(tmp_path / "nested.safetensors")
    assert list(back) == list(obj)
    assert back["ints"].dtype == lucid.int64 and back["ints"].tolist() == [1, -2]
    assert back["i32"].dtype == lucid.int32 and back["mask"].tolist() == [True, False]
    assert back[3]["step"] == 7 and type(back[3]["step"]) is int and back[3]["lr"] == 0.1
    assert np.isnan(back[3]["nan"]) and back[3]["inf"] == -float("inf")
    assert back["betas"] == (0.9, 0.999) and back["list"] == [1, "two", None, True, [2.5]]
    assert back["empty"] == {} and back["big"] == 2**70


def test_optimizer_state_round_trips_and_loads(tmp_path):
    p = nn.Parameter(lucid.tensor(np.arange(6.0).reshape(2, 3)))
    optimizer = optim.Adam([p], lr=0.01, betas=(0.8, 0.9), amsgrad=True)
    for _ in range(3):
        p.grad = lucid.ones(2, 3, dtype="float64")
        optimizer.step()
    lucid.save(optimizer.state_dict(), tmp_path / "optim.safetensors")
    loaded = lucid.load(tmp_path / "optim.safetensors")
    expected = optimizer.state_dict()
    assert loaded["param_groups"] == expected["param_groups"]
    assert list(loaded["state"]) == [0] and loaded["state"][0]["step"] == 3
    for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        assert loaded["state"][0][key].numpy().tobytes() == expected["state"][0][key].numpy().tobytes()
    other = optim.Adam([nn.Parameter(lucid.zeros(2, 3, dtype="float64"))])
    other.load_state_dict(loaded)
    assert other.param_groups[0]["betas"] == (0.8, 0.9) and other.param_groups[0]["amsgrad"] is True


def test_resuming_from_a_checkpoint_gives_the_same_losses_as_an_uninterrupted_run(tmp_path):
    data = np.random.default_rng(5)
    batches = [(lucid.tensor(data.standard_normal((4, 2, 6)).astype(np.float32)),
                lucid.tensor(data.standard_normal((4, 1, 12)).astype(np.float32))) for _ in range(8)]

    def train(model, optimizer, chunk):
        losses = []
        for x, target in chunk:
            loss = F.mse_loss(model(x), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    lucid.manual_seed(11)
    model = _decoder()
    optimizer = optim.AdamW(model.parameters(), lr=0.01, amsgrad=True)
    uninterrupted = train(model, optimizer, batches)

    lucid.manual_seed(11)
    model = _decoder()
    optimizer = optim.AdamW(model.parameters(), lr=0.01, amsgrad=True)
    first = train(model, optimizer, batches[:3])
    lucid.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": 3},
               tmp_path / "checkpoint.safetensors")

    checkpoint = lucid.load(tmp_path / "checkpoint.safetensors")
    fresh = _decoder()
    resumed_optimizer = optim.AdamW(fresh.parameters(), lr=0.5)  # built while the layers are still lazy
    fresh.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    assert checkpoint["step"] == 3
    second = train(fresh, resumed_optimizer, batches[3:])
    assert first + second == uninterrupted


def test_a_pytorch_written_file_loads_into_lazy_and_eager_layers_and_matches_its_output():
    with np.load(FIXTURES / "torch_conv_transpose1d_io.npz", allow_pickle=False) as io:
        x, y = io["x"], io["y"]
    state = lucid.load(TORCH_FILE)
    assert sorted(state) == ["bias", "weight"] and state["weight"].shape == (4, 3, 3)
    lazy = nn.LazyConvTranspose1d(6, 3, stride=2, padding=1, output_padding=1, groups=2)
    lazy.load_state_dict(state)
    assert lazy.in_channels == 4 and lazy.weight.dtype == lucid.float32
    eager = nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    eager.load_state_dict(lucid.load(TORCH_FILE))
    for layer in (lazy, eager):
        np.testing.assert_allclose(layer(lucid.tensor(x)).numpy(), y, rtol=1e-5, atol=1e-6)


def test_live_pytorch_files_load_and_lucid_files_load_into_pytorch(tmp_path, rng):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    reference = torch.nn.ConvTranspose1d(3, 5, kernel_size=4, stride=2, padding=1, dtype=torch.float64)
    safetensors_torch.save_file(reference.state_dict(), str(tmp_path / "torch.safetensors"))
    layer = nn.LazyConvTranspose1d(5, 4, stride=2, padding=1)
    layer.load_state_dict(lucid.load(tmp_path / "torch.safetensors"))
    assert layer.weight.dtype == lucid.float64
    x = rng.standard_normal((2, 3, 9))
    expected = reference(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(layer(lucid.tensor(x)).numpy(), expected, rtol=1e-12)
    lucid.save(layer.state_dict(), tmp_path / "lucid.safetensors")
    back = torch.nn.ConvTranspose1d(3, 5, kernel_size=4, stride=2, padding=1, dtype=torch.float64)
    back.load_state_dict(safetensors_torch.load_file(str(tmp_path / "lucid.safetensors")))
    np.testing.assert_array_equal(back(torch.tensor(x)).detach().numpy(), expected)


def test_loading_never_unpickles(tmp_path, monkeypatch):
    lucid.save({"w": lucid.ones(2), "meta": {"epoch": 1}}, tmp_path / "c.safetensors")

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    assert lucid.load(tmp_path / "c.safetensors")["meta"] == {"epoch": 1}


def test_a_missing_file_names_its_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.safetensors"):
        lucid.load(tmp_path / "nowhere.safetensors")


@pytest.mark.parametrize("damage", [
    pytest.param(lambda data: data[: len(data) - 5], id="truncated-data"),
    pytest.param(lambda data: data[:20], id="truncated-header"),
    pytest.param(lambda data: b"", id="empty"),
    pytest.param(lambda data: b"\xff" * 8 + data[8:], id="absurd-header-length"),
    pytest.param(lambda data: data[:8] + b"#" + data[9:], id="corrupt-header-json"),
    pytest.param(lambda data: b"PK\x03\x04 not a safetensors file at all", id="other-format"),
])
def test_a_damaged_file_raises_a_value_error_naming_the_path_and_loads_nothing(tmp_path, damage):
    path = tmp_path / "model.safetensors"
    model = nn.Linear(3, 2)
    lucid.save(model.state_dict(), path)
    path.write_bytes(damage(path.read_bytes()))
    before = model.weight.numpy().copy()
    with pytest.raises(ValueError, match="model.safetensors"):
        model.load_state_dict(lucid.load(path))
    np.testing.assert_array_equal(model.weight.numpy(), before)


@pytest.mark.parametrize("structure, words", [
    pytest.param("{not json", "damaged", id="bad-json"),
    pytest.param('{"version": 99, "tree": null}', "version", id="unknown-version"),
    pytest.param('{"version": 1, "tree": {"dict": [["w", {"tensor": "missing"}]]}}', "'missing'",
                 id="missing-tensor"),
    pytest.param('{"version": 1, "tree": {"set": [1, 2]}}', "unrecognised", id="unknown-node"),
])
def test_damaged_structure_metadata_raises_a_value_error(tmp_path, structure, words):
    from safetensors.numpy import save_file

    path = tmp_path / "c.safetensors"
    save_file({"w": np.zeros(2, np.float32)}, str(path), metadata={"lucid": structure})
    with pytest.raises(ValueError) as raised:
        lucid.load(path)
    assert "c.safetensors" in str(raised.value) and words in str(raised.value)


@pytest.mark.parametrize("obj, words", [
    pytest.param({"model": {"weight": object()}}, "['model']['weight']", id="object"),
    pytest.param({"fn": print}, "['fn']", id="function"),
    pytest.param({"s": {1, 2}}, "set", id="set"),
    pytest.param({"m": nn.Linear(2, 2)}, ".state_dict()", id="module"),
    pytest.param({(1, 2): lucid.ones(1)}, "dict keys", id="tuple-key"),
    pytest.param({"c": np.array([1 + 2j])}, "complex128", id="complex"),
])
def test_saving_an_unsupported_value_names_its_key_and_writes_nothing(tmp_path, obj, words):
    path = tmp_path / "c.safetensors"
    with pytest.raises(TypeError) as raised:
        lucid.save(obj, path)
    assert words in str(raised.value)
    assert os.listdir(tmp_path) == []


def test_saving_an_uninitialized_lazy_layer_is_refused_with_its_key(tmp_path):
    model = nn.Sequential(nn.LazyConvTranspose1d(2, 3))
    with pytest.raises(TypeError, match=r"\['0.weight'\].*uninitialized"):
        lucid.save(model.state_dict(), tmp_path / "c.safetensors")
    assert os.listdir(tmp_path) == []


def test_a_non_tensor_value_in_a_loaded_state_dict_is_rejected_by_name():
    model = nn.Linear(2, 1)
    with pytest.raises(RuntimeError, match="weight"):
        model.load_state_dict({"weight": "not a tensor", "bias": lucid.zeros(1)})


def test_saving_overwrites_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "c.safetensors"
    lucid.save({"a": lucid.ones(2)}, path)
    lucid.save({"a": lucid.zeros(3)}, str(path))
    assert os.listdir(tmp_path) == ["c.safetensors"]
    assert lucid.load(path)["a"].tolist() == [0.0, 0.0, 0.0]
