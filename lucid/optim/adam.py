"""Adam and AdamW (decoupled weight decay), with optional AMSGrad."""

import math

import numpy as np

from .optimizer import Optimizer, _check_number
from ..tensor import Tensor


class Adam(Optimizer):
    """Adam, PyTorch's update rule.

    Parameters
    ----------
    params : iterable of Parameter or of dict
    lr : float, optional
        Default 1e-3.
    betas : (float, float), optional
        Decay rates of the gradient's running mean and of its square (default (0.9, 0.999)).
    eps : float, optional
        Added to the denominator (default 1e-8).
    weight_decay : float, optional
        L2 penalty added to the gradient (default 0); see AdamW for the decoupled form.
    amsgrad : bool, optional
        Divide by the running maximum of the second moment.
    maximize : bool, optional
    decoupled_weight_decay : bool, optional
        Shrink the parameter by lr·weight_decay instead of adding to the gradient (AdamW).

    Notes
    -----
    State per parameter: ``step`` (an int), ``exp_avg``, ``exp_avg_sq`` and, with amsgrad,
    ``max_exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    _tensor_state = frozenset({"exp_avg", "exp_avg_sq", "max_exp_avg_sq"})

    def _check_group(self, group):
        super()._check_group(group)
        _check_number("eps", group["eps"], minimum=0.0)
        betas = group["betas"]
        if not isinstance(betas, tuple) or len(betas) != 2:
            raise TypeError(f"betas must be a tuple of two floats, got {betas!r}")
        for i, beta in enumerate(betas):
            _check_number(f"betas[{i}]", beta, minimum=0.0, below=1.0)
        for flag in ("amsgrad", "maximize", "decoupled_weight_decay"):
            if not isinstance(group[flag], bool):
                raise TypeError(f"{flag} must be a bool, got {group[flag]!r}")

    def _update(self, param, grad, state, group):
        p = param._array
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = Tensor._from_array(np.zeros_like(p), param.device)
            state["exp_avg_sq"] = Tensor._from_array(np.zeros_like(p), param.device)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = Tensor._from_array(np.zeros_like(p), param.device)
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * p
        state["step"] = step = int(state["step"]) + 1
        exp_avg, exp_avg_sq = state["exp_avg"]._array, state["exp_avg_sq"]._array
        exp_avg += (1 - beta1) * (grad - exp_avg)  # PyTorch's lerp
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        if group["amsgrad"]:
            second = state["max_exp_avg_sq"]._array
            np.maximum(second, exp_avg_sq, out=second)
        else:
            second = exp_avg_sq
        denom = np.sqrt(second) / bias_correction2_sqrt + eps
        p -= (lr / bias_correction1) * (exp_avg / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: p ← p·(1 - lr·weight_decay) before the Adam step.

    Parameters are Adam's; ``weight_decay`` defaults to 1e-2.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
