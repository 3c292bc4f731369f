"""DistributedDataParallel: one model replica per process, gradients averaged in buckets."""

import contextlib
import numbers

import numpy as np

from ...autograd.engine import queue_callback, register_post_accumulate_grad_hook
from ...autograd.grad_mode import is_grad_enabled
from ...distributed import core as _dist
from ...tensor import Tensor
from ..module import Module
from ..parameter import UninitializedParameter


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer and one allreduce.

    The buffer holds every gradient, then one "had a gradient" flag per parameter: after the
    sum, a parameter that no rank touched keeps ``grad=None``; one that some ranks touched
    gets the average over all ranks (the others count as zero), as PyTorch's DDP does.
    """

    def __init__(self, params):
        self.params = params
        self.offsets = np.cumsum([0] + [p.numel() for p in params]).tolist()
        total = self.offsets[-1]
        self.flat = np.empty(total + len(params), dtype=params[0]._array.dtype)
        self.grads = self.flat[:total]
        self.flags = self.flat[total:]

    def pack(self):
        for j, param in enumerate(self.params):
            start, stop = self.offsets[j], self.offsets[j + 1]
            if param.grad is None:
                self.grads[start:stop] = 0
                self.flags[j] = 0
            else:
                self.grads[start:stop] = param.grad._array.reshape(-1)
                self.flags[j] = 1

    def unpack(self, world_size):
        np.divide(self.grads, world_size, out=self.grads)
        for j, param in enumerate(self.params):
            if self.flags[j] == 0:
                continue
            average = self.grads[self.offsets[j]:self.offsets[j + 1]].reshape(param.shape)
            if param.grad is None:
                param.grad = Tensor._from_array(average.copy(), param.device)
            else:
                param.grad._array[...] = average
                param.grad._bump_version()


def _buckets(tensors, cap_bytes):
    """Split ``tensors`` (in order) into runs of one dtype of about ``cap_bytes`` each."""
    buckets, current, size = [], [], 0
    for tensor in tensors:
        nbytes = tensor._array.nbytes
        if current and (tensor._array.dtype != current[0]._array.dtype or size + nbytes > cap_bytes):
            buckets.append(current)
            current, size = [], 0
        current.append(tensor)
        size += nbytes
    if current:
        buckets.append(current)
    return buckets


def _broadcast_coalesced(world, tensors, cap_bytes, src=0):
    """Give every rank rank ``src``'s values of ``tensors``, one ``Bcast`` per bucket, in place."""
    for bucket in _buckets(tensors, cap_bytes):
        flat = np.concatenate([t._array.reshape(-1) for t in bucket])
        world.comm.Bcast(flat, root=src)
        if world.rank == src:
            continue
        start = 0
        for t in bucket:
            value = flat[start:start + t.numel()].reshape(t.shape)
            if t._array.flags.writeable:
                t._array[...] = value
                t._bump_version()
            else:
                t.data = value.copy()
            start += t.numel()


def _examples(example):
    """``example`` as a tuple of per-input examples (a single shape or Tensor stands for one input)."""
    if isinstance(example, Tensor):
        return (example,)
    if isinstance(example, (tuple, list)) and all(isinstance(s, numbers.Integral) for s in example):
        return (tuple(example),)
    if isinstance(example, (tuple, list)):
        return tuple(example)
    raise TypeError(f"DistributedDataParallel: example must be an input shape, a Tensor, or a tuple of them "
                    f"(one per forward input), got {type(example).__name__}")


def _check_same_layout(world, module):
    """Raise on every rank, naming them, when the ranks' parameters or buffers differ in name or shape."""
    local = [(name, tuple(t.shape), str(t.dtype)) for name, t in
             list(module.named_parameters()) + list(module.named_buffers())]
    layouts = [None] * world.size
    _dist.all_gather_object(layouts, local)
    reference = {name: (shape, dtype) for name, shape, dtype in layouts[0]}
    problems = []
    for rank in range(1, world.size):
        mine = {name: (shape, dtype) for name, shape, dtype in layouts[rank]}
        for name in reference.keys() - mine.keys():
            problems.append(f"{name}: on rank 0 but missing on rank {rank}")
        for name in mine.keys() - reference.keys():
            problems.append(f"{name}: on rank {rank} but not on rank 0")
        for name in reference.keys() & mine.keys():
            if mine[name] != reference[name]:
                problems.append(f"{name}: rank 0 has shape {reference[name][0]} {reference[name][1]}, rank {rank} "
                                f"has {mine[name][0]} {mine[name][1]}")
    if problems:
        raise RuntimeError("DistributedDataParallel: the ranks' models differ:\n  " + "\n  ".join(sorted(problems)))


class DistributedDataParallel(Module):
    """Data-parallel training: each process runs ``module`` on its share of the batch.

    At construction rank 0's parameters and buffers are copied to every rank. After each
    backward pass through a forward of this wrapper, every parameter's ``.grad`` holds the
    average of the ranks' gradients, so one optimizer step per rank keeps the replicas equal.
    Gradients travel in buckets of about ``bucket_cap_mb``: one flat buffer and one allreduce
    per bucket, last layers first (their gradients are ready first).

    Parameters
    ----------
    module : Module
        Same architecture on every rank.
    device_ids, output_device : None
        For PyTorch code; lucid replicas run on the CPU, so these must stay None.
    dim : int, optional
        Accepted for PyTorch code (the batch is split by the user, e.g. a ``DistributedSampler``).
    broadcast_buffers : bool, optional
        Copy rank 0's buffers (e.g. running statistics) to every rank at each forward.
    process_group : None
    bucket_cap_mb : float, optional
        Bucket size in MiB (default 25).
    find_unused_parameters : bool, optional
        Accepted for PyTorch code: parameters without a gradient are always handled.
    example : tuple of int, Tensor, or a tuple of them, optional
        Input shape(s) that materialize a module with lazy layers on every rank (through
        ``lucid.nn.utils.materialize``) before rank 0's weights are broadcast; PyTorch has no
        such argument and refuses lazy modules.

    Notes
    -----
    The ranks' parameter names and shapes are compared at construction; a difference raises a
    RuntimeError naming the parameters, on every rank. ``state_dict`` keys carry the
    ``module.`` prefix, as PyTorch's do; save ``ddp.module.state_dict()`` for a plain model.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=25, find_unused_parameters=False, *, example=None):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a lucid Module, got {type(module).__name__}")
        if device_ids is not None or output_device is not None:
            raise ValueError("DistributedDataParallel: lucid replicas run on the CPU; device_ids and output_device "
                             f"must be None, got device_ids={device_ids!r}, output_device={output_device!r}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, numbers.Real) or bucket_cap_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
        world = _dist._current(process_group)
        if example is not None:
            from ..utils import materialize

            materialize(module, *_examples(example))
        lazy = [name for name, p in module.named_parameters() if isinstance(p, UninitializedParameter)]
        if lazy:
            raise RuntimeError(f"DistributedDataParallel: parameters {lazy} are still lazy; pass example=<input "
                               "shape> or run one forward pass before wrapping the module")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.bucket_cap_mb = bucket_cap_mb
        self.dim = dim
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self._world = world
        self._cap_bytes = int(bucket_cap_mb * 1024 * 1024)
        self._sync_pending = False
        self._finishing_queued = False
        if world.size > 1:
            _check_same_layout(world, module)
            _broadcast_coalesced(world, list(module.parameters()) + list(module.buffers()), self._cap_bytes)
        trainable = [p for p in module.parameters() if p.requires_grad]
        self._buckets = [_Bucket(params) for params in _buckets(list(reversed(trainable)), self._cap_bytes)]
        # The first gradient of a backward pass queues the averaging for the end of that pass.
        # (Starting each bucket's allreduce as soon as its gradients were ready, non-blocking,
        # did not pay on two cores: docs/benchmarks.md.)
        self._hook_handles = [register_post_accumulate_grad_hook(p, self._on_grad_ready) for p in trainable]

    def forward(self, *inputs, **kwargs):
        world = self._world
        if world.size > 1 and self.broadcast_buffers:
            buffers = list(self.module.buffers())
            if buffers:
                _broadcast_coalesced(world, buffers, self._cap_bytes)
        self._sync_pending = world.size > 1 and self.require_backward_grad_sync and is_grad_enabled()
        self._finishing_queued = False
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside this context, backward passes only accumulate local gradients (no communication).

        The first backward of a forward run outside it averages the accumulated sums.
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def _on_grad_ready(self, param):
        if self._sync_pending and not self._finishing_queued:
            queue_callback(self._average_gradients)
            self._finishing_queued = True

    def _average_gradients(self):
        """One allreduce per bucket, in the same order on every rank; then ``.grad`` = sum / world size."""
        world = self._world
        for bucket in self._buckets:
            bucket.pack()
            world.comm.Allreduce(world.mpi.IN_PLACE, bucket.flat, world.mpi.SUM)
            bucket.unpack(world.size)
        self._sync_pending = False
        self._finishing_queued = False

    def extra_repr(self):
        return f"bucket_cap_mb={self.bucket_cap_mb}, broadcast_buffers={self.broadcast_buffers}"
