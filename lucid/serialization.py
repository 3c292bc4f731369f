"""lucid.save / lucid.load: checkpoints as safetensors files; lucid.load also reads PyTorch files.

A checkpoint is any nesting of dicts, lists and tuples whose leaves are tensors (lucid
Tensors, NumPy arrays) or plain scalars (None, bool, int, float, str): a module's
``state_dict()``, an optimizer's, or a dict holding both plus a step count.

File layout
-----------
Every tensor is stored as a safetensors tensor named by its dotted path (``"0.weight"``,
``"optimizer.state.0.exp_avg"``), so a flat state dict reads as an ordinary safetensors
state dict in other tools. The structure goes in the safetensors metadata under ``"lucid"``:
JSON ``{"version": 1, "tree": ...}``, where tensors are ``{"tensor": name}``, dicts are
``{"dict": [[key, value], ...]}`` (keeping key order and int keys such as optimizer
parameter indices), tuples are ``{"tuple": [...]}``, lists are JSON arrays and scalars are
themselves (floats round-trip exactly, including inf and nan).

A file without the ``"lucid"`` entry, e.g. one written by ``safetensors.torch.save_file``,
loads as a flat dict of tensors.

``load`` also reads checkpoints written by ``torch.save``, through the restricted unpickler
of ``lucid._torch_checkpoint`` (never Python's full pickle).
"""

import json
import numbers
import os
import struct
import uuid
from collections.abc import Mapping

import numpy as np

from .backend import Device
from .tensor import Tensor

_STRUCTURE_KEY = "lucid"
_VERSION = 1
_SUPPORTED_DTYPES = {np.dtype(name) for name in ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32",
                                                 "int64", "uint64", "float16", "float32", "float64")}


def save(obj, path):
    """Write ``obj`` (a state dict or a nesting of dicts, lists, tuples, tensors and scalars) to ``path``.

    Parameters
    ----------
    obj : dict, list, tuple or Tensor
        Typically ``model.state_dict()``, ``optimizer.state_dict()`` or a dict of both.
    path : str or os.PathLike
        The file to write (``.safetensors`` by convention). It is written to a temporary file
        first and renamed, so an error never leaves a partial checkpoint behind.

    Raises
    ------
    TypeError
        A value that is neither a tensor, a scalar nor a container (its key path is named),
        or an uninitialized lazy parameter.
    """
    from safetensors.numpy import save as to_bytes

    path = os.fspath(path)
    arrays = {}
    tree = _encode(obj, (), arrays, set())
    metadata = {_STRUCTURE_KEY: json.dumps({"version": _VERSION, "tree": tree}, allow_nan=True)}
    data = to_bytes(arrays, metadata=metadata)
    temporary = f"{path}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"  # beside the target, so the rename is atomic
    try:
        with open(temporary, "xb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def load(path, map_location=None, *, weights_only=True):
    """Read a checkpoint: one written by ``save``, any safetensors file, or a PyTorch ``torch.save`` file.

    The format is recognised from the file's first bytes. A PyTorch checkpoint (the zip layout
    of PyTorch 1.6 and later, or the older legacy layout) is read by lucid's own restricted
    unpickler, without torch: it admits only the globals a weights file needs and never runs
    code the file names, so loading an untrusted file is safe (see ``lucid._torch_checkpoint``).

    Parameters
    ----------
    path : str, os.PathLike or binary file object
        The file, or an open binary file (read from its current position to the end).
    map_location : str, Device, dict or callable, optional
        Accepted for source compatibility with ``torch.load``: lucid loads every tensor onto
        the CPU. A string or device must name the CPU; a dict maps saved locations
        (``"cuda:0"``) to targets, which must be the CPU (unmapped locations load onto the CPU
        too); a callable is called as ``map_location(storage, location)`` for each storage,
        with the storage as a 1-d Tensor, and must return None or a CPU Tensor (typically
        the storage itself); its result is not used.
    weights_only : bool, optional
        Must be true (``None`` means true). ``weights_only=False`` is not offered: it would
        mean unpickling with Python's full pickle, which lets the file run any code.

    Returns
    -------
    dict, list, tuple or Tensor
        The saved nesting. From a PyTorch file it is the nesting ``torch.load(path,
        weights_only=True)`` returns (dicts, OrderedDicts, lists, tuples, sets, ints, floats,
        strings, bytes, None) with every tensor a lucid Tensor and every ``torch.nn.Parameter``
        a lucid ``Parameter``, with the saved ``requires_grad``. ``torch.Size`` values come back
        as ``lucid.Size``, ``torch.device`` as lucid Devices, torch dtypes as lucid dtypes where lucid has
        one (else the name, ``"torch.int8"``).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not a valid checkpoint (truncated, corrupt, a storage shorter than its
        tensor, an unsupported dtype), or a PyTorch file names a global outside the allowlist;
        the message names the file and the problem. Nothing is returned half-loaded.
        Also raised for ``weights_only=False`` and a ``map_location`` naming another device.
    TypeError
        ``path`` or ``map_location`` of an unsupported type.

    Notes
    -----
    Tensors from a PyTorch file keep the file's element type: float16/32/64, int8/16/32/64,
    uint8 and bool as the lucid dtypes of those names; uint16/32/64 keep their type in the
    NumPy data (``tensor.numpy().dtype``), while ``tensor.dtype`` reads ``lucid.int64``, lucid
    having no unsigned dtype wider than uint8. bfloat16 tensors come back as float32 (exactly:
    a bfloat16 is the upper half of a float32), since NumPy has no bfloat16. Tensors that
    shared a storage in PyTorch share memory here too (views keep their strides and offsets).
    Python attributes set on saved tensors are dropped.
    """
    from . import _torch_checkpoint

    if weights_only is not None and not weights_only:
        raise ValueError("weights_only=False is not offered: it would unpickle the file with Python's full "
                         "pickle, which runs whatever code the file names; lucid.load reads weights only")
    location = _MapLocation(map_location)
    name, data = _read_source(path)
    if _torch_checkpoint.is_torch_checkpoint(data):
        return _torch_checkpoint.load(data, name, location)
    return _load_safetensors(data, name, location)


def _read_source(path):
    """``(name for messages, the file's bytes)`` from a path or a binary file object."""
    if hasattr(path, "read"):
        data = path.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"path must be a path or a binary file object; read() returned {type(data).__name__}")
        return repr(getattr(path, "name", "<file object>")), bytes(data)
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"path must be a str, os.PathLike or binary file object, got {type(path).__name__}") from None
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint file at {path!r}")
    with open(path, "rb") as file:
        return repr(path), file.read()


def _load_safetensors(data, name, location):
    from safetensors.numpy import load as from_bytes

    try:
        arrays = from_bytes(data)
        metadata = _header(data).get("__metadata__") or {}
    except Exception as error:  # safetensors raises its own SafetensorError
        raise ValueError(f"{name} is not a readable safetensors checkpoint (truncated or corrupt?): {error}") from None
    if location.function is not None:
        for array in arrays.values():
            location.call(Tensor(array), "cpu")
    if _STRUCTURE_KEY not in metadata:
        return {key: Tensor(array) for key, array in arrays.items()}
    try:
        document = json.loads(metadata[_STRUCTURE_KEY])
        if not isinstance(document, dict) or document.get("version") != _VERSION or "tree" not in document:
            raise ValueError(f"unsupported structure record (expected version {_VERSION})")
        return _decode(document["tree"], arrays, "")
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"{name}: the checkpoint's structure metadata is damaged: {error}") from None


class _MapLocation:
    """``map_location`` checked once: lucid loads onto the CPU, so every target must be the CPU."""

    def __init__(self, map_location):
        self.function = None
        if isinstance(map_location, dict):
            for saved, target in map_location.items():
                self._cpu(target, f"map_location[{saved!r}]")
        elif isinstance(map_location, (str, Device)) or type(map_location).__module__.startswith("torch"):
            self._cpu(map_location, "map_location")
        elif callable(map_location):
            self.function = map_location
        elif map_location is not None:
            raise TypeError("map_location must be None, a string, a device, a dict or a callable, got "
                            f"{type(map_location).__name__}: {map_location!r}")

    @staticmethod
    def _cpu(target, what):
        if isinstance(target, Device):
            kind = target.type
        elif isinstance(target, str) or type(target).__module__.startswith("torch"):
            kind = str(target).partition(":")[0]
        else:
            raise TypeError(f"{what} must be a device or a device string, got {type(target).__name__}: {target!r}")
        if kind != "cpu":
            raise ValueError(f"{what} is {target!r}, but lucid loads checkpoints onto the CPU only; "
                             "load with map_location='cpu' and move the model with .to(device) afterwards")

    def call(self, storage, location):
        result = self.function(storage, location)
        if result is not None and not (isinstance(result, Tensor) and result.device.type == "cpu"):
            raise ValueError(f"map_location({location!r}) must return None or a CPU Tensor (the storage), got "
                             f"{type(result).__name__}")


# ----------------------------------------------------------------------- encoding
def _encode(value, keys, arrays, active):
    where = _where(keys)
    if isinstance(value, Tensor) or isinstance(value, np.ndarray):
        return {"tensor": _store(_tensor_array(value, where), keys, arrays)}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (Mapping, list, tuple)):
        if id(value) in active:
            raise ValueError(f"cannot save {where}: the container holds itself")
        active.add(id(value))
        try:
            if isinstance(value, Mapping):
                items = []
                for key, item in value.items():
                    if key is not None and not isinstance(key, (str, bool, numbers.Integral)):
                        raise TypeError(f"cannot save {where}: dict keys must be str or int, got "
                                        f"{type(key).__name__} {key!r}")
                    items.append([int(key) if isinstance(key, numbers.Integral) and not isinstance(key, bool)
                                  else key, _encode(item, keys + (key,), arrays, active)])
                return {"dict": items}
            encoded = [_encode(item, keys + (index,), arrays, active) for index, item in enumerate(value)]
            return {"tuple": encoded} if isinstance(value, tuple) else encoded
        finally:
            active.discard(id(value))
    if hasattr(value, "__array__") and not callable(getattr(value, "state_dict", None)):
        return {"tensor": _store(_tensor_array(value, where), keys, arrays)}
    hint = "; save its .state_dict() instead" if callable(getattr(value, "state_dict", None)) else ""
    raise TypeError(f"cannot save {where}: values of type {type(value).__name__} are not supported (expected "
                    f"tensors, arrays, None, bool, int, float, str, or dicts/lists/tuples of them){hint}")


def _tensor_array(value, where):
    from .nn.state_dict import as_array

    from .nn.parameter import is_lazy

    if is_lazy(value):
        raise TypeError(f"cannot save {where}: it is an uninitialized (lazy) parameter; run a forward pass "
                        "or load a state_dict first")
    try:
        array = np.asarray(value._array) if isinstance(value, Tensor) else as_array(value)
    except TypeError as error:
        raise TypeError(f"cannot save {where}: {error}") from None
    if array.dtype not in _SUPPORTED_DTYPES:
        raise TypeError(f"cannot save {where}: dtype {array.dtype} is not supported by safetensors here")
    return np.ascontiguousarray(array)


def _store(array, keys, arrays):
    """Put ``array`` under its dotted path (made unique if two paths print alike) and return the name."""
    base = ".".join(str(key) for key in keys) or "tensor"
    name, number = base, 1
    while name in arrays:
        number += 1
        name = f"{base}#{number}"
    arrays[name] = array
    return name


def _where(keys):
    return "the checkpoint root" if not keys else "key " + "".join(f"[{key!r}]" for key in keys)


# ----------------------------------------------------------------------- decoding
def _decode(node, arrays, where):
    if node is None or isinstance(node, (bool, str, int)):
        return node
    if isinstance(node, float):
        return node
    if isinstance(node, list):
        return [_decode(item, arrays, f"{where}[{index}]") for index, item in enumerate(node)]
    if isinstance(node, dict) and len(node) == 1:
        (tag, body), = node.items()
        if tag == "tensor":
            if not isinstance(body, str) or body not in arrays:
                raise ValueError(f"{where or 'the root'} refers to tensor {body!r}, which the file does not hold")
            return Tensor(arrays[body])
        if tag == "tuple" and isinstance(body, list):
            return tuple(_decode(item, arrays, f"{where}[{index}]") for index, item in enumerate(body))
        if tag == "dict" and isinstance(body, list):
            out = {}
            for entry in body:
                if not (isinstance(entry, list) and len(entry) == 2):
                    raise ValueError(f"{where or 'the root'}: malformed dict entry {entry!r}")
                key, item = entry
                out[key] = _decode(item, arrays, f"{where}[{key!r}]")
            return out
    raise ValueError(f"{where or 'the root'}: unrecognised node {str(node)[:80]!r}")


def _header(data):
    """The JSON header of a safetensors byte string (already validated by safetensors)."""
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    return header


__all__ = ["load", "save"]

