"""Reverse-mode traversal of the recorded graph."""

import itertools
import threading

from .function import Node
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


def _vertex(tensor, node):
    """Where a gradient for ``tensor`` flows: the node that made it when it was used, else the tensor itself
    (a leaf that requires grad; None when there is nowhere to go)."""
    if node is not None:
        return node
    return tensor if tensor._node is None and tensor.requires_grad else None


def _parents(node):
    ctx = node.ctx
    if ctx is None:
        raise RuntimeError(
            "Trying to backward through the graph a second time; "
            "pass retain_graph=True to the first backward if you need to"
        )
    return zip(ctx._inputs, ctx._input_nodes)


def _topological_order(roots):
    """Vertices (nodes and leaf tensors) reachable from ``roots``, every vertex after all of its inputs.

    A vertex is a Node, not a tensor, so a tensor changed by an in-place op (which took a new node)
    still sends the gradients of the ops that used its old value into its old history. The input
    tensors met on the way are returned too: holding them keeps each node's output (a weak
    reference that backwards such as tanh's read) alive while consumers free their contexts.
    """
    order, tensors, seen, stack = [], [], set(), [(root, False) for root in reversed(roots)]
    while stack:
        vertex, expanded = stack.pop()
        if expanded:
            order.append(vertex)
            continue
        if id(vertex) in seen:
            continue
        seen.add(id(vertex))
        stack.append((vertex, True))
        if isinstance(vertex, Node):
            for parent, node in _parents(vertex):
                tensors.append(parent)
                parent_vertex = _vertex(parent, node)
                if parent_vertex is not None and id(parent_vertex) not in seen:
                    stack.append((parent_vertex, False))
    return order, tensors


def _accumulate(grads, vertex, grad):
    key = id(vertex)
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
    root_vertices = [_vertex(root, root._node) for root in roots]
    order, _alive = _topological_order([v for v in root_vertices if v is not None])
    grads = {}
    handed_out = {id(grad._array) for grad in root_grads}
    for vertex, grad in zip(root_vertices, root_grads):
        if vertex is not None:
            _accumulate(grads, vertex, grad)
    wanted = None if inputs is None else {id(_vertex(t, t._node)): i for i, t in enumerate(inputs)}
    found = {}
    mode = enable_grad if create_graph else no_grad
    with mode():
        for vertex in reversed(order):
            grad = grads.pop(id(vertex), None)
            if grad is None:
                continue
            if wanted is not None and id(vertex) in wanted:
                found[wanted[id(vertex)]] = grad
            if not isinstance(vertex, Node):
                if wanted is None:
                    _accumulate_leaf(vertex, grad, create_graph, handed_out)
                    hooks = vertex.__dict__.get("_post_accumulate_grad_hooks")
                    if hooks:
                        for hook in list(hooks.values()):
                            hook(vertex)
                continue
            node, ctx = vertex, vertex.ctx
            made = ctx._output() if ctx._output is not None else None
            if wanted is None and made is not None and made._node is node and made._retains_grad:
                _accumulate_leaf(made, grad, create_graph, handed_out)
            input_grads = node.function.backward(ctx, grad)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if len(input_grads) != len(ctx._inputs):
                raise RuntimeError(
                    f"{node.name} returned {len(input_grads)} gradients for {len(ctx._inputs)} inputs"
                )
            for (parent, parent_node), parent_grad in zip(_parents(node), input_grads):
                parent_vertex = _vertex(parent, parent_node)
                if parent_grad is not None and parent_vertex is not None:
                    _accumulate(grads, parent_vertex, unbroadcast(parent_grad, parent.shape))
            if not retain_graph:
                node.ctx = None
    if inputs is not None:
        return tuple(found.get(i) for i in range(len(inputs)))
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
