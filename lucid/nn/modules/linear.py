"""Fully connected layers: Identity and Linear."""

import math

from .. import functional as F
from .. import init
from ...tensor import Tensor
from .._checks import parameter_options, positive_int
from ..module import Module
from .lazy import LazyModuleMixin, checkpoint_dtype, checkpoint_shape


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored (as in PyTorch).

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> x = lucid.randn(2, 3)
    >>> nn.Identity(54, unused="argument")(x) is x
    True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    r"""Affine map of the last dim: ``y = x @ weight.T + bias``.

    Parameters
    ----------
    in_features : int
        Size of the input's last dim.
    out_features : int
        Size of the output's last dim.
    bias : bool, default True
        Add a learnable bias of shape ``(out_features,)``.
    device : str or Device, optional
        Where to allocate the parameters (default cpu).
    dtype : DType, optional
        Floating dtype of the parameters (default float32).

    Attributes
    ----------
    weight : Parameter
        Shape ``(out_features, in_features)``.
    bias : Parameter or None
        Shape ``(out_features,)``; None when ``bias=False``.

    Shape
    -----
    - Input: ``(*, in_features)``, any number of leading dims
    - Output: ``(*, out_features)``

    Notes
    -----
    .. math::

        y = x W^{\top} + b

    Initialisation matches PyTorch: kaiming-uniform (a = √5), i.e. uniform in
    :math:`\pm 1/\sqrt{\text{in\_features}}`, and the bias uniform in the same range.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> layer = nn.Linear(4, 3)
    >>> layer.weight.shape
    (3, 4)
    >>> layer(lucid.randn(2, 5, 4)).shape
    (2, 5, 3)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.out_features = positive_int("out_features", out_features)
        device = parameter_options(bias, dtype, device)
        self.in_features = self._check_in_features(in_features)
        self._init_weight_and_bias(self._weight_shape(), (self.out_features,), bias, dtype, device)

    def _check_in_features(self, in_features):
        return positive_int("in_features", in_features)

    def _weight_shape(self):
        return (self.out_features, self.in_features)

    def _parameter_shapes(self):
        return {"weight": self._weight_shape(), "bias": (self.out_features,)}

    def reset_parameters(self):
        """Kaiming-uniform(a=√5) weight, bias uniform in ±1/√fan_in, as PyTorch initialises Linear."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        has_bias = self._parameters.get("bias") is not None  # a lazy bias reads None before materialization
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={has_bias}"


class _LazyLinearMixin(LazyModuleMixin):
    """The linear family's lazy step: in_features comes from the input's last axis."""

    def _check_in_features(self, in_features):
        if in_features is not None:
            raise TypeError(f"{type(self).__name__} infers in_features; do not pass it (got {in_features!r})")
        return None

    def initialize_parameters(self, x, *args, **kwargs):
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
        if x.ndim < 1:
            raise ValueError(f"{name}: input must have at least 1 dim (*, in_features), got shape {x.shape}")
        if not x.is_floating_point():
            raise TypeError(f"{name}: input must be floating point, got dtype {x.dtype}")
        self._materialize_features(x.shape[-1], x.dtype, x.device)

    def _infer_from_state_dict(self, state_dict, prefix):
        shape = checkpoint_shape(state_dict, prefix + "weight")
        if shape is None:
            return  # reported as a missing key
        if len(shape) != 2:
            raise ValueError(f"weight must be 2-D (out_features, in_features), got shape {shape}")
        self._materialize_features(shape[1], checkpoint_dtype(state_dict, prefix + "weight"), None)

    def _materialize_features(self, in_features, dtype, device):
        self.in_features = Linear._check_in_features(self, in_features)
        self._materialize(self._parameter_shapes(), dtype=dtype, device=device)


class LazyLinear(_LazyLinearMixin, Linear):
    """A :class:`Linear` that infers ``in_features`` from the first input's last dim.

    Before the first forward, ``in_features``, ``weight`` and ``bias`` read ``None`` (the
    placeholders are already in ``parameters()``); the first forward, or loading a state_dict
    with a 2-D ``weight``, materializes them in place and initialises exactly as Linear.

    Parameters
    ----------
    out_features : int
        Size of the output's last dim.
    bias : bool, default True
        Add a learnable bias of shape ``(out_features,)``.
    device : str or Device, optional
        Where to allocate the parameters; None follows the first input.
    dtype : DType, optional
        Floating dtype of the parameters; None follows the first input.

    Attributes
    ----------
    weight : Parameter or None
        None before materialization; then ``(out_features, in_features)``.
    bias : Parameter or None
        None before materialization; ``(out_features,)`` if ``bias=True``.
    in_features : int or None
        None before the first forward (or ``load_state_dict``).

    Shape
    -----
    - Input: ``(*, in_features)``
    - Output: ``(*, out_features)``

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> layer = nn.LazyLinear(3)
    >>> print(layer.in_features)
    None
    >>> layer(lucid.randn(2, 7)).shape
    (2, 3)
    >>> layer.weight.shape
    (3, 7)
    """

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(None, out_features, bias, device, dtype)
