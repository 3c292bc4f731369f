"""Reverse-mode automatic differentiation."""

from .engine import run_backward
from .function import Context, Function
from .gradcheck import gradcheck
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of stored in ``.grad``."""
    from ..backend import get_array_module
    from ..tensor import Tensor

    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    seeds = []
    for out, seed in zip(outputs, grad_outputs):
        if seed is None:
            if out.numel() != 1:
                raise RuntimeError(f"grad_outputs is needed for an output of shape {out.shape}")
            seed = Tensor._from_array(get_array_module(out._array).ones_like(out._array), out.device)
        seeds.append(seed)
    grads = run_backward(outputs, seeds, retain_graph=bool(retain_graph), create_graph=create_graph, inputs=inputs)
    for tensor, found in zip(inputs, grads):
        if found is None and not allow_unused:
            raise RuntimeError(f"an input of shape {tensor.shape} was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(grads)


__all__ = ["Context", "Function", "enable_grad", "grad", "inference_mode", "gradcheck", "is_grad_enabled", "no_grad",
           "set_grad_enabled"]
