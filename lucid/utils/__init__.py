"""Utilities beside the model code: data loading (``lucid.utils.data``), activation checkpointing
(``lucid.utils.checkpoint``)."""

from . import checkpoint, data
