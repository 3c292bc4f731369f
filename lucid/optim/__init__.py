"""Optimizers: SGD, Adam, AdamW on a shared Optimizer base."""

from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Adam", "AdamW", "Optimizer", "SGD"]
