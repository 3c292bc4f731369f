"""Loss layers: regression (MSE, L1, smooth L1, Huber) and classification (NLL, cross entropy, BCE)."""

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


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight``, kept as a buffer (so it is in the state_dict, as in PyTorch)."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities (see ``F.nll_loss``).

    Parameters
    ----------
    weight : Tensor, shape (C,), optional
    ignore_index : int, optional
        Default -100.
    reduction : {'mean', 'sum', 'none'}, optional

    Shape
    -----
    input ``(N, C, *)``, target ``(N, *)`` of int; output a scalar, or ``(N, *)`` for ``'none'``.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits against class indices or class probabilities (see ``F.cross_entropy``).

    Parameters
    ----------
    weight : Tensor, shape (C,), optional
    ignore_index : int, optional
        Default -100.
    reduction : {'mean', 'sum', 'none'}, optional
    label_smoothing : float, optional
        Default 0.

    Shape
    -----
    input ``(N, C, *)``; target ``(N, *)`` of int or the input's shape; output a scalar, or per sample.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities (see ``F.binary_cross_entropy``).

    Parameters
    ----------
    weight : Tensor, optional
        Broadcast over the elementwise loss.
    reduction : {'mean', 'sum', 'none'}, optional
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, reduction)

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross entropy of ``sigmoid(input)``, computed stably from logits.

    Parameters
    ----------
    weight : Tensor, optional
    reduction : {'mean', 'sum', 'none'}, optional
    pos_weight : Tensor, optional
        Weight of the positive term (a buffer, as in PyTorch).
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class SmoothL1Loss(_Loss):
    """Squared error below ``beta``, absolute error above (see ``F.smooth_l1_loss``).

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, optional
    beta : float, optional
        Default 1.0.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Squared error below ``delta``, ``delta``-scaled absolute error above (see ``F.huber_loss``).

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, optional
    delta : float, optional
        Default 1.0.
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)
