"""Embedding: a lookup table of learned rows."""

from ...tensor import Tensor
from .. import functional as F
from .. import init
from .._checks import parameter_options, positive_int
from ..module import Module
from ..parameter import Parameter


class Embedding(Module):
    """A table of ``num_embeddings`` learned vectors of size ``embedding_dim``, looked up by index.

    Parameters
    ----------
    num_embeddings : int
    embedding_dim : int
    padding_idx : int, optional
        This row starts at zero and gets no gradient.
    max_norm : float, optional
        Looked-up rows with a larger ``norm_type``-norm are rescaled in place.
    norm_type : float, optional
        Default 2.
    scale_grad_by_freq, sparse : bool, optional
        Accepted for PyTorch compatibility; only False is supported.

    Shape
    -----
    Input: integers of any shape ``(*)``; output ``(*, embedding_dim)``.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = positive_int("num_embeddings", num_embeddings)
        self.embedding_dim = positive_int("embedding_dim", embedding_dim)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx must be within num_embeddings={num_embeddings}, got {padding_idx}")
            padding_idx %= num_embeddings
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        device = parameter_options(True, dtype, device)
        if _weight is None:
            self.weight = self._new_parameter((num_embeddings, embedding_dim), dtype, device)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"_weight must have shape ({num_embeddings}, {embedding_dim}), got {_weight.shape}")
            self.weight = Parameter(_weight if isinstance(_weight, Tensor) else Tensor(_weight),
                                    requires_grad=not _freeze)

    def reset_parameters(self):
        """Standard normal rows; the padding row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, x):
        return F.embedding(x, self.weight, self.padding_idx, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                           self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose rows are ``embeddings`` (2-D); ``freeze`` stops them from training."""
        embeddings = embeddings if isinstance(embeddings, Tensor) else Tensor(embeddings)
        if embeddings.ndim != 2:
            raise ValueError(f"embeddings must be 2-D (num_embeddings, embedding_dim), got shape {embeddings.shape}")
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _weight=embeddings,
                   _freeze=freeze)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
