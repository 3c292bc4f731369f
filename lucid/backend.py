"""The one place that maps a device to its array module.

``"cpu"`` runs on NumPy. ``"meta"`` holds shape-only arrays (``lucid._meta``): ops on it
compute output shapes and dtypes, never values, which is how ``nn.utils.materialize``
propagates shapes through a model. A GPU backend (CuPy) registers itself in
``_ARRAY_MODULES`` under ``"cuda"``; no op needs to change for it.
"""

import numpy as np

from . import _meta

_ARRAY_MODULES = {"cpu": np, "meta": _meta}
_GPU_NAMES = ("cuda", "gpu", "mps")


class Device:
    """Where a tensor's data lives, e.g. ``Device("cpu")``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        self.type = type
        self.index = index

    def __repr__(self):
        return f"device(type={self.type!r})" if self.index is None else f"device(type={self.type!r}, index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, (str, Device)) or type(other).__module__.startswith("torch"):
            try:
                other = to_device(other)
            except (TypeError, ValueError, RuntimeError):
                return False
            return self.type == other.type and (self.index or 0) == (other.index or 0)
        return NotImplemented

    def __hash__(self):
        return hash((self.type, self.index or 0))

    def __reduce__(self):
        return (to_device, (str(self),))


CPU = Device("cpu")


def to_device(spec):
    """Resolve ``None`` (cpu), a ``Device`` or a string such as ``"cpu"``."""
    if spec is None:
        return CPU
    if isinstance(spec, Device):
        return spec
    if not isinstance(spec, str) and not type(spec).__module__.startswith("torch"):
        raise TypeError(f"device must be a string or lucid Device, got {type(spec).__name__}: {spec!r}")
    text = str(spec)
    kind, _, index = text.partition(":")
    if kind in _ARRAY_MODULES:
        if index and not index.isdigit():
            raise ValueError(f"device index must be an integer, got {text!r}")
        return CPU if kind == "cpu" else Device(kind, int(index) if index else None)
    data_devices = sorted(name for name in _ARRAY_MODULES if name != "meta")
    if kind in _GPU_NAMES:
        raise RuntimeError(
            f"device {text!r} requested, but no GPU backend is available in this build of lucid; "
            f"available devices: {data_devices}"
        )
    raise ValueError(f"device must be one of {data_devices}, got {text!r} ('meta' is also accepted, for "
                     "shape-only tensors)")


def array_module(device):
    """The array module (``numpy`` for cpu) that holds data on ``device``."""
    return _ARRAY_MODULES[to_device(device).type]


def get_array_module(array):
    """The array module an existing array belongs to; used by kernels that are device-agnostic."""
    return np if isinstance(array, (np.ndarray, np.generic)) else _array_module_of_foreign(array)


def _array_module_of_foreign(array):
    for module in _ARRAY_MODULES.values():
        if isinstance(array, module.ndarray):
            return module
    return np
