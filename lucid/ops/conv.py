"""Convolutions of any spatial rank as Functions; each one's backward is built from the other two.

``stride``, ``padding``, ``output_padding`` and ``dilation`` are tuples with one entry per
spatial dim. Only the forward looks at the rank: 1-d runs on the kernel registry of
``kernels/conv/``, 2-d and 3-d on the generic kernels of ``kernels/convnd.py``; the autograd
wiring is shared. Every gradient is again a Function of this file, so one backward path serves
plain and ``create_graph=True`` backward alike. Bias policy: both convolutions take an optional
bias as a third input, which the 1-d kernels add in their own output pass. ``forward_meta`` gives each output's shape for shape-only
("meta") tensors without touching a kernel.
"""

import numpy as np

from .. import _meta
from ..autograd.function import Function
from ..kernels import conv as kernels_1d
from ..kernels import convnd as kernels_nd


def _compute(array):
    """Half precision is computed in float32 (as PyTorch does on the CPU)."""
    return array.astype(np.float32) if array.dtype == np.float16 else array


def _output_padding(size, out_size, kernel_size, stride, padding, dilation):
    """Per dim, the output_padding that makes a transposed convolution of ``out_size`` give ``size``."""
    smallest = kernels_nd.conv_transpose_output_shape(out_size, kernel_size, stride, padding, (0,) * len(size),
                                                      dilation)
    return tuple(n - m for n, m in zip(size, smallest))


def _bias_grad(ctx, grad_out):
    """() without a bias input, else (its gradient or None,)."""
    if len(ctx.inputs) < 3:
        return ()
    return (grad_out.sum((0, *range(2, grad_out.ndim))) if ctx.inputs[2].requires_grad else None,)


def _add_bias(out, bias):
    return out if bias is None else out + bias.reshape(1, -1, *([1] * (out.ndim - 2)))


def _cache_key(weight):
    """(tensor, version): the 1-d kernels reuse a rearranged weight until the tensor changes in place."""
    return weight, weight._version


def _crop(t, size):
    """``t`` cut to spatial ``size``: with output_padding >= stride the adjoint is longer than the input."""
    if tuple(t.shape[2:]) == tuple(size):
        return t
    return t[(slice(None), slice(None)) + tuple(slice(0, n) for n in size)]


class ConvNd(Function):
    """Convolution (cross-correlation); weight is (C_out, C_in // groups, *K); an optional bias is a third input."""

    @staticmethod
    def forward(ctx, x, w, bias=None, *, stride, padding, dilation, groups):
        ctx.cfg = (stride, padding, dilation, groups)
        bias = None if bias is None else _compute(bias)
        if len(stride) == 1:
            out = kernels_1d.conv1d(_compute(x), _compute(w), stride[0], padding[0], dilation[0], groups, bias=bias,
                                    cache_key=_cache_key(ctx.inputs[1]))
        else:
            out = _add_bias(kernels_nd.convnd(_compute(x), _compute(w), *ctx.cfg), bias)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def forward_meta(ctx, x, w, bias=None, *, stride, padding, dilation, groups):
        size = kernels_nd.conv_output_shape(x.shape[2:], w.shape[2:], stride, padding, dilation)
        return _meta.empty((x.shape[0], w.shape[0], *size), x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.inputs[:2]
        stride, padding, dilation, groups = ctx.cfg
        grad_x = grad_w = None
        if x.requires_grad:
            extra = _output_padding(x.shape[2:], grad_out.shape[2:], w.shape[2:], stride, padding, dilation)
            grad_x = ConvTransposeNd.apply(grad_out, w, stride=stride, padding=padding, output_padding=extra,
                                           dilation=dilation, groups=groups)
        if w.requires_grad:
            grad_w = ConvNdGradWeight.apply(x, grad_out, kernel_size=w.shape[2:], stride=stride, padding=padding,
                                            dilation=dilation, groups=groups)
        return (grad_x, grad_w) + _bias_grad(ctx, grad_out)


class ConvTransposeNd(Function):
    """Transposed convolution; weight is (C_in, C_out // groups, *K); an optional bias is a third input."""

    @staticmethod
    def forward(ctx, x, w, bias=None, *, stride, padding, output_padding, dilation, groups):
        ctx.cfg = (stride, padding, dilation, groups)
        size = kernels_nd.conv_transpose_output_shape(x.shape[2:], w.shape[2:], stride, padding, output_padding,
                                                      dilation)
        bias = None if bias is None else _compute(bias)
        if len(stride) == 1:
            out = kernels_1d.conv1d_grad_input(_compute(x), _compute(w), size[0], stride[0], padding[0], dilation[0],
                                               groups, bias=bias, cache_key=_cache_key(ctx.inputs[1]))
        else:
            out = _add_bias(kernels_nd.convnd_grad_input(_compute(x), _compute(w), size, *ctx.cfg), bias)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def forward_meta(ctx, x, w, bias=None, *, stride, padding, output_padding, dilation, groups):
        size = kernels_nd.conv_transpose_output_shape(x.shape[2:], w.shape[2:], stride, padding, output_padding,
                                                      dilation)
        return _meta.empty((x.shape[0], w.shape[1] * groups, *size), x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.inputs[:2]
        stride, padding, dilation, groups = ctx.cfg
        grad_x = grad_w = None
        if x.requires_grad:
            grad_x = ConvNd.apply(grad_out, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
            grad_x = _crop(grad_x, x.shape[2:])
        if w.requires_grad:
            # the roles swap: the transposed convolution's output plays the convolution's input
            grad_w = ConvNdGradWeight.apply(grad_out, x, kernel_size=w.shape[2:], stride=stride, padding=padding,
                                            dilation=dilation, groups=groups)
        return (grad_x, grad_w) + _bias_grad(ctx, grad_out)


class ConvNdGradWeight(Function):
    """The convolution's weight gradient as a function of (x, grad_out); bilinear, so differentiable too."""

    @staticmethod
    def forward(ctx, x, grad_out, kernel_size, stride, padding, dilation, groups):
        ctx.cfg = (stride, padding, dilation, groups)
        if len(stride) == 1:
            gw = kernels_1d.conv1d_grad_weight(_compute(x), _compute(grad_out), kernel_size[0], stride[0], padding[0],
                                               dilation[0], groups)
        else:
            gw = kernels_nd.convnd_grad_weight(_compute(x), _compute(grad_out), kernel_size, *ctx.cfg)
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
