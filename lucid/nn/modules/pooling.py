"""Pooling layers over the functional forms: average, maximum and adaptive average, 1-d and 2-d."""

from .. import functional as F
from ..module import Module


class _AvgPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Average over sliding windows of the last dim (see ``F.avg_pool1d``).

    Parameters
    ----------
    kernel_size : int
    stride : int, optional
        Defaults to ``kernel_size``.
    padding : int, optional
        Zeros on both sides, at most half the kernel.
    ceil_mode : bool, optional
        Round the output length up.
    count_include_pad : bool, optional
        Count the padding in each window's divisor (default True).

    Shape
    -----
    Input ``(N, C, L)`` or ``(C, L)``; output ``(N, C, L_out)``,
    ``L_out = floor((L + 2·padding - kernel_size) / stride) + 1``.
    """

    def forward(self, x):
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """Average over sliding windows of the last two dims (see ``F.avg_pool2d``).

    Parameters
    ----------
    kernel_size, stride, padding : int or (int, int)
    ceil_mode, count_include_pad : bool, optional
    divisor_override : int, optional
        Divide every window sum by this instead of the window size.

    Shape
    -----
    Input ``(N, C, H, W)`` or ``(C, H, W)``.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)


class _MaxPoolNd(Module):
    function = None

    def forward(self, x):
        return type(self).function(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                                   self.return_indices)

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Maximum over sliding windows of the last dim (see ``F.max_pool1d``).

    Parameters
    ----------
    kernel_size : int
    stride : int, optional
        Defaults to ``kernel_size``.
    padding : int, optional
        -inf on both sides, at most half the effective kernel.
    dilation : int, optional
    return_indices : bool, optional
        Also return the maxima's positions.
    ceil_mode : bool, optional

    Shape
    -----
    Input ``(N, C, L)`` or ``(C, L)``; output ``(N, C, L_out)``,
    ``L_out = floor((L + 2·padding - dilation·(kernel_size - 1) - 1) / stride) + 1``.
    """

    function = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Maximum over sliding windows of the last two dims (see ``F.max_pool2d``).

    Parameters
    ----------
    kernel_size, stride, padding, dilation : int or (int, int)
    return_indices, ceil_mode : bool, optional

    Shape
    -----
    Input ``(N, C, H, W)`` or ``(C, H, W)``.
    """

    function = staticmethod(F.max_pool2d)


class AdaptiveAvgPool1d(Module):
    """Average over ``output_size`` near-equal windows of the last dim.

    Parameters
    ----------
    output_size : int

    Shape
    -----
    Input ``(N, C, L)`` or ``(C, L)``; output ``(N, C, output_size)``.
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(AdaptiveAvgPool1d):
    """Average over near-equal windows of the last two dims.

    Parameters
    ----------
    output_size : int or (H, W)
        None in the tuple keeps that dim's size.

    Shape
    -----
    Input ``(N, C, H, W)`` or ``(C, H, W)``.
    """

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)
