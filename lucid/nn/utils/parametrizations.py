"""Weight and spectral normalization as parametrizations (``nn.utils.parametrize``), PyTorch's newer form."""

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..module import Module
from ..modules.lazy import when_materialized
from .parametrize import is_parametrized, register_parametrization
from .spectral_norm import _as_matrix, _check_settings, _default_dim, _normalized, _sigma
from .weight_norm import _check_dim, _check_target, _existing_parameter, _norm_except_dim, _weight_norm


class _WeightNorm(Module):
    """``weight = g · v / ‖v‖`` from ``original0`` (g) and ``original1`` (v)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def _refuse_twice(module, name, where):
    if is_parametrized(module, name):
        raise RuntimeError(f"{where}: {type(module).__name__}.{name} is already parametrized "
                           f"({[type(p).__name__ for p in module.parametrizations[name]]}); remove it first with "
                           "nn.utils.parametrize.remove_parametrizations")


def weight_norm(module, name="weight", dim=0):
    """Weight normalization as a parametrization: ``parametrizations.<name>.original0`` is g, ``original1`` is v.

    ``module.<name>`` reads ``g · v / ‖v‖``. A checkpoint of the hook form (``<name>_g``,
    ``<name>_v``) also loads. On a lazy layer whose weight has no shape yet, the
    registration happens when the layer materializes.

    Parameters
    ----------
    module : Module
    name : str, optional
    dim : int or None, optional
        As in ``nn.utils.weight_norm``.

    Returns
    -------
    Module
        ``module`` itself.

    Examples
    --------
    >>> import lucid.nn as nn
    >>> layer = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
    >>> sorted(layer.state_dict())
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    """
    _check_target(module, name, "weight_norm")
    _refuse_twice(module, name, "weight_norm")
    _existing_parameter(module, name, "weight_norm")
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
        raise TypeError(f"weight_norm: dim must be an int or None, got {type(dim).__name__}")

    def apply(target):
        weight = target._parameters[name]
        register_parametrization(target, name, _WeightNorm(_check_dim(dim, weight.ndim, "weight_norm")), unsafe=True)

    key = f"parametrizations.{name}."
    when_materialized(module, name, "weight_norm", apply, stored_as=key + "original1",
                      new_parameters=(key + "original0",))

    def accept_hook_form(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        g, v = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g in state_dict and v in state_dict:
            state_dict[prefix + key + "original0"] = state_dict.pop(g)
            state_dict[prefix + key + "original1"] = state_dict.pop(v)

    module._register_load_state_dict_pre_hook(accept_hook_form)
    return module


class _SpectralNorm(Module):
    """``weight / σ``; the buffers ``_u`` and ``_v`` carry the power iteration across calls."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if not -max(ndim, 1) <= dim < max(ndim, 1):
            raise ValueError(f"spectral_norm: dim {dim} is out of range for a weight with {ndim} dims")
        self.dim = dim % max(ndim, 1)
        self.eps = eps
        if ndim > 1:
            from ...random import generator

            self.n_power_iterations = n_power_iterations
            h, w = _as_matrix(weight.detach(), self.dim).shape
            dtype = weight._array.dtype
            u = _normalized(generator().normal(0.0, 1.0, h).astype(dtype), eps)
            v = _normalized(generator().normal(0.0, 1.0, w).astype(dtype), eps)
            self.register_buffer("_u", Tensor(u.astype(dtype), device=weight.device))
            self.register_buffer("_v", Tensor(v.astype(dtype), device=weight.device))
            self._power_method(_as_matrix(weight.detach(), self.dim), 15)

    def _power_method(self, weight_mat, n_power_iterations):
        matrix = weight_mat._array
        for _ in range(n_power_iterations):
            self._u._array[...] = _normalized(matrix @ self._v._array, self.eps)
            self._v._array[...] = _normalized(matrix.T @ self._u._array, self.eps)
        if n_power_iterations:
            self._u._bump_version()
            self._v._bump_version()

    def forward(self, weight):
        if weight.ndim == 1:
            norm = (weight * weight).sum() ** 0.5
            return weight / norm if float(norm.item()) > self.eps else weight / self.eps
        weight_mat = _as_matrix(weight, self.dim)
        if self.training:
            with no_grad():
                self._power_method(weight_mat.detach(), self.n_power_iterations)
        return weight / _sigma(weight_mat, self._u.detach().clone(), self._v.detach().clone())

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Spectral normalization as a parametrization: ``parametrizations.<name>.original``, buffers ``.0._u``/``.0._v``.

    ``module.<name>`` reads ``original / σ``; each read in training mode first runs
    ``n_power_iterations`` power-iteration steps (u, then v), as in PyTorch.

    Parameters
    ----------
    module : Module
    name : str, optional
    n_power_iterations : int, optional
    eps : float, optional
    dim : int, optional
        Default 1 for transposed convolutions, else 0.

    Returns
    -------
    Module
        ``module`` itself.
    """
    _check_target(module, name, "spectral_norm")
    _refuse_twice(module, name, "spectral_norm")
    _existing_parameter(module, name, "spectral_norm")
    _check_settings(n_power_iterations, eps, "spectral_norm")
    dim = _default_dim(module) if dim is None else dim

    def apply(target):
        weight = target._parameters[name]
        register_parametrization(target, name, _SpectralNorm(weight, n_power_iterations, dim, eps))

    when_materialized(module, name, "spectral_norm", apply, stored_as=f"parametrizations.{name}.original")
    return module
