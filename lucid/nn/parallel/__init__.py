"""Data-parallel training across processes (``lucid.distributed``)."""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
