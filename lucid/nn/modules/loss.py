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
    r"""Mean squared error between ``input`` and ``target``.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Average over all elements, sum them, or return the elementwise loss.

    Shape
    -----
    - Input and target: the same shape
    - Output: a scalar, or the input's shape for ``'none'``

    Notes
    -----
    With ``'mean'``, over the :math:`n` elements:

    .. math::

        \ell = \frac{1}{n} \sum_i (x_i - y_i)^2

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> nn.MSELoss()(lucid.tensor([1.0, 2.0]), lucid.tensor([0.0, 0.0]))
    tensor(2.5)
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    r"""Mean absolute error between ``input`` and ``target``.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Average over all elements, sum them, or return the elementwise loss.

    Shape
    -----
    - Input and target: the same shape
    - Output: a scalar, or the input's shape for ``'none'``

    Notes
    -----
    With ``'mean'``, over the :math:`n` elements:

    .. math::

        \ell = \frac{1}{n} \sum_i |x_i - y_i|

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> nn.L1Loss(reduction="sum")(lucid.tensor([1.0, -2.0]), lucid.tensor([0.0, 0.0]))
    tensor(3.)
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)
