"""DistributedSampler: one disjoint shard of the dataset per process."""

import math
import numbers

import numpy as np

from .sampler import Sampler


class DistributedSampler(Sampler):
    """The indices of this process's shard: every ``num_replicas``-th index, from ``rank`` on.

    The index list is ``range(len(dataset))``, or (``shuffle``) a permutation seeded by
    ``seed + epoch``, identical on every rank; it is padded by repeating its head to a
    multiple of ``num_replicas`` (or, ``drop_last``, cut down to one), then rank ``r`` takes
    positions ``r, r + num_replicas, ...``. So the shards are disjoint, equally long, and
    together cover the dataset; the layout is PyTorch's (the shuffled order itself comes from
    NumPy's generator, not torch's).

    Parameters
    ----------
    dataset : sized
    num_replicas : int, optional
        Number of processes (default ``lucid.distributed.get_world_size()``).
    rank : int, optional
        This process's shard (default ``lucid.distributed.get_rank()``).
    shuffle : bool, optional
    seed : int, optional
        Must be the same on every rank.
    drop_last : bool, optional
        Drop the tail instead of padding.

    Notes
    -----
    Call ``set_epoch(epoch)`` before each epoch when shuffling; otherwise every epoch uses
    the same order.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed

            if not distributed.is_initialized():
                raise ValueError("DistributedSampler: the default process group has not been initialized; call "
                                 "lucid.distributed.init_process_group() first, or pass num_replicas and rank")
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        for name, value in (("num_replicas", num_replicas), ("rank", rank), ("seed", seed)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"DistributedSampler: {name} must be an int, got {type(value).__name__}")
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be at least 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            indices = np.arange(n)
        if self.drop_last:
            indices = indices[:self.total_size]
        elif self.total_size > n:
            indices = np.resize(indices, self.total_size)  # repeats the list from its start
        return iter(indices[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Make the next pass's shuffle depend on ``epoch`` (same on every rank)."""
        self.epoch = int(epoch)
