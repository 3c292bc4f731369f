"""LazyModuleMixin: the only place that knows about lazy parameters.

A lazy layer is ``class LazyX(_LazyXMixin, X)``: the eager class builds its parameters
through ``_new_parameter``, which here hands out ``UninitializedParameter`` placeholders
that ``parameters()`` already lists while the attribute reads ``None``. The family mixin
supplies ``initialize_parameters(x)`` (read the inferred size from the first input) and
``_infer_from_state_dict(state_dict, prefix)`` (read it from checkpoint shapes); both end
in ``_materialize``, which fills the placeholders in place and runs the eager
``reset_parameters``.
"""

import threading

from ...dtypes import to_dtype
from ...backend import to_device
from ..parameter import UninitializedParameter
from ..state_dict import as_array, restore, snapshot

# One lock for all first calls: materialization is rare, and a module-level lock keeps
# modules picklable and deep-copyable.
_first_call_lock = threading.RLock()


class LazyModuleMixin:
    """Mixin that defers parameter shapes until the first input or a loaded state_dict.

    A lazy layer is ``class LazyX(_LazyXMixin, X)``. Its parameters start as
    :class:`~lucid.nn.UninitializedParameter` placeholders, already listed by
    ``parameters()`` while the attribute reads ``None``. The first call materializes them
    in place (so an optimizer built earlier trains them) and runs the eager class's
    ``reset_parameters``; a rejected first input leaves the layer as it was.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> layer = nn.LazyLinear(2)
    >>> isinstance(layer, nn.LazyModuleMixin), layer.has_uninitialized_params()
    (True, True)
    >>> _ = layer(lucid.randn(1, 5))
    >>> layer.has_uninitialized_params()
    False
    """

    def _new_parameter(self, shape, dtype=None, device=None):
        return UninitializedParameter(device=device, dtype=dtype)

    def has_uninitialized_params(self):
        """True until the parameters have been materialized."""
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def reset_parameters(self):
        if not self.has_uninitialized_params():
            super().reset_parameters()

    def __getattr__(self, name):
        value = super().__getattr__(name)
        return None if isinstance(value, UninitializedParameter) else value

    def __call__(self, *args, **kwargs):
        # The check takes the lock too: a thread that looked without it could see the
        # placeholders already turned into Parameters but not yet initialised.
        with _first_call_lock:
            if self.has_uninitialized_params():
                saved = snapshot(self)
                try:
                    self.initialize_parameters(*args, **kwargs)
                    return super().__call__(*args, **kwargs)
                except BaseException:
                    restore(saved)  # a rejected first input leaves the layer unmaterialized
                    raise
        return super().__call__(*args, **kwargs)

    def initialize_parameters(self, *args, **kwargs):
        """Materialize from the first call's arguments; each lazy family defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define initialize_parameters(input)")

    def _infer_from_state_dict(self, state_dict, prefix):
        raise NotImplementedError(f"{type(self).__name__} must define _infer_from_state_dict")

    def _materialize(self, shapes, dtype=None, device=None):
        """Fill each placeholder named in ``shapes`` in place, then initialise as the eager class does.

        A shape-only ("meta") input still gives real, initialised weights, on the default device
        unless one was chosen (``nn.utils.materialize`` relies on this).
        """
        if device is not None and to_device(device).type == "meta":
            device = None
        for name, shape in shapes.items():
            param = self._parameters.get(name)
            if isinstance(param, UninitializedParameter):
                param.materialize(shape, dtype=dtype, device=device)
        self.reset_parameters()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        if self.has_uninitialized_params():
            try:
                self._infer_from_state_dict(state_dict, prefix)
            except (TypeError, ValueError) as error:
                where = prefix[:-1] or "the root module"
                error_msgs.append(f"{type(self).__name__} at {where}: cannot materialize from the checkpoint: {error}")
                return
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def _apply_move(self, dtype, device):
        for param in self._parameters.values():
            if isinstance(param, UninitializedParameter):
                if dtype is not None:
                    param.target_dtype = to_dtype(dtype)
                if device is not None:
                    param.target_device = to_device(device)
        super()._apply_move(dtype, device)


def checkpoint_shape(state_dict, key):
    """Shape of ``state_dict[key]`` (None when absent or uninitialized), however the value is stored."""
    value = state_dict.get(key)
    if value is None or isinstance(value, UninitializedParameter):
        return None
    shape = getattr(value, "shape", None)
    if shape is None or callable(shape):
        shape = as_array(value).shape
    return tuple(int(s) for s in shape)


def checkpoint_dtype(state_dict, key):
    """The checkpoint value's floating dtype, or None when it is absent or not floating."""
    try:
        array_dtype = as_array(state_dict[key]).dtype
    except (KeyError, TypeError):
        return None
    return to_dtype(array_dtype) if array_dtype.kind == "f" else None
