"""Activation layers: thin modules over the functional forms."""

from .. import functional as F
from ..module import Module


class ReLU(Module):
    """max(x, 0) elementwise; ``inplace`` is accepted for PyTorch compatibility (a new tensor is returned)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope``·x otherwise.

    Parameters
    ----------
    negative_slope : float, optional
        Default 0.01.
    inplace : bool, optional
        Accepted for PyTorch compatibility; a new tensor is returned.
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
            raise TypeError(f"negative_slope must be a number, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)
        self.inplace = inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """tanh elementwise."""

    def forward(self, x):
        return F.tanh(x)


class GELU(Module):
    """Gaussian error linear unit x·Φ(x).

    Parameters
    ----------
    approximate : {'none', 'tanh'}, optional
        ``'none'`` (default) uses the exact erf; ``'tanh'`` the tanh approximation.
    """

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"
