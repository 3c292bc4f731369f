"""Data types: a thin named wrapper over NumPy dtypes."""

import numpy as np


class DType:
    """A lucid data type; ``lucid.float32`` and friends are its instances."""

    __slots__ = ("name", "numpy", "is_floating_point")

    def __init__(self, name, numpy_dtype):
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.is_floating_point = self.numpy.kind == "f"

    def __repr__(self):
        return f"lucid.{self.name}"

    def __eq__(self, other):
        if isinstance(other, DType):
            return self.numpy == other.numpy
        try:
            return self.numpy == to_dtype(other).numpy
        except (TypeError, ValueError):
            return NotImplemented

    def __hash__(self):
        return hash(self.numpy)

    def __reduce__(self):
        return (to_dtype, (self.name,))


float16 = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int8 = DType("int8", np.int8)
uint8 = DType("uint8", np.uint8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
bool_ = DType("bool", np.bool_)

_ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, bool_)
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, long=int64, int=int32, short=int16)
_BY_NUMPY = {d.numpy: d for d in _ALL}

_default_dtype = float32


def to_dtype(spec):
    """Resolve a lucid dtype, a name (``"float32"``, ``"torch.float32"``) or a NumPy dtype.

    ``None`` gives the default floating dtype.
    """
    if spec is None:
        return _default_dtype
    if isinstance(spec, DType):
        return spec
    if isinstance(spec, str) or type(spec).__module__.startswith("torch"):
        name = str(spec).removeprefix("torch.")
        if name in _BY_NAME:
            return _BY_NAME[name]
        raise ValueError(f"dtype must be one of {sorted(_BY_NAME)}, got {spec!r}")
    try:
        numpy_dtype = np.dtype(spec)
    except TypeError:
        raise TypeError(f"dtype must be a lucid dtype, a string or a NumPy dtype, got {spec!r}") from None
    if numpy_dtype not in _BY_NUMPY:
        raise ValueError(f"dtype {numpy_dtype} is not supported; supported: {[d.name for d in _ALL]}")
    return _BY_NUMPY[numpy_dtype]


def from_numpy_dtype(numpy_dtype):
    """The lucid dtype of an array, widening unsupported NumPy types to a supported one."""
    found = _BY_NUMPY.get(numpy_dtype)
    if found is not None:
        return found
    kind = numpy_dtype.kind
    if kind == "f":
        return float64
    if kind in "iu":
        return int64
    raise TypeError(f"arrays of dtype {numpy_dtype} cannot become lucid tensors")


def get_default_dtype():
    """The floating dtype used when none is given (``float32`` unless changed)."""
    return _default_dtype


def set_default_dtype(dtype):
    """Set the floating dtype used when none is given."""
    global _default_dtype
    dtype = to_dtype(dtype)
    if not dtype.is_floating_point:
        raise TypeError(f"default dtype must be floating point, got {dtype}")
    _default_dtype = dtype


def finfo(dtype=None):
    """Limits of a floating dtype (``eps``, ``max``, ``min``, ``tiny``), as ``torch.finfo``."""
    dtype = to_dtype(dtype)
    if not dtype.is_floating_point:
        raise TypeError(f"finfo needs a floating point dtype, got {dtype}")
    return np.finfo(dtype.numpy)


def iinfo(dtype):
    """Limits of an integer dtype (``max``, ``min``, ``bits``), as ``torch.iinfo``."""
    dtype = to_dtype(dtype)
    if dtype.numpy.kind not in "iu":
        raise TypeError(f"iinfo needs an integer dtype, got {dtype}")
    return np.iinfo(dtype.numpy)
