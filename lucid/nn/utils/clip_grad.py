"""Gradient clipping, in place on ``.grad``, with PyTorch's formulas."""

import math

import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor


def _grads(parameters, where):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = []
    for param in parameters:
        if not isinstance(param, Tensor):
            raise TypeError(f"{where}: parameters must be Tensors, got {type(param).__name__}")
        if param.grad is not None:
            grads.append(param.grad)
    return grads


def _number(value, name, where):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {name} must be a number, got {type(value).__name__}")
    return float(value)


@no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one vector. Each
    gradient is multiplied by ``min(1, max_norm / (total_norm + 1e-6))``.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Those without ``.grad`` are skipped.
    max_norm : float
    norm_type : float, optional
        ``p`` of the p-norm; ``inf`` for the largest absolute value.
    error_if_nonfinite : bool, optional
        Raise instead of scaling when the total norm is NaN or infinite.
    foreach : None, optional
        Accepted for PyTorch compatibility; has no effect.

    Returns
    -------
    Tensor
        The total norm of the gradients before clipping (a 0-d tensor).
    """
    where = "clip_grad_norm_"
    grads = _grads(parameters, where)
    max_norm = _number(max_norm, "max_norm", where)
    norm_type = _number(norm_type, "norm_type", where)
    if not grads:
        return Tensor(0.0)
    dtype = grads[0]._array.dtype
    if math.isinf(norm_type):
        norms = [np.max(np.abs(g._array)) if g._array.size else dtype.type(0) for g in grads]
        total = np.max(np.array(norms, dtype=dtype))
    else:
        norms = [np.linalg.norm(g._array.ravel(), norm_type) for g in grads]
        total = np.linalg.norm(np.array(norms, dtype=dtype), norm_type)
    total = dtype.type(total)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"{where}: the total norm of order {norm_type} of the gradients is {total}, so they "
                           "cannot be clipped; pass error_if_nonfinite=False to scale them anyway")
    scale = min(max_norm / (float(total) + 1e-6), 1.0)
    with np.errstate(invalid="ignore"):  # an infinite norm gives scale 0 and inf·0 = NaN, as in PyTorch
        for grad in grads:
            grad.mul_(scale)
    return Tensor._from_array(np.asarray(total, dtype=dtype), grads[0].device)


@no_grad()
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
    clip_value : float
    foreach : None, optional
        Accepted for PyTorch compatibility; has no effect.
    """
    grads = _grads(parameters, "clip_grad_value_")
    clip_value = _number(clip_value, "clip_value", "clip_grad_value_")
    for grad in grads:
        grad.copy_(np.clip(grad._array, -clip_value, clip_value))
