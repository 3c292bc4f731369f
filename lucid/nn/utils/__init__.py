"""Model utilities: weight and spectral normalization, parametrizations, gradient clipping, shape-only runs."""

from . import parametrizations, parametrize, rnn  # submodules, as in torch.nn.utils; the docs give each its own namespace page
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from ._shape_only import ModelSummary, SummaryRow, materialize, summary
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["ModelSummary", "SummaryRow", "clip_grad_norm_", "clip_grad_value_", "materialize",
           "parameters_to_vector", "vector_to_parameters", "remove_spectral_norm",
           "remove_weight_norm", "spectral_norm", "summary", "weight_norm",
           "parametrizations", "parametrize", "rnn"]
