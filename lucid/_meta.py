"""The "meta" array module: arrays that carry only a shape and a dtype.

``backend`` registers it under ``"meta"``, so ``lucid.empty(64, 512, 100_000, device="meta")``
costs a few bytes. Ops run on it unchanged where their forward is plain array code:
NumPy ufuncs and the handful of array functions the ops use dispatch here through
``__array_ufunc__`` / ``__array_function__`` and compute only the result's shape and dtype.
Functions whose kernels are not array code (the convolutions) give a ``forward_meta``
shape rule instead. Anything that needs values raises ``ShapeOnlyError``.
"""

import builtins
import math
import numbers

import numpy as np


class ShapeOnlyError(RuntimeError):
    """An operation needed values (or has no shape rule) while running on shape-only data."""


def _probe(shape, dtype):
    """A NumPy array of ``shape`` that owns one element (zero strides): basic indexing on it is free."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype), shape, (0,) * len(shape), writeable=False)


class ndarray:
    """Shape and dtype of an array whose values were never computed."""

    __slots__ = ("shape", "dtype")
    __array_priority__ = 2000

    def __init__(self, shape, dtype):
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)

    # ------------------------------------------------------------- metadata
    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    @property
    def T(self):
        return self.transpose()

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __repr__(self):
        return f"meta.ndarray(shape={self.shape}, dtype={self.dtype})"

    # ------------------------------------------------------ shape functions
    def reshape(self, *shape, order="C"):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        shape = [int(s) for s in shape]
        if shape.count(-1) > 1:
            raise ValueError(f"can only specify one unknown dimension, got {tuple(shape)}")
        known = math.prod(s for s in shape if s != -1)
        if -1 in shape:
            if known == 0 or self.size % known:
                raise ValueError(f"cannot reshape array of size {self.size} into shape {tuple(shape)}")
            shape[shape.index(-1)] = self.size // known
        if math.prod(shape) != self.size:
            raise ValueError(f"cannot reshape array of size {self.size} into shape {tuple(shape)}")
        return ndarray(shape, self.dtype)

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = tuple(reversed(range(self.ndim))) if not axes else tuple(a % self.ndim for a in axes)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"axes {axes} are not a permutation of {self.ndim} dims")
        return ndarray([self.shape[a] for a in axes], self.dtype)

    def swapaxes(self, a, b):
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(axes)

    def astype(self, dtype, copy=True, **kwargs):
        return ndarray(self.shape, dtype)

    def copy(self, order="C"):
        return ndarray(self.shape, self.dtype)

    def ravel(self, order="C"):
        return ndarray((self.size,), self.dtype)

    flatten = ravel

    def squeeze(self, axis=None):
        return squeeze(self, axis)

    def sum(self, axis=None, dtype=None, keepdims=False, **kwargs):
        return _reduce(self, axis, keepdims, dtype or _sum_dtype(self.dtype))

    def mean(self, axis=None, dtype=None, keepdims=False, **kwargs):
        return _reduce(self, axis, keepdims, dtype or _mean_dtype(self.dtype))

    def max(self, axis=None, keepdims=False, **kwargs):
        return _reduce(self, axis, keepdims, self.dtype)

    def min(self, axis=None, keepdims=False, **kwargs):
        return _reduce(self, axis, keepdims, self.dtype)

    def __getitem__(self, index):
        items = index if isinstance(index, tuple) else (index,)
        arrays = [k for k, i in enumerate(items) if isinstance(i, ndarray)]
        if arrays:
            # one integer array among full slices (a table lookup): its shape replaces that axis
            k = arrays[0]
            full = all(isinstance(i, slice) and i == slice(None) for j, i in enumerate(items) if j != k)
            if len(arrays) > 1 or items[k].dtype.kind not in "iu" or not full:
                raise ShapeOnlyError("this indexing with a shape-only array depends on its values")
            return ndarray(self.shape[:k] + items[k].shape + self.shape[k + 1:], self.dtype)
        return ndarray(_probe(self.shape, self.dtype)[index].shape, self.dtype)

    def __setitem__(self, index, value):
        target = self[index].shape
        try:
            np.broadcast_shapes(np.shape(value) if not isinstance(value, ndarray) else value.shape, target)
        except ValueError:
            raise ValueError(f"could not broadcast value of shape {np.shape(value)} into shape {target}") from None

    # --------------------------------------------------------- no values here
    def _no_values(self, *args, **kwargs):
        raise ShapeOnlyError(f"a shape-only (meta) array of shape {self.shape} has no values")

    __array__ = __bool__ = __float__ = __int__ = __index__ = __iter__ = item = tolist = tobytes = _no_values

    # ----------------------------------------------------------- arithmetic
    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if method == "at":  # e.g. np.add.at(target, index, values): in place, nothing to compute
            return None
        if ufunc is np.matmul and method == "__call__":  # a gufunc: its own shape rule
            return matmul(*inputs)
        if method == "reduce":
            (array,) = inputs
            return _reduce(array, kwargs.get("axis", 0), kwargs.get("keepdims", False),
                           kwargs.get("dtype") or array.dtype)
        if method != "__call__":
            raise ShapeOnlyError(f"numpy.{ufunc.__name__}.{method} has no shape-only rule")
        shape = np.broadcast_shapes(*(np.shape(a) if not isinstance(a, ndarray) else a.shape for a in inputs))
        samples = [np.zeros((), a.dtype) if isinstance(a, (ndarray, np.ndarray)) else a for a in inputs]
        with np.errstate(all="ignore"):
            result = ufunc(*samples, **{k: v for k, v in kwargs.items() if k in ("dtype", "casting")})
        results = result if isinstance(result, tuple) else (result,)
        made = tuple(ndarray(shape, np.result_type(r)) for r in results)
        if out is not None:
            return out if isinstance(result, tuple) else out[0]
        return made if isinstance(result, tuple) else made[0]

    def __array_function__(self, func, types, args, kwargs):
        rule = _RULES.get(func.__name__)
        if rule is None:
            raise ShapeOnlyError(f"numpy.{func.__name__} has no shape-only rule")
        return rule(*args, **kwargs)

    def _binary(name, reverse=False):
        ufunc = getattr(np, name)

        def method(self, other):
            return ufunc(other, self) if reverse else ufunc(self, other)

        return method

    __add__, __radd__ = _binary("add"), _binary("add", True)
    __sub__, __rsub__ = _binary("subtract"), _binary("subtract", True)
    __mul__, __rmul__ = _binary("multiply"), _binary("multiply", True)
    __truediv__, __rtruediv__ = _binary("true_divide"), _binary("true_divide", True)
    __floordiv__, __rfloordiv__ = _binary("floor_divide"), _binary("floor_divide", True)
    __pow__, __rpow__ = _binary("power"), _binary("power", True)
    __mod__ = _binary("remainder")
    __eq__, __ne__ = _binary("equal"), _binary("not_equal")
    __lt__, __le__ = _binary("less"), _binary("less_equal")
    __gt__, __ge__ = _binary("greater"), _binary("greater_equal")
    __and__, __or__ = _binary("logical_and"), _binary("logical_or")
    __iadd__, __isub__, __imul__, __itruediv__ = __add__, __sub__, __mul__, __truediv__
    __hash__ = object.__hash__
    del _binary

    def __neg__(self):
        return np.negative(self)

    def __abs__(self):
        return np.absolute(self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)


def _shape(a):
    return a.shape if isinstance(a, ndarray) else np.shape(a)


def _dtype(a):
    return a.dtype if isinstance(a, (ndarray, np.ndarray, np.generic)) else np.result_type(a)


def _sum_dtype(dtype):
    return np.dtype(np.int64) if dtype.kind in "biu" else dtype


def _mean_dtype(dtype):
    return np.dtype(np.float64) if dtype.kind in "biu" else dtype


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return tuple(a % builtins.max(ndim, 1) for a in axes)


def _reduce(a, axis, keepdims, dtype):
    axes = _axes(axis, a.ndim)
    shape = tuple(1 if i in axes else s for i, s in enumerate(a.shape)) if keepdims else tuple(
        s for i, s in enumerate(a.shape) if i not in axes)
    return ndarray(shape, dtype)


# ---------------------------------------------------------------- creation
def empty(shape, dtype=float, **kwargs):
    return ndarray((shape,) if isinstance(shape, numbers.Integral) else shape, dtype)


zeros = ones = empty


def full(shape, fill_value, dtype=None, **kwargs):
    return empty(shape, dtype if dtype is not None else np.result_type(fill_value))


def empty_like(a, dtype=None, shape=None, **kwargs):
    return ndarray(_shape(a) if shape is None else shape, _dtype(a) if dtype is None else dtype)


zeros_like = ones_like = empty_like


def full_like(a, fill_value, dtype=None, **kwargs):
    return empty_like(a, dtype)


def array(data, dtype=None, copy=True, **kwargs):
    """Shape and dtype of ``data`` (a meta array, a NumPy array, nested lists, a scalar)."""
    if isinstance(data, ndarray):
        return ndarray(data.shape, data.dtype if dtype is None else dtype)
    sample = np.asarray(data, dtype=dtype)
    return ndarray(sample.shape, sample.dtype)


asarray = array


# ------------------------------------------------------------ array functions
def matmul(a, b, **kwargs):
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        raise ValueError(f"matmul needs at least 1-D operands, got shapes {sa} and {sb}")
    a2 = (1,) + sa if len(sa) == 1 else sa
    b2 = sb + (1,) if len(sb) == 1 else sb
    if a2[-1] != b2[-2]:
        raise ValueError(f"matmul shape mismatch: {sa} @ {sb}")
    shape = np.broadcast_shapes(a2[:-2], b2[:-2]) + (a2[-2], b2[-1])
    if len(sa) == 1:
        shape = shape[:-2] + shape[-1:]
    if len(sb) == 1:
        shape = shape[:-1]
    return ndarray(shape, np.result_type(_dtype(a), _dtype(b)))


def einsum(subscripts, *operands, **kwargs):
    if "..." in subscripts:
        raise ShapeOnlyError("einsum with '...' has no shape-only rule")
    inputs, _, output = subscripts.replace(" ", "").partition("->")
    sizes = {}
    for letters, operand in zip(inputs.split(","), operands):
        for letter, size in zip(letters, _shape(operand)):
            sizes[letter] = size
    if not _:
        output = "".join(sorted(letter for letter in sizes if inputs.count(letter) == 1))
    return ndarray([sizes[letter] for letter in output], np.result_type(*(_dtype(o) for o in operands)))


def tensordot(a, b, axes=2):
    sa, sb = _shape(a), _shape(b)
    if isinstance(axes, numbers.Integral):
        axes_a, axes_b = list(range(len(sa) - axes, len(sa))), list(range(axes))
    else:
        axes_a, axes_b = ([axes[0]] if isinstance(axes[0], numbers.Integral) else list(axes[0]),
                          [axes[1]] if isinstance(axes[1], numbers.Integral) else list(axes[1]))
    axes_a, axes_b = [x % len(sa) for x in axes_a], [x % len(sb) for x in axes_b]
    shape = [s for i, s in enumerate(sa) if i not in axes_a] + [s for i, s in enumerate(sb) if i not in axes_b]
    return ndarray(shape, np.result_type(_dtype(a), _dtype(b)))


def dot(a, b, out=None):
    return matmul(a, b) if len(_shape(b)) <= 2 else tensordot(a, b, ([-1], [-2]))


def broadcast_to(a, shape, **kwargs):
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if np.broadcast_shapes(_shape(a), shape) != shape:
        raise ValueError(f"cannot broadcast shape {_shape(a)} to {shape}")
    return ndarray(shape, _dtype(a))


def reshape(a, shape, **kwargs):
    return asarray(a).reshape(shape)


def transpose(a, axes=None):
    return asarray(a).transpose(() if axes is None else axes)


def swapaxes(a, axis1, axis2):
    return asarray(a).swapaxes(axis1, axis2)


def moveaxis(a, source, destination):
    return ndarray(np.moveaxis(_probe(_shape(a), _dtype(a)), source, destination).shape, _dtype(a))


def expand_dims(a, axis):
    return ndarray(np.expand_dims(_probe(_shape(a), _dtype(a)), axis).shape, _dtype(a))


def squeeze(a, axis=None):
    return ndarray(np.squeeze(_probe(_shape(a), _dtype(a)), axis).shape, _dtype(a))


def ascontiguousarray(a, dtype=None, **kwargs):
    return array(a, dtype)


def pad(a, pad_width, mode="constant", **kwargs):
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (len(_shape(a)), 2))
    return ndarray([s + int(lo) + int(hi) for s, (lo, hi) in zip(_shape(a), widths)], _dtype(a))


def concatenate(arrays, axis=0, **kwargs):
    arrays = list(arrays)
    first = _shape(arrays[0])
    axis %= len(first)
    for a in arrays[1:]:
        shape = _shape(a)
        if len(shape) != len(first) or shape[:axis] + shape[axis + 1:] != first[:axis] + first[axis + 1:]:
            raise ValueError(f"concatenate: shapes {first} and {shape} differ outside axis {axis}")
    size = builtins.sum(_shape(a)[axis] for a in arrays)
    return ndarray(first[:axis] + (size,) + first[axis + 1:], np.result_type(*(_dtype(a) for a in arrays)))


def stack(arrays, axis=0, **kwargs):
    arrays = list(arrays)
    first = _shape(arrays[0])
    if any(_shape(a) != first for a in arrays):
        raise ValueError("stack: all input arrays must have the same shape")
    axis %= len(first) + 1
    return ndarray(first[:axis] + (len(arrays),) + first[axis:], np.result_type(*(_dtype(a) for a in arrays)))


def where(condition, x=None, y=None):
    if x is None:
        raise ShapeOnlyError("where(condition) returns indices, which depend on values")
    return ndarray(np.broadcast_shapes(_shape(condition), _shape(x), _shape(y)),
                   np.result_type(_dtype(x), _dtype(y)))


def clip(a, a_min=None, a_max=None, **kwargs):
    return ndarray(_shape(a), _dtype(a))


def nan_to_num(a, **kwargs):
    return ndarray(_shape(a), _dtype(a))


def sum(a, axis=None, dtype=None, keepdims=False, **kwargs):  # noqa: A001 (NumPy's name)
    return asarray(a).sum(axis, dtype, keepdims)


def mean(a, axis=None, dtype=None, keepdims=False, **kwargs):
    return asarray(a).mean(axis, dtype, keepdims)


def amax(a, axis=None, keepdims=False, **kwargs):
    return asarray(a).max(axis, keepdims)


def amin(a, axis=None, keepdims=False, **kwargs):
    return asarray(a).min(axis, keepdims)


def argmax(a, axis=None, keepdims=False, **kwargs):
    return _reduce(asarray(a), axis, keepdims, np.int64)


argmin = argmax
max = amax  # noqa: A001
min = amin  # noqa: A001
shape = _shape
ndim = np.ndim

_RULES = {name: globals()[name] for name in (
    "empty_like", "zeros_like", "ones_like", "full_like", "array", "asarray", "matmul", "einsum", "tensordot", "dot",
    "broadcast_to", "reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "ascontiguousarray",
    "pad", "concatenate", "stack", "where", "clip", "nan_to_num", "sum", "mean", "amax", "amin", "max", "min", "argmax", "argmin",
)}
_RULES["shape"] = _shape
_RULES["ndim"] = lambda a: len(_shape(a))
_RULES["result_type"] = lambda *args: np.result_type(*(_dtype(a) for a in args))


def __getattr__(name):
    """Ufuncs, dtypes and constants are NumPy's own (ufuncs dispatch to ``ndarray.__array_ufunc__``)."""
    value = getattr(np, name)
    if isinstance(value, (np.ufunc, type, float, int)) or name in ("errstate", "newaxis"):
        return value
    if callable(value):
        def no_rule(*args, **kwargs):
            raise ShapeOnlyError(f"numpy.{name} has no shape-only rule")

        return no_rule
    raise AttributeError(f"the meta array module has no shape-only {name!r}")


def is_meta(array):
    """True for a shape-only array of this module."""
    return type(array) is ndarray
