"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from .optimizer import Optimizer, _check_number
from ..tensor import Tensor


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's update rule.

    Parameters
    ----------
    params : iterable of Parameter or of dict
    lr : float, optional
        Learning rate (default 1e-3).
    momentum : float, optional
    dampening : float, optional
        Scales down the new gradient in the momentum buffer: buf = momentum·buf + (1 - dampening)·g.
    weight_decay : float, optional
        Adds weight_decay·p to the gradient (L2 penalty).
    nesterov : bool, optional
        Step along g + momentum·buf; needs momentum > 0 and dampening = 0.
    maximize : bool, optional
        Ascend instead of descend.

    Notes
    -----
    The first step initialises the momentum buffer to the gradient itself (no dampening), as
    PyTorch does; state holds ``momentum_buffer`` only when momentum is non-zero.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    _tensor_state = frozenset({"momentum_buffer"})

    def _check_group(self, group):
        super()._check_group(group)
        _check_number("momentum", group["momentum"], minimum=0.0)
        _check_number("dampening", group["dampening"])
        for flag in ("nesterov", "maximize"):
            if not isinstance(group[flag], bool):
                raise TypeError(f"{flag} must be a bool, got {group[flag]!r}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"Nesterov momentum needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, param, grad, state, group):
        p = param._array
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor._from_array(grad.copy(), param.device)
            else:
                buf._array *= momentum
                buf._array += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf._array if group["nesterov"] else buf._array
        p -= group["lr"] * grad
