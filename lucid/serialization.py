"""lucid.save / lucid.load: checkpoints as safetensors files, never pickle.

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
"""

import json
import numbers
import os
import struct
import uuid
from collections.abc import Mapping

import numpy as np

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


def load(path):
    """Read a checkpoint written by ``save`` (or any safetensors file) back.

    Tensors come back as lucid Tensors with their saved dtype and values bit for bit; the
    result can go straight into ``Module.load_state_dict`` or ``Optimizer.load_state_dict``.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not a valid safetensors file (truncated, corrupt) or its lucid structure
        is damaged; the message names the path and, where known, the key.
    """
    from safetensors.numpy import load as from_bytes

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint file at {path!r}")
    with open(path, "rb") as file:
        data = file.read()
    try:
        arrays = from_bytes(data)
        metadata = _header(data).get("__metadata__") or {}
    except Exception as error:  # safetensors raises its own SafetensorError
        raise ValueError(f"{path!r} is not a readable safetensors checkpoint (truncated or corrupt?): {error}") from None
    if _STRUCTURE_KEY not in metadata:
        return {name: Tensor(array) for name, array in arrays.items()}
    try:
        document = json.loads(metadata[_STRUCTURE_KEY])
        if not isinstance(document, dict) or document.get("version") != _VERSION or "tree" not in document:
            raise ValueError(f"unsupported structure record (expected version {_VERSION})")
        return _decode(document["tree"], arrays, "")
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"{path!r}: the checkpoint's structure metadata is damaged: {error}") from None


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

