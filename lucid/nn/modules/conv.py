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
                 bias, device, dtype, padding_mode="zeros"):
        super().__init__()
        n = self.n_spatial
        self.padding_mode = self._check_padding_mode(padding_mode)
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

    def _check_padding_mode(self, padding_mode):
        modes = ("zeros",) if self.transposed else ("zeros", "reflect", "replicate", "circular")
        if padding_mode not in modes:
            raise ValueError(f"{type(self).__name__}: padding_mode must be one of {modes}, got {padding_mode!r}")
        return padding_mode

    def _mode_padded(self, x):
        """For a non-zeros ``padding_mode``: the input padded by that mode, and the padding left for the kernel (0)."""
        if self.padding_mode == "zeros":
            return x, self.padding
        if self.padding == "valid":
            return x, 0
        if self.padding == "same":
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            pairs = [(t // 2, t - t // 2) for t in totals]
        else:
            pairs = [(p, p) for p in self.padding]
        amounts = [a for pair in reversed(pairs) for a in pair]
        return F.pad(x, amounts, mode=self.padding_mode), 0

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
        """Convolve ``x`` of shape ``(N, C_in, *spatial)`` or unbatched ``(C_in, *spatial)``."""
        self._check_input(x)

        def conv(x):
            x, padding = self._mode_padded(x)
            return self._function(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

        return self._batched(conv, x)

    def extra_repr(self):
        """The hyperparameters that differ from their defaults, as shown in ``repr(layer)``."""
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
        if self.padding_mode != "zeros":
            parts.append(f"padding_mode={self.padding_mode}")
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
        """Apply the transposed convolution to ``x``: ``(N, C_in, *spatial)`` or ``(C_in, *spatial)``.

        Parameters
        ----------
        x : Tensor
            The input.
        output_size : sequence of int, optional
            The spatial output size wanted (or the full shape); it picks ``output_padding``
            among the sizes this input can reach, instead of the configured one.

        Returns
        -------
        Tensor
            Shape ``(N, C_out, *spatial_out)``, spatial sizes as in the class Notes.
        """
        self._check_input(x)
        output_padding = self._output_padding(x, output_size)
        return self._batched(lambda x: self._function(x, self.weight, self.bias, self.stride, self.padding,
                                                      output_padding, self.groups, self.dilation), x)


class ConvTranspose1d(_ConvTransposeNd):
    r"""1-D transposed convolution (fractionally-strided upsampling).

    The adjoint of :class:`Conv1d`: each input sample adds a kernel-wide window into the output,
    ``stride`` samples after the previous one's.

    Parameters
    ----------
    in_channels : int
        Channels of the input.
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 1 int
        Kernel size.
    stride : int or tuple of 1 int, default 1
        Upsampling factor: output samples between the windows of two input samples.
    padding : int or tuple of 1 int, default 0
        Samples removed from each side of the full output, i.e. the equivalent direct
        convolution is padded by ``dilation * (kernel_size - 1) - padding``. String padding
        is not supported.
    output_padding : int or tuple of 1 int, default 0
        Samples added to one side of the output; less than ``max(stride, dilation)``.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    dilation : int or tuple of 1 int, default 1
        Spacing between kernel taps.
    device : str or Device, optional
        Where to allocate the parameters (default cpu).
    dtype : DType, optional
        Floating dtype of the parameters (default float32).

    Attributes
    ----------
    weight : Parameter
        Shape ``(in_channels, out_channels // groups, kernel_size)``: the leading axis is
        in_channels, not out_channels (PyTorch's layout).
    bias : Parameter or None
        Shape ``(out_channels,)``; None when ``bias=False``.
    kernel_size, stride, padding, dilation : tuple of int
        The hyperparameters as 1-tuples (and ``output_padding``).

    Shape
    -----
    - Input: ``(N, C_in, L_in)`` or unbatched ``(C_in, L_in)``
    - Output: ``(N, C_out, L_out)`` or ``(C_out, L_out)``

    Notes
    -----
    The output length is

    .. math::

        L_{\text{out}} = {} & (L_{\text{in}} - 1) \cdot \mathrm{stride} - 2 \cdot \mathrm{padding} \\
        & + \mathrm{dilation} \cdot (\mathrm{kernel\_size} - 1) + \mathrm{output\_padding} + 1

    Initialisation matches PyTorch: kaiming-uniform (a = √5) weight, so its bound uses
    fan_in = out_channels // groups · kernel size; bias uniform in ±1/√fan_in.
    ``forward(x, output_size=...)`` picks the output_padding that reaches ``output_size``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> up = nn.ConvTranspose1d(8, 4, kernel_size=4, stride=2, padding=1)
    >>> up.weight.shape
    (8, 4, 4)
    >>> up(lucid.randn(2, 8, 10)).shape
    (2, 4, 20)
    >>> up(lucid.randn(2, 8, 10), output_size=[21]).shape  # output_padding=1
    (2, 4, 21)
    """

    _function = staticmethod(F.conv_transpose1d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                         bias, device, dtype, padding_mode)


class Conv1d(_ConvNd):
    r"""1-D convolution (cross-correlation, as in PyTorch).

    Parameters
    ----------
    in_channels : int
        Channels of the input.
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 1 int
        Kernel size.
    stride : int or tuple of 1 int, default 1
        Step between two windows.
    padding : int, tuple of 1 int, 'same' or 'valid', default 0
        Added to each side of the input, filled as ``padding_mode`` says. ``'same'`` (stride 1
        only) keeps the size, an odd total padding putting the extra one on the right;
        ``'valid'`` is no padding.
    dilation : int or tuple of 1 int, default 1
        Spacing between kernel taps.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}, default 'zeros'
        How the padding is filled, as :func:`~lucid.nn.functional.pad`'s modes.
    device : str or Device, optional
        Where to allocate the parameters (default cpu).
    dtype : DType, optional
        Floating dtype of the parameters (default float32).

    Attributes
    ----------
    weight : Parameter
        Shape ``(out_channels, in_channels // groups, kernel_size)``.
    bias : Parameter or None
        Shape ``(out_channels,)``; None when ``bias=False``.
    kernel_size, stride, padding, dilation : tuple of int
        The hyperparameters as 1-tuples.

    Shape
    -----
    - Input: ``(N, C_in, L_in)`` or unbatched ``(C_in, L_in)``
    - Output: ``(N, C_out, L_out)`` or ``(C_out, L_out)``

    Notes
    -----
    The output length is

    .. math::

        L_{\text{out}} = \left\lfloor \frac{L_{\text{in}} + 2 \cdot \mathrm{padding}
        - \mathrm{dilation} \cdot (\mathrm{kernel\_size} - 1) - 1}{\mathrm{stride}} \right\rfloor + 1

    Initialisation matches PyTorch: kaiming-uniform (a = √5) weight with
    fan_in = in_channels // groups · kernel size; bias uniform in ±1/√fan_in.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> conv = nn.Conv1d(4, 8, kernel_size=3, stride=2, padding=1)
    >>> conv.weight.shape
    (8, 4, 3)
    >>> conv(lucid.randn(2, 4, 20)).shape
    (2, 8, 10)
    """

    _function = staticmethod(F.conv1d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         device, dtype, padding_mode)


class ConvTranspose2d(_ConvTransposeNd):
    r"""2-D transposed convolution; :class:`ConvTranspose1d` along each spatial dim.

    Parameters
    ----------
    in_channels : int
        Channels of the input.
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 2 ints
        Kernel size per spatial dim.
    stride : int or tuple of 2 ints, default 1
        Upsampling factor: output samples between the windows of two input samples.
    padding : int or tuple of 2 ints, default 0
        Samples removed from each side of the full output, i.e. the equivalent direct
        convolution is padded by ``dilation * (kernel_size - 1) - padding``. String padding
        is not supported.
    output_padding : int or tuple of 2 ints, default 0
        Samples added to one side of the output; less than ``max(stride, dilation)``.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    dilation : int or tuple of 2 ints, default 1
        Spacing between kernel taps.
    device : str or Device, optional
        Where to allocate the parameters (default cpu).
    dtype : DType, optional
        Floating dtype of the parameters (default float32).

    Attributes
    ----------
    weight : Parameter
        Shape ``(in_channels, out_channels // groups, kH, kW)``: the leading axis is in_channels,
        not out_channels (PyTorch's layout).
    bias : Parameter or None
        Shape ``(out_channels,)``; None when ``bias=False``.
    kernel_size, stride, padding, dilation : tuple of int
        The hyperparameters as 2-tuples (and ``output_padding``).

    Shape
    -----
    - Input: ``(N, C_in, H_in, W_in)`` or unbatched ``(C_in, H_in, W_in)``
    - Output: ``(N, C_out, H_out, W_out)`` or ``(C_out, H_out, W_out)``

    Notes
    -----
    Each output spatial size :math:`S_i` (H, W) is

    .. math::

        S_{\text{out},i} = {} & (S_{\text{in},i} - 1) \cdot \mathrm{stride}[i] - 2 \cdot \mathrm{padding}[i] \\
        & + \mathrm{dilation}[i] \cdot (\mathrm{kernel\_size}[i] - 1) + \mathrm{output\_padding}[i] + 1

    Initialisation matches PyTorch: kaiming-uniform (a = √5) weight, so its bound uses
    fan_in = out_channels // groups · kernel size; bias uniform in ±1/√fan_in.
    ``forward(x, output_size=...)`` picks the output_padding that reaches ``output_size``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> up = nn.ConvTranspose2d(8, 4, kernel_size=(4, 3), stride=(2, 1), padding=(1, 1))
    >>> up.weight.shape
    (8, 4, 4, 3)
    >>> up(lucid.randn(1, 8, 5, 6)).shape
    (1, 4, 10, 6)
    """

    n_spatial = 2
    _function = staticmethod(F.conv_transpose2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                         bias, device, dtype, padding_mode)


class ConvTranspose3d(_ConvTransposeNd):
    r"""3-D transposed convolution; :class:`ConvTranspose1d` along each spatial dim.

    Parameters
    ----------
    in_channels : int
        Channels of the input.
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 3 ints
        Kernel size per spatial dim.
    stride : int or tuple of 3 ints, default 1
        Upsampling factor: output samples between the windows of two input samples.
    padding : int or tuple of 3 ints, default 0
        Samples removed from each side of the full output, i.e. the equivalent direct
        convolution is padded by ``dilation * (kernel_size - 1) - padding``. String padding
        is not supported.
    output_padding : int or tuple of 3 ints, default 0
        Samples added to one side of the output; less than ``max(stride, dilation)``.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    dilation : int or tuple of 3 ints, default 1
        Spacing between kernel taps.
    device : str or Device, optional
        Where to allocate the parameters (default cpu).
    dtype : DType, optional
        Floating dtype of the parameters (default float32).

    Attributes
    ----------
    weight : Parameter
        Shape ``(in_channels, out_channels // groups, kD, kH, kW)``: the leading axis is in_channels,
        not out_channels (PyTorch's layout).
    bias : Parameter or None
        Shape ``(out_channels,)``; None when ``bias=False``.
    kernel_size, stride, padding, dilation : tuple of int
        The hyperparameters as 3-tuples (and ``output_padding``).

    Shape
    -----
    - Input: ``(N, C_in, D_in, H_in, W_in)`` or unbatched ``(C_in, D_in, H_in, W_in)``
    - Output: ``(N, C_out, D_out, H_out, W_out)`` or ``(C_out, D_out, H_out, W_out)``

    Notes
    -----
    Each output spatial size :math:`S_i` (D, H, W) is

    .. math::

        S_{\text{out},i} = {} & (S_{\text{in},i} - 1) \cdot \mathrm{stride}[i] - 2 \cdot \mathrm{padding}[i] \\
        & + \mathrm{dilation}[i] \cdot (\mathrm{kernel\_size}[i] - 1) + \mathrm{output\_padding}[i] + 1

    Initialisation matches PyTorch: kaiming-uniform (a = √5) weight, so its bound uses
    fan_in = out_channels // groups · kernel size; bias uniform in ±1/√fan_in.
    ``forward(x, output_size=...)`` picks the output_padding that reaches ``output_size``.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> up = nn.ConvTranspose3d(4, 2, kernel_size=2, stride=2)
    >>> up(lucid.randn(1, 4, 3, 3, 3)).shape
    (1, 2, 6, 6, 6)
    """

    n_spatial = 3
    _function = staticmethod(F.conv_transpose3d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                         bias, device, dtype, padding_mode)


class Conv2d(_ConvNd):
    r"""2-D convolution (cross-correlation); :class:`Conv1d` along each spatial dim.

    Parameters
    ----------
    in_channels : int
        Channels of the input.
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 2 ints
        Kernel size per spatial dim.
    stride : int or tuple of 2 ints, default 1
        Step between two windows.
    padding : int, tuple of 2 ints, 'same' or 'valid', default 0
        Added to each side of the input, filled as ``padding_mode`` says. ``'same'`` (stride 1
        only) keeps the size, an odd total padding putting the extra one on the right;
        ``'valid'`` is no padding.
    dilation : int or tuple of 2 ints, default 1
        Spacing between kernel taps.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}, default 'zeros'
        How the padding is filled, as :func:`~lucid.nn.functional.pad`'s modes.
    device : str or Device, optional
        Where to allocate the parameters (default cpu).
    dtype : DType, optional
        Floating dtype of the parameters (default float32).

    Attributes
    ----------
    weight : Parameter
        Shape ``(out_channels, in_channels // groups, kH, kW)``.
    bias : Parameter or None
        Shape ``(out_channels,)``; None when ``bias=False``.
    kernel_size, stride, padding, dilation : tuple of int
        The hyperparameters as 2-tuples.

    Shape
    -----
    - Input: ``(N, C_in, H_in, W_in)`` or unbatched ``(C_in, H_in, W_in)``
    - Output: ``(N, C_out, H_out, W_out)`` or ``(C_out, H_out, W_out)``

    Notes
    -----
    Each output spatial size :math:`S_i` (H, W) is

    .. math::

        S_{\text{out},i} = \left\lfloor \frac{S_{\text{in},i} + 2 \cdot \mathrm{padding}[i]
        - \mathrm{dilation}[i] \cdot (\mathrm{kernel\_size}[i] - 1) - 1}{\mathrm{stride}[i]} \right\rfloor + 1

    Initialisation matches PyTorch: kaiming-uniform (a = √5) weight with
    fan_in = in_channels // groups · kernel size; bias uniform in ±1/√fan_in.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
    >>> conv(lucid.randn(1, 3, 16, 16)).shape
    (1, 8, 16, 16)
    """

    n_spatial = 2
    _function = staticmethod(F.conv2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         device, dtype, padding_mode)


class Conv3d(_ConvNd):
    r"""3-D convolution (cross-correlation); :class:`Conv1d` along each spatial dim.

    Parameters
    ----------
    in_channels : int
        Channels of the input.
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 3 ints
        Kernel size per spatial dim.
    stride : int or tuple of 3 ints, default 1
        Step between two windows.
    padding : int, tuple of 3 ints, 'same' or 'valid', default 0
        Added to each side of the input, filled as ``padding_mode`` says. ``'same'`` (stride 1
        only) keeps the size, an odd total padding putting the extra one on the right;
        ``'valid'`` is no padding.
    dilation : int or tuple of 3 ints, default 1
        Spacing between kernel taps.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}, default 'zeros'
        How the padding is filled, as :func:`~lucid.nn.functional.pad`'s modes.
    device : str or Device, optional
        Where to allocate the parameters (default cpu).
    dtype : DType, optional
        Floating dtype of the parameters (default float32).

    Attributes
    ----------
    weight : Parameter
        Shape ``(out_channels, in_channels // groups, kD, kH, kW)``.
    bias : Parameter or None
        Shape ``(out_channels,)``; None when ``bias=False``.
    kernel_size, stride, padding, dilation : tuple of int
        The hyperparameters as 3-tuples.

    Shape
    -----
    - Input: ``(N, C_in, D_in, H_in, W_in)`` or unbatched ``(C_in, D_in, H_in, W_in)``
    - Output: ``(N, C_out, D_out, H_out, W_out)`` or ``(C_out, D_out, H_out, W_out)``

    Notes
    -----
    Each output spatial size :math:`S_i` (D, H, W) is

    .. math::

        S_{\text{out},i} = \left\lfloor \frac{S_{\text{in},i} + 2 \cdot \mathrm{padding}[i]
        - \mathrm{dilation}[i] \cdot (\mathrm{kernel\_size}[i] - 1) - 1}{\mathrm{stride}[i]} \right\rfloor + 1

    Initialisation matches PyTorch: kaiming-uniform (a = √5) weight with
    fan_in = in_channels // groups · kernel size; bias uniform in ±1/√fan_in.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> conv = nn.Conv3d(2, 4, kernel_size=3)
    >>> conv(lucid.randn(1, 2, 5, 6, 7)).shape
    (1, 4, 3, 4, 5)
    """

    n_spatial = 3
    _function = staticmethod(F.conv3d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         device, dtype, padding_mode)


class _LazyConvMixin(LazyModuleMixin):
    """The convolution family's lazy step: in_channels comes from the input's channel axis."""

    def _check_in_channels(self, in_channels):
        if in_channels is not None:
            raise TypeError(f"{type(self).__name__} infers in_channels; do not pass it (got {in_channels!r})")
        return None

    def initialize_parameters(self, x, *args, **kwargs):
        """Materialize from the first input: ``in_channels`` is its channel axis (called by the first forward)."""
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
    r"""A :class:`ConvTranspose1d` that infers ``in_channels`` from the first input.

    Before the first forward, ``in_channels``, ``weight`` and ``bias`` read ``None``; the
    placeholders are already in ``parameters()``, so an optimizer may be built first. The
    first forward reads ``in_channels`` from the input's channel axis and initialises
    exactly as :class:`ConvTranspose1d`, in place.

    Parameters
    ----------
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 1 int
        Kernel size.
    stride : int or tuple of 1 int, default 1
        Upsampling factor: output samples between the windows of two input samples.
    padding : int or tuple of 1 int, default 0
        Samples removed from each side of the full output, i.e. the equivalent direct
        convolution is padded by ``dilation * (kernel_size - 1) - padding``. String padding
        is not supported.
    output_padding : int or tuple of 1 int, default 0
        Samples added to one side of the output; less than ``max(stride, dilation)``.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    dilation : int or tuple of 1 int, default 1
        Spacing between kernel taps.
    device : str or Device, optional
        Where to allocate the parameters; None follows the first input (or, when
        materialized by ``load_state_dict``, the cpu).
    dtype : DType, optional
        Floating dtype of the parameters; None follows the first input (or the checkpoint
        weight's floating dtype).

    Attributes
    ----------
    weight : Parameter or None
        None before materialization; then
        ``(in_channels, out_channels // groups, kernel_size)``: the leading axis is
        in_channels, not out_channels (PyTorch's layout).
    bias : Parameter or None
        None before materialization; ``(out_channels,)`` if ``bias=True``.
    in_channels : int or None
        None before the first forward (or ``load_state_dict``).

    Shape
    -----
    - Input: ``(N, C_in, L_in)`` or unbatched ``(C_in, L_in)``
    - Output: ``(N, C_out, L_out)`` or ``(C_out, L_out)``

    Notes
    -----
    The output length follows :class:`ConvTranspose1d`:

    .. math::

        L_{\text{out}} = {} & (L_{\text{in}} - 1) \cdot \mathrm{stride} - 2 \cdot \mathrm{padding} \\
        & + \mathrm{dilation} \cdot (\mathrm{kernel\_size} - 1) + \mathrm{output\_padding} + 1

    State-dict loading: a 3-D ``weight`` in the state_dict materializes the layer first, with
    in_channels read from its leading axis, then the values are copied.

    Examples
    --------
    Lazy transposed conv in a sequence decoder:

    >>> import lucid
    >>> import lucid.nn as nn
    >>> decoder = nn.LazyConvTranspose1d(
    ...     out_channels=16, kernel_size=4, stride=2, padding=1
    ... )
    >>> x = lucid.zeros(2, 32, 10)   # in_channels=32 inferred
    >>> y = decoder(x)
    >>> y.shape
    (2, 16, 20)

    Inspect pre- and post-materialization state:

    >>> lazy = nn.LazyConvTranspose1d(out_channels=8, kernel_size=3, padding=1)
    >>> print(lazy.in_channels)
    None
    >>> _ = lazy(lucid.zeros(1, 4, 16))
    >>> print(lazy.in_channels)
    4
    """

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation,
                         padding_mode, device, dtype)


class LazyConv1d(_LazyConvMixin, Conv1d):
    r"""A :class:`Conv1d` that infers ``in_channels`` from the first input.

    Before the first forward, ``in_channels``, ``weight`` and ``bias`` read ``None``; the
    placeholders are already in ``parameters()``, so an optimizer may be built first. The
    first forward reads ``in_channels`` from the input's channel axis and initialises
    exactly as :class:`Conv1d`, in place.

    Parameters
    ----------
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 1 int
        Kernel size.
    stride : int or tuple of 1 int, default 1
        Step between two windows.
    padding : int, tuple of 1 int, 'same' or 'valid', default 0
        Added to each side of the input, filled as ``padding_mode`` says. ``'same'`` (stride 1
        only) keeps the size, an odd total padding putting the extra one on the right;
        ``'valid'`` is no padding.
    dilation : int or tuple of 1 int, default 1
        Spacing between kernel taps.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}, default 'zeros'
        How the padding is filled, as :func:`~lucid.nn.functional.pad`'s modes.
    device : str or Device, optional
        Where to allocate the parameters; None follows the first input (or, when
        materialized by ``load_state_dict``, the cpu).
    dtype : DType, optional
        Floating dtype of the parameters; None follows the first input (or the checkpoint
        weight's floating dtype).

    Attributes
    ----------
    weight : Parameter or None
        None before materialization; shape ``(out_channels, in_channels // groups, kernel_size)``.
    bias : Parameter or None
        None before materialization; ``(out_channels,)`` if ``bias=True``.
    in_channels : int or None
        None before the first forward (or ``load_state_dict``).

    Shape
    -----
    - Input: ``(N, C_in, L_in)`` or unbatched ``(C_in, L_in)``
    - Output: ``(N, C_out, L_out)`` or ``(C_out, L_out)``

    Notes
    -----
    The output length follows :class:`Conv1d`:

    .. math::

        L_{\text{out}} = \left\lfloor \frac{L_{\text{in}} + 2 \cdot \mathrm{padding}
        - \mathrm{dilation} \cdot (\mathrm{kernel\_size} - 1) - 1}{\mathrm{stride}} \right\rfloor + 1

    State-dict loading: a 3-D ``weight`` in the state_dict materializes the layer first, with
    in_channels read from its second axis times ``groups``, then the values are copied.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> conv = nn.LazyConv1d(8, kernel_size=3, padding=1)
    >>> print(conv.weight)
    None
    >>> conv(lucid.randn(2, 5, 16)).shape
    (2, 8, 16)
    >>> conv.weight.shape
    (8, 5, 3)
    """

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, device,
                         dtype)


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    r"""A :class:`ConvTranspose2d` that infers ``in_channels`` from the first input.

    Before the first forward, ``in_channels``, ``weight`` and ``bias`` read ``None``; the
    placeholders are already in ``parameters()``, so an optimizer may be built first. The
    first forward reads ``in_channels`` from the input's channel axis and initialises
    exactly as :class:`ConvTranspose2d`, in place.

    Parameters
    ----------
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 2 ints
        Kernel size per spatial dim.
    stride : int or tuple of 2 ints, default 1
        Upsampling factor: output samples between the windows of two input samples.
    padding : int or tuple of 2 ints, default 0
        Samples removed from each side of the full output, i.e. the equivalent direct
        convolution is padded by ``dilation * (kernel_size - 1) - padding``. String padding
        is not supported.
    output_padding : int or tuple of 2 ints, default 0
        Samples added to one side of the output; less than ``max(stride, dilation)``.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    dilation : int or tuple of 2 ints, default 1
        Spacing between kernel taps.
    device : str or Device, optional
        Where to allocate the parameters; None follows the first input (or, when
        materialized by ``load_state_dict``, the cpu).
    dtype : DType, optional
        Floating dtype of the parameters; None follows the first input (or the checkpoint
        weight's floating dtype).

    Attributes
    ----------
    weight : Parameter or None
        None before materialization; then
        ``(in_channels, out_channels // groups, kH, kW)``: the leading axis is in_channels,
        not out_channels (PyTorch's layout).
    bias : Parameter or None
        None before materialization; ``(out_channels,)`` if ``bias=True``.
    in_channels : int or None
        None before the first forward (or ``load_state_dict``).

    Shape
    -----
    - Input: ``(N, C_in, H_in, W_in)`` or unbatched ``(C_in, H_in, W_in)``
    - Output: ``(N, C_out, H_out, W_out)`` or ``(C_out, H_out, W_out)``

    Notes
    -----
    As in :class:`ConvTranspose2d`, each output spatial size :math:`S_i` (H, W) is

    .. math::

        S_{\text{out},i} = {} & (S_{\text{in},i} - 1) \cdot \mathrm{stride}[i] - 2 \cdot \mathrm{padding}[i] \\
        & + \mathrm{dilation}[i] \cdot (\mathrm{kernel\_size}[i] - 1) + \mathrm{output\_padding}[i] + 1

    State-dict loading: a 4-D ``weight`` in the state_dict materializes the layer first, with
    in_channels read from its leading axis, then the values are copied.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> up = nn.LazyConvTranspose2d(4, kernel_size=4, stride=2, padding=1)
    >>> up(lucid.randn(1, 6, 8, 8)).shape
    (1, 4, 16, 16)
    >>> up.weight.shape
    (6, 4, 4, 4)
    """

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation,
                         padding_mode, device, dtype)


class LazyConvTranspose3d(_LazyConvMixin, ConvTranspose3d):
    r"""A :class:`ConvTranspose3d` that infers ``in_channels`` from the first input.

    Before the first forward, ``in_channels``, ``weight`` and ``bias`` read ``None``; the
    placeholders are already in ``parameters()``, so an optimizer may be built first. The
    first forward reads ``in_channels`` from the input's channel axis and initialises
    exactly as :class:`ConvTranspose3d`, in place.

    Parameters
    ----------
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 3 ints
        Kernel size per spatial dim.
    stride : int or tuple of 3 ints, default 1
        Upsampling factor: output samples between the windows of two input samples.
    padding : int or tuple of 3 ints, default 0
        Samples removed from each side of the full output, i.e. the equivalent direct
        convolution is padded by ``dilation * (kernel_size - 1) - padding``. String padding
        is not supported.
    output_padding : int or tuple of 3 ints, default 0
        Samples added to one side of the output; less than ``max(stride, dilation)``.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    dilation : int or tuple of 3 ints, default 1
        Spacing between kernel taps.
    device : str or Device, optional
        Where to allocate the parameters; None follows the first input (or, when
        materialized by ``load_state_dict``, the cpu).
    dtype : DType, optional
        Floating dtype of the parameters; None follows the first input (or the checkpoint
        weight's floating dtype).

    Attributes
    ----------
    weight : Parameter or None
        None before materialization; then
        ``(in_channels, out_channels // groups, kD, kH, kW)``: the leading axis is in_channels,
        not out_channels (PyTorch's layout).
    bias : Parameter or None
        None before materialization; ``(out_channels,)`` if ``bias=True``.
    in_channels : int or None
        None before the first forward (or ``load_state_dict``).

    Shape
    -----
    - Input: ``(N, C_in, D_in, H_in, W_in)`` or unbatched ``(C_in, D_in, H_in, W_in)``
    - Output: ``(N, C_out, D_out, H_out, W_out)`` or ``(C_out, D_out, H_out, W_out)``

    Notes
    -----
    As in :class:`ConvTranspose3d`, each output spatial size :math:`S_i` (D, H, W) is

    .. math::

        S_{\text{out},i} = {} & (S_{\text{in},i} - 1) \cdot \mathrm{stride}[i] - 2 \cdot \mathrm{padding}[i] \\
        & + \mathrm{dilation}[i] \cdot (\mathrm{kernel\_size}[i] - 1) + \mathrm{output\_padding}[i] + 1

    State-dict loading: a 5-D ``weight`` in the state_dict materializes the layer first, with
    in_channels read from its leading axis, then the values are copied.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> up = nn.LazyConvTranspose3d(2, kernel_size=2, stride=2)
    >>> up(lucid.randn(1, 3, 2, 2, 2)).shape
    (1, 2, 4, 4, 4)
    """

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation,
                         padding_mode, device, dtype)


class LazyConv2d(_LazyConvMixin, Conv2d):
    r"""A :class:`Conv2d` that infers ``in_channels`` from the first input.

    Before the first forward, ``in_channels``, ``weight`` and ``bias`` read ``None``; the
    placeholders are already in ``parameters()``, so an optimizer may be built first. The
    first forward reads ``in_channels`` from the input's channel axis and initialises
    exactly as :class:`Conv2d`, in place.

    Parameters
    ----------
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 2 ints
        Kernel size per spatial dim.
    stride : int or tuple of 2 ints, default 1
        Step between two windows.
    padding : int, tuple of 2 ints, 'same' or 'valid', default 0
        Added to each side of the input, filled as ``padding_mode`` says. ``'same'`` (stride 1
        only) keeps the size, an odd total padding putting the extra one on the right;
        ``'valid'`` is no padding.
    dilation : int or tuple of 2 ints, default 1
        Spacing between kernel taps.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}, default 'zeros'
        How the padding is filled, as :func:`~lucid.nn.functional.pad`'s modes.
    device : str or Device, optional
        Where to allocate the parameters; None follows the first input (or, when
        materialized by ``load_state_dict``, the cpu).
    dtype : DType, optional
        Floating dtype of the parameters; None follows the first input (or the checkpoint
        weight's floating dtype).

    Attributes
    ----------
    weight : Parameter or None
        None before materialization; shape ``(out_channels, in_channels // groups, kH, kW)``.
    bias : Parameter or None
        None before materialization; ``(out_channels,)`` if ``bias=True``.
    in_channels : int or None
        None before the first forward (or ``load_state_dict``).

    Shape
    -----
    - Input: ``(N, C_in, H_in, W_in)`` or unbatched ``(C_in, H_in, W_in)``
    - Output: ``(N, C_out, H_out, W_out)`` or ``(C_out, H_out, W_out)``

    Notes
    -----
    As in :class:`Conv2d`, each output spatial size :math:`S_i` (H, W) is

    .. math::

        S_{\text{out},i} = \left\lfloor \frac{S_{\text{in},i} + 2 \cdot \mathrm{padding}[i]
        - \mathrm{dilation}[i] \cdot (\mathrm{kernel\_size}[i] - 1) - 1}{\mathrm{stride}[i]} \right\rfloor + 1

    State-dict loading: a 4-D ``weight`` in the state_dict materializes the layer first, with
    in_channels read from its second axis times ``groups``, then the values are copied.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> conv = nn.LazyConv2d(8, kernel_size=3)
    >>> conv(lucid.randn(1, 3, 10, 10)).shape
    (1, 8, 8, 8)
    >>> conv.in_channels
    3
    """

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, device,
                         dtype)


class LazyConv3d(_LazyConvMixin, Conv3d):
    r"""A :class:`Conv3d` that infers ``in_channels`` from the first input.

    Before the first forward, ``in_channels``, ``weight`` and ``bias`` read ``None``; the
    placeholders are already in ``parameters()``, so an optimizer may be built first. The
    first forward reads ``in_channels`` from the input's channel axis and initialises
    exactly as :class:`Conv3d`, in place.

    Parameters
    ----------
    out_channels : int
        Channels of the output.
    kernel_size : int or tuple of 3 ints
        Kernel size per spatial dim.
    stride : int or tuple of 3 ints, default 1
        Step between two windows.
    padding : int, tuple of 3 ints, 'same' or 'valid', default 0
        Added to each side of the input, filled as ``padding_mode`` says. ``'same'`` (stride 1
        only) keeps the size, an odd total padding putting the extra one on the right;
        ``'valid'`` is no padding.
    dilation : int or tuple of 3 ints, default 1
        Spacing between kernel taps.
    groups : int, default 1
        Blocked connections; must divide both channel counts.
    bias : bool, default True
        Add a learnable bias of shape ``(out_channels,)``.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}, default 'zeros'
        How the padding is filled, as :func:`~lucid.nn.functional.pad`'s modes.
    device : str or Device, optional
        Where to allocate the parameters; None follows the first input (or, when
        materialized by ``load_state_dict``, the cpu).
    dtype : DType, optional
        Floating dtype of the parameters; None follows the first input (or the checkpoint
        weight's floating dtype).

    Attributes
    ----------
    weight : Parameter or None
        None before materialization; shape ``(out_channels, in_channels // groups, kD, kH, kW)``.
    bias : Parameter or None
        None before materialization; ``(out_channels,)`` if ``bias=True``.
    in_channels : int or None
        None before the first forward (or ``load_state_dict``).

    Shape
    -----
    - Input: ``(N, C_in, D_in, H_in, W_in)`` or unbatched ``(C_in, D_in, H_in, W_in)``
    - Output: ``(N, C_out, D_out, H_out, W_out)`` or ``(C_out, D_out, H_out, W_out)``

    Notes
    -----
    As in :class:`Conv3d`, each output spatial size :math:`S_i` (D, H, W) is

    .. math::

        S_{\text{out},i} = \left\lfloor \frac{S_{\text{in},i} + 2 \cdot \mathrm{padding}[i]
        - \mathrm{dilation}[i] \cdot (\mathrm{kernel\_size}[i] - 1) - 1}{\mathrm{stride}[i]} \right\rfloor + 1

    State-dict loading: a 5-D ``weight`` in the state_dict materializes the layer first, with
    in_channels read from its second axis times ``groups``, then the values are copied.

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> conv = nn.LazyConv3d(4, kernel_size=3, padding=1)
    >>> conv(lucid.randn(1, 2, 4, 4, 4)).shape
    (1, 4, 4, 4, 4)
    """

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, device,
                         dtype)
