"""DataLoader and the default collate: samples in, batches of lucid Tensors out."""

import collections.abc
import numbers

import numpy as np

from ...creation import from_numpy
from ...functions import stack
from ...tensor import Tensor
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, _positive_int, _rng

_COLLATE_TYPES = "tensors, numpy arrays, numbers, dicts or lists"


def _is_namedtuple(value):
    return isinstance(value, tuple) and hasattr(value, "_fields")


def default_convert(data):
    """NumPy arrays (and NumPy scalars) in ``data`` become Tensors; containers are walked, the rest kept.

    What the DataLoader applies to each sample when automatic batching is off
    (``batch_size=None``).
    """
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSUV":
        return from_numpy(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "OSUV":
        return from_numpy(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, tuple):
        return [default_convert(value) for value in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(value) for value in data]
    return data


def default_collate(batch):
    """Stack a list of samples into one batch, as PyTorch's ``default_collate`` does.

    Tensors and NumPy arrays are stacked along a new first dimension; Python floats become a
    float64 Tensor, ints an int64 Tensor, bools a bool Tensor; strings stay as they are; dicts,
    named tuples, tuples and lists are collated field by field (tuples and lists come back
    as lists).

    Parameters
    ----------
    batch : list
        Samples of one structure.

    Returns
    -------
    Tensor, or a dict/list/named tuple of them
    """
    first = batch[0]
    if isinstance(first, Tensor):
        shapes = {sample.shape for sample in batch}
        if len(shapes) > 1:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, got shapes "
                               f"{sorted(shapes)}")
        if any(sample.requires_grad for sample in batch):
            return stack(batch)
        return from_numpy(np.stack([sample._array for sample in batch]))
    if isinstance(first, (np.ndarray, np.generic)):
        if first.dtype.kind in "OSUV":
            raise TypeError(f"default_collate: batch must contain {_COLLATE_TYPES}; found a NumPy array of "
                            f"dtype {first.dtype}")
        shapes = {np.shape(sample) for sample in batch}
        if len(shapes) > 1:
            raise RuntimeError(f"default_collate: stack expects each array to be equal size, got shapes "
                               f"{sorted(shapes)}")
        return from_numpy(np.stack([np.asarray(sample) for sample in batch]))
    if isinstance(first, bool):
        return from_numpy(np.array(batch, dtype=np.bool_))
    if isinstance(first, numbers.Integral):
        return from_numpy(np.array(batch, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return from_numpy(np.array(batch, dtype=np.float64))
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, collections.abc.Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, collections.abc.Sequence):
        if len({len(sample) for sample in batch}) > 1:
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(samples) for samples in zip(*batch)]
        return type(first)(*fields) if _is_namedtuple(first) else fields
    raise TypeError(f"default_collate: batch must contain {_COLLATE_TYPES}; found {type(first)}")


class DataLoader:
    """Iterate over a dataset in batches, with PyTorch's arguments and semantics.

    Parameters
    ----------
    dataset : Dataset or IterableDataset
    batch_size : int or None, optional
        Samples per batch (default 1); None turns automatic batching off: each sample goes
        through ``default_convert`` alone.
    shuffle : bool, optional
        Visit the samples in a new random order every epoch (a ``RandomSampler``).
    sampler : Sampler or iterable, optional
        The index order, e.g. a ``DistributedSampler``; excludes ``shuffle``.
    batch_sampler : Sampler or iterable of lists, optional
        Yields whole batches of indices; excludes ``batch_size``, ``shuffle``, ``sampler`` and
        ``drop_last``.
    num_workers : int, optional
        Accepted for PyTorch code; lucid loads every batch in the calling process.
    collate_fn : callable, optional
        Turns a list of samples into a batch (default ``default_collate``).
    pin_memory : bool, optional
        Accepted and ignored (there is no device memory to pin on the CPU).
    drop_last : bool, optional
        Drop the last batch when it is shorter than ``batch_size``.
    timeout, worker_init_fn, multiprocessing_context, prefetch_factor, persistent_workers : optional
        Accepted for PyTorch code; they only concern worker processes.
    generator : numpy.random.Generator, optional
        Drives ``shuffle``; successive epochs differ, and repeat run to run.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False):
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError(f"num_workers option should be a non-negative int, got {num_workers!r}")
        if generator is not None:
            _rng(generator, "DataLoader: generator")
        iterable = isinstance(dataset, IterableDataset)
        if iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle, sampler and "
                             f"batch_sampler, got shuffle={shuffle!r}, sampler={sampler!r}, "
                             f"batch_sampler={batch_sampler!r}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                                 "drop_last")
        else:
            batch_size = _positive_int(batch_size, "batch_size", "DataLoader")
        if sampler is None and not iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.generator = generator
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self._auto_collation = batch_sampler is not None or (iterable and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __iter__(self):
        dataset, collate = self.dataset, self.collate_fn
        if isinstance(dataset, IterableDataset):
            if self.batch_size is None:
                for sample in dataset:
                    yield collate(sample)
                return
            batch = []
            for sample in dataset:
                batch.append(sample)
                if len(batch) == self.batch_size:
                    yield collate(batch)
                    batch = []
            if batch and not self.drop_last:
                yield collate(batch)
            return
        if self.batch_sampler is not None:
            for indices in self.batch_sampler:
                yield collate([dataset[i] for i in indices])
            return
        for index in self.sampler:
            yield collate(dataset[index])

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

