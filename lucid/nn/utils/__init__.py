"""Model utilities: weight and spectral normalization, parametrizations, gradient clipping, shape-only runs."""

from . import parametrizations, parametrize
from ._shape_only import ModelSummary, SummaryRow, materialize, summary
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["ModelSummary", "SummaryRow", "materialize", "parametrizations", "parametrize", "remove_spectral_norm",
           "remove_weight_norm", "spectral_norm", "summary", "weight_norm"]
