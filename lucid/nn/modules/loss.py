"""Loss layers: MSELoss and L1Loss."""

from .. import functional as F
from ..module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, optional
        Average over all elements (default), sum them, or return the elementwise loss.

    Shape
    -----
    input and target: the same shape; output: a scalar, or the input's shape for ``'none'``.
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error (see MSELoss for ``reduction`` and shapes)."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)
