"""Convolution layers: shared configuration in _ConvNd, the transposed layout in _ConvTransposeNd."""

import math

from ...kernels.convnd import conv_transpose_output_shape
from ...tensor import Tensor
from .. import functional as F
from .. import init
from .._checks import check_groups_divide, check_output_padding, int_tuple, parameter_options, positive_int
from ..module import Module
from .lazy import LazyModuleMixin, checkpoint_dtype, checkpoint_shape


class _ConvNd(Module):
    """Hyperparameters, weight and bias shared by every convolution; ``n_spatial`` picks 1-, 2- or 3-d."""

    n_spatial = 1
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                 bias, device, dtype):
        super().__init__()
        n = self.n_spatial
        self.out_channels = positive_int("out_channels", out_channels)
        self.kernel_size = int_tuple("kernel_size", kernel_size, n, 1)
        self.stride = int_tuple("stride", stride, n, 1)
        self.padding = self._check_padding(padding)
        self.dilation = int_tuple("dilation", dilation, n, 1)
        self.output_padding = int_tuple("output_padding", output_padding, n, 0)
        self.groups = positive_int("groups", groups)
        device = parameter_options(bias, dtype, device)
        check_groups_divide("out_channels", self.out_channels, self.groups)
        if self.transposed:
            check_output_padding(self.output_padding, self.stride, self.dilation)
        self.in_channels = self._check_in_channels(in_channels)
        self._init_weight_and_bias(self._weight_shape(), (self.out_channels,), bias, dtype, device)

    def _check_padding(self, padding):
        """An n-tuple of ints, or (convolutions only) the strings ``'same'`` and ``'valid'`` as PyTorch keeps them."""
        if isinstance(padding, str) and not self.transposed:
            F._check_padding_string(type(self).__name__, padding, self.stride)
            return padding
        return int_tuple("padding", padding, self.n_spatial, 0)

    def _check_in_channels(self, in_channels):
        in_channels = positive_int("in_channels", in_channels)
        check_groups_divide("in_channels", in_channels, self.groups)
        return in_channels

    def _weight_shape(self):
        if self.transposed:
            return (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        return (self.out_channels, (self.in_channels or 0) // self.groups, *self.kernel_size)

    def _parameter_shapes(self):
        return {"weight": self._weight_shape(), "bias": (self.out_channels,)}

    def reset_parameters(self):
        """Kaiming-uniform(a=√5) weight, bias uniform in ±1/√fan_in, as PyTorch initialises convolutions."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _check_input(self, x):
        """The input's own checks (type, rank, dtype, channels), with this layer's name in the message."""
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
        expected = self.n_spatial + 2
        if x.ndim not in (expected, expected - 1):
            raise ValueError(f"{name}: input must be {expected}-D (batch, channels, *spatial) or {expected - 1}-D "
                             f"(channels, *spatial), got {x.ndim}-D input of shape {x.shape}")
        if not x.is_floating_point():
            raise TypeError(f"{name}: input must be floating point, got dtype {x.dtype}")
        channels = x.shape[self._channel_axis(x)]
        if self.in_channels is not None and channels != self.in_channels:
            raise ValueError(f"{name}: expected input with in_channels={self.in_channels} channels "
                             f"(shape (N, {self.in_channels}, ...)), got {channels} channels in shape {x.shape}")

    def _channel_axis(self, x):
        """1 for batched input, 0 for unbatched (channels, *spatial) input."""
        return x.ndim - self.n_spatial - 1

    def _batched(self, conv, x):
        """``conv(x)`` on (N, C, *spatial); unbatched input gets a batch dim for the call and loses it after."""
        if self._channel_axis(x) == 1:
            return conv(x)
        return conv(x.unsqueeze(0)).squeeze(0)

    def forward(self, x):
        self._check_input(x)
        return self._batched(lambda x: self._function(x, self.weight, self.bias, self.stride, self.padding,
                                                      self.dilation, self.groups), x)

    def extra_repr(self):
        parts = [f"in_channels={self.in_channels}", f"out_channels={self.out_channels}",
                 f"kernel_size={self.kernel_size}", f"stride={self.stride}"]
        n = self.n_spatial
        if self.padding != (0,) * n and self.padding != "valid":
            parts.append(f"padding={self.padding}")
        if self.transposed and self.output_padding != (0,) * n:
            parts.append(f"output_padding={self.output_padding}")
        if self.dilation != (1,) * n:
            parts.append(f"dilation={self.dilation}")
        if self.groups != 1:
            parts.append(f"groups={self.groups}")
        if "bias" in self._parameters and self._parameters["bias"] is None:
            parts.append("bias=False")
        return ", ".join(parts)


class _ConvTransposeNd(_ConvNd):
    """Transposed convolutions; weight (in_channels, out_channels // groups, *kernel_size)."""

    transposed = True

    def _output_padding(self, x, output_size):
        """The output_padding that gives ``output_size`` (None: the configured one)."""
        if output_size is None:
            return self.output_padding
        n = self.n_spatial
        size = tuple(output_size)
        if len(size) == x.ndim:
            size = size[x.ndim - n:]
        if len(size) != n or not all(isinstance(v, int) for v in size):
            raise ValueError(f"output_size must hold {n} ints (or {x.ndim} with the input's leading dims), "
                             f"got {output_size}")
        smallest_sizes = conv_transpose_output_shape(x.shape[x.ndim - n:], self.kernel_size, self.stride,
                                                     self.padding, (0,) * n, self.dilation)
        chosen = []
        for axis, smallest in enumerate(smallest_sizes):
            largest = smallest + max(self.stride[axis], self.dilation[axis]) - 1
            if not smallest <= size[axis] <= largest:
                raise ValueError(f"output_size {tuple(output_size)} is unreachable: spatial size {axis} must lie "
                                 f"in [{smallest}, {largest}] for this input, got {size[axis]}")
            chosen.append(size[axis] - smallest)
        return tuple(chosen)

    def forward(self, x, output_size=None):
        """Apply the transposed convolution; ``output_size`` picks output_padding to reach that size."""
        self._check_input(x)
        output_padding = self._output_padding(x, output_size)
        return self._batched(lambda x: self._function(x, self.weight, self.bias, self.stride, self.padding,
                                                      output_padding, self.groups, self.dilation), x)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (fractionally-strided upsampling).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or 1-tuple
    stride, padding, output_padding, dilation : int or 1-tuple, optional
        ``padding`` removes ``padding`` samples from each side of the full output, i.e. it
        pads the equivalent direct convolution by ``dilation·(kernel_size-1) - padding``.
        ``output_padding`` (< max(stride, dilation)) adds samples to one side.
    groups : int, optional
        Must divide both channel counts.
    bias : bool, optional
    device, dtype : optional
        Where and in which floating dtype to allocate the parameters (default cpu, float32).

    Shape
    -----
    Input (N, C_in, L) or unbatched (C_in, L) → output (N, C_out, L_out) or (C_out, L_out) with
    ``L_out = (L - 1)·stride - 2·padding + dilation·(kernel_size - 1) + output_padding + 1``.

    Notes
    -----
    ``weight`` is (in_channels, out_channels // groups, kernel_size): the leading axis is
    in_channels. Initialisation matches PyTorch: kaiming-uniform(a=√5) with
    fan_in = out_channels // groups · kernel_size; bias uniform in ±1/√fan_in.
    """

    _function = staticmethod(F.conv_transpose1d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                         bias, device, dtype)


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or 1-tuple
    stride, padding, dilation : int or 1-tuple, optional
    groups : int, optional
    bias : bool, optional
    device, dtype : optional

    Shape
    -----
    Input (N, C_in, L) or unbatched (C_in, L) → output (N, C_out, L_out) or (C_out, L_out) with
    ``L_out = (L + 2·padding - dilation·(kernel_size - 1) - 1) // stride + 1``.
    """

    _function = staticmethod(F.conv1d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         device, dtype)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution; as ConvTranspose1d, per spatial dim.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or 2-tuple
    stride, padding, output_padding, dilation : int or 2-tuple, optional
    groups : int, optional
    bias : bool, optional
    device, dtype : optional

    Shape
    -----
    Input (N, C_in, H, W) or unbatched (C_in, H, W) → output (N, C_out, H_out, W_out) or
    (C_out, H_out, W_out); each spatial size follows ConvTranspose1d's formula for that dim.

    Notes
    -----
    ``weight`` is (in_channels, out_channels // groups, kH, kW).
    """

    n_spatial = 2
    _function = staticmethod(F.conv_transpose2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                         bias, device, dtype)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution; as ConvTranspose2d with (D, H, W) and 3-tuples.

    Notes
    -----
    ``weight`` is (in_channels, out_channels // groups, kD, kH, kW).
    """

    n_spatial = 3
    _function = staticmethod(F.conv_transpose3d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                         bias, device, dtype)


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation); as Conv1d, per spatial dim.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or 2-tuple
    stride, padding, dilation : int or 2-tuple, optional
    groups : int, optional
    bias : bool, optional
    device, dtype : optional

    Shape
    -----
    Input (N, C_in, H, W) or unbatched (C_in, H, W) → output (N, C_out, H_out, W_out) or
    (C_out, H_out, W_out); each spatial size follows Conv1d's formula for that dim.
    """

    n_spatial = 2
    _function = staticmethod(F.conv2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         device, dtype)


class Conv3d(_ConvNd):
    """3-D convolution (cross-correlation); as Conv2d with (D, H, W) and 3-tuples."""

    n_spatial = 3
    _function = staticmethod(F.conv3d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         device, dtype)


class _LazyConvMixin(LazyModuleMixin):
    """The convolution family's lazy step: in_channels comes from the input's channel axis."""

    def _check_in_channels(self, in_channels):
        if in_channels is not None:
            raise TypeError(f"{type(self).__name__} infers in_channels; do not pass it (got {in_channels!r})")
        return None

    def initialize_parameters(self, x, *args, **kwargs):
        self._check_input(x)
        self._materialize_channels(x.shape[self._channel_axis(x)], x.dtype, x.device)

    def _infer_from_state_dict(self, state_dict, prefix):
        shape = checkpoint_shape(state_dict, prefix + "weight")
        if shape is None:
            return  # reported as a missing key
        if len(shape) != self.n_spatial + 2:
            raise ValueError(f"weight must be {self.n_spatial + 2}-D, got shape {shape}")
        in_channels = shape[0] if self.transposed else shape[1] * self.groups
        self._materialize_channels(in_channels, checkpoint_dtype(state_dict, prefix + "weight"), None)

    def _materialize_channels(self, in_channels, dtype, device):
        in_channels = _ConvNd._check_in_channels(self, in_channels)
        self.in_channels = in_channels
        self._materialize(self._parameter_shapes(), dtype=dtype, device=device)


class LazyConvTranspose1d(_LazyConvMixin, ConvTranspose1d):
    """A ConvTranspose1d that infers ``in_channels`` from the first input.

    Before the first forward, ``in_channels``, ``weight`` and ``bias`` read ``None`` (the
    placeholders are already in ``parameters()``, so an optimizer may be built first). The
    first forward reads ``in_channels = x.shape[1]`` and initialises exactly as
    ConvTranspose1d. Loading a state_dict with a 3-D ``weight`` materializes from its leading
    axis first, then copies.

    Parameters
    ----------
    out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation
        As in ConvTranspose1d.
    device, dtype : optional
        When None, the parameters follow the first input's device and floating dtype (or,
        when materialized by ``load_state_dict``, the checkpoint weight's floating dtype).

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn as nn
    >>> decoder = nn.LazyConvTranspose1d(
    ...     out_channels=16, kernel_size=4, stride=2, padding=1
    ... )
    >>> x = lucid.zeros(2, 32, 10)   # in_channels=32 inferred
    >>> y = decoder(x)
    >>> y.shape
    (2, 16, 20)

    >>> lazy = nn.LazyConvTranspose1d(out_channels=8, kernel_size=3, padding=1)
    >>> print(lazy.in_channels)
    None
    >>> _ = lazy(lucid.zeros(1, 4, 16))
    >>> print(lazy.in_channels)
    4
    """

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, device=None, dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation,
                         device, dtype)


class LazyConv1d(_LazyConvMixin, Conv1d):
    """A Conv1d that infers ``in_channels`` from the first input (see LazyConvTranspose1d)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, device=None,
                 dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, dilation, groups, bias, device, dtype)


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """A ConvTranspose2d that infers ``in_channels`` from the first input (see LazyConvTranspose1d)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, device=None, dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation,
                         device, dtype)


class LazyConvTranspose3d(_LazyConvMixin, ConvTranspose3d):
    """A ConvTranspose3d that infers ``in_channels`` from the first input (see LazyConvTranspose1d)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, device=None, dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation,
                         device, dtype)


class LazyConv2d(_LazyConvMixin, Conv2d):
    """A Conv2d that infers ``in_channels`` from the first input (see LazyConvTranspose1d)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, device=None,
                 dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, dilation, groups, bias, device, dtype)


class LazyConv3d(_LazyConvMixin, Conv3d):
    """A Conv3d that infers ``in_channels`` from the first input (see LazyConvTranspose1d)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, device=None,
                 dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, dilation, groups, bias, device, dtype)
