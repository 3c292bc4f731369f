"""N-d convolutions as Functions (2-d and 3-d layers; 1-d keeps its own ops in conv.py).

As in 1-d, each one's backward is built from the other two, so gradients of gradients
(``create_graph=True``) work. ``stride``, ``padding``, ``output_padding`` and ``dilation``
are tuples with one entry per spatial dim. Each Function also has a ``forward_meta`` shape
rule, so shape-only ("meta") tensors pass through without touching the kernels.
"""

from .. import _meta
from ..autograd.function import Function
from ..kernels import convnd as kernels
from .conv import _compute


def _output_padding(size, out_size, kernel_size, stride, padding, dilation):
    """Per dim, the output_padding that makes a transposed convolution of ``out_size`` give ``size``."""
    smallest = kernels.conv_transpose_output_shape(out_size, kernel_size, stride, padding, (0,) * len(size), dilation)
    return tuple(n - m for n, m in zip(size, smallest))


def _crop(t, size):
    """``t`` cut to spatial ``size``: with output_padding >= stride the adjoint is longer than the input."""
    if tuple(t.shape[2:]) == tuple(size):
        return t
    return t[(slice(None), slice(None)) + tuple(slice(0, n) for n in size)]


class ConvNd(Function):
    """Convolution; weight is (C_out, C_in // groups, *K)."""

    @staticmethod
    def forward(ctx, x, w, stride, padding, dilation, groups):
        ctx.cfg = (stride, padding, dilation, groups)
        return kernels.convnd(_compute(x), _compute(w), *ctx.cfg).astype(x.dtype, copy=False)

    @staticmethod
    def forward_meta(ctx, x, w, stride, padding, dilation, groups):
        size = kernels.conv_output_shape(x.shape[2:], w.shape[2:], stride, padding, dilation)
        return _meta.empty((x.shape[0], w.shape[0], *size), x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.inputs
        stride, padding, dilation, groups = ctx.cfg
        grad_x = grad_w = None
        if x.requires_grad:
            extra = _output_padding(x.shape[2:], grad_out.shape[2:], w.shape[2:], stride, padding, dilation)
            grad_x = ConvTransposeNd.apply(grad_out, w, stride=stride, padding=padding, output_padding=extra,
                                           dilation=dilation, groups=groups)
        if w.requires_grad:
            grad_w = ConvNdGradWeight.apply(x, grad_out, kernel_size=w.shape[2:], stride=stride, padding=padding,
                                            dilation=dilation, groups=groups)
        return grad_x, grad_w


class ConvTransposeNd(Function):
    """Transposed convolution; weight is (C_in, C_out // groups, *K)."""

    @staticmethod
    def forward(ctx, x, w, stride, padding, output_padding, dilation, groups):
        ctx.cfg = (stride, padding, dilation, groups)
        size = kernels.conv_transpose_output_shape(x.shape[2:], w.shape[2:], stride, padding, output_padding,
                                                   dilation)
        out = kernels.convnd_grad_input(_compute(x), _compute(w), size, *ctx.cfg)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def forward_meta(ctx, x, w, stride, padding, output_padding, dilation, groups):
        size = kernels.conv_transpose_output_shape(x.shape[2:], w.shape[2:], stride, padding, output_padding,
                                                   dilation)
        return _meta.empty((x.shape[0], w.shape[1] * groups, *size), x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.inputs
        stride, padding, dilation, groups = ctx.cfg
        grad_x = grad_w = None
        if x.requires_grad:
            grad_x = ConvNd.apply(grad_out, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
            grad_x = _crop(grad_x, x.shape[2:])
        if w.requires_grad:
            # the roles swap: the transposed conv's output plays the convolution's input
            grad_w = ConvNdGradWeight.apply(grad_out, x, kernel_size=w.shape[2:], stride=stride, padding=padding,
                                            dilation=dilation, groups=groups)
        return grad_x, grad_w


class ConvNdGradWeight(Function):
    """The convolution's weight gradient as a function of (x, grad_out); bilinear, so differentiable too."""

    @staticmethod
    def forward(ctx, x, grad_out, kernel_size, stride, padding, dilation, groups):
        ctx.cfg = (stride, padding, dilation, groups)
        gw = kernels.convnd_grad_weight(_compute(x), _compute(grad_out), kernel_size, *ctx.cfg)
        return gw.astype(x.dtype, copy=False)

    @staticmethod
    def forward_meta(ctx, x, grad_out, kernel_size, stride, padding, dilation, groups):
        return _meta.empty((grad_out.shape[1], x.shape[1] // groups, *kernel_size), x.dtype)

    @staticmethod
    def backward(ctx, grad_gw):
        x, grad_out = ctx.inputs
        stride, padding, dilation, groups = ctx.cfg
        grad_x = grad_grad_out = None
        if x.requires_grad:
            extra = _output_padding(x.shape[2:], grad_out.shape[2:], grad_gw.shape[2:], stride, padding, dilation)
            grad_x = ConvTransposeNd.apply(grad_out, grad_gw, stride=stride, padding=padding, output_padding=extra,
                                           dilation=dilation, groups=groups)
        if grad_out.requires_grad:
            grad_grad_out = ConvNd.apply(x, grad_gw, stride=stride, padding=padding, dilation=dilation,
                                         groups=groups)
            grad_grad_out = _crop(grad_grad_out, grad_out.shape[2:])
        return grad_x, grad_grad_out
