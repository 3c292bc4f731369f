"""LazyModuleMixin: the only place that knows about lazy parameters.

A lazy layer is ``class LazyX(_LazyXMixin, X)``: the eager class builds its parameters
through ``_new_parameter``, which here hands out ``UninitializedParameter`` placeholders
that ``parameters()`` already lists while the attribute reads ``None``. The family mixin
supplies ``initialize_parameters(x)`` (read the inferred size from the first input) and
``_infer_from_state_dict(state_dict, prefix)`` (read it from checkpoint shapes); both end
in ``_materialize``, which fills the placeholders in place and runs the eager
``reset_parameters``.

A transform of a parameter (``weight_norm``, ``spectral_norm``, a parametrization) asked for
while that parameter is still a placeholder goes through ``when_materialized``: it runs,
as its eager code, right after the materialization, and the placeholders take over the
parameters it creates, so an optimizer built before the first forward trains them.
"""

import threading
from collections import ChainMap, OrderedDict, namedtuple

from ...dtypes import to_dtype
from ...backend import to_device
from ..parameter import UninitializedParameter, is_lazy
from ..state_dict import as_array, restore, snapshot

# One lock for all first calls: materialization is rare, and a module-level lock keeps
# modules picklable and deep-copyable.
_first_call_lock = threading.RLock()

# A transform waiting for its parameter's shape. ``before``: the module's parameters when it was
# recorded; ``takes_over``: final dotted key -> the placeholder that will hold that parameter.
_Deferred = namedtuple("_Deferred", ["name", "kind", "apply", "stored_as", "before", "takes_over"])


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
        return any(is_lazy(p) for p in self._parameters.values())

    def reset_parameters(self):
        if not self.has_uninitialized_params():
            super().reset_parameters()

    def __getattr__(self, name):
        if any(record.name == name for record in self.__dict__.get("_deferred", ())):
            return None  # e.g. ``weight`` of a lazy layer whose weight_norm waits for its shape
        value = super().__getattr__(name)
        return None if is_lazy(value) else value

    def __call__(self, *args, **kwargs):
        # Once materialized, a call reads one flag and takes no lock. The flag is set only after
        # the whole first call succeeded; before that, the check takes the lock, since a thread
        # that looked without it could see the placeholders already turned into Parameters but
        # not yet initialised.
        if self.__dict__.get("_lazy_ready", False):
            return super().__call__(*args, **kwargs)
        with _first_call_lock:
            if self.has_uninitialized_params():
                saved = snapshot(self)
                try:
                    self.initialize_parameters(*args, **kwargs)
                    out = super().__call__(*args, **kwargs)
                except BaseException:
                    restore(saved)  # a rejected first input leaves the layer unmaterialized
                    raise
                object.__setattr__(self, "_lazy_ready", True)
                return out
            object.__setattr__(self, "_lazy_ready", True)
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
        deferred = self.__dict__.get("_deferred", ())
        if deferred:  # back to the eager layout, which reset_parameters and the transforms expect
            self._parameters.clear()
            self._parameters.update(deferred[0].before)
            object.__setattr__(self, "_deferred", ())
        for name, shape in shapes.items():
            param = self._parameters.get(name)
            if is_lazy(param):
                param.materialize(shape, dtype=dtype, device=device)
        self.reset_parameters()
        for record in deferred:
            placeholder = record.before[record.name]
            record.apply(self)
            for key, waiting in record.takes_over.items():
                _take_over(self, key, waiting if waiting is not None else placeholder)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        if self.has_uninitialized_params():
            view = state_dict
            for record in self.__dict__.get("_deferred", ()):
                stored, key = prefix + record.stored_as, prefix + record.name
                if stored in state_dict and key not in state_dict:
                    view = ChainMap({key: state_dict[stored]}, view)  # the shape the transform keeps
            try:
                self._infer_from_state_dict(view, prefix)
            except (TypeError, ValueError) as error:
                where = prefix[:-1] or "the root module"
                error_msgs.append(f"{type(self).__name__} at {where}: cannot materialize from the checkpoint: {error}")
                return
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def _apply_move(self, dtype, device):
        for param in self._parameters.values():
            if is_lazy(param):
                if dtype is not None:
                    param.target_dtype = to_dtype(dtype)
                if device is not None:
                    param.target_device = to_device(device)
        super()._apply_move(dtype, device)


def checkpoint_shape(state_dict, key):
    """Shape of ``state_dict[key]`` (None when absent or uninitialized), however the value is stored."""
    value = state_dict.get(key)
    if value is None or is_lazy(value):
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


def when_materialized(module, name, kind, apply, stored_as, new_parameters=()):
    """Run the transform ``apply(module)`` of ``module``'s parameter ``name`` now, or after its materialization.

    When ``name`` is still a lazy placeholder, nothing is computed yet: ``name`` leaves the
    module's parameters and the placeholder stands under ``stored_as`` (the dotted key, relative
    to ``module``, of the parameter the transform creates with the original's shape and
    values), with fresh placeholders under ``new_parameters`` (the other parameters it
    creates). So ``parameters()`` lists what will be trained, and a checkpoint's ``stored_as``
    entry gives the shape to materialize from. Right after the materialization ``apply(module)``
    runs as on an eager layer, and each placeholder takes over the parameter at its key.

    ``apply`` gets the module as its argument and should hold no reference to it, so that a
    deep copy of a still-lazy module (which copies the record) transforms the copy.

    Returns
    -------
    bool
        True when the transform was deferred.
    """
    param = module._parameters.get(name)
    if not is_lazy(param):
        apply(module)
        return False
    deferred = module.__dict__.get("_deferred", ())
    if any(record.name == name for record in deferred):
        raise RuntimeError(f"{type(module).__name__}.{name} is still lazy and already waits for a "
                           f"{next(r.kind for r in deferred if r.name == name)}; materialize the layer first "
                           f"(a forward pass or nn.utils.materialize)")
    before = OrderedDict(module._parameters)
    takes_over = OrderedDict((key, UninitializedParameter(param.requires_grad, param.target_device,
                                                          param.target_dtype)) for key in new_parameters)
    takes_over[stored_as] = None  # the original placeholder
    del module._parameters[name]
    for key, waiting in takes_over.items():
        module._parameters[key] = param if waiting is None else waiting
    object.__setattr__(module, "_deferred", deferred + (_Deferred(name, kind, apply, stored_as, before, takes_over),))
    return True


def cancel_deferred(module, name, kind):
    """Drop a ``kind`` transform of ``name`` still waiting for materialization; False when none waits."""
    deferred = module.__dict__.get("_deferred", ())
    found = [i for i, record in enumerate(deferred) if record.name == name and record.kind == kind]
    if not found:
        return False
    index = found[0]
    module._parameters.clear()
    module._parameters.update(deferred[index].before)
    kept = list(deferred[:index])
    for record in deferred[index + 1:]:  # later transforms of other parameters wait on
        kept.append(record._replace(before=OrderedDict(module._parameters)))
        placeholder = module._parameters.pop(record.name)
        for key, waiting in record.takes_over.items():
            module._parameters[key] = placeholder if waiting is None else waiting
    object.__setattr__(module, "_deferred", tuple(kept))
    return True


def _take_over(module, key, placeholder):
    """Put ``placeholder`` in place of the parameter at dotted ``key``, with that parameter's data."""
    owner_path, _, attr = key.rpartition(".")
    owner = module.get_submodule(owner_path)
    created = owner._parameters[attr]
    if is_lazy(placeholder):
        placeholder.materialize(created.shape, dtype=created.dtype, device=created.device)
    placeholder._array = created._array
    placeholder.requires_grad = created.requires_grad
    owner._parameters[attr] = placeholder
