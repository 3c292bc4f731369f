"""Reverse-mode traversal of the recorded graph."""

import itertools
import threading

from .grad_mode import enable_grad, no_grad

_state = threading.local()  # per thread: backward nesting depth and the callbacks queued in it
_hook_ids = itertools.count()


class _RemovableHandle:
    """Returned by ``register_post_accumulate_grad_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)


def register_post_accumulate_grad_hook(tensor, hook):
    """Call ``hook(tensor)`` each time a backward pass has added into the leaf ``tensor``'s ``.grad``.

    PyTorch's ``Tensor.register_post_accumulate_grad_hook``: the hook sees the finished
    ``.grad`` of this pass (and may read or change it); its return value is ignored. Hooks of
    one tensor run in registration order.

    Returns
    -------
    handle
        ``handle.remove()`` unregisters the hook.
    """
    if not tensor.is_leaf:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    hooks = tensor.__dict__.setdefault("_post_accumulate_grad_hooks", {})
    key = next(_hook_ids)
    hooks[key] = hook
    return _RemovableHandle(hooks, key)


def queue_callback(callback):
    """Run ``callback()`` once the backward pass now running has finished (all ``.grad`` written).

    Only callable during a backward pass, e.g. from a gradient hook; callbacks run in the
    order they were queued, after the outermost ``backward`` of this thread returns from its
    traversal.
    """
    if getattr(_state, "depth", 0) == 0:
        raise RuntimeError("queue_callback can only be called during a backward pass")
    _state.callbacks.append(callback)


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    if axes:
        grad = grad.sum(axes, keepdim=True)
    return grad.reshape(shape)


def _topological_order(roots):
    """Tensors reachable from ``roots``, every tensor after all of its inputs."""
    order, seen, stack = [], set(), [(root, False) for root in reversed(roots)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        stack.append((tensor, True))
        node = tensor._node
        if node is not None:
            if node.ctx is None:
                raise RuntimeError(
                    "Trying to backward through the graph a second time; "
                    "pass retain_graph=True to the first backward if you need to"
                )
            for parent in node.ctx._inputs:
                if parent.requires_grad and id(parent) not in seen:
                    stack.append((parent, False))
    return order


def _accumulate(grads, tensor, grad):
    key = id(tensor)
    grads[key] = grad if key not in grads else grads[key] + grad


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None):
    """Propagate ``root_grads`` from ``roots`` to the leaves.

    Leaves accumulate into ``.grad`` (then run their post-accumulate-grad hooks) unless
    ``inputs`` is given, in which case the gradients of those tensors are returned instead
    (``lucid.autograd.grad``). Callbacks queued during the pass run at its end.
    """
    depth = getattr(_state, "depth", 0)
    if depth == 0:
        _state.callbacks = []
    _state.depth = depth + 1
    try:
        result = _run_backward(roots, root_grads, retain_graph, create_graph, inputs)
    finally:
        _state.depth = depth
    if depth == 0:
        callbacks, _state.callbacks = _state.callbacks, []
        for callback in callbacks:
            callback()
    return result


def _run_backward(roots, root_grads, retain_graph, create_graph, inputs):
    retain_graph = retain_graph or create_graph
    order = _topological_order(roots)
    grads = {}
    handed_out = {id(grad._array) for grad in root_grads}
    for root, grad in zip(roots, root_grads):
        _accumulate(grads, root, grad)
    wanted = {id(t) for t in inputs} if inputs is not None else None
    found = {}
    mode = enable_grad if create_graph else no_grad
    with mode():
        for tensor in reversed(order):
            grad = grads.pop(id(tensor), None)
            if grad is None:
                continue
            if wanted is not None and id(tensor) in wanted:
                found[id(tensor)] = grad
            node = tensor._node
            if node is None:
                if wanted is None and tensor.requires_grad:
                    _accumulate_leaf(tensor, grad, create_graph, handed_out)
                    hooks = tensor.__dict__.get("_post_accumulate_grad_hooks")
                    if hooks:
                        for hook in list(hooks.values()):
                            hook(tensor)
                continue
            if wanted is None and tensor._retains_grad:
                _accumulate_leaf(tensor, grad, create_graph, handed_out)
            ctx = node.ctx
            input_grads = node.function.backward(ctx, grad)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if len(input_grads) != len(ctx._inputs):
                raise RuntimeError(
                    f"{node.name} returned {len(input_grads)} gradients for {len(ctx._inputs)} inputs"
                )
            for parent, parent_grad in zip(ctx._inputs, input_grads):
                if parent_grad is not None and parent.requires_grad:
                    _accumulate(grads, parent, unbroadcast(parent_grad, parent.shape))
            if not retain_graph:
                node.ctx = None
    if inputs is not None:
        return tuple(found.get(id(t)) for t in inputs)
    return None


def _accumulate_leaf(tensor, grad, create_graph, handed_out):
    """Add ``grad`` into ``tensor.grad``.

    A fresh array that nobody else holds becomes ``.grad`` as it is; a view, a read-only
    broadcast, the caller's own seed gradient or an array already given to another leaf
    is copied first, so no two ``.grad`` share memory.
    """
    if not create_graph:
        grad = grad.detach()
    if grad.dtype != tensor.dtype:
        grad = grad.to(tensor.dtype)
    if tensor.grad is not None:
        tensor.grad = tensor.grad + grad
        return
    array = grad._array
    shared = id(array) in handed_out or getattr(array, "base", None) is not None
    if not create_graph and (shared or not array.flags.writeable):
        grad = grad.clone()
    handed_out.add(id(grad._array))
    tensor.grad = grad
