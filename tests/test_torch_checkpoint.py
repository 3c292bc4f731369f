"""lucid.load on torch.save files: fixtures, hand-written files, malicious files, fuzzing, live parity."""

import io
import math
import os
import pathlib
import pickle
import struct
import subprocess
import zipfile
from collections import OrderedDict
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lucid
import lucid.nn as nn

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "torch_checkpoints"
CASES = ("training", "dtypes", "views", "generator")
LAYOUTS = ("zip", "legacy")
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C


def _fixture(case, layout):
    return FIXTURES / f"{case}.{layout}.pt"


@pytest.fixture(scope="module")
def reference():
    with np.load(FIXTURES / "reference.npz", allow_pickle=False) as arrays:
        return dict(arrays)


def _flatten(value, prefix, out):
    """Every tensor in ``value`` under ``prefix/<key path>``, the fixture script's naming."""
    if isinstance(value, lucid.Tensor):
        out[prefix] = value.numpy()
    elif isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}/{key}", out)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}/{index}", out)
    return out


def _assert_bits(actual, expected, where=""):
    assert actual.dtype == expected.dtype, where
    assert actual.shape == expected.shape, where
    assert np.ascontiguousarray(actual).tobytes() == np.ascontiguousarray(expected).tobytes(), where


def _assert_matches_reference(loaded, case, reference):
    arrays = _flatten(loaded, case, {})
    assert sorted(arrays) == sorted(key for key in reference if key.startswith(case + "/"))
    for key, array in arrays.items():
        _assert_bits(array, reference[key], key)


# ----------------------------------------------------------------------- hand-written checkpoints (no torch)
def _global(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def _value(value):
    """The opcodes that push ``value`` (plain data), without the protocol header and STOP."""
    return pickle.dumps(value, protocol=2)[2:-1]


def _storage(kind, key, numel, legacy=False, module="torch"):
    return (b"(" + _value("storage") + _global(module, kind) + _value(key) + _value("cpu") + _value(numel)
            + (b"N" if legacy else b"") + b"tQ")


def _tensor(storage, offset, size, stride, requires_grad=False):
    return (_global("torch._utils", "_rebuild_tensor_v2") + b"(" + storage + _value(offset) + _value(tuple(size))
            + _value(tuple(stride)) + _value(requires_grad) + _global("collections", "OrderedDict") + b")R" + b"tR")


def _tensor_v3(storage, dtype):
    return (_global("torch._utils", "_rebuild_tensor_v3") + b"(" + storage + _value(0) + _value((1,)) + _value((1,))
            + _value(False) + _global("collections", "OrderedDict") + b")R" + _global("torch", dtype) + b"tR")


def _dict(items):
    return b"}(" + b"".join(_value(key) + fragment for key, fragment in items) + b"u"


def _pickle(fragment):
    return b"\x80\x02" + fragment + b"."


def _zip(data_pkl, storages=(), byteorder="little", compression=zipfile.ZIP_STORED, skip=()):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        records = {"archive/data.pkl": data_pkl, "archive/byteorder": byteorder,
                   **{f"archive/data/{key}": raw for key, raw in dict(storages).items()}, "archive/version": "3\n"}
        for name, content in records.items():
            if content is not None and name not in skip:
                archive.writestr(name, content)
    return buffer.getvalue()


def _legacy(object_pkl, storages=(), magic=MAGIC_NUMBER):
    sys_info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
    head = pickle.dumps(magic, protocol=2) + pickle.dumps(1001, protocol=2) + pickle.dumps(sys_info, protocol=2)
    tail = b"".join(struct.pack("<q", numel) + raw for _, numel, raw in storages)
    return head + object_pkl + pickle.dumps([key for key, _, _ in storages], protocol=2) + tail


def _big_endian_file():
    """A zip checkpoint recorded as big endian, as a big-endian machine writes it; and its values."""
    values = {"f32": np.array([1.5, -0.0, np.inf, 3e-42], np.float32), "i16": np.array([[1, -2], [300, -32768]], np.int16),
              "f64": np.array([math.pi, -1e300], np.float64), "bf16": np.array([1.0, -2.5, np.nan], np.float32)}
    raw = {"0": values["f32"].astype(">f4").tobytes(), "1": values["i16"].astype(">i2").tobytes(),
           "2": values["f64"].astype(">f8").tobytes(),
           "3": (values["bf16"].view(np.uint32) >> 16).astype(">u2").tobytes()}
    data = _pickle(_dict([
        ("f32", _tensor(_storage("FloatStorage", "0", 4), 0, (4,), (1,))),
        ("i16", _tensor(_storage("ShortStorage", "1", 4), 0, (2, 2), (2, 1))),
        ("f64", _tensor(_storage("DoubleStorage", "2", 2), 0, (2,), (1,))),
        ("bf16", _tensor(_storage("BFloat16Storage", "3", 3), 0, (3,), (1,))),
    ]))
    return _zip(data, raw, byteorder="big"), values


def _small_file(layout, numel=3, size=(3,), element_bytes=None):
    """One float32 tensor ``{"w": ...}`` in either layout; its storage holds ``numel`` values."""
    raw = element_bytes if element_bytes is not None else np.arange(numel, dtype=np.float32).tobytes()
    storage = _storage("FloatStorage", "0", numel, legacy=layout == "legacy")
    data = _pickle(_dict([("w", _tensor(storage, 0, size, (1,) * len(size)))]))
    return _zip(data, {"0": raw}) if layout == "zip" else _legacy(data, [("0", numel, raw)])


# ----------------------------------------------------------------------- fixtures written by torch
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", CASES)
def test_every_tensor_of_a_torch_written_checkpoint_loads_bit_for_bit(case, layout, reference):
    _assert_matches_reference(lucid.load(_fixture(case, layout)), case, reference)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_nested_training_checkpoint_keeps_its_structure_and_python_values(layout):
    loaded = lucid.load(_fixture("training", layout))
    assert list(loaded) == ["model", "optimizer", "epoch", "losses", "name", "notes", "shape", "order"]
    assert type(loaded["model"]) is OrderedDict
    assert list(loaded["model"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert loaded["model"]._metadata[""] == {"version": 1}
    assert all(type(t) is lucid.Tensor for t in loaded["model"].values())  # state_dict() holds plain tensors
    state, groups = loaded["optimizer"]["state"], loaded["optimizer"]["param_groups"]
    assert sorted(state) == [0, 1, 2, 3]
    assert state[0]["step"].shape == () and state[0]["step"].item() == 2.0
    assert groups[0]["betas"] == (0.8, 0.95) and groups[0]["params"] == [0, 1, 2, 3]
    assert groups[0]["foreach"] is None and groups[0]["amsgrad"] is False and groups[0]["lr"] == 1e-3
    assert loaded["epoch"] == 7 and loaded["name"] == "run-1" and loaded["notes"] is None
    assert loaded["losses"] == [0.5, 0.25, 1e-300, math.inf] and loaded["shape"] == (3, 4)
    assert type(loaded["order"]) is OrderedDict and list(loaded["order"]) == ["z", "a"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_dtype_keeps_its_element_type_and_bfloat16_widens_to_float32(layout):
    loaded = lucid.load(_fixture("dtypes", layout))
    for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64", "bool"):
        assert loaded[name].numpy().dtype == np.dtype(name), name
    for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"):
        assert loaded[name].dtype == getattr(lucid, name if name != "bool" else "bool_"), name
    assert loaded["bfloat16"].numpy().dtype == np.float32 and loaded["bfloat16"].dtype == lucid.float32
    assert np.isnan(loaded["bfloat16"].numpy()[6]) and loaded["bfloat16"].numpy()[4] == np.inf


@pytest.mark.parametrize("layout", LAYOUTS)
def test_views_of_one_storage_keep_their_strides_offsets_and_share_memory(layout):
    loaded = lucid.load(_fixture("views", layout))
    base = loaded["base"].numpy()
    np.testing.assert_array_equal(loaded["transposed"].numpy(), base.T)
    np.testing.assert_array_equal(loaded["strided"].numpy(), base[1:4:2, ::3])
    np.testing.assert_array_equal(loaded["offset"].numpy(), base.reshape(-1)[5:11])
    np.testing.assert_array_equal(loaded["expanded"].numpy(), np.broadcast_to(base[1:2], (3, 6)))
    assert loaded["element"].shape == () and loaded["element"].item() == base[2, 3]
    for key in ("transposed", "column", "strided", "offset", "expanded", "element"):
        assert np.shares_memory(loaded[key].numpy(), base), key
    assert loaded["same_object"][0] is loaded["same_object"][1] is loaded["base"]
    assert loaded["scalar"].shape == () and loaded["scalar"].numpy().dtype == np.float64
    assert loaded["empty"].shape == (0, 3) and loaded["empty_int"].shape == (2, 0)
    assert type(loaded["size"]) is lucid.Size and loaded["size"] == (4, 6)
    assert loaded["device"] == lucid.device("cpu") and loaded["dtype"] == lucid.float32  # bfloat16 -> float32


@pytest.mark.parametrize("layout", LAYOUTS)
def test_parameters_come_back_as_lucid_parameters_with_their_requires_grad(layout):
    loaded = lucid.load(_fixture("views", layout))
    assert isinstance(loaded["frozen"], nn.Parameter) and loaded["frozen"].requires_grad is False
    assert type(loaded["leaf"]) is lucid.Tensor and loaded["leaf"].requires_grad is True
    assert type(loaded["base"]) is lucid.Tensor and loaded["base"].requires_grad is False


def _generator():
    """The lucid twin of the fixture script's torch generator."""
    return nn.Sequential(nn.ConvTranspose1d(4, 3, 4, stride=2, padding=1), nn.LeakyReLU(0.1),
                         nn.Conv1d(3, 2, 3, padding=1), nn.Tanh(), nn.Linear(16, 5))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_ported_model_loads_its_published_generator_weights_and_matches_torch(layout, reference):
    model = _generator()
    checkpoint = lucid.load(_fixture("generator", layout))
    model.load_state_dict(checkpoint["generator"])
    assert checkpoint["steps"] == 1200
    out = model(lucid.tensor(reference["generator_io/x"])).numpy()
    np.testing.assert_allclose(out, reference["generator_io/y"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("opener", [
    pytest.param(str, id="str"),
    pytest.param(pathlib.Path, id="pathlib"),
    pytest.param(lambda path: io.BytesIO(pathlib.Path(path).read_bytes()), id="bytesio"),
    pytest.param(lambda path: open(path, "rb"), id="open-file"),
])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_checkpoint_loads_from_a_path_a_pathlib_path_or_a_binary_file(opener, layout, reference):
    source = opener(_fixture("generator", layout))
    try:
        _assert_matches_reference(lucid.load(source), "generator", reference)
    finally:
        if hasattr(source, "close"):
            source.close()


def test_loading_a_torch_checkpoint_never_uses_the_default_unpickler(monkeypatch, reference):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle.load or pickle.loads was used")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    for layout in LAYOUTS:
        _assert_matches_reference(lucid.load(_fixture("views", layout)), "views", reference)


# ----------------------------------------------------------------------- map_location and weights_only
@pytest.mark.parametrize("map_location", [
    pytest.param("cpu", id="str"), pytest.param(lucid.device("cpu"), id="device"),
    pytest.param({"cuda:0": "cpu", "cpu": lucid.device("cpu")}, id="dict"),
    pytest.param(lambda storage, location: storage, id="callable"),
])
def test_map_location_is_accepted_in_torch_s_forms_and_everything_lands_on_the_cpu(map_location, reference):
    loaded = lucid.load(_fixture("views", "zip"), map_location=map_location)
    _assert_matches_reference(loaded, "views", reference)
    assert loaded["base"].device == lucid.device("cpu")


def test_a_map_location_callable_sees_each_storage_once_with_its_saved_location():
    seen = []
    lucid.load(_fixture("views", "legacy"), map_location=lambda storage, location: seen.append(
        (storage.shape, location)))
    # base (24 values), the float64 scalar, two empty tensors, the frozen Parameter, the leaf
    assert sorted(seen) == [((0,), "cpu"), ((0,), "cpu"), ((1,), "cpu"), ((2,), "cpu"), ((3,), "cpu"),
                            ((24,), "cpu")]


@pytest.mark.parametrize("map_location, error, words", [
    pytest.param("cuda", ValueError, "CPU", id="gpu-string"),
    pytest.param({"cpu": "cuda:1"}, ValueError, "CPU", id="dict-to-gpu"),
    pytest.param(3, TypeError, "map_location", id="int"),
    pytest.param(lambda storage, location: "elsewhere", ValueError, "map_location", id="callable-returns-junk"),
])
def test_a_map_location_lucid_cannot_honour_raises(map_location, error, words):
    with pytest.raises(error, match=words):
        lucid.load(_fixture("views", "zip"), map_location=map_location)


def test_weights_only_false_is_refused_and_says_why():
    with pytest.raises(ValueError, match="weights_only=False.*runs"):
        lucid.load(_fixture("views", "zip"), weights_only=False)


def test_a_text_file_object_is_rejected_with_a_type_error():
    with pytest.raises(TypeError, match="binary file"):
        lucid.load(io.StringIO("not bytes"))


# ----------------------------------------------------------------------- hand-written files
def test_a_big_endian_checkpoint_is_byte_swapped_on_load(tmp_path):
    data, values = _big_endian_file()
    path = tmp_path / "big.pt"
    path.write_bytes(data)
    loaded = lucid.load(path)
    for key, expected in values.items():
        if key == "bf16":
            np.testing.assert_array_equal(loaded[key].numpy(), expected)
        else:
            _assert_bits(loaded[key].numpy(), expected, key)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_hand_written_checkpoint_loads(layout):
    loaded = lucid.load(io.BytesIO(_small_file(layout)))
    _assert_bits(loaded["w"].numpy(), np.arange(3, dtype=np.float32))


def _damaged_zip_pickle(pickled):
    return _zip(_pickle(pickled), {"0": np.zeros(2, np.float32).tobytes()})


@pytest.mark.parametrize("build, words", [
    pytest.param(lambda: _fixture_bytes("views", "zip")[:1500], "zip archive", id="truncated-zip"),
    pytest.param(lambda: _fixture_bytes("views", "zip")[:40], "zip archive", id="zip-header-only"),
    pytest.param(lambda: _flip(_fixture_bytes("views", "zip"), b"_rebuild_tensor_v2"), "cannot be read",
                 id="corrupted-zip-record"),
    pytest.param(lambda: _zip(b"", {"0": b""}, skip=("archive/data.pkl",)), "data.pkl", id="missing-data-record"),
    pytest.param(lambda: _zip(_small_file_pickle(), {}), "no record 'archive/data/0'", id="missing-storage-record"),
    pytest.param(lambda: _small_file("zip", element_bytes=b"\0" * 8), "holds 8 bytes", id="storage-record-too-short"),
    pytest.param(lambda: _small_file("zip", numel=2, size=(3,)), "needs 3 elements", id="tensor-past-its-storage"),
    pytest.param(lambda: _small_file("legacy", numel=2, size=(3,)), "needs 3 elements", id="legacy-tensor-past-storage"),
    pytest.param(lambda: _small_file("legacy")[:-5], "holds 7 bytes", id="truncated-legacy-storage"),
    pytest.param(lambda: _small_file("legacy")[:-20], "truncated", id="legacy-missing-storage"),
    pytest.param(lambda: _legacy(_pickle(_value(1)), magic=12345), "magic number", id="wrong-magic-number"),
    pytest.param(lambda: _damaged_zip_pickle(_tensor(_storage("ComplexFloatStorage", "0", 1), 0, (1,), (1,))),
                 "complex", id="complex-dtype"),
    pytest.param(lambda: _damaged_zip_pickle(_tensor(_storage("Float8Storage", "0", 1), 0, (1,), (1,))),
                 "torch.Float8Storage", id="unknown-storage-type"),
    pytest.param(lambda: _damaged_zip_pickle(_tensor_v3(_storage("UntypedStorage", "0", 8, module="torch.storage"),
                                                        "float8_e4m3fn")), "float8_e4m3fn", id="unsupported-dtype"),
    pytest.param(lambda: _damaged_zip_pickle(_tensor(_storage("LongStorage", "0", 1), 0, (1,), (1,), True)),
                 "requires_grad", id="integer-tensor-requiring-grad"),
    pytest.param(lambda: _zip(_small_file_pickle(), {"0": np.zeros(3, np.float32).tobytes()},
                              compression=zipfile.ZIP_DEFLATED), "compressed", id="compressed-record"),
    pytest.param(lambda: _zip(_small_file_pickle(), {"0": np.zeros(3, np.float32).tobytes()}, byteorder="middle"),
                 "byte order", id="unknown-byte-order"),
    pytest.param(lambda: _damaged_zip_pickle(_tensor(_storage("FloatStorage", "0", 2), -1, (1,), (1,))), "offset",
                 id="negative-offset"),
    pytest.param(lambda: _damaged_zip_pickle(_tensor(_storage("FloatStorage", "0", 2), 0, (2,), (1, 1))),
                 "different lengths", id="stride-size-mismatch"),
    pytest.param(lambda: _damaged_zip_pickle(_global("torch._utils", "_rebuild_qtensor")), "quantized",
                 id="quantized-tensor"),
])
def test_a_bad_checkpoint_raises_a_value_error_naming_the_file_and_the_problem(tmp_path, build, words):
    path = tmp_path / "published.pth"
    path.write_bytes(build())
    model = nn.Linear(3, 2)
    before = model.weight.numpy().copy()
    with pytest.raises(ValueError, match="published.pth") as caught:
        model.load_state_dict(lucid.load(path))
    assert words in str(caught.value)
    np.testing.assert_array_equal(model.weight.numpy(), before)


def _fixture_bytes(case, layout):
    return _fixture(case, layout).read_bytes()


def _flip(data, inside):
    """``data`` with one byte of the first occurrence of ``inside`` changed."""
    at = data.index(inside) + 3
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def _small_file_pickle():
    return _pickle(_dict([("w", _tensor(_storage("FloatStorage", "0", 3), 0, (3,), (1,)))]))


# ----------------------------------------------------------------------- malicious files
class _Payload:
    """An object whose unpickling would run ``function(*args)``: the classic pickle attack."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def _payloads(marker):
    command = f"touch {marker}"
    return {
        "os.system": _global("os", "system") + _value((command,)) + b"R",
        "builtins.eval": _global("builtins", "eval") + _value((f"open({str(marker)!r}, 'w')",)) + b"R",
        "subprocess.Popen": _global("subprocess", "Popen") + _value((["touch", str(marker)],)) + b"R",
        "posix.system": pickle.dumps(_Payload(os.system, command), protocol=2)[2:-1],  # a real __reduce__ payload
        "builtins.exec": pickle.dumps(_Payload(exec, f"open({str(marker)!r}, 'w')"), protocol=4)[2:-1],
        "os.system inst": b"(" + _value(command) + b"ios\nsystem\n",  # the INST opcode names a class too
    }


def _wrap(payload, where):
    """Put ``payload`` into a checkpoint next to a valid tensor, in the layout ``where`` says."""
    tensor = _tensor(_storage("FloatStorage", "0", 3, legacy=where != "zip"), 0, (3,), (1,))
    raw = np.arange(3, dtype=np.float32).tobytes()
    body = _pickle(_dict([("weight", tensor), ("extra", payload)]))
    if where == "zip":
        return _zip(body, {"0": raw})
    if where == "legacy":
        return _legacy(body, [("0", 3, raw)])
    return _legacy(body, [("0", 3, raw)], magic=None).replace(  # the magic-number pickle itself is the attack
        pickle.dumps(None, protocol=2), _pickle(payload), 1)


@pytest.mark.parametrize("where", ["zip", "legacy", "legacy-magic-number"])
@pytest.mark.parametrize("name", list(_payloads("m")))
def test_a_file_naming_a_dangerous_global_is_refused_and_its_payload_never_runs(tmp_path, name, where):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(_wrap(_payloads(marker)[name], where))
    with pytest.raises(ValueError, match="evil.pt") as caught:
        lucid.load(path)
    assert name.split()[0] in str(caught.value) and "allowlist" in str(caught.value)
    assert not marker.exists()


def test_the_payload_markers_would_appear_if_the_file_were_unpickled_naively(tmp_path):
    # the check above is meaningful: plain pickle does run each payload
    for name, payload in _payloads(tmp_path / "pwned").items():
        marker = tmp_path / "pwned"
        result = pickle.loads(_pickle(payload))  # noqa: S301  (deliberately unsafe, on our own bytes)
        if isinstance(result, subprocess.Popen):
            result.wait()
        assert marker.exists(), name
        marker.unlink()


def test_a_file_cannot_change_lucid_s_stand_ins_for_later_loads(tmp_path):
    # BUILD on an allowlisted global would set attributes on it; the stand-ins refuse
    attack = _global("torch._utils", "_rebuild_tensor_v2") + _value({"kind": "ordered_dict"}) + b"b"
    with pytest.raises(ValueError, match="set the state"):
        lucid.load(io.BytesIO(_zip(_pickle(attack))))
    attack = _tensor(_storage("FloatStorage", "0", 3), 0, (3,), (1,)) + _value({"data": [1, 2]}) + b"b"
    with pytest.raises(ValueError, match="set the state"):
        lucid.load(io.BytesIO(_zip(_pickle(attack), {"0": np.zeros(3, np.float32).tobytes()})))
    assert lucid.load(io.BytesIO(_small_file("zip")))["w"].numpy().tolist() == [0.0, 1.0, 2.0]


def test_an_allowlisted_global_used_as_a_plain_value_or_called_wrongly_is_refused():
    for body, words in [(_global("torch._utils", "_rebuild_tensor_v2"), "itself as a value"),
                        (_global("torch", "FloatStorage") + b")R", "not callable"),
                        (_global("torch", "Size") + _value(("a",)) + b"R", "non-negative ints")]:
        with pytest.raises(ValueError, match=words):
            lucid.load(io.BytesIO(_zip(_pickle(body))))


# ----------------------------------------------------------------------- fuzzing
_MUTATIONS = st.tuples(st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(0, 255)), min_size=1, max_size=4),
                       st.one_of(st.none(), st.integers(0, 10 ** 6)))


def _mutate(data, mutation):
    edits, cut = mutation
    data = bytearray(data)
    for position, byte in edits:
        data[position % len(data)] = byte
    return bytes(data if cut is None else data[: cut % (len(data) + 1)])


_FUZZ = settings(max_examples=250, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow],
                 derandomize=True)


@_FUZZ
@given(mutation=_MUTATIONS)
def test_a_mutated_zip_checkpoint_loads_correctly_or_raises_a_value_error(mutation):
    data = _mutate(_ZIP_FUZZ_SOURCE, mutation)
    try:
        loaded = lucid.load(io.BytesIO(data))
    except ValueError:
        return
    # every record torch.save writes is CRC-checked, so a change either fails or missed what is read
    assert loaded["steps"] == 1200
    _assert_matches_reference(loaded, "generator", _FUZZ_REFERENCE)


@_FUZZ
@given(mutation=_MUTATIONS)
def test_a_mutated_legacy_checkpoint_loads_or_raises_a_value_error(mutation):
    data = _mutate(_LEGACY_FUZZ_SOURCE, mutation)
    try:
        lucid.load(io.BytesIO(data))
    except ValueError:
        pass  # the legacy layout has no checksums: a changed value may load, but nothing else may escape


_ZIP_FUZZ_SOURCE = _fixture_bytes("generator", "zip")
_LEGACY_FUZZ_SOURCE = _fixture_bytes("generator", "legacy")
with np.load(FIXTURES / "reference.npz", allow_pickle=False) as _arrays:
    _FUZZ_REFERENCE = {key: _arrays[key] for key in _arrays.files if key.startswith("generator/")}


# ----------------------------------------------------------------------- live parity with torch
def _assert_same_as_torch(ours, theirs, torch, where="root"):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, lucid.Tensor), where
        assert isinstance(ours, nn.Parameter) == isinstance(theirs, torch.nn.Parameter), where
        assert ours.requires_grad == theirs.requires_grad, where
        expected = theirs.detach()
        _assert_bits(ours.numpy(), (expected.float() if expected.dtype == torch.bfloat16 else expected).numpy(), where)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs), where
        for key in theirs:
            _assert_same_as_torch(ours[key], theirs[key], torch, f"{where}[{key!r}]")
    elif isinstance(theirs, torch.Size):
        assert type(ours) is lucid.Size and ours == tuple(theirs), where
    elif isinstance(theirs, torch.device):
        assert isinstance(ours, lucid.Device) and str(ours) == str(theirs), where
    elif isinstance(theirs, torch.dtype):
        assert ours == (lucid.float32 if theirs == torch.bfloat16 else getattr(lucid, str(theirs)[6:])), where
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is (tuple if isinstance(theirs, tuple) else list) and len(ours) == len(theirs), where
        for index, (mine, other) in enumerate(zip(ours, theirs)):
            _assert_same_as_torch(mine, other, torch, f"{where}[{index}]")
    elif isinstance(theirs, float) and math.isnan(theirs):
        assert math.isnan(ours), where
    else:
        assert type(ours) is type(theirs) and ours == theirs, where


_TORCH_LEGACY_UINT_BUG = pytest.mark.xfail(raises=AttributeError, strict=True,
                                           reason="torch 2.13's own legacy loader fails on uint16/32/64 storages")


@pytest.mark.parametrize("case, layout", [
    pytest.param(case, layout, id=f"{case}-{layout}",
                 marks=[_TORCH_LEGACY_UINT_BUG] if (case, layout) == ("dtypes", "legacy") else [])
    for case in CASES for layout in LAYOUTS])
def test_loading_matches_torch_load_with_weights_only(case, layout):
    torch = pytest.importorskip("torch")
    path = _fixture(case, layout)
    _assert_same_as_torch(lucid.load(path), torch.load(path, weights_only=True), torch)


def test_torch_reads_the_hand_written_files_as_lucid_does(tmp_path):
    torch = pytest.importorskip("torch")
    data, _ = _big_endian_file()
    for name, content in [("big.pt", data), ("small.pt", _small_file("zip")), ("small_legacy.pt",
                                                                           _small_file("legacy"))]:
        (tmp_path / name).write_bytes(content)
        _assert_same_as_torch(lucid.load(tmp_path / name), torch.load(tmp_path / name, weights_only=True), torch)


def test_lucid_s_allowlist_admits_nothing_torch_s_weights_only_unpickler_refuses():
    pytest.importorskip("torch")
    from torch._weights_only_unpickler import _get_allowed_globals

    from lucid._torch_checkpoint import _ALLOWED, _UNSUPPORTED

    torch_names = set(_get_allowed_globals())
    assert set(_ALLOWED) <= torch_names
    assert torch_names <= set(_ALLOWED) | set(_UNSUPPORTED)  # every other name gets a clear "unsupported" error


def test_a_deeply_nested_or_self_containing_pickle_raises_a_value_error_or_loads():
    depth = 50_000
    nested = b"]" * depth + b"a" * (depth - 1)  # each APPEND puts the top list into the one below
    with pytest.raises(ValueError, match="RecursionError"):
        lucid.load(io.BytesIO(_zip(_pickle(nested))))
    looped = lucid.load(io.BytesIO(_zip(_pickle(b"]q\x00h\x00a"))))  # a list that contains itself
    assert looped[0] is looped
    with pytest.raises(ValueError, match="contains itself"):
        lucid.load(io.BytesIO(_zip(_pickle(b"]q\x00h\x00\x85q\x01a" + b"h\x01"))))  # a tuple inside its own list


def test_a_pickle_asking_for_a_huge_memo_is_refused_before_anything_is_allocated():
    # LONG_BINPUT 2**31 would make Python's unpickler allocate and clear a 16 GiB memo
    attack = _value([1.0]) + b"r" + struct.pack("<I", 2 ** 31)
    for data in (_zip(_pickle(attack)), _legacy(_pickle(attack))):
        with pytest.raises(ValueError, match="memo entry 2147483648"):
            lucid.load(io.BytesIO(data))


def test_a_torch_device_is_accepted_as_map_location(reference):
    torch = pytest.importorskip("torch")
    loaded = lucid.load(_fixture("generator", "legacy"), map_location=torch.device("cpu"))
    _assert_matches_reference(loaded, "generator", reference)
    with pytest.raises(ValueError, match="CPU"):
        lucid.load(_fixture("generator", "legacy"), map_location=torch.device("meta"))
