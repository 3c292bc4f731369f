"""Weight normalization, the hook form: ``weight = g · v / ‖v‖`` recomputed before each forward."""

from ...autograd.grad_mode import no_grad
from ..module import Module
from ..modules.lazy import cancel_deferred, when_materialized
from ..parameter import Parameter


def _norm_except_dim(v, dim):
    """The 2-norm of ``v`` over every dim but ``dim``, kept as size-1 dims; over all of ``v`` when ``dim`` is -1."""
    if dim == -1:
        return (v * v).sum() ** 0.5
    axes = tuple(d for d in range(v.ndim) if d != dim)
    return (v * v).sum(axes, keepdim=True) ** 0.5


def _weight_norm(v, g, dim):
    return v * (g / _norm_except_dim(v, dim))


def _check_dim(dim, ndim, where):
    """``dim`` wrapped to ``0..ndim-1``; -1 (or None) keeps meaning "the whole tensor", as in PyTorch."""
    if dim is None or dim == -1:
        return -1
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{where}: dim must be an int or None, got {type(dim).__name__}")
    if not -ndim <= dim < ndim:
        raise ValueError(f"{where}: dim {dim} is out of range for a weight with {ndim} dims")
    return dim % ndim


def _check_target(module, name, where):
    if not isinstance(module, Module):
        raise TypeError(f"{where}: module must be a Module, got {type(module).__name__}")
    if not isinstance(name, str):
        raise TypeError(f"{where}: name must be a str, got {type(name).__name__}")


def _existing_parameter(module, name, where):
    """The parameter ``name`` of ``module`` (possibly a lazy placeholder); a clear error when there is none."""
    _check_target(module, name, where)
    param = module._parameters.get(name)
    if param is None:
        names = [key for key, value in module._parameters.items() if value is not None]
        raise ValueError(f"{where}: {type(module).__name__} has no parameter {name!r} (its parameters: {names})")
    return param


class WeightNorm:
    """The forward pre-hook of ``weight_norm``: recompute ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    def _split(self, module):
        """Replace the parameter by ``<name>_g`` (its norms) and ``<name>_v`` (its values), as PyTorch does."""
        weight = module._parameters[self.name]
        self.dim = _check_dim(self.dim, weight.ndim, "weight_norm")
        with no_grad():
            g = _norm_except_dim(weight, self.dim)
        del module._parameters[self.name]
        module.register_parameter(self.name + "_g", Parameter(g))
        module.register_parameter(self.name + "_v", Parameter(weight.detach()))
        setattr(module, self.name, self.compute_weight(module))

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module)
        module.__dict__.pop(self.name, None)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight))

    def check_checkpoint(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                         error_msgs):
        """Say what a checkpoint saved without weight norm lacks, rather than only listing keys."""
        plain, g, v = prefix + self.name, prefix + self.name + "_g", prefix + self.name + "_v"
        if strict and plain in state_dict and g not in state_dict and v not in state_dict:
            error_msgs.append(f"{plain}: this layer is weight-normalized and expects {g!r} and {v!r} instead of "
                              f"{plain!r}; apply nn.utils.weight_norm to the model that saved it, or "
                              "nn.utils.remove_weight_norm to this one")

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def _hooks_of(module, name, kind):
    hooks = module._forward_pre_hooks.items()
    return [(key, hook) for key, hook in hooks if isinstance(hook, kind) and hook.name == name]


def weight_norm(module, name="weight", dim=0):
    """Reparametrize ``module.<name>`` as ``g · v / ‖v‖``: parameters ``<name>_g`` and ``<name>_v``.

    The weight is recomputed from them before every forward (a forward pre-hook). On a lazy
    layer whose weight has no shape yet, the split happens when the layer materializes (on its
    first forward, or from a checkpoint with ``<name>_g``/``<name>_v``); ``parameters()``
    already lists both, so an optimizer may be built first. PyTorch raises there instead.

    Parameters
    ----------
    module : Module
    name : str, optional
        The parameter to normalize.
    dim : int or None, optional
        The dim kept by the norm (one ``g`` per slice along it); None normalizes the whole
        tensor with one scalar ``g``.

    Returns
    -------
    Module
        ``module`` itself.

    Examples
    --------
    >>> import lucid.nn as nn
    >>> layer = nn.utils.weight_norm(nn.Conv1d(4, 8, 3))
    >>> sorted(layer.state_dict())
    ['bias', 'weight_g', 'weight_v']
    >>> layer.weight_g.shape
    (8, 1, 1)
    """
    _check_target(module, name, "weight_norm")
    if _hooks_of(module, name, WeightNorm):
        raise RuntimeError(f"weight_norm: {type(module).__name__}.{name} is already weight-normalized; "
                           "cannot register two weight_norm hooks on the same parameter")
    _existing_parameter(module, name, "weight_norm")
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
        raise TypeError(f"weight_norm: dim must be an int or None, got {type(dim).__name__}")
    fn = WeightNorm(name, dim)
    # on an eager layer the split runs now (its dim check first, so a bad dim changes nothing)
    when_materialized(module, name, "weight_norm", fn._split, stored_as=name + "_v",
                      new_parameters=(name + "_g",))
    module.register_forward_pre_hook(fn)
    fn._load_hook = module._register_load_state_dict_pre_hook(fn.check_checkpoint)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo ``weight_norm``: ``<name>`` becomes one Parameter again, holding the current ``g · v / ‖v‖``.

    Returns
    -------
    Module
        ``module`` itself.
    """
    return _remove_hook(module, name, WeightNorm, "weight_norm")


def _remove_hook(module, name, hook_class, kind):
    """Undo the hook form of ``kind``: one parameter again, hook (and load hook) gone; a lazy layer's wait cancelled."""
    _check_target(module, name, f"remove_{kind}")
    hooks = _hooks_of(module, name, hook_class)
    if not hooks:
        raise ValueError(f"remove_{kind}: {kind} of {name!r} not found in {type(module).__name__}")
    key, fn = hooks[0]
    if not cancel_deferred(module, name, kind):
        fn.remove(module)
    del module._forward_pre_hooks[key]
    if getattr(fn, "_load_hook", None) is not None:
        fn._load_hook.remove()
    return module
