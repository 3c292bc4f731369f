"""Activation checkpointing: keep a block's input, not its activations, and recompute them in backward.

``checkpoint(block, x)`` runs ``block(x)`` and keeps only ``x`` and the output for backward;
the block's intermediate results are freed at once. When the gradient reaches the output,
the block runs again, this time recorded, and its gradients flow on to ``x`` and to every
tensor the block used (a Module's parameters, closed-over tensors). Memory for activations
drops from all blocks' to one block's at a time, for one extra forward per block.
"""

from ..autograd.engine import run_backward
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor


class _Recompute(Function):
    """Output given; backward reruns the block on the saved inputs and differentiates that run."""

    @staticmethod
    def forward(ctx, *arrays, output, block):
        ctx.block = block
        return output

    @staticmethod
    def backward(ctx, grad_out):
        block = ctx.block
        tensors = ctx.inputs  # raises if an input changed in place since the forward
        inputs = [t.detach().requires_grad_(t.requires_grad) for t in tensors[:block.n_args]]
        leaves = list(tensors[block.n_args:])
        with enable_grad():
            out = block.run(inputs)
        wanted = [t for t in inputs + leaves if t.requires_grad]
        grads = iter(run_backward([out], [grad_out], inputs=wanted) if wanted else ())
        return tuple(next(grads) if t.requires_grad else None for t in inputs + leaves)


class _Block:
    """The function, its non-tensor arguments and the random state to replay."""

    def __init__(self, function, args, kwargs, rng_state):
        self.function = function
        self.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.args = list(args)
        self.kwargs = kwargs
        self.n_args = len(self.positions)
        self.rng_state = rng_state

    def call(self, tensors):
        args = list(self.args)
        for position, tensor in zip(self.positions, tensors):
            args[position] = tensor
        return self.function(*args, **self.kwargs)

    def run(self, tensors):
        if self.rng_state is None:
            return self.call(tensors)
        now = get_rng_state()
        set_rng_state(self.rng_state)  # dropout masks come out as in the first run
        try:
            return self.call(tensors)
        finally:
            set_rng_state(now)


def _leaves(out):
    """The leaf tensors requiring grad that ``out``'s recorded graph reads, each once."""
    leaves, seen, stack = [], set(), [out._node]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for parent, parent_node in zip(node.ctx._inputs, node.ctx._input_nodes):
            if parent_node is not None:
                stack.append(parent_node)
            elif parent.requires_grad and id(parent) not in seen:
                seen.add(id(parent))
                leaves.append(parent)
    return leaves


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, **kwargs):
    """Run ``function(*args, **kwargs)`` without keeping its intermediate results for backward.

    The gradients equal those of the plain call. Only the tensor arguments (and the output)
    are kept; backward recomputes the rest.

    Parameters
    ----------
    function : callable
        Returns one Tensor. A Module, or any function of tensors.
    *args
        Its positional arguments; Tensors among them receive gradients.
    use_reentrant : bool, optional
        Accepted for PyTorch compatibility. Both settings behave like PyTorch's
        ``use_reentrant=False``: gradients reach every tensor ``function`` uses, even when no
        argument requires grad, and ``lucid.autograd.grad`` works through it.
    preserve_rng_state : bool, optional
        Replay the random generator's state in the recomputation, so random ops (dropout)
        draw the same values as in the forward.
    **kwargs
        Passed to ``function``.

    Returns
    -------
    Tensor

    Notes
    -----
    The forward runs recorded, once, to find which tensors the block reads; its graph is
    dropped as soon as the block returns, so at most one block's activations are alive at a
    time. Changing a saved input in place before backward raises, as for any saved tensor.

    Examples
    --------
    >>> import lucid, lucid.nn as nn
    >>> from lucid.utils.checkpoint import checkpoint
    >>> block = nn.Sequential(nn.Linear(4, 4), nn.Tanh())
    >>> y = checkpoint(block, lucid.randn(2, 4, requires_grad=True))
    >>> y.sum().backward()
    >>> block[0].weight.grad.shape
    (4, 4)
    """
    block = _Block(function, args, kwargs, get_rng_state() if preserve_rng_state else None)
    tensors = [args[i] for i in block.positions]
    if not is_grad_enabled():
        return block.call(tensors)
    inputs = [t.detach().requires_grad_(t.requires_grad) for t in tensors]
    out = block.call(inputs)  # recorded, so the tensors it reads can be found; freed on return
    if not isinstance(out, Tensor):
        raise TypeError(f"checkpoint: function must return one Tensor, got {type(out).__name__}")
    if not out.requires_grad:
        return out.detach()
    own = {id(t) for t in inputs}
    leaves = [t for t in _leaves(out) if id(t) not in own]
    return _Recompute.apply(*tensors, *leaves, output=out._array, block=block)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, preserve_rng_state=True):
    """Run the modules of ``functions`` in order, checkpointing all but the last of ``segments`` chunks.

    Parameters
    ----------
    functions : Sequential or list of callables
    segments : int
        How many chunks to cut the sequence into (the last one is run plainly).
    input : Tensor
    use_reentrant, preserve_rng_state
        As in ``checkpoint``.

    Returns
    -------
    Tensor
    """
    from ..nn.module import Module

    if isinstance(functions, Module):
        functions = list(functions.children())
    functions = list(functions)
    if isinstance(segments, bool) or not isinstance(segments, int) or not 1 <= segments:
        raise ValueError(f"checkpoint_sequential: segments must be a positive int, got {segments!r}")
    if segments > len(functions):
        raise ValueError(f"checkpoint_sequential: segments ({segments}) is more than the {len(functions)} functions")
    size = len(functions) // segments

    def run(chunk):
        def forward(x):
            for f in chunk:
                x = f(x)
            return x

        return forward

    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run(functions[start:end]), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve_rng_state)
    return run(functions[end:])(input)
