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
    """Per-call scratch space: inputs, output and whatever forward stores on it."""

    def __init__(self, inputs):
        self.inputs = inputs
        self._output = None

    @property
    def needs_input_grad(self):
        return tuple(t is not None and t.requires_grad for t in self.inputs)

    @property
    def output(self):
        """The Tensor this call produced (held weakly to avoid a reference cycle)."""
        return self._output()


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
        arrays = [t.data for t in inputs]
        if any(map(_meta.is_meta, arrays)):
            data, device = cls._forward_meta(ctx, arrays, params), _META
        else:
            data, device = cls.forward(ctx, *arrays, **params), inputs[0].device
        out = Tensor._from_array(data, device)
        if is_grad_enabled() and any(t.requires_grad for t in inputs):
            ctx._output = weakref.ref(out)
            out._node = Node(cls, ctx)
            out._requires_grad = True
        return out
