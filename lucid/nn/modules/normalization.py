"""Normalization layers: BatchNorm and InstanceNorm (running statistics as PyTorch keeps them), LayerNorm, GroupNorm."""

import numbers

from ...creation import ones, tensor, zeros
from ...tensor import Tensor
from .. import functional as F
from .._checks import parameter_options, positive_int
from ..module import Module


def _register_affine(module, shape, weight, bias, dtype, device):
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None slots for those not learned."""
    module.register_parameter("weight", module._new_parameter(shape, dtype, device) if weight else None)
    module.register_parameter("bias", module._new_parameter(shape, dtype, device) if weight and bias else None)
    _reset_affine(module)


def _reset_affine(module):
    if module.weight is not None:
        module.weight.data.fill_(1)
    if module.bias is not None:
        module.bias.data.zero_()


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d; ``input_dims`` are the ranks the subclass accepts."""

    input_dims = (2, 3)

    def __init__(self, num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None):
        super().__init__()
        self.num_features = positive_int("num_features", num_features)
        self.eps = F._number(type(self).__name__, "eps", eps)
        self.momentum = None if momentum is None else F._number(type(self).__name__, "momentum", momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        device = parameter_options(True, dtype, device)
        _register_affine(self, (num_features,), self.affine, True, dtype, device)
        if self.track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", tensor(0, dtype="int64", device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Running statistics to (0, 1, 0); weight ones, bias zeros."""
        self.reset_running_stats()
        _reset_affine(self)

    def _check_rank(self, x):
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
        if x.ndim not in self.input_dims:
            ranks = " or ".join(f"{d}-D" for d in self.input_dims)
            raise ValueError(f"{name}: expected {ranks} input, got {x.ndim}-D input of shape {x.shape}")

    def _check_input(self, x):
        name = type(self).__name__
        self._check_rank(x)
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected input with num_features={self.num_features} channels (dim 1), "
                             f"got {x.shape[1]} channels in shape {x.shape}")
        if self.training and x.numel() // x.shape[1] <= 1:
            raise ValueError(f"{name}: expected more than 1 value per channel when training, "
                             f"got input of shape {x.shape}")

    def forward(self, x):
        self._check_input(x)  # before any running statistic changes
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / self.num_batches_tracked.item()
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if keep else None, self.running_var if keep else None,
                            self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L) input, one mean and variance per channel.

    Parameters
    ----------
    num_features : int
        C.
    eps : float, optional
        Added to the variance, default 1e-5.
    momentum : float or None, optional
        Weight of the new batch in the running statistics (default 0.1); None keeps a
        cumulative average over all batches seen.
    affine : bool, optional
        Learn a per-channel ``weight`` and ``bias`` (default True).
    track_running_stats : bool, optional
        Keep ``running_mean``, ``running_var`` and ``num_batches_tracked`` buffers (default
        True) and use them in eval mode; without them batch statistics are always used.

    Shape
    -----
    Input ``(N, C)`` or ``(N, C, L)``; output the same shape.

    Notes
    -----
    Training normalizes with the batch's biased variance but feeds the unbiased one,
    ``var·n/(n-1)``, into ``running_var``, as PyTorch does.
    """


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W) input, one mean and variance per channel.

    Parameters
    ----------
    num_features : int
    eps : float, optional
    momentum : float or None, optional
    affine : bool, optional
    track_running_stats : bool, optional
        As for BatchNorm1d.

    Shape
    -----
    Input ``(N, C, H, W)``; output the same shape.
    """

    input_dims = (4,)


class LayerNorm(Module):
    """Normalize each sample over its trailing ``normalized_shape`` dims.

    Parameters
    ----------
    normalized_shape : int or tuple of int
    eps : float, optional
        Default 1e-5.
    elementwise_affine : bool, optional
        Learn ``weight`` (ones) and ``bias`` (zeros) of ``normalized_shape`` (default True).
    bias : bool, optional
        With ``elementwise_affine``, learn the bias too (default True).

    Shape
    -----
    Input ``(*, *normalized_shape)``; output the same shape.
    """

    def __init__(self, normalized_shape, eps=1e-05, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
        self.normalized_shape = tuple(positive_int("normalized_shape", s) for s in shape)
        self.eps = F._number("LayerNorm", "eps", eps)
        self.elementwise_affine = bool(elementwise_affine)
        device = parameter_options(bool(bias), dtype, device)
        _register_affine(self, self.normalized_shape, self.elementwise_affine, bias, dtype, device)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Normalize each sample over groups of channels.

    Parameters
    ----------
    num_groups : int
        Must divide ``num_channels``.
    num_channels : int
    eps : float, optional
        Default 1e-5.
    affine : bool, optional
        Learn a per-channel ``weight`` (ones) and ``bias`` (zeros), default True.

    Shape
    -----
    Input ``(N, C, *)``; output the same shape.
    """

    def __init__(self, num_groups, num_channels, eps=1e-05, affine=True, device=None, dtype=None):
        super().__init__()
        self.num_groups = positive_int("num_groups", num_groups)
        self.num_channels = positive_int("num_channels", num_channels)
        if self.num_channels % self.num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.eps = F._number("GroupNorm", "eps", eps)
        self.affine = bool(affine)
        device = parameter_options(True, dtype, device)
        _register_affine(self, (num_channels,), self.affine, True, dtype, device)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, x):
        if isinstance(x, Tensor) and x.ndim >= 2 and x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: expected input with num_channels={self.num_channels} channels (dim 1), "
                             f"got {x.shape[1]} channels in shape {x.shape}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(_BatchNorm):
    """Shared by InstanceNorm1d/2d: BatchNorm's parameters and buffers, statistics per sample."""

    def __init__(self, num_features, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, x):
        name = type(self).__name__
        self._check_rank(x)
        batched = x.ndim == self.input_dims[-1]
        x = x if batched else x.unsqueeze(0)
        if (self.affine or self.track_running_stats) and x.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected input with num_features={self.num_features} channels, "
                             f"got {x.shape[1]} channels in shape {x.shape}")
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out if batched else out.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Normalize each channel of each sample over its length.

    Parameters
    ----------
    num_features : int
    eps : float, optional
        Default 1e-5.
    momentum : float, optional
        For the running statistics (default 0.1).
    affine : bool, optional
        Learn a per-channel ``weight`` and ``bias`` (default False).
    track_running_stats : bool, optional
        Keep running statistics and use them in eval mode (default False).

    Shape
    -----
    Input ``(N, C, L)`` or ``(C, L)``; output the same shape.
    """

    input_dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Normalize each channel of each sample over (H, W); arguments as InstanceNorm1d.

    Parameters
    ----------
    num_features : int
    eps, momentum : float, optional
    affine, track_running_stats : bool, optional

    Shape
    -----
    Input ``(N, C, H, W)`` or ``(C, H, W)``; output the same shape.
    """

    input_dims = (3, 4)
