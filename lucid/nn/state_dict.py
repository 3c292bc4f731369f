"""Saving and loading module state: the walk, the checks, and the all-or-nothing rule."""

from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from ..backend import get_array_module
from .parameter import is_lazy

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def collect(module, destination=None, prefix="", keep_vars=False):
    destination = OrderedDict() if destination is None else destination
    module._save_to_state_dict(destination, prefix, keep_vars)
    for name, child in module._modules.items():
        if child is not None:
            collect(child, destination, prefix + name + ".", keep_vars)
    return destination


def as_array(value):
    """The NumPy array behind a checkpoint value: a lucid Tensor, an array, or anything with ``__array__``."""
    from ..tensor import Tensor

    if is_lazy(value):
        raise TypeError("value is an uninitialized parameter")
    if isinstance(value, Tensor):
        return np.asarray(value._array)
    if not (isinstance(value, (np.ndarray, np.generic, list, tuple, int, float)) or hasattr(value, "__array__")):
        raise TypeError(f"expected a tensor or array, got {type(value).__name__}")
    try:
        array = np.asarray(value)
    except (RuntimeError, TypeError, ValueError):
        if not hasattr(value, "detach"):
            raise TypeError(f"cannot read {type(value).__name__} as an array") from None
        array = np.asarray(value.detach().cpu().float().numpy())  # e.g. a torch tensor that requires grad
    if array.dtype.kind not in "biuf":
        raise TypeError(f"expected numeric values, got an array of dtype {array.dtype}")
    return array


def load_own(module, state_dict, prefix, missing_keys, error_msgs):
    """Check and load one module's own parameters and persistent buffers."""
    own = list(module._parameters.items()) + [
        (name, buffer) for name, buffer in module._buffers.items() if name not in module._non_persistent_buffers
    ]
    for name, tensor in own:
        if tensor is None:
            continue
        key = prefix + name
        if key not in state_dict:
            missing_keys.append(key)
            continue
        value = state_dict[key]
        if is_lazy(tensor) and is_lazy(value):
            continue  # uninitialized on both sides: nothing to copy yet
        if is_lazy(tensor):
            error_msgs.append(f"{key}: the parameter is still uninitialized, its shape could not be inferred")
            continue
        try:
            array = as_array(value)
        except TypeError as error:
            error_msgs.append(f"{key}: {error}")
            continue
        if array.shape != tensor._array.shape:
            error_msgs.append(
                f"size mismatch for {key}: the checkpoint has shape {tuple(array.shape)}, "
                f"the model expects {tuple(tensor._array.shape)}"
            )
            continue
        if tensor._array.dtype.kind == "f" and array.dtype.kind not in "biuf":
            error_msgs.append(f"{key}: cannot load dtype {array.dtype} into {tensor.dtype}")
            continue
        tensor._array = get_array_module(tensor._array).array(array, dtype=tensor._array.dtype)
        tensor._bump_version()


def load(root, state_dict, strict=True):
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a mapping of names to tensors, got {type(state_dict).__name__}")
    state_dict = OrderedDict(state_dict)  # a load pre-hook may rename keys (as PyTorch's do) in this copy
    saved = snapshot(root)
    missing, unexpected, errors = [], [], []
    try:
        _walk_load(root, state_dict, "", strict, missing, unexpected, errors)
        expected = set(collect(root, keep_vars=True))
        unexpected.extend(key for key in state_dict if key not in expected)
        if strict:
            if unexpected:
                errors.insert(0, "unexpected key(s) in state_dict: " + ", ".join(map(repr, unexpected)))
            if missing:
                errors.insert(0, "missing key(s) in state_dict: " + ", ".join(map(repr, missing)))
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(root).__name__} (nothing was changed):\n\t"
                + "\n\t".join(errors)
            )
    except BaseException:
        restore(saved)
        raise
    return IncompatibleKeys(missing, unexpected)


def _walk_load(module, state_dict, prefix, strict, missing, unexpected, errors):
    module._load_from_state_dict(state_dict, prefix, {}, strict, missing, unexpected, errors)
    for name, child in module._modules.items():
        if child is not None:
            _walk_load(child, state_dict, prefix + name + ".", strict, missing, unexpected, errors)


def snapshot(root):
    """Everything a load or a lazy materialization may change, to undo it on failure."""
    saved, seen = [], set()
    for module in root.modules():
        tensors = []
        for tensor in list(module._parameters.values()) + list(module._buffers.values()):
            if tensor is not None and id(tensor) not in seen:
                seen.add(id(tensor))
                tensors.append((tensor, tensor.__class__, dict(tensor.__dict__)))
        registries = {name: value.copy() for name, value in module.__dict__.items()
                      if name.startswith("_") and isinstance(value, (dict, set))}
        saved.append((module, module.__class__, dict(module.__dict__), registries, tensors))
    return saved


def restore(saved):
    for module, cls, attributes, registries, tensors in saved:
        module.__class__ = cls  # a parametrization swaps in a subclass
        module.__dict__.clear()
        module.__dict__.update(attributes)
        for name, copy in registries.items():  # parameters, buffers, submodules, hooks: the same objects
            registry = module.__dict__[name]
            registry.clear()
            registry.update(copy)
        for tensor, cls, state in tensors:
            tensor.__class__ = cls
            tensor.__dict__.clear()
            tensor.__dict__.update(state)
