"""Parametrizations: a tensor attribute computed by modules from the stored original(s).

After ``register_parametrization(module, "weight", p)``, ``module.weight`` is ``p(original)``,
recomputed on each access (or once per ``cached()`` block); the original lives at
``module.parametrizations.weight.original`` (``original0``, ``original1``, ... when the
parametrization's ``right_inverse`` returns several tensors), the keys PyTorch writes.
"""

from collections.abc import Sequence
from contextlib import contextmanager
from functools import partial

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..module import Module
from ..modules.container import ModuleDict, ModuleList
from ..modules.lazy import cancel_deferred, when_materialized
from ..parameter import Parameter

_cache_depth = 0
_cache = {}


@contextmanager
def cached():
    """Compute each parametrized tensor once inside this block instead of on every access.

    Examples
    --------
    >>> import lucid.nn as nn
    >>> layer = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
    >>> with nn.utils.parametrize.cached():
    ...     layer.weight is layer.weight
    True
    """
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the original(s) they read.

    Parameters
    ----------
    modules : sequence of Module
    original : Parameter or Tensor
        The tensor being parametrized. Each module's ``right_inverse`` (last first) turns it
        into what is stored: one tensor (``original``) or a sequence (``original0``, ...).
    unsafe : bool, optional
        Skip the check that the parametrization keeps the tensor's shape and dtype.
    """

    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = original.shape, original.dtype
        new = original
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if isinstance(new, Tensor):
            if new.dtype != dtype:
                raise ValueError(f"right_inverse must keep the dtype: it gave {new.dtype} for a {dtype} tensor")
            self.is_tensor, self.ntensors = True, 1
            if new is not original:
                with no_grad():
                    original.data = new  # the same object keeps being what optimizers hold
            _register(self, "original", original)
        elif isinstance(new, Sequence) and all(isinstance(t, Tensor) for t in new):
            self.is_tensor, self.ntensors = False, len(new)
            for index, tensor in enumerate(new):
                if isinstance(original, Parameter):
                    tensor = Parameter(tensor.detach(), original.requires_grad)
                else:
                    tensor = tensor.detach().requires_grad_(original.requires_grad)
                _register(self, f"original{index}", tensor)
        else:
            raise ValueError(f"right_inverse must return a Tensor or a sequence of Tensors, got {type(new).__name__}")
        if not unsafe:
            _check_output(self(), shape, dtype, "the parametrization")

    def _originals(self):
        if self.is_tensor:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def right_inverse(self, value):
        """Store what gives ``value`` back (``module.<name> = value`` calls this)."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"{type(module).__name__} has no right_inverse; the tensor cannot be assigned")
                value = module.right_inverse(value)
            values = (value,) if self.is_tensor else tuple(value)
            originals = self._originals()
            if len(values) != len(originals):
                raise ValueError(f"right_inverse gave {len(values)} tensors, expected {len(originals)}")
            for original, new in zip(originals, values):
                if tuple(new.shape) != original.shape or new.dtype != original.dtype:
                    raise ValueError(f"right_inverse gave shape {tuple(new.shape)} {new.dtype}, the stored "
                                     f"original is {original.shape} {original.dtype}")
            for original, new in zip(originals, values):
                original.data = new if isinstance(new, Tensor) else Tensor(new)

    def forward(self):
        modules = list(self)
        x = modules[0](*self._originals())
        for module in modules[1:]:
            x = module(x)
        return x


def _register(module, name, tensor):
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


def _check_output(value, shape, dtype, what):
    if not isinstance(value, Tensor):
        raise ValueError(f"{what} must return a Tensor, got {type(value).__name__}")
    if value.shape != shape or value.dtype != dtype:
        raise ValueError(f"{what} must keep shape {shape} and dtype {dtype}, it gave {value.shape} {value.dtype}"
                         " (pass unsafe=True to allow it)")


def _inject_property(module, name):
    """Give ``module`` its own subclass (once) with a property ``name`` computed by its parametrizations."""
    cls = type(module)
    if not getattr(cls, "_parametrized_class", False):
        cls = type(f"Parametrized{cls.__name__}", (cls,), {"_parametrized_class": True})
        module.__class__ = cls

    def get(self):
        if _cache_depth:
            key = (id(self), name)
            if key not in _cache:
                _cache[key] = self.parametrizations[name]()
            return _cache[key]
        return self.parametrizations[name]()

    def set(self, value):
        self.parametrizations[name].right_inverse(value)

    setattr(cls, name, property(get, set))


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` read ``parametrization(original)``.

    A second parametrization of the same name is applied after the first. On a lazy layer
    whose tensor has no shape yet, the registration happens when the layer materializes.

    Parameters
    ----------
    module : Module
    tensor_name : str
        A parameter or buffer of ``module``.
    parametrization : Module
        Its ``forward`` maps the original(s) to the tensor; an optional ``right_inverse`` maps
        a tensor to what is stored (used at registration and on assignment).
    unsafe : bool, optional
        Skip the check that shape and dtype are kept.

    Returns
    -------
    Module
        ``module`` itself.
    """
    where = "register_parametrization"
    if not isinstance(module, Module):
        raise TypeError(f"{where}: module must be a Module, got {type(module).__name__}")
    if not isinstance(parametrization, Module):
        raise TypeError(f"{where}: parametrization must be a Module, got {type(parametrization).__name__}")
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            current = getattr(module, tensor_name)
            _check_output(parametrization(current), current.shape, current.dtype, "the parametrization")
        module.parametrizations[tensor_name].append(parametrization)
        module.parametrizations[tensor_name].unsafe |= unsafe
        return module
    if tensor_name in module._parameters and module._parameters[tensor_name] is not None:
        when_materialized(module, tensor_name, "parametrization",
                          partial(_parametrize, name=tensor_name, parametrization=parametrization, unsafe=unsafe),
                          stored_as=f"parametrizations.{tensor_name}.original")
        return module
    if tensor_name in module._buffers and module._buffers[tensor_name] is not None:
        _parametrize(module, tensor_name, parametrization, unsafe)
        return module
    raise ValueError(f"{where}: {type(module).__name__} has no parameter, buffer or parametrized tensor named "
                     f"{tensor_name!r}")


def _parametrize(module, name, parametrization, unsafe):
    original = module._parameters[name] if name in module._parameters else module._buffers[name]
    parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, name)
    if not is_parametrized(module):
        module.parametrizations = ModuleDict()
    module.parametrizations.add_module(name, parametrizations)
    _inject_property(module, name)


def is_parametrized(module, tensor_name=None):
    """True when ``module`` has a parametrization (on ``tensor_name``, when given)."""
    parametrizations = module._modules.get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def type_before_parametrizations(module):
    """The module's class as it was before any parametrization was registered."""
    cls = type(module)
    return cls.__bases__[0] if getattr(cls, "_parametrized_class", False) else cls


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Remove every parametrization of ``tensor_name``.

    Parameters
    ----------
    module : Module
    tensor_name : str
    leave_parametrized : bool, optional
        True: the tensor keeps its current parametrized value; False: it goes back to the
        stored original (possible only when that is one tensor).

    Returns
    -------
    Module
        ``module`` itself.
    """
    if not is_parametrized(module, tensor_name):
        for kind in ("parametrization", "weight_norm", "spectral_norm"):
            if cancel_deferred(module, tensor_name, kind):
                return module
        raise ValueError(f"remove_parametrizations: {type(module).__name__} has no parametrization on {tensor_name!r}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            original.data = value
    else:
        if not leave_parametrized:
            raise ValueError("remove_parametrizations: leave_parametrized=False needs a tensor stored as one "
                             f"original, but {tensor_name!r} is stored as {parametrizations.ntensors}")
        with no_grad():
            value = getattr(module, tensor_name)
        requires_grad = any(t.requires_grad for t in parametrizations._originals())
        original = Parameter(value, requires_grad) if requires_grad else value.detach()
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type_before_parametrizations(module)
    return module
