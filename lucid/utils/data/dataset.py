"""Map-style and iterable datasets, subsets, concatenation and ``random_split``."""

import bisect
import math
import numbers

from ...tensor import Tensor
from .sampler import _permutation


class Dataset:
    """A map-style dataset: ``dataset[i]`` is sample ``i``; subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} has no __getitem__()")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__``; the DataLoader batches what it yields."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} has no __iter__()")


class TensorDataset(Dataset):
    """Samples are rows: ``dataset[i]`` is ``tuple(t[i] for t in tensors)``.

    Parameters
    ----------
    *tensors : Tensor
        All with the same size of their first dimension.
    """

    def __init__(self, *tensors):
        for position, tensor in enumerate(tensors):
            if not isinstance(tensor, Tensor):
                raise TypeError(f"TensorDataset: argument {position} must be a Tensor, got {type(tensor).__name__}")
            if tensor.ndim == 0:
                raise ValueError(f"TensorDataset: argument {position} is 0-d; each tensor needs a first dimension")
        sizes = [tensor.shape[0] for tensor in tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: all tensors need the same first dimension, got sizes {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0] if self.tensors else 0


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """The samples of several map-style datasets, one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = []
        total = 0
        for dataset in self.datasets:
            total += len(dataset)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise IndexError(f"index {index} is out of range for a dataset of length {len(self)}")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"index {index} is out of range for a dataset of length {len(self)}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    Parameters
    ----------
    dataset : Dataset
    lengths : sequence of int or of float
        Sizes that sum to ``len(dataset)``, or fractions that sum to 1; the samples that
        rounding fractions down leaves over go one each to the subsets in turn.
    generator : numpy.random.Generator, optional
        Source of the permutation (default: lucid's global generator).

    Returns
    -------
    list of Subset
    """
    lengths = list(lengths)
    total = len(dataset)
    if lengths and all(isinstance(n, numbers.Real) and not isinstance(n, numbers.Integral) for n in lengths):
        if not math.isclose(sum(lengths), 1.0) or any(not 0 <= n <= 1 for n in lengths):
            raise ValueError(f"random_split: fractions must lie in [0, 1] and sum to 1, got {lengths}")
        sizes = [int(math.floor(total * n)) for n in lengths]
        for i in range(total - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if any(not isinstance(n, numbers.Integral) or n < 0 for n in lengths) or sum(lengths) != total:
        raise ValueError(f"random_split: lengths must be non-negative ints summing to the dataset's length {total} "
                         f"(or fractions summing to 1), got {lengths}")
    order = _permutation(total, generator).tolist()
    subsets, start = [], 0
    for n in lengths:
        subsets.append(Subset(dataset, order[start:start + n]))
        start += n
    return subsets
