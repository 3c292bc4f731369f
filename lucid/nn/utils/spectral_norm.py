"""Spectral normalization, the hook form: ``weight = weight_orig / σ``, σ from power iteration.

The numerics follow PyTorch's exactly (same update order, same ``eps`` clamp, σ = uᵀ W v with
the stored vectors), so a PyTorch checkpoint gives the same output.
"""

import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..modules.lazy import when_materialized
from ..parameter import Parameter
from .weight_norm import _check_target, _existing_parameter, _hooks_of, _remove_hook


def _normalized(array, eps):
    """``array / max(‖array‖, eps)`` on a raw 1-D array."""
    return array / max(float(np.linalg.norm(array)), eps)


def _as_matrix(weight, dim):
    """``weight`` with ``dim`` moved first and the rest flattened: shape (size(dim), -1)."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.reshape(weight.shape[0], -1)


def _sigma(weight_mat, u, v):
    """σ = uᵀ W v, differentiable in ``weight_mat`` (u and v are constants)."""
    return ((weight_mat @ v.reshape(-1, 1)).reshape(-1) * u).sum()


def _check_settings(n_power_iterations, eps, where):
    if isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations, int) or n_power_iterations < 0:
        raise ValueError(f"{where}: n_power_iterations must be a non-negative int, got {n_power_iterations!r}")
    if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not eps > 0:
        raise ValueError(f"{where}: eps must be a positive number, got {eps!r}")


def _default_dim(module):
    """1 for transposed convolutions (their weight is (in, out, ...)), 0 otherwise, as in PyTorch."""
    return 1 if getattr(module, "transposed", False) is True else 0


class SpectralNorm:
    """The forward pre-hook of ``spectral_norm``; in training mode it first runs the power iteration."""

    def __init__(self, name, n_power_iterations, dim, eps):
        self.name = name
        self.n_power_iterations = n_power_iterations
        self.dim = dim
        self.eps = eps

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        weight_mat = _as_matrix(weight, self.dim)
        if do_power_iteration:
            matrix = weight_mat._array
            for _ in range(self.n_power_iterations):
                v._array[...] = _normalized(matrix.T @ u._array, self.eps)
                u._array[...] = _normalized(matrix @ v._array, self.eps)
            if self.n_power_iterations > 0:
                u._bump_version()
                v._bump_version()
                u, v = u.detach().clone(), v.detach().clone()  # later iterations must not change this graph's
        return weight / _sigma(weight_mat, u.detach(), v.detach())

    def _split(self, module):
        """``<name>_orig`` holds the parameter, random unit ``<name>_u``/``<name>_v`` start the iteration."""
        weight = module._parameters[self.name]
        if not -weight.ndim <= self.dim < weight.ndim:
            raise ValueError(f"spectral_norm: dim {self.dim} is out of range for a weight with {weight.ndim} dims")
        self.dim %= weight.ndim
        from ...random import generator

        h, w = _as_matrix(weight.detach(), self.dim).shape
        dtype = weight._array.dtype
        u = _normalized(generator().normal(0.0, 1.0, h).astype(dtype), self.eps)
        v = _normalized(generator().normal(0.0, 1.0, w).astype(dtype), self.eps)
        del module._parameters[self.name]
        module.register_parameter(self.name + "_orig", weight)
        setattr(module, self.name, weight.data)
        module.register_buffer(self.name + "_u", Tensor(u.astype(dtype), device=weight.device))
        module.register_buffer(self.name + "_v", Tensor(v.astype(dtype), device=weight.device))

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        module.__dict__.pop(self.name, None)
        for suffix in ("_u", "_v"):
            del module._buffers[self.name + suffix]
        del module._parameters[self.name + "_orig"]
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its largest singular value σ, estimated by power iteration.

    Stores ``<name>_orig`` (a parameter) and the buffers ``<name>_u``, ``<name>_v``; before
    each forward in training mode, ``n_power_iterations`` steps refine u and v in place, then
    ``weight = weight_orig / (uᵀ W v)`` with W the weight as a (size(dim), -1) matrix. On a lazy
    layer this happens when the layer materializes.

    Parameters
    ----------
    module : Module
    name : str, optional
    n_power_iterations : int, optional
    eps : float, optional
        Floor of the norms when normalizing u and v.
    dim : int, optional
        The output dim of the weight; default 1 for transposed convolutions, else 0.

    Returns
    -------
    Module
        ``module`` itself.
    """
    _check_target(module, name, "spectral_norm")
    if _hooks_of(module, name, SpectralNorm):
        raise RuntimeError(f"spectral_norm: {type(module).__name__}.{name} already has spectral_norm; "
                           "cannot register two spectral_norm hooks on the same parameter")
    _existing_parameter(module, name, "spectral_norm")
    _check_settings(n_power_iterations, eps, "spectral_norm")
    fn = SpectralNorm(name, n_power_iterations, _default_dim(module) if dim is None else dim, eps)
    when_materialized(module, name, "spectral_norm", fn._split, stored_as=name + "_orig")
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo ``spectral_norm``: ``<name>`` becomes one Parameter holding the current normalized weight."""
    return _remove_hook(module, name, SpectralNorm, "spectral_norm")
