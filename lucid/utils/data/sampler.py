"""Samplers: which sample indices a DataLoader visits, in which order, in which batches."""

import numbers

import numpy as np

from ... import random as _random


def _rng(generator, where="generator"):
    """``generator`` itself, or (None) a fresh one seeded from lucid's global generator."""
    if generator is None:
        return np.random.default_rng(int(_random.generator().integers(2**63)))
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{where} must be a numpy.random.Generator or None, got {type(generator).__name__}")
    return generator


def _permutation(n, generator):
    return _rng(generator).permutation(n)


def _positive_int(value, name, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{where}: {name} should be a positive integer value, but got {name}={value!r}")
    return int(value)


class Sampler:
    """Base class: an iterable of sample indices (or, for a batch sampler, of lists of them)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} has no __iter__()")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a permutation, or ``num_samples`` draws with replacement.

    Parameters
    ----------
    data_source : sized
    replacement : bool, optional
        Draw independently (indices may repeat) instead of permuting.
    num_samples : int, optional
        How many indices one pass yields (default ``len(data_source)``); without replacement,
        more than that chains fresh permutations.
    generator : numpy.random.Generator, optional
        Advanced by every pass, so successive epochs differ yet repeat run to run. Without
        one, each pass seeds a fresh generator from lucid's global generator.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a bool, got {type(replacement).__name__}")
        if num_samples is not None:
            _positive_int(num_samples, "num_samples", "RandomSampler")
        if generator is not None:
            _rng(generator)  # check its type now, not on the first pass
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, count = len(self.data_source), self.num_samples
        rng = _rng(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, size=count).tolist()
            return
        for _ in range(count // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:count % n].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in random order."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size``.

    Parameters
    ----------
    sampler : Sampler or iterable
    batch_size : int
    drop_last : bool
        Drop the last, shorter batch instead of yielding it.
    """

    def __init__(self, sampler, batch_size, drop_last):
        _positive_int(batch_size, "batch_size", "BatchSampler")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)
