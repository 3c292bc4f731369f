"""Datasets, samplers and the DataLoader, with PyTorch's names and semantics.

Shuffling takes a ``numpy.random.Generator`` as its ``generator`` (lucid has no generator
class of its own); without one it draws from lucid's global generator, so
``lucid.manual_seed`` makes it repeat.
"""

from .dataloader import DataLoader, default_collate, default_convert
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .distributed import DistributedSampler
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler", "IterableDataset",
           "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
           "default_collate", "default_convert", "random_split"]
