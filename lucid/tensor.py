"""Tensor: an array of the device's array module plus what autograd needs."""

import builtins
import collections
import math
import numbers
import weakref

import numpy as np

from . import _meta, backend
from .autograd.grad_mode import is_grad_enabled, no_grad
from .dtypes import DType, from_numpy_dtype, get_default_dtype, to_dtype


class Size(tuple):
    """A tensor's shape: a tuple of ints, as ``torch.Size``.

    It prints as a plain tuple (``(2, 3)``), not as ``torch.Size([2, 3])``, so shapes read the same
    wherever a tuple was printed before.

    Examples
    --------
    >>> import lucid
    >>> lucid.zeros(2, 3).shape
    (2, 3)
    >>> lucid.zeros(2, 3).size().numel()
    6
    """

    __slots__ = ()

    def numel(self):
        return math.prod(self)

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


ValuesIndices = collections.namedtuple("ValuesIndices", ["values", "indices"])
ValuesIndices.__doc__ = "What ``max``/``min`` with a dim return: ``(values, indices)``, as PyTorch's return types."


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
            return Size(data.shape)
        return Size(int(s) for s in data.shape)

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
    def is_cuda(self):
        """True when the tensor lives on a CUDA device (never, in this build)."""
        return self._device.type == "cuda"

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
        """The shape as a ``lucid.Size``, or the size of one dim."""
        if dim is None:
            return self.shape
        (axis,) = _axes(dim, self.ndim)
        return self.shape[axis]

    def nelement(self):
        """The number of elements (same as ``numel``)."""
        return self.numel()

    def element_size(self):
        """Bytes per element."""
        return int(self._array.dtype.itemsize)

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

    def cuda(self, device=None):
        """This tensor on a CUDA device: raises, since lucid has no GPU backend yet."""
        return self.to("cuda" if device is None else device)

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

    # ----------------------------------------------------------------- in-place
    def _check_inplace(self):
        if is_grad_enabled() and self._requires_grad and self.is_leaf:
            raise RuntimeError(
                "a leaf tensor that requires grad is being modified in place; wrap it in lucid.no_grad()"
            )

    def _inplace(self, name, op, *operands):
        """Write ``op(self, *operands)`` (the in-place method ``name``) into this tensor's storage and return ``self``.

        Under grad mode with ``self`` or an operand requiring grad, the change is recorded as
        PyTorch records it: ``op`` runs on a copy of the old values that carries the old history,
        this tensor takes the new node, and its version goes up, so graphs that kept the old
        values raise in their backward. Otherwise the values are written and nothing recorded.
        """
        record = is_grad_enabled() and (
            self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in operands)
        )
        self._check_inplace()
        if not record:
            with no_grad():
                result = op(self, *operands)
            self._write(result, name)
            return self
        node = self._node
        if node is not None and node.function.returns_view and node.ctx is not None and (
                node.ctx._inputs[0]._version_box is self._version_box):
            return self._inplace_on_view(name, op, operands)
        old = Tensor._from_array(self._array.copy(), self._device)
        old._node, old._requires_grad = node, self._requires_grad
        result = op(old, *operands)
        self._write(result, name)
        if result._node is not None:
            self._node, self._requires_grad = result._node, True
            result._node.ctx._output = weakref.ref(self)
            result._node.ctx._output_version = self._version_box[0]
        return self

    def _inplace_on_view(self, name, op, operands):
        """An in-place op on a view inside a graph, done as PyTorch does it (CopySlices).

        The change is made as an in-place op on the base (the view's region replaced by the
        result); the view is then derived again from the new base, so both histories hold it.
        """
        from .ops.shape import GetItem, Permute, Reshape, SetItem

        node = self._node
        ctx, function = node.ctx, node.function
        base = ctx._inputs[0]
        if function is GetItem:
            index = ctx.index

            def view(b):
                return GetItem.apply(b, index=index)

            def put_back(b, v):
                return SetItem.apply(b, v, index=index)
        elif function is Reshape:
            shape, base_shape = self.shape, base.shape

            def view(b):
                return Reshape.apply(b, shape=shape)

            def put_back(b, v):
                return v.reshape(base_shape)
        elif function is Permute:
            axes = ctx.axes
            inverse = tuple(int(i) for i in np.argsort(axes))

            def view(b):
                return Permute.apply(b, axes=axes)

            def put_back(b, v):
                return v.permute(*inverse)
        else:
            raise RuntimeError(
                f"in-place {name} on a view (from {node.name}) of a tensor that is part of a graph is not "
                "supported; clone() the view first"
            )
        base._inplace(name, lambda b, *more: put_back(b, op(view(b), *more)), *operands)
        fresh = view(base)
        self._node, self._requires_grad = fresh._node, True
        fresh._node.ctx._output = weakref.ref(self)
        fresh._node.ctx._output_version = self._version_box[0]
        return self

    def _write(self, result, name):
        """Put ``result``'s values into this tensor's array (same shape; same kind of dtype or narrower)."""
        array = result._array
        if tuple(array.shape) != tuple(self._array.shape):
            raise RuntimeError(
                f"in-place {name}: the result has shape {tuple(array.shape)}, which does not fit this "
                f"tensor's shape {self.shape} (an in-place op cannot broadcast its output)"
            )
        if not np.can_cast(array.dtype, self._array.dtype, "same_kind"):
            raise RuntimeError(
                f"in-place {name}: the result type {from_numpy_dtype(array.dtype)} cannot be cast to "
                f"this tensor's dtype {self.dtype}"
            )
        flags = getattr(self._array, "flags", None)
        if flags is not None and not flags.writeable:
            raise RuntimeError(f"in-place {name}: this tensor's memory is read-only (an expanded tensor shares one "
                               "element among many positions); clone() it first")
        self._array[...] = array
        self._bump_version()

    def zero_(self):
        """Set every element to 0 in place; returns self."""
        return self.fill_(0)

    def fill_(self, value):
        """Set every element to ``value`` (a number or a one-element tensor)."""
        if isinstance(value, Tensor) and value.numel() != 1:
            raise RuntimeError(f"fill_ takes a number or a one-element tensor, got a tensor of shape {value.shape}")
        if not (is_grad_enabled() and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))):
            self._check_inplace()
            self._array[...] = _raw(value)
            self._bump_version()
            return self
        return self._inplace("fill_", _fill, value)

    def copy_(self, source):
        """Copy values from ``source`` (broadcast to this shape) into this tensor."""
        source = source if isinstance(source, Tensor) else Tensor(np.asarray(source), device=self._device)
        try:
            np.broadcast_to(np.empty(source.shape, dtype=np.bool_), self.shape)
        except ValueError:
            raise RuntimeError(f"copy_: source of shape {source.shape} does not fit {self.shape}") from None
        if not (is_grad_enabled() and (self._requires_grad or source._requires_grad)):
            self._check_inplace()
            self._array[...] = source._array
            self._bump_version()
            return self
        return self._inplace("copy_", _copy, source)

    def uniform_(self, low=0.0, high=1.0):
        """Fill with samples of U(``low``, ``high``) in place; returns self."""
        from .random import generator

        return self._fill_random("uniform_", generator().uniform(low, high, self._array.shape))

    def normal_(self, mean=0.0, std=1.0):
        """Fill with normal samples of mean ``mean`` and standard deviation ``std`` in place; returns self."""
        from .random import generator

        return self._fill_random("normal_", generator().normal(mean, std, self._array.shape))

    def _fill_random(self, name, values):
        if is_grad_enabled() and self._requires_grad and not self.is_leaf:  # recorded: no gradient flows back
            return self._inplace(name, _copy, Tensor._from_array(values, self._device))
        self._check_inplace()
        self._array[...] = values
        self._bump_version()
        return self

    def add_(self, other, alpha=1):
        """Add ``alpha * other`` in place; returns self."""
        return self._inplace("add_", _add_scaled, other, alpha)

    def sub_(self, other, alpha=1):
        """Subtract ``alpha * other`` in place; returns self."""
        return self._inplace("sub_", _add_scaled, other, -alpha)

    def mul_(self, other):
        """Multiply by ``other`` in place; returns self."""
        return self._inplace("mul_", Tensor.mul, other)

    def div_(self, other):
        """Divide by ``other`` in place; returns self."""
        return self._inplace("div_", Tensor.div, other)

    def pow_(self, exponent):
        """Raise to ``exponent`` in place; returns self."""
        return self._inplace("pow_", Tensor.pow, exponent)

    def neg_(self):
        """Negate in place; returns self."""
        return self._inplace("neg_", Tensor.neg)

    def abs_(self):
        """Absolute value in place; returns self."""
        return self._inplace("abs_", Tensor.abs)

    def exp_(self):
        """Exponential in place; returns self."""
        return self._inplace("exp_", Tensor.exp)

    def log_(self):
        """Natural logarithm in place; returns self."""
        return self._inplace("log_", Tensor.log)

    def sqrt_(self):
        """Square root in place; returns self."""
        return self._inplace("sqrt_", Tensor.sqrt)

    def sin_(self):
        """Sine in place; returns self."""
        return self._inplace("sin_", Tensor.sin)

    def cos_(self):
        """Cosine in place; returns self."""
        return self._inplace("cos_", Tensor.cos)

    def tanh_(self):
        """Hyperbolic tangent in place; returns self."""
        return self._inplace("tanh_", Tensor.tanh)

    def sigmoid_(self):
        """Logistic sigmoid in place; returns self."""
        return self._inplace("sigmoid_", Tensor.sigmoid)

    def relu_(self):
        """max(x, 0) in place; returns self."""
        return self._inplace("relu_", Tensor.relu)

    def reciprocal_(self):
        """1 / x in place; returns self."""
        return self._inplace("reciprocal_", Tensor.reciprocal)

    def clamp_(self, min=None, max=None):
        """Limit values to ``[min, max]`` in place; returns self."""
        return self._inplace("clamp_", Tensor.clamp, min, max)

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        """Write ``value`` where ``mask`` is True, in place; returns self."""
        return self._inplace("masked_fill_", Tensor.masked_fill, mask, value)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __setitem__(self, index, value):
        """``x[index] = value``; recorded like the other in-place ops when a graph is being built."""
        index = _raw_index(index)
        if is_grad_enabled() and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad)):
            value = value.to(dtype=self.dtype) if isinstance(value, Tensor) else _as_operand(value, self)
            self._inplace("__setitem__", _setitem, value, index)
            return
        self._check_inplace()
        self._array[index] = _raw(value)
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

    def mm(self, other):
        """Matrix product of two 2-d tensors."""
        if self.ndim != 2 or getattr(other, "ndim", None) != 2:
            raise RuntimeError(f"mm expects two 2-d tensors, got shapes {self.shape} and {getattr(other, 'shape', None)}")
        return self @ other

    def bmm(self, other):
        """Batched matrix product of two 3-d tensors with the same batch size."""
        if self.ndim != 3 or getattr(other, "ndim", None) != 3 or self.shape[0] != other.shape[0]:
            raise RuntimeError(f"bmm expects two 3-d tensors with one batch size, got shapes {self.shape} and "
                               f"{getattr(other, 'shape', None)}")
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

    def eq(self, other):
        """Elementwise ``self == other`` (a bool tensor)."""
        return self == other

    def ne(self, other):
        """Elementwise ``self != other`` (a bool tensor)."""
        return self != other

    def lt(self, other):
        """Elementwise ``self < other`` (a bool tensor)."""
        return self < other

    def le(self, other):
        """Elementwise ``self <= other`` (a bool tensor)."""
        return self <= other

    def gt(self, other):
        """Elementwise ``self > other`` (a bool tensor)."""
        return self > other

    def ge(self, other):
        """Elementwise ``self >= other`` (a bool tensor)."""
        return self >= other

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def equal(self, other):
        """True when both tensors have the same shape and the same values."""
        return self.shape == other.shape and bool(np.array_equal(self._array, _raw(other)))

    def _logical(self, other, logic):
        return Tensor._from_array(logic(self._array, _raw(other)), self._device)

    def __and__(self, other):
        return self._logical(other, np.logical_and if self._array.dtype.kind == "b" else np.bitwise_and)

    def __or__(self, other):
        return self._logical(other, np.logical_or if self._array.dtype.kind == "b" else np.bitwise_or)

    def __xor__(self, other):
        return self._logical(other, np.logical_xor if self._array.dtype.kind == "b" else np.bitwise_xor)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self):
        if self._array.dtype.kind == "b":
            return Tensor._from_array(np.logical_not(self._array), self._device)
        return Tensor._from_array(np.invert(self._array), self._device)

    def logical_and(self, other):
        """Elementwise logical and (a bool tensor)."""
        return self._logical(other, np.logical_and)

    def logical_or(self, other):
        """Elementwise logical or (a bool tensor)."""
        return self._logical(other, np.logical_or)

    def logical_xor(self, other):
        """Elementwise logical exclusive or (a bool tensor)."""
        return self._logical(other, np.logical_xor)

    def logical_not(self):
        """Elementwise logical not (a bool tensor)."""
        return Tensor._from_array(np.logical_not(self._array), self._device)

    def add(self, other, *, alpha=1):
        """``self + alpha * other``."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        """``self - alpha * other``."""
        return self - (other if alpha == 1 else other * alpha)

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
    def _unary(self, name):
        from .ops import unary

        return getattr(unary, name).apply(self._float_self())

    def exp(self):
        """Elementwise exponential."""
        return self._unary("Exp")

    def log(self):
        """Elementwise natural logarithm."""
        return self._unary("Log")

    def log1p(self):
        """Elementwise ``log(1 + x)``, accurate for small x."""
        return self._unary("Log1p")

    def expm1(self):
        """Elementwise ``exp(x) - 1``, accurate for small x."""
        return self._unary("Expm1")

    def log2(self):
        """Elementwise base-2 logarithm."""
        return self.log() / math.log(2)

    def log10(self):
        """Elementwise base-10 logarithm."""
        return self.log() / math.log(10)

    def sqrt(self):
        """Elementwise square root."""
        return self._unary("Sqrt")

    def rsqrt(self):
        """Elementwise ``1 / sqrt(x)``."""
        return self._unary("Rsqrt")

    def square(self):
        """Elementwise ``x * x``."""
        return self * self

    def reciprocal(self):
        """Elementwise ``1 / x``."""
        return 1.0 / self._float_self()

    def sin(self):
        """Elementwise sine."""
        return self._unary("Sin")

    def cos(self):
        """Elementwise cosine."""
        return self._unary("Cos")

    def tan(self):
        """Elementwise tangent."""
        return self._unary("Tan")

    def atan(self):
        """Elementwise arctangent."""
        return self._unary("Atan")

    arctan = atan

    def atan2(self, other):
        """Elementwise angle of the point (other, self), in (-pi, pi]."""
        from .ops.arithmetic import Atan2

        return self._float_self()._binary(Atan2, other)

    arctan2 = atan2

    def tanh(self):
        """Elementwise hyperbolic tangent."""
        return self._unary("Tanh")

    def sigmoid(self):
        """Elementwise logistic sigmoid ``1 / (1 + exp(-x))``."""
        return self._unary("Sigmoid")

    def relu(self):
        """Elementwise ``max(x, 0)``."""
        from .ops.unary import ReLU

        return ReLU.apply(self)

    def abs(self):
        """Elementwise absolute value."""
        from .ops.unary import Abs

        return Abs.apply(self)

    __abs__ = abs

    def _piecewise_constant(self, name):
        from .ops.unary import PiecewiseConstant

        return PiecewiseConstant.apply(self, name=name)

    def sign(self):
        """Elementwise sign (-1, 0 or 1); its gradient is zero."""
        return self._piecewise_constant("sign")

    def floor(self):
        """Elementwise floor; its gradient is zero."""
        return self._piecewise_constant("floor")

    def ceil(self):
        """Elementwise ceiling; its gradient is zero."""
        return self._piecewise_constant("ceil")

    def trunc(self):
        """Elementwise rounding toward zero; its gradient is zero."""
        return self._piecewise_constant("trunc")

    def round(self, decimals=0):
        """Round half to even, as PyTorch; ``decimals`` shifts the rounding position."""
        if decimals == 0:
            return self._piecewise_constant("round")
        scale = 10.0**decimals
        return (self * scale)._piecewise_constant("round") / scale

    def clamp(self, min=None, max=None):
        """Limit values to ``[min, max]``; either bound may be a number, a tensor or None."""
        from .ops.arithmetic import Clamp

        if min is None and max is None:
            raise ValueError("clamp needs at least one of min and max, got both None")
        if not isinstance(min, Tensor) and not isinstance(max, Tensor):
            for name, bound in (("min", min), ("max", max)):
                if bound is not None and not isinstance(bound, numbers.Number):
                    raise TypeError(f"clamp: {name} must be a number, a Tensor or None, got {type(bound).__name__}")
            x = self if self.is_floating_point() or all(
                b is None or isinstance(b, numbers.Integral) for b in (min, max)) else self._float_self()
            return Clamp.apply(x, min=min, max=max)
        out = self
        if min is not None:  # ties keep the input, so the gradient goes to x where min <= x <= max
            out = where(out < min, min, out)
        if max is not None:
            out = where(out > max, max, out)
        return out

    clip = clamp

    def clamp_min(self, min):
        """Elementwise ``max(x, min)``."""
        return self.clamp(min=min)

    def clamp_max(self, max):
        """Elementwise ``min(x, max)``."""
        return self.clamp(max=max)

    def maximum(self, other):
        """Elementwise larger of two tensors; ties share the gradient."""
        from .ops.arithmetic import Maximum

        return self._binary(Maximum, other)

    def minimum(self, other):
        """Elementwise smaller of two tensors; ties share the gradient."""
        from .ops.arithmetic import Minimum

        return self._binary(Minimum, other)

    def masked_fill(self, mask, value):
        """``value`` where the bool ``mask`` (broadcast to this shape) is True, this tensor elsewhere."""
        mask = _as_mask("masked_fill", mask)
        if isinstance(value, Tensor) and value.numel() != 1:
            raise RuntimeError(f"masked_fill takes a number or a one-element tensor as value, got shape {value.shape}")
        try:
            shape = np.broadcast_shapes(tuple(mask.shape), self.shape)
        except ValueError:
            shape = None
        if shape != self.shape:
            raise RuntimeError(f"masked_fill: mask of shape {tuple(mask.shape)} does not broadcast to the tensor's "
                               f"shape {self.shape}")
        value = value.reshape(()) if isinstance(value, Tensor) else value
        return where(mask, value, self)

    def where(self, condition, other):
        """This tensor where ``condition`` is True, ``other`` elsewhere."""
        return where(condition, self, other)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (default: the dtype's extremes)."""
        if not self.is_floating_point():
            return self.clone()
        info = np.finfo(self._array.dtype)
        out = where(self.isnan(), nan, self)
        out = where(self == np.inf, info.max if posinf is None else posinf, out)
        return where(self == -np.inf, info.min if neginf is None else neginf, out)

    def isnan(self):
        """Elementwise test for NaN (a bool tensor)."""
        return Tensor._from_array(np.isnan(self._array), self._device)

    def isinf(self):
        """Elementwise test for +inf or -inf (a bool tensor)."""
        return Tensor._from_array(np.isinf(self._array), self._device)

    def isfinite(self):
        """Elementwise test for a finite value (a bool tensor)."""
        return Tensor._from_array(np.isfinite(self._array), self._device)

    def sinc(self):
        """The normalized sinc ``sin(pi x) / (pi x)``, 1 at 0 (gradient 0 there)."""
        x = self._float_self()
        zero = x == 0
        safe = where(zero, 1.0, x) * math.pi  # keeps 0/0 out of the backward of the unused branch
        return where(zero, 1.0, safe.sin() / safe)

    def softmax(self, dim):
        """Softmax along ``dim``: ``exp(x) / sum(exp(x))``, computed stably."""
        shifted = self._float_self() - self._float_self().amax(dim, keepdim=True).detach()
        e = shifted.exp()
        return e / e.sum(dim, keepdim=True)

    def log_softmax(self, dim):
        """Log of the softmax along ``dim``, computed stably."""
        shifted = self._float_self() - self._float_self().amax(dim, keepdim=True).detach()
        return shifted - shifted.exp().sum(dim, keepdim=True).log()

    def logsumexp(self, dim, keepdim=False):
        """``log(sum(exp(x)))`` over ``dim``, computed stably."""
        x = self._float_self()
        peak = x.amax(dim, keepdim=True).detach()
        peak = where(peak.isfinite(), peak, 0.0)  # all -inf (or inf) rows: shift by nothing
        out = (x - peak).exp().sum(dim, keepdim=True).log() + peak
        return out if keepdim else out.squeeze(_axes(dim, self.ndim))

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        """Sum over ``dim`` (all elements by default)."""
        from .ops.reduce import Sum

        x = self if dtype is None else self.to(dtype=dtype)
        if x._array.dtype.kind == "b":
            x = x.long()
        return Sum.apply(x, axis=_axes(dim if axis is None else axis, self.ndim), keepdims=keepdim)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        """Mean over ``dim`` (all elements by default)."""
        from .ops.reduce import Mean

        x = self._float_self() if dtype is None else self.to(dtype=dtype)
        return Mean.apply(x, axis=_axes(dim if axis is None else axis, self.ndim), keepdims=keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Variance; ``correction`` (default 1, Bessel's) is subtracted from the count, as in PyTorch.

        ``unbiased=False`` is ``correction=0``. A dim given as a bool is read as ``unbiased`` (the
        old ``var(unbiased)`` call).
        """
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        if unbiased is not None and correction is not None:
            raise ValueError("var/std: give unbiased or correction, not both")
        correction = (1 if unbiased is None or unbiased else 0) if correction is None else correction
        x = self._float_self()
        axes = _axes(dim, self.ndim)
        count = self.numel() if axes is None else math.prod(self.shape[a] for a in axes)
        centered = x - x.mean(axes, keepdim=True)
        return (centered * centered).sum(axes, keepdim=keepdim) / builtins.max(count - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Standard deviation: the square root of ``var`` (same arguments)."""
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def _extremum(self, name, dim, keepdim, other):
        from .ops import reduce

        if isinstance(dim, Tensor) and other is None:
            dim, other = None, dim
        if other is not None:
            return self.maximum(other) if name == "Max" else self.minimum(other)
        function = getattr(reduce, name)
        if dim is None:
            if self.numel() == 0:
                raise RuntimeError(f"{name.lower()}() of an empty tensor: specify a dim")
            return function.apply(self, axis=None, keepdims=False)
        if not isinstance(dim, numbers.Integral):
            raise TypeError(f"{name.lower()}(dim) takes one int dim (use amax/amin for several), got {dim!r}")
        indices = (self.argmax if name == "Max" else self.argmin)(dim, keepdim=True)
        if _meta.is_meta(self._array):  # no values to gather: the shapes are the reduction's
            values = (self.amax if name == "Max" else self.amin)(dim, keepdim=True)
        else:
            values = self.gather(dim, indices)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return ValuesIndices(values, indices)

    def max(self, dim=None, keepdim=False, *, other=None):
        """The largest value; with ``dim``, a ``(values, indices)`` pair; with a tensor, ``maximum``.

        Without ``dim`` tied maxima share the gradient; with ``dim`` it goes to the returned index.
        """
        return self._extremum("Max", dim, keepdim, other)

    def min(self, dim=None, keepdim=False, *, other=None):
        """The smallest value; with ``dim``, a ``(values, indices)`` pair; with a tensor, ``minimum``."""
        return self._extremum("Min", dim, keepdim, other)

    def amax(self, dim=(), keepdim=False):
        """Largest values over ``dim`` (all dims when empty); tied maxima share the gradient."""
        from .ops.reduce import Max

        return Max.apply(self, axis=_axes(None if dim == () else dim, self.ndim), keepdims=keepdim)

    def amin(self, dim=(), keepdim=False):
        """Smallest values over ``dim`` (all dims when empty); tied minima share the gradient."""
        from .ops.reduce import Min

        return Min.apply(self, axis=_axes(None if dim == () else dim, self.ndim), keepdims=keepdim)

    def _arg_extremum(self, find, dim, keepdim):
        if dim is None:
            out = find(self._array.reshape(-1))
            return Tensor._from_array(np.asarray(out, dtype=np.int64).reshape((1,) * self.ndim if keepdim else ()),
                                      self._device)
        (axis,) = _axes(dim, self.ndim)
        return Tensor._from_array(find(self._array, axis=axis, keepdims=keepdim).astype(np.int64, copy=False),
                                  self._device)

    def argmax(self, dim=None, keepdim=False):
        """Index of the largest value (of the flattened tensor, or along ``dim``)."""
        return self._arg_extremum(np.argmax, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        """Index of the smallest value (of the flattened tensor, or along ``dim``)."""
        return self._arg_extremum(np.argmin, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        """Whether any element (over ``dim``) is nonzero."""
        return Tensor._from_array(np.any(self._array, axis=_axes(dim, self.ndim), keepdims=keepdim), self._device)

    def all(self, dim=None, keepdim=False):
        """Whether every element (over ``dim``) is nonzero."""
        return Tensor._from_array(np.all(self._array, axis=_axes(dim, self.ndim), keepdims=keepdim), self._device)

    def cumsum(self, dim):
        """Cumulative sum along ``dim``."""
        from .ops.reduce import Cumsum

        (axis,) = _axes(dim, self.ndim)
        x = self.long() if self._array.dtype.kind == "b" else self
        return Cumsum.apply(x, axis=axis)

    def prod(self, dim=None, keepdim=False):
        """Product of the elements (over one ``dim`` if given)."""
        from .ops.reduce import Prod

        if dim is not None and not isinstance(dim, numbers.Integral):
            raise TypeError(f"prod(dim) takes one int dim, got {dim!r}")
        return Prod.apply(self, axis=_axes(dim, self.ndim), keepdims=keepdim)

    def norm(self, p="fro", dim=None, keepdim=False):
        """The p-norm over ``dim`` (all elements by default): 2 ("fro"), 1, inf, -inf or any other p > 0."""
        x = self._float_self()
        axes = _axes(dim, self.ndim)
        if p in ("fro", 2):
            squares = (x * x).sum(axes, keepdim=keepdim)
            zero = squares == 0  # the gradient at a zero vector is 0, as PyTorch's, not 0 * inf
            return where(zero, 0.0, where(zero, 1.0, squares).sqrt())
        if p == 1:
            return x.abs().sum(axes, keepdim=keepdim)
        if p == math.inf:
            return x.abs().amax(() if axes is None else axes, keepdim=keepdim)
        if p == -math.inf:
            return x.abs().amin(() if axes is None else axes, keepdim=keepdim)
        if isinstance(p, numbers.Number) and p > 0:
            return (x.abs() ** p).sum(axes, keepdim=keepdim) ** (1.0 / p)
        raise ValueError(f"norm: p must be 'fro', inf, -inf or a number > 0, got {p!r}")

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

    def view_as(self, other):
        """This tensor reshaped to ``other``'s shape."""
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dims ``start_dim`` to ``end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _axes(start_dim, self.ndim)[0], _axes(end_dim, self.ndim)[0]
        if start > end:
            raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        return self.reshape(*shape[:start], math.prod(shape[start:end + 1]), *shape[end + 1:])

    def unflatten(self, dim, sizes):
        """Split dimension ``dim`` into ``sizes`` (one entry may be -1)."""
        (dim,) = _axes(dim, self.ndim)
        sizes = _shape_args(tuple(sizes))
        filled = _infer_size(sizes, self.shape[dim])
        if filled is None or math.prod(filled) != self.shape[dim]:
            raise RuntimeError(f"unflatten: sizes {sizes} do not multiply to the size {self.shape[dim]} of dim {dim}")
        return self.reshape(*self.shape[:dim], *filled, *self.shape[dim + 1:])

    def unsqueeze(self, dim):
        """Insert a dimension of size 1 at ``dim``."""
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(f"unsqueeze: dim {dim} is out of range for a tensor with {self.ndim} dims "
                             f"(expected -{self.ndim + 1} to {self.ndim})")
        dim = dim % (self.ndim + 1)
        shape = self.shape
        return self.reshape(*shape[:dim], 1, *shape[dim:])

    def squeeze(self, dim=None):
        """Drop dimensions of size 1: all of them, or those among ``dim`` (an int or a tuple)."""
        shape = self.shape
        if dim is None:
            dims = range(self.ndim)
        elif self.ndim == 0:
            _axes(dim, 0)
            return self
        else:
            dims = _axes(dim, self.ndim)
        drop = {d for d in dims if shape[d] == 1}
        if not drop:
            return self
        return self.reshape(*[s for i, s in enumerate(shape) if i not in drop])

    def permute(self, *dims):
        """Reorder the dims."""
        from .ops.shape import Permute

        dims = _shape_args(dims)
        if len(dims) != self.ndim or sorted(d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute needs a permutation of {self.ndim} dims, got {tuple(dims)}")
        return Permute.apply(self, axes=tuple(d % self.ndim for d in dims))

    def transpose(self, dim0, dim1):
        """Swap dimensions ``dim0`` and ``dim1``."""
        if self.ndim == 0:
            return self
        axes = list(range(self.ndim))
        (dim0,), (dim1,) = _axes(dim0, self.ndim), _axes(dim1, self.ndim)
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return self.permute(*axes)

    swapaxes = swapdims = transpose

    def t(self):
        """Transpose of a tensor with at most 2 dims."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dims, got {self.ndim}; use transpose or mT")
        return self.transpose(0, -1) if self.ndim == 2 else self

    @property
    def T(self):
        """The tensor with all dims reversed."""
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        """The last two dims swapped (a batch of matrices transposed)."""
        if self.ndim < 2:
            raise RuntimeError(f"mT needs a tensor with at least 2 dims, got {self.ndim}")
        return self.transpose(-2, -1)

    def movedim(self, source, destination):
        """Move dimension ``source`` to position ``destination``."""
        (source,), (destination,) = _axes(source, self.ndim), _axes(destination, self.ndim)
        order = [d for d in range(self.ndim) if d != source]
        order.insert(destination, source)
        return self.permute(*order)

    moveaxis = movedim

    def expand(self, *shape):
        """A broadcast view to ``shape`` (``-1`` keeps a dim)."""
        from .ops.shape import Expand

        shape = _shape_args(shape)
        if len(shape) < self.ndim:
            raise RuntimeError(f"expand: the target shape {shape} has fewer dims than the tensor's {self.shape}")
        lead = len(shape) - self.ndim
        shape = tuple(self.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
        try:
            if np.broadcast_shapes(self._array.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(f"cannot expand shape {self.shape} to {shape}") from None
        return Expand.apply(self, shape=shape)

    def expand_as(self, other):
        """Broadcast to ``other``'s shape without copying."""
        return self.expand(other.shape)

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along each dim (leading new dims allowed)."""
        sizes = _shape_args(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(f"repeat: {len(sizes)} repeat counts {sizes} for a tensor with {self.ndim} dims; "
                               "give at least one per dim")
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"repeat counts must be non-negative, got {sizes}")
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        interleaved = [n for s in shape for n in (1, s)]
        expanded = [n for r, s in zip(sizes, shape) for n in (r, s)]
        return self.reshape(*interleaved).expand(*expanded).reshape(*[r * s for r, s in zip(sizes, shape)])

    def repeat_interleave(self, repeats, dim=None):
        """Repeat each element ``repeats`` times (an int, or a tensor with one count per element) along ``dim``."""
        x = self.reshape(-1) if dim is None else self
        (axis,) = _axes(0 if dim is None else dim, x.ndim)
        n = x.shape[axis]
        if isinstance(repeats, numbers.Integral) or (isinstance(repeats, Tensor) and repeats.numel() == 1
                                                      and repeats.ndim == 0):
            count = int(repeats)
            if count < 0:
                raise RuntimeError(f"repeat_interleave: repeats must be non-negative, got {count}")
            shape = list(x.shape)
            out = x.unsqueeze(axis + 1).expand(*shape[:axis + 1], count, *shape[axis + 1:])
            return out.reshape(*shape[:axis], n * count, *shape[axis + 1:])
        counts = np.asarray(_raw(repeats)).reshape(-1)
        if counts.shape[0] != n or counts.dtype.kind not in "iu" or (counts < 0).any():
            raise RuntimeError(f"repeat_interleave: repeats must be {n} non-negative ints (one per element of dim "
                               f"{axis}), got {counts.shape[0]} of dtype {counts.dtype}")
        return x.index_select(axis, np.repeat(np.arange(n), counts))

    def index_select(self, dim, index):
        """The entries at ``index`` (1-d integers) along ``dim``."""
        (axis,) = _axes(dim, self.ndim)
        index = np.asarray(_raw(index))
        if index.ndim > 1 or (index.size and index.dtype.kind not in "iu"):
            raise IndexError(f"index_select: index must be a 1-d integer tensor, got shape {index.shape} of "
                             f"dtype {index.dtype}")
        return self[(slice(None),) * axis + (index.astype(np.int64).reshape(-1),)]

    def gather(self, dim, index):
        """Values along ``dim`` at ``index`` (an int tensor with this tensor's number of dims)."""
        (axis,) = _axes(dim, self.ndim)
        index = np.asarray(_raw(index))
        if index.ndim != self.ndim or index.dtype.kind not in "iu":
            raise RuntimeError(f"gather: index must be an integer tensor with {self.ndim} dims, got shape "
                               f"{index.shape} of dtype {index.dtype}")
        if any(i != axis and index.shape[i] > self.shape[i] for i in range(self.ndim)):
            raise RuntimeError(f"gather: index of shape {index.shape} is larger than the input {self.shape} "
                               f"outside dim {axis}")
        grids = [np.arange(n).reshape((-1,) + (1,) * (index.ndim - 1 - i)) for i, n in enumerate(index.shape)]
        grids[axis] = index
        return self[tuple(grids)]

    def unfold(self, dimension, size, step):
        """Windows of ``size`` taken every ``step`` along ``dimension``, as a new last dim (PyTorch's unfold)."""
        (axis,) = _axes(dimension, self.ndim)
        n = self.shape[axis] if self.ndim else 1
        if size < 0 or size > n or step <= 0:
            raise RuntimeError(f"unfold: size {size} must be in [0, {n}] (the size of dim {axis}) and step {step} "
                               "positive")
        count = (n - size) // step + 1
        index = np.arange(count)[:, None] * step + np.arange(size)[None, :]
        return self[(slice(None),) * axis + (index,)].movedim(axis + 1, -1)

    def sort(self, dim=-1, descending=False, stable=False):
        """Values sorted along ``dim`` and where they came from, as ``(values, indices)`` (ties keep their order)."""
        indices = self.argsort(dim, descending)
        return ValuesIndices(self.gather(_axes(dim, self.ndim)[0], indices), indices)

    def argsort(self, dim=-1, descending=False, stable=False):
        """Indices that sort the values along ``dim`` (stable)."""
        (axis,) = _axes(dim, self.ndim)
        keys = -self._array if descending and self._array.dtype.kind != "b" else self._array
        order = np.argsort(~keys if descending and keys.dtype.kind == "b" else keys, axis=axis, kind="stable")
        return Tensor._from_array(order.astype(np.int64), self._device)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) values along ``dim`` and their indices, as ``(values, indices)``."""
        (axis,) = _axes(dim, self.ndim)
        if not 0 <= k <= self.shape[axis]:
            raise RuntimeError(f"topk: k ({k}) must be between 0 and {self.shape[axis]}, the size of dim {axis}")
        indices = self.argsort(axis, descending=largest).narrow(axis, 0, k)
        return ValuesIndices(self.gather(axis, indices), indices)

    def select(self, dim, index):
        """The slice at ``index`` along ``dim``, which is removed."""
        (axis,) = _axes(dim, self.ndim)
        n = self.shape[axis]
        if not -n <= index < n:
            raise IndexError(f"select: index {index} is out of range for dim {axis} of size {n}")
        return self[(slice(None),) * axis + (index,)]

    def narrow(self, dim, start, length):
        """The ``length`` entries from ``start`` along ``dim`` (a view)."""
        (axis,) = _axes(dim, self.ndim)
        n = self.shape[axis]
        start = start + n if start < 0 else start
        if not 0 <= start <= n or length < 0 or start + length > n:
            raise IndexError(f"narrow: start {start} and length {length} do not fit dim {axis} of size {n}")
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim=0):
        """Pieces along ``dim``: of ``split_size`` each (the last may be shorter) or of the given sizes."""
        (axis,) = _axes(dim, self.ndim)
        n = self.shape[axis]
        if isinstance(split_size_or_sections, numbers.Integral):
            size = int(split_size_or_sections)
            if size <= 0 and n > 0 or size < 0:
                raise RuntimeError(f"split: split_size must be positive, got {size}")
            sizes = [builtins.min(size, n - start) for start in range(0, n, size)] if n else [0]
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if builtins.sum(sizes) != n or any(s < 0 for s in sizes):
                raise RuntimeError(f"split: split_sizes {sizes} must be non-negative and sum to {n}, the size of "
                                   f"dim {axis}; they sum to {builtins.sum(sizes)}")
        pieces, start = [], 0
        for size in sizes:
            pieces.append(self.narrow(axis, start, size))
            start += size
        return tuple(pieces)

    def chunk(self, chunks, dim=0):
        """Up to ``chunks`` pieces of size ceil(n / chunks) along ``dim``, as PyTorch's chunk."""
        if not isinstance(chunks, numbers.Integral) or chunks <= 0:
            raise RuntimeError(f"chunk: chunks must be a positive int, got {chunks!r}")
        (axis,) = _axes(dim, self.ndim)
        return self.split(builtins.max(-(-self.shape[axis] // chunks), 1), axis)

    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple, the dim removed."""
        (axis,) = _axes(dim, self.ndim)
        return tuple(self.select(axis, i) for i in range(self.shape[axis]))

    def flip(self, *dims):
        """Reverse the order along ``dims`` (a copy)."""
        from .ops.shape import Flip

        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return Flip.apply(self, axes=_axes(tuple(dims), self.ndim))

    def roll(self, shifts, dims=None):
        """Shift entries by ``shifts`` along ``dims``, wrapping around (flattened when dims is None)."""
        from .ops.shape import Roll

        if dims is None:
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        shifts = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(shifts)
        axes = _axes(dims, self.ndim)
        if len(shifts) != len(axes):
            raise RuntimeError(f"roll: {len(shifts)} shifts {shifts} for {len(axes)} dims {dims}")
        return Roll.apply(self, shifts=tuple(int(s) for s in shifts), axes=axes)

    def type_as(self, other):
        """This tensor with ``other``'s dtype."""
        return self.to(dtype=other.dtype)

    def __getitem__(self, index):
        """NumPy-style indexing (ints, slices, None, Ellipsis, index tensors), differentiable."""
        from .ops.shape import GetItem

        return GetItem.apply(self, index=_raw_index(index))

    def __iter__(self):
        """Iterate over the first dim."""
        for i in range(len(self)):
            yield self[i]

    # -------------------------------------------------------------- factories
    def _new(self, array, dtype, device, requires_grad):
        from .creation import _make

        dtype = self.dtype if dtype is None else to_dtype(dtype)
        return _make(backend.array_module(device or self._device).asarray(array, dtype=dtype.numpy), requires_grad,
                     device or self._device)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of ``size`` with this tensor's dtype and device (unless given)."""
        return self._new(np.zeros(_shape_args(size)), dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of ``size`` with this tensor's dtype and device (unless given)."""
        return self._new(np.ones(_shape_args(size)), dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """An uninitialised tensor of ``size`` with this tensor's dtype and device (unless given)."""
        return self._new(np.empty(_shape_args(size)), dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """A tensor of ``size`` filled with ``fill_value``, with this tensor's dtype and device (unless given)."""
        return self._new(np.full(_shape_args(tuple(size)), fill_value), dtype, device, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A copy of ``data`` with this tensor's dtype and device (unless given)."""
        return self._new(np.array(_raw(data)), dtype, device, requires_grad)


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


def where(condition, input=None, other=None):
    """``input`` where ``condition`` is True, ``other`` elsewhere (numbers or tensors; all broadcast).

    With only ``condition``, the indices of its True elements, one tensor per dim.
    """
    from .ops.arithmetic import Where

    cond = _as_mask("where", condition)
    if input is None and other is None:
        return tuple(Tensor._from_array(i, backend.CPU) for i in np.nonzero(cond))
    if input is None or other is None:
        raise TypeError("where takes a condition alone or a condition with both input and other")
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    if like is None:
        like = Tensor(input)
        input = like
    a, b = _promote(_as_operand(input, like), _as_operand(other, like))
    try:
        np.broadcast_shapes(tuple(cond.shape), a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"where: condition of shape {tuple(cond.shape)}, input of shape {a.shape} and other of "
                           f"shape {b.shape} do not broadcast together") from None
    return Where.apply(a, b, condition=cond)


def _as_mask(name, mask):
    """The bool array of a mask argument (a bool Tensor or array)."""
    array = mask._array if isinstance(mask, Tensor) else mask if hasattr(mask, "dtype") else np.asarray(mask)
    if array.dtype.kind != "b":
        raise TypeError(f"{name}: the mask/condition must be a bool tensor, got dtype {from_numpy_dtype(array.dtype)}")
    return array


def _fill(t, value):
    from .ops.arithmetic import Where

    value = value.reshape(()).to(dtype=t.dtype) if isinstance(value, Tensor) else _as_operand(value, t)
    return Where.apply(value, t, condition=np.ones(t.shape, dtype=np.bool_))


def _copy(t, source):
    from .ops.arithmetic import Where

    return Where.apply(source.to(dtype=t.dtype), t, condition=np.ones(t.shape, dtype=np.bool_))


def _setitem(t, value, index):
    from .ops.shape import SetItem

    return SetItem.apply(t, value, index=index)


def _add_scaled(t, other, alpha):
    return t + (other if alpha == 1 else other * alpha)


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


__all__ = ["Size", "Tensor", "DType", "no_grad", "where"]
