"""Convolutions as Functions; each one's backward is built from the other two."""

import numpy as np

from ..autograd.function import Function
from ..kernels import conv as kernels


def _compute(array):
    """Half precision is computed in float32 (as PyTorch does on the CPU)."""
    return array.astype(np.float32) if array.dtype == np.float16 else array


def _output_padding(length, out_length, kernel_size, stride, padding, dilation):
    """The output_padding that makes a transposed convolution of ``out_length`` give ``length``."""
    return length - ((out_length - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + 1)


class Conv1d(Function):
    @staticmethod
    def forward(ctx, x, w, stride, padding, dilation, groups):
        ctx.cfg = (stride, padding, dilation, groups)
        return kernels.conv1d(_compute(x), _compute(w), *ctx.cfg).astype(x.dtype, copy=False)

    @staticmethod
    def forward_meta(ctx, x, w, stride, padding, dilation, groups):
        from .convnd import ConvNd

        return ConvNd.forward_meta(ctx, x, w, (stride,), (padding,), (dilation,), groups)

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.inputs
        stride, padding, dilation, groups = ctx.cfg
        grad_x = grad_w = None
        if x.requires_grad:
            extra = _output_padding(x.shape[-1], grad_out.shape[-1], w.shape[-1], stride, padding, dilation)
            grad_x = ConvTranspose1d.apply(grad_out, w, stride=stride, padding=padding,
                                           output_padding=extra, dilation=dilation, groups=groups)
        if w.requires_grad:
            grad_w = Conv1dGradWeight.apply(x, grad_out, kernel_size=w.shape[-1], stride=stride,
                                            padding=padding, dilation=dilation, groups=groups)
        return grad_x, grad_w


class ConvTranspose1d(Function):
    """Transposed convolution; weight is (C_in, C_out // groups, K)."""

    @staticmethod
    def forward(ctx, x, w, stride, padding, output_padding, dilation, groups):
        ctx.cfg = (stride, padding, dilation, groups)
        k = w.shape[-1]
        length = (x.shape[-1] - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
        out = kernels.conv1d_grad_input(_compute(x), _compute(w), length, *ctx.cfg)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def forward_meta(ctx, x, w, stride, padding, output_padding, dilation, groups):
        from .convnd import ConvTransposeNd

        return ConvTransposeNd.forward_meta(ctx, x, w, (stride,), (padding,), (output_padding,), (dilation,), groups)

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.inputs
        stride, padding, dilation, groups = ctx.cfg
        grad_x = grad_w = None
        if x.requires_grad:
            grad_x = Conv1d.apply(grad_out, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
            if grad_x.shape[-1] != x.shape[-1]:  # output_padding >= stride (allowed when dilation > stride)
                grad_x = grad_x[..., : x.shape[-1]]
        if w.requires_grad:
            # the roles swap: the transposed conv's output plays conv1d's input
            grad_w = Conv1dGradWeight.apply(grad_out, x, kernel_size=w.shape[-1], stride=stride,
                                            padding=padding, dilation=dilation, groups=groups)
        return grad_x, grad_w


class Conv1dGradWeight(Function):
    """conv1d's weight gradient as a function of (x, grad_out); bilinear, so it is differentiable too."""

    @staticmethod
    def forward(ctx, x, grad_out, kernel_size, stride, padding, dilation, groups):
        ctx.cfg = (stride, padding, dilation, groups)
        gw = kernels.conv1d_grad_weight(_compute(x), _compute(grad_out), kernel_size, *ctx.cfg)
        return gw.astype(x.dtype, copy=False)

    @staticmethod
    def forward_meta(ctx, x, grad_out, kernel_size, stride, padding, dilation, groups):
        from .convnd import ConvNdGradWeight

        return ConvNdGradWeight.forward_meta(ctx, x, grad_out, (kernel_size,), (stride,), (padding,), (dilation,),
                                             groups)

    @staticmethod
    def backward(ctx, grad_gw):
        x, grad_out = ctx.inputs
        stride, padding, dilation, groups = ctx.cfg
        grad_x = grad_grad_out = None
        if x.requires_grad:
            extra = _output_padding(x.shape[-1], grad_out.shape[-1], grad_gw.shape[-1], stride, padding, dilation)
            grad_x = ConvTranspose1d.apply(grad_out, grad_gw, stride=stride, padding=padding,
                                           output_padding=extra, dilation=dilation, groups=groups)
        if grad_out.requires_grad:
            grad_grad_out = Conv1d.apply(x, grad_gw, stride=stride, padding=padding, dilation=dilation, groups=groups)
            if grad_grad_out.shape[-1] != grad_out.shape[-1]:  # output_padding >= stride upstream
                grad_grad_out = grad_grad_out[..., : grad_out.shape[-1]]
        return grad_x, grad_grad_out
