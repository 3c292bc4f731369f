"""Parameter and its lazy placeholder."""

import numpy as np

from .. import backend
from ..dtypes import to_dtype
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as learnable; requires grad by default."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        if isinstance(data, Tensor):
            super().__init__(data.detach()._array, device=data.device)
            self._array = data._array
        else:
            super().__init__(data)
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def is_lazy(tensor):
    """True for a lazy layer's placeholder that has no shape or data yet: the one "still lazy?" test."""
    return isinstance(tensor, UninitializedParameter)


class UninitializedParameter(Parameter):
    """A Parameter whose shape is not known yet.

    It sits in a lazy module's parameter list from construction on; ``materialize`` gives it
    data in place (same object), turning it into a plain ``Parameter``, so anything that
    already holds it, an optimizer for instance, sees the real values.
    """

    def __init__(self, requires_grad=True, device=None, dtype=None):
        Tensor.__init__(self, np.empty(0, dtype=np.float32), requires_grad=requires_grad)
        self._array = None
        self._device = backend.to_device(device)
        self.target_dtype = None if dtype is None else to_dtype(dtype)
        self.target_device = None if device is None else self._device

    @property
    def shape(self):
        raise RuntimeError("this parameter is uninitialized; its shape is known after the first forward")

    @property
    def dtype(self):
        return self.target_dtype

    def numel(self):
        raise RuntimeError("this parameter is uninitialized; run a forward pass or load a state_dict first")

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("an uninitialized parameter has no data; run a forward pass or load a state_dict first")

    def materialize(self, shape, dtype=None, device=None):
        """Give this parameter data of ``shape`` (uninitialized values) and make it a Parameter.

        ``dtype``/``device`` apply only where none was chosen at construction or by ``.to``.
        """
        dtype = self.target_dtype or to_dtype(dtype)
        device = self.target_device or backend.to_device(device)
        self._array = backend.array_module(device).empty(tuple(shape), dtype=dtype.numpy)
        self._device = device
        del self.target_dtype, self.target_device
        self.__class__ = Parameter

    def detach(self):
        return self

    def __repr__(self):
        return "<UninitializedParameter>"
