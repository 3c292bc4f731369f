"""Tensor: an array of the device's array module plus what autograd needs."""

import numbers

import numpy as np

from . import backend
from .autograd.grad_mode import is_grad_enabled, no_grad
from .dtypes import DType, from_numpy_dtype, get_default_dtype, to_dtype


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Parameters
    ----------
    data : array_like
        Values; Python floats become the default dtype (float32), ints int64, bools bool.
    dtype : DType, str or NumPy dtype, optional
    device : str or Device, optional
        ``"cpu"`` (default).
    requires_grad : bool, optional
        Record operations on this tensor so ``backward`` can fill ``.grad``.
    """

    __array_priority__ = 1000

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        device = backend.to_device(device)
        self._array = _to_array(data, dtype, device)
        self._device = device
        self._version_box = [0]
        self._node = None
        self._requires_grad = False
        self._retains_grad = False
        self.grad = None
        self.requires_grad = requires_grad

    @classmethod
    def _from_array(cls, array, device):
        """Wrap an array without copying or checking; the fast path for op results."""
        out = object.__new__(Tensor)
        out._array = array
        out._device = device
        out._version_box = [0]
        out._node = None
        out._requires_grad = False
        out._retains_grad = False
        out.grad = None
        return out

    # ------------------------------------------------------ storage and version
    @property
    def data(self):
        """A tensor sharing this one's array (and version counter), cut from the graph.

        Writes through it change this tensor: ``p.data.normal_(0, 0.01)`` initialises a
        Parameter without being recorded by autograd, as in PyTorch. Assigning a tensor or
        array to ``.data`` swaps the values (shapes may differ) without touching the graph.
        """
        out = Tensor._from_array(self._array, self._device)
        out._version_box = self._version_box
        return out

    @data.setter
    def data(self, value):
        if isinstance(value, Tensor):
            self._array, self._device = value._array, value._device
        else:
            self._array = backend.array_module(self._device).asarray(value)
        self._bump_version()

    @property
    def _version(self):
        """How many in-place changes this tensor's values have seen (shared with ``.data``/``detach()``).

        Autograd records it when an op keeps a tensor for backward; a backward that finds it
        changed raises instead of computing a wrong gradient. Caches of derived arrays key on it.
        """
        return self._version_box[0]

    def _bump_version(self):
        self._version_box[0] += 1

    # ----------------------------------------------------------------- metadata
    @property
    def shape(self):
        """The size of each dim, as a tuple."""
        data = self._array
        if type(data) is np.ndarray:  # already a tuple of Python ints
            return data.shape
        return tuple(int(s) for s in data.shape)

    @property
    def ndim(self):
        """Number of dims."""
        return self._array.ndim

    @property
    def dtype(self):
        """The data type, e.g. ``lucid.float32``."""
        return from_numpy_dtype(self._array.dtype)

    @property
    def device(self):
        """The device the data lives on."""
        return self._device

    @property
    def is_leaf(self):
        """Whether no recorded op produced this tensor."""
        return self._node is None

    @property
    def grad_fn(self):
        """The graph node that produced this tensor (None for a leaf)."""
        return self._node

    @property
    def requires_grad(self):
        """Whether operations on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and not self.is_leaf:
            self._requires_grad = True
            return
        if value and self._array.dtype.kind not in "fc":
            raise RuntimeError(f"only floating point tensors can require gradients, got dtype {self.dtype}")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place; returns self."""
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        self._retains_grad = True

    def size(self, dim=None):
        """The shape, or the size of ``dim``."""
        return self.shape if dim is None else self.shape[dim]

    def dim(self):
        """Number of dims (``ndim``)."""
        return self.ndim

    def numel(self):
        """Number of elements."""
        return int(self._array.size)

    def is_floating_point(self):
        """Whether the dtype is a floating type."""
        return self._array.dtype.kind == "f"

    def __len__(self):
        """Size of the first dim."""
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # ------------------------------------------------------------- conversions
    def numpy(self):
        """The underlying NumPy array (shared, not copied)."""
        if self._device.type == "meta":
            from ._meta import ShapeOnlyError

            raise ShapeOnlyError(f"a meta tensor of shape {self.shape} has no values (it carries only shape and dtype)")
        if self._device.type != "cpu":
            raise TypeError(f"tensor is on {self._device}; call .cpu() first")
        return self._array

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self._array.reshape(()).item()

    def tolist(self):
        """The values as nested Python lists (a number for a 0-d tensor)."""
        return self._array.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._array.size != 1:
            raise RuntimeError(f"truth value of a tensor with {self._array.size} elements is ambiguous")
        return bool(self.item())

    def __index__(self):
        if self._array.dtype.kind not in "iu" or self._array.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self.item())

    def detach(self):
        """A tensor sharing this one's array and version counter, cut from the graph."""
        return self.data

    def detach_(self):
        """Detach from the graph in place; returns self."""
        self._node = None
        self._requires_grad = False
        return self

    def clone(self):
        """A copy with its own storage that stays in the graph."""
        from .ops.shape import Clone

        return Clone.apply(self)

    def contiguous(self):
        """This tensor (storage is always usable as it is)."""
        return self

    def to(self, *args, dtype=None, device=None, copy=False):
        """Return this tensor with another dtype and/or device (itself when nothing changes)."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif _looks_like_device(arg):
                device = arg
            else:
                dtype = arg
        device = self._device if device is None else backend.to_device(device)
        if device != self._device:
            raise RuntimeError(f"moving tensors between devices is not supported yet ({self._device} -> {device})")
        if dtype is None or to_dtype(dtype).numpy == self._array.dtype:
            return self.clone() if copy else self
        from .ops.shape import Cast

        return Cast.apply(self, dtype=to_dtype(dtype).numpy)

    def cpu(self):
        """This tensor on the cpu."""
        return self.to("cpu")

    def float(self):
        """A copy as float32."""
        return self.to(dtype="float32")

    def double(self):
        """A copy as float64."""
        return self.to(dtype="float64")

    def half(self):
        """A copy as float16."""
        return self.to(dtype="float16")

    def long(self):
        """A copy as int64."""
        return self.to(dtype="int64")

    def bool(self):
        """A copy as bool."""
        return self.to(dtype="bool")

    def type(self, dtype=None):
        """The dtype's name, or a copy as ``dtype``."""
        return str(self.dtype) if dtype is None else self.to(dtype=dtype)

    # ----------------------------------------------------------------- repr
    def __repr__(self):
        if self._device.type == "meta":
            return f"tensor(..., size={self.shape}, dtype={self.dtype}, device='meta')"
        body = np.array2string(self._array, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self._array.dtype != get_default_dtype().numpy and self._array.dtype not in (np.int64, np.bool_):
            extras.append(f"dtype={self.dtype}")
        if self._device.type != "cpu":
            extras.append(f"device='{self._device}'")
        if self._node is not None:
            extras.append(f"grad_fn={self._node}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # --------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) · gradient into every leaf's ``.grad``.

        ``gradient`` may be omitted only for a single-element tensor (it defaults to 1).
        """
        from .autograd import engine

        if not self._requires_grad:
            raise RuntimeError("tensor does not require grad and has no grad_fn; nothing to differentiate")
        if gradient is None:
            if self._array.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a single-element tensor, got shape {self.shape}"
                )
            gradient = Tensor._from_array(np.ones_like(self._array), self._device)
        else:
            gradient = _as_tensor_like(gradient, self)
            if gradient.shape != self.shape:
                raise RuntimeError(f"gradient has shape {gradient.shape}, expected {self.shape}")
        engine.run_backward([self], [gradient], retain_graph=bool(retain_graph), create_graph=create_graph)
        if inputs is not None:
            raise NotImplementedError("backward(inputs=...) is not supported; use lucid.autograd.grad")

    # ----------------------------------------------------- in-place (no graph)
    def _check_inplace(self):
        if is_grad_enabled() and self._requires_grad and self.is_leaf:
            raise RuntimeError(
                "a leaf tensor that requires grad is being modified in place; wrap it in lucid.no_grad()"
            )

    def zero_(self):
        """Set every element to zero in place; returns self."""
        self._check_inplace()
        self._array[...] = 0
        self._bump_version()
        return self

    def fill_(self, value):
        """Set every element to ``value`` in place; returns self."""
        self._check_inplace()
        self._array[...] = value
        self._bump_version()
        return self

    def copy_(self, source):
        """Copy values from ``source`` (broadcast to this shape) into this tensor's data."""
        self._check_inplace()
        source = np.asarray(source._array if isinstance(source, Tensor) else source)
        try:
            np.broadcast_to(source, self._array.shape)
        except ValueError:
            raise RuntimeError(f"copy_: source of shape {source.shape} does not fit {self.shape}") from None
        self._array[...] = source
        self._bump_version()
        return self

    def uniform_(self, low=0.0, high=1.0):
        """Fill with samples of U(``low``, ``high``) in place; returns self."""
        from .random import generator

        self._check_inplace()
        self._array[...] = generator().uniform(low, high, self._array.shape)
        self._bump_version()
        return self

    def normal_(self, mean=0.0, std=1.0):
        """Fill with normal samples of mean ``mean`` and standard deviation ``std`` in place; returns self."""
        from .random import generator

        self._check_inplace()
        self._array[...] = generator().normal(mean, std, self._array.shape)
        self._bump_version()
        return self

    def add_(self, other, alpha=1):
        """Add ``alpha * other`` in place; returns self."""
        self._check_inplace()
        self._array += alpha * _raw(other)
        self._bump_version()
        return self

    def sub_(self, other, alpha=1):
        """Subtract ``alpha * other`` in place; returns self."""
        self._check_inplace()
        self._array -= alpha * _raw(other)
        self._bump_version()
        return self

    def mul_(self, other):
        """Multiply by ``other`` in place; returns self."""
        self._check_inplace()
        self._array *= _raw(other)
        self._bump_version()
        return self

    def div_(self, other):
        """Divide by ``other`` in place; returns self."""
        self._check_inplace()
        self._array /= _raw(other)
        self._bump_version()
        return self

    def __setitem__(self, index, value):
        """Write ``value`` into the indexed elements, in place."""
        self._check_inplace()
        if self._node is not None:
            raise RuntimeError("in-place assignment into a tensor that is part of a graph is not supported")
        self._array[_raw_index(index)] = _raw(value)
        self._bump_version()

    # -------------------------------------------------------------- arithmetic
    def _binary(self, function, other, reverse=False):
        other = _as_operand(other, self)
        a, b = (other, self) if reverse else (self, other)
        a, b = _promote(a, b)
        return function.apply(a, b)

    def __add__(self, other):
        from .ops.arithmetic import Add

        return self._binary(Add, other)

    def __radd__(self, other):
        from .ops.arithmetic import Add

        return self._binary(Add, other, reverse=True)

    def __sub__(self, other):
        from .ops.arithmetic import Sub

        return self._binary(Sub, other)

    def __rsub__(self, other):
        from .ops.arithmetic import Sub

        return self._binary(Sub, other, reverse=True)

    def __mul__(self, other):
        from .ops.arithmetic import Mul

        return self._binary(Mul, other)

    def __rmul__(self, other):
        from .ops.arithmetic import Mul

        return self._binary(Mul, other, reverse=True)

    def __truediv__(self, other):
        from .ops.arithmetic import Div

        return self._float_self()._binary(Div, other)

    def __rtruediv__(self, other):
        from .ops.arithmetic import Div

        return self._float_self()._binary(Div, other, reverse=True)

    def __pow__(self, exponent):
        from .ops.arithmetic import Pow, PowScalar

        if isinstance(exponent, numbers.Number):
            return PowScalar.apply(self, exponent=exponent)
        return self._binary(Pow, exponent)

    def __rpow__(self, base):
        from .ops.arithmetic import Pow

        return self._binary(Pow, base, reverse=True)

    def __neg__(self):
        from .ops.arithmetic import Neg

        return Neg.apply(self)

    def __pos__(self):
        return self

    def __matmul__(self, other):
        from .ops.arithmetic import MatMul

        if not isinstance(other, Tensor):
            raise TypeError(f"matmul expects a Tensor, got {type(other).__name__}")
        a, b = _promote(self, other)
        return MatMul.apply(a, b)

    def __rmatmul__(self, other):
        return _as_operand(other, self).__matmul__(self)

    def matmul(self, other):
        """``self @ other``."""
        return self @ other

    def _float_self(self):
        return self if self.is_floating_point() else self.to(dtype=get_default_dtype())

    # comparisons produce bool tensors and are never recorded
    def _compare(self, other, compare):
        return Tensor._from_array(compare(self._array, _raw(other)), self._device)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    __hash__ = object.__hash__

    def add(self, other):
        """``self + other``."""
        return self + other

    def sub(self, other):
        """``self - other``."""
        return self - other

    def mul(self, other):
        """``self * other``."""
        return self * other

    def div(self, other):
        """``self / other``."""
        return self / other

    def pow(self, exponent):
        """``self ** exponent``."""
        return self**exponent

    def neg(self):
        """``-self``."""
        return -self

    # ---------------------------------------------------------- elementwise
    def exp(self):
        """Elementwise exponential."""
        from .ops.unary import Exp

        return Exp.apply(self._float_self())

    def log(self):
        """Elementwise natural logarithm."""
        from .ops.unary import Log

        return Log.apply(self._float_self())

    def sqrt(self):
        """Elementwise square root."""
        return self._float_self() ** 0.5

    def tanh(self):
        """Elementwise hyperbolic tangent."""
        from .ops.unary import Tanh

        return Tanh.apply(self._float_self())

    def sigmoid(self):
        """Elementwise logistic sigmoid."""
        from .ops.unary import Sigmoid

        return Sigmoid.apply(self._float_self())

    def relu(self):
        """Elementwise ``max(x, 0)``."""
        from .ops.unary import ReLU

        return ReLU.apply(self)

    def abs(self):
        """Elementwise absolute value."""
        from .ops.unary import Abs

        return Abs.apply(self)

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, *, axis=None):
        """Sum over all elements, or over ``dim``."""
        from .ops.reduce import Sum

        return Sum.apply(self, axis=_axes(dim if axis is None else axis, self.ndim), keepdims=keepdim)

    def mean(self, dim=None, keepdim=False, *, axis=None):
        """Mean over all elements, or over ``dim``."""
        from .ops.reduce import Mean

        return Mean.apply(self._float_self(), axis=_axes(dim if axis is None else axis, self.ndim), keepdims=keepdim)

    def max(self, dim=None, keepdim=False):
        """Largest value (no index is returned); the gradient goes to the maxima, split evenly."""
        from .ops.reduce import Max

        return Max.apply(self, axis=_axes(dim, self.ndim), keepdims=keepdim)

    def argmax(self, dim=None):
        """Index of the largest element (flattened), or along ``dim``."""
        return Tensor._from_array(np.argmax(self._array, axis=dim), self._device)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape):
        """The same elements in a new shape (one dim may be ``-1``)."""
        from .ops.shape import Reshape

        shape = _shape_args(shape)
        target = _infer_size(shape, self._array.size)
        if target is None or int(np.prod(target, dtype=np.int64)) != self._array.size:
            raise RuntimeError(f"shape {tuple(shape)} is invalid for a tensor of {self._array.size} elements")
        return Reshape.apply(self, shape=tuple(target))

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dims ``start_dim`` to ``end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        shape = self.shape
        return self.reshape(*shape[:start], -1, *shape[end + 1 :])

    def unsqueeze(self, dim):
        """Insert a size-1 dim at ``dim``."""
        dim = dim % (self.ndim + 1)
        shape = self.shape
        return self.reshape(*shape[:dim], 1, *shape[dim:])

    def squeeze(self, dim=None):
        """Remove size-1 dims (all of them, or ``dim``)."""
        shape = self.shape
        if dim is None:
            return self.reshape(*[s for s in shape if s != 1])
        dim = dim % max(self.ndim, 1)
        if self.ndim == 0 or shape[dim] != 1:
            return self
        return self.reshape(*shape[:dim], *shape[dim + 1 :])

    def permute(self, *dims):
        """Reorder the dims."""
        from .ops.shape import Permute

        dims = _shape_args(dims)
        if sorted(d % self.ndim for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute needs a permutation of {self.ndim} dims, got {tuple(dims)}")
        return Permute.apply(self, axes=tuple(d % self.ndim for d in dims))

    def transpose(self, dim0, dim1):
        """Swap dims ``dim0`` and ``dim1``."""
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return self.permute(*axes)

    @property
    def T(self):
        """The tensor with all dims reversed."""
        return self.permute(*reversed(range(self.ndim)))

    def expand(self, *shape):
        """A broadcast view to ``shape`` (``-1`` keeps a dim)."""
        from .ops.shape import Expand

        shape = _shape_args(shape)
        shape = tuple(s if s != -1 else self.shape[i - len(shape) + self.ndim] for i, s in enumerate(shape))
        try:
            np.broadcast_shapes(self._array.shape, shape)
        except ValueError:
            raise RuntimeError(f"cannot expand shape {self.shape} to {shape}") from None
        return Expand.apply(self, shape=shape)

    def __getitem__(self, index):
        """NumPy-style indexing (ints, slices, None, Ellipsis, index tensors), differentiable."""
        from .ops.shape import GetItem

        return GetItem.apply(self, index=_raw_index(index))

    def __iter__(self):
        """Iterate over the first dim."""
        for i in range(len(self)):
            yield self[i]


# ---------------------------------------------------------------------- helpers
def _infer_size(shape, size):
    """``shape`` with its one -1 filled in from ``size`` (None when impossible); no array is made."""
    if -1 not in shape:
        return shape
    known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
    if shape.count(-1) > 1 or any(s < -1 for s in shape) or known == 0 or size % known:
        return None
    return tuple(size // known if s == -1 else s for s in shape)


def _looks_like_device(arg):
    if isinstance(arg, backend.Device):
        return True
    text = str(arg)
    return isinstance(arg, str) and text.partition(":")[0] in ("cpu", "cuda", "gpu", "mps") or (
        type(arg).__name__ == "device"
    )


def _to_array(data, dtype, device):
    xp = backend.array_module(device)
    if isinstance(data, Tensor):
        data = data._array
    if dtype is not None:
        return xp.array(data, dtype=to_dtype(dtype).numpy)
    array = xp.array(data)
    if array.dtype.kind == "f" and not isinstance(data, (np.ndarray, np.generic)) and not hasattr(data, "__array__"):
        array = array.astype(get_default_dtype().numpy)
    elif array.dtype.kind == "O" or array.dtype.kind in "USV":
        raise TypeError(f"cannot make a tensor from {type(data).__name__} holding {array.dtype} values")
    else:
        array = array.astype(from_numpy_dtype(array.dtype).numpy, copy=False)
    return array


def _raw(value):
    return value._array if isinstance(value, Tensor) else value


def _raw_index(index):
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


def _as_operand(value, like):
    """Turn a scalar or array-like into a constant tensor that combines with ``like``."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, numbers.Number)):
        if like._array.dtype.kind == "f" or isinstance(value, bool):
            dtype = like._array.dtype
        elif isinstance(value, numbers.Integral):
            dtype = like._array.dtype
        else:
            dtype = get_default_dtype().numpy
        return Tensor._from_array(np.asarray(value, dtype=dtype), like.device)
    return Tensor(value, device=like.device)


def _promote(a, b):
    """Bring two tensors to one dtype (float beats int; the wider float wins)."""
    if a._array.dtype == b._array.dtype:
        return a, b
    target = np.promote_types(a._array.dtype, b._array.dtype)
    if target.kind == "f" and (a._array.dtype.kind != "f" or b._array.dtype.kind != "f"):
        # int with float: keep the float operand's dtype, as PyTorch does
        target = a._array.dtype if a._array.dtype.kind == "f" else b._array.dtype
    target = from_numpy_dtype(target).numpy
    return (a if a._array.dtype == target else a.to(dtype=target)), (b if b._array.dtype == target else b.to(dtype=target))


def _as_tensor_like(value, like):
    if isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value, dtype=like._array.dtype), device=like.device)


def _shape_args(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for s in args:
        if not isinstance(s, (numbers.Integral, np.integer)) or isinstance(s, bool):
            raise TypeError(f"shape entries must be ints, got {s!r} in {tuple(args)}")
    return tuple(int(s) for s in args)


def _axes(dim, ndim):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"dim {d} is out of range for a tensor with {ndim} dims")
    return tuple(d % max(ndim, 1) for d in dims)


__all__ = ["Tensor", "DType", "no_grad"]
