"""Function: an op's forward and backward, side by side.

``forward(ctx, *arrays, **params)`` computes on raw arrays of the device's array module.
``backward(ctx, grad_out)`` receives and returns Tensors, one gradient per tensor input
(``None`` where an input needs none), so a gradient is itself differentiable when the
engine runs with ``create_graph=True``. The engine, not each rule, sums gradients back to
broadcast shapes.
"""

import weakref

from .. import _meta
from ..backend import to_device
from .grad_mode import is_grad_enabled

_META = to_device("meta")


class Context:
    """Per-call scratch space: inputs, output and whatever forward stores on it.

    The inputs' and the output's versions are recorded at the call. A backward that reads
    ``ctx.inputs`` or ``ctx.output`` after one of them was changed in place raises, as
    PyTorch does for its saved tensors, instead of computing a gradient from the new values;
    a backward that reads neither (an addition's) is unaffected.
    """

    def __init__(self, inputs):
        self._inputs = inputs
        self._input_versions = tuple(t._version_box[0] for t in inputs)
        # the node each input came from at this call: an in-place op may give the tensor a newer
        # one later, and this call's gradient must still flow into the old history
        self._input_nodes = tuple(t._node for t in inputs)
        self._output = None

    @property
    def inputs(self):
        for t, version in zip(self._inputs, self._input_versions):
            if t._version_box[0] != version:
                _raise_modified(t, version)
        return self._inputs

    def input(self, i):
        """Input ``i`` alone, checked for in-place changes: a backward that needs one input
        (``x * 3`` needs only the 3 for x's gradient) does not fail over a change to another."""
        t = self._inputs[i]
        if t._version_box[0] != self._input_versions[i]:
            _raise_modified(t, self._input_versions[i])
        return t

    @property
    def needs_input_grad(self):
        return tuple(t is not None and t.requires_grad for t in self._inputs)

    @property
    def output(self):
        """The Tensor this call produced (held weakly to avoid a reference cycle)."""
        out = self._output()
        if out is not None and out._version_box[0] != self._output_version:
            _raise_modified(out, self._output_version)
        return out


def _raise_modified(tensor, expected):
    raise RuntimeError(
        "one of the tensors needed for gradient computation has been modified by an in-place operation: "
        f"a {tensor.dtype} tensor of shape {tuple(tensor.shape)} is at version {tensor._version_box[0]}; "
        f"expected version {expected} instead"
    )


class Node:
    """One recorded call in the graph: which Function, its context, its tensor inputs."""

    __slots__ = ("function", "ctx", "__weakref__")

    def __init__(self, function, ctx):
        self.function = function
        self.ctx = ctx

    @property
    def name(self):
        return self.function.__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name}>"


class Function:
    """Base class of differentiable primitives; subclasses define forward and backward."""

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_out):
        raise NotImplementedError

    # True for ops whose result may be a view of their first input (reshape, permute, indexing):
    # such a result shares the input's version counter, so an in-place change through either
    # is seen by every graph that kept the other.
    returns_view = False

    # Shape rule ``forward_meta(ctx, *arrays, **params)`` for shape-only ("meta") arrays. None:
    # ``forward`` itself runs on them, as it does wherever it is plain array code; Functions
    # with compiled kernels (the convolutions) give one.
    forward_meta = None

    @classmethod
    def _forward_meta(cls, ctx, arrays, params):
        rule = cls.forward_meta or cls.forward
        try:
            return rule(ctx, *arrays, **params)
        except _meta.ShapeOnlyError as error:
            raise _meta.ShapeOnlyError(f"{cls.__name__} cannot run on shape-only (meta) tensors: {error}") from None

    @classmethod
    def apply(cls, *inputs, **params):
        """Run forward on the inputs' arrays and, when needed, record the call for backward."""
        from ..tensor import Tensor

        ctx = Context(inputs)
        arrays = [t._array for t in inputs]
        if any(map(_meta.is_meta, arrays)):
            data, device = cls._forward_meta(ctx, arrays, params), _META
        else:
            data, device = cls.forward(ctx, *arrays, **params), inputs[0].device
        out = Tensor._from_array(data, device)
        if cls.returns_view and getattr(data, "base", None) is not None and _overlaps(data, arrays[0]):
            out._version_box = inputs[0]._version_box
        if is_grad_enabled() and any(t.requires_grad for t in inputs):
            ctx._output = weakref.ref(out)
            ctx._output_version = out._version_box[0]
            out._node = Node(cls, ctx)
            out._requires_grad = True
        return out


def _overlaps(a, b):
    """Whether two arrays may share memory; a reshape that had to copy has a base that is not the input."""
    from ..backend import get_array_module

    return bool(get_array_module(a).may_share_memory(a, b))
