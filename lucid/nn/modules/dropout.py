"""Dropout layers: active in train mode, the identity in eval mode."""

from .. import functional as F
from ..module import Module


class _DropoutNd(Module):
    function = None

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = F._check_probability(type(self).__name__, p)
        self.inplace = inplace

    def forward(self, x):
        return type(self).function(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training, scaling the rest by 1/(1 - p).

    Parameters
    ----------
    p : float, optional
        Default 0.5.
    inplace : bool, optional
        Accepted for PyTorch compatibility; a new tensor is returned.

    Shape
    -----
    Any; the output has the input's shape.
    """

    function = staticmethod(F.dropout)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) input with probability ``p`` in training.

    Parameters
    ----------
    p : float, optional
    inplace : bool, optional
    """

    function = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` in training.

    Parameters
    ----------
    p : float, optional
    inplace : bool, optional
    """

    function = staticmethod(F.dropout2d)
