"""Convolutions as Functions; each one's backward is built from the other two."""

import numpy as np

from .. import _meta
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
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
    def forward(ctx, x, w, bias=None, *, stride, padding, output_padding, dilation, groups):
        # an optional bias is a third input, added in the kernel's own output pass
        ctx.cfg = (stride, padding, dilation, groups)
        k = w.shape[-1]
        length = (x.shape[-1] - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
        bias = None if bias is None else _compute(bias)
        out = kernels.conv1d_grad_input(_compute(x), _compute(w), length, *ctx.cfg, bias=bias)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def forward_meta(ctx, x, w, bias=None, *, stride, padding, output_padding, dilation, groups):
        from .convnd import ConvTransposeNd

        return ConvTransposeNd.forward_meta(ctx, x, w, (stride,), (padding,), (output_padding,), (dilation,), groups)

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.inputs[:2]
        stride, padding, dilation, groups = ctx.cfg
        grad_x = grad_w = None
        grads_b = () if len(ctx.inputs) == 2 else (grad_out.sum((0, 2)) if ctx.inputs[2].requires_grad else None,)
        if x.requires_grad and w.requires_grad and not is_grad_enabled():
            # no graph over the gradients: both read one shared im2col of grad_out
            grad_x, grad_w = _shared_backward(grad_out, x, w, ctx.cfg)
            return (grad_x, grad_w) + grads_b
        if x.requires_grad:
            grad_x = Conv1d.apply(grad_out, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
            if grad_x.shape[-1] != x.shape[-1]:  # output_padding >= stride (allowed when dilation > stride)
                grad_x = grad_x[..., : x.shape[-1]]
        if w.requires_grad:
            # the roles swap: the transposed conv's output plays conv1d's input
            grad_w = Conv1dGradWeight.apply(grad_out, x, kernel_size=w.shape[-1], stride=stride,
                                            padding=padding, dilation=dilation, groups=groups)
        return (grad_x, grad_w) + grads_b


def _shared_backward(grad_out, x, w, cfg):
    """ConvTranspose1d's input and weight gradients as plain (graph-free) tensors, from one kernel call."""
    from ..tensor import Tensor

    g = grad_out.data
    if type(g) is _meta.ndarray:  # shape-only arrays: the composed Functions carry the shape rules
        grad_x = Conv1d.apply(grad_out, w, stride=cfg[0], padding=cfg[1], dilation=cfg[2], groups=cfg[3])
        grad_w = Conv1dGradWeight.apply(grad_out, x, kernel_size=w.shape[-1], stride=cfg[0], padding=cfg[1],
                                        dilation=cfg[2], groups=cfg[3])
        return grad_x[..., : x.shape[-1]], grad_w
    gx, gw = kernels.conv1d_and_grad_weight(_compute(g), _compute(w.data), _compute(x.data), *cfg)
    if gx.shape[-1] != x.shape[-1]:
        gx = gx[..., : x.shape[-1]]
    return (Tensor._from_array(gx.astype(x.data.dtype, copy=False), grad_out.device),
            Tensor._from_array(gw.astype(w.data.dtype, copy=False), grad_out.device))


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
