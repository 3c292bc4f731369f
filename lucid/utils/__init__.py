"""Utilities beside the model code: data loading (``lucid.utils.data``)."""

from . import data
