"""N-d convolution kernels on raw arrays, for any number of spatial dims (1-d has its own fast path).

Layouts: ``x`` is (N, C_in, *S), ``w`` is (C_out, C_in // groups, *K), ``grad_out`` and the
output are (N, C_out, *S_out) with ``S_out[i] = (S[i] + 2p[i] - d[i](K[i]-1) - 1) // s[i] + 1``.
``stride``, ``padding`` and ``dilation`` are tuples with one entry per spatial dim.

im2col: ``_unfold`` gathers, for each kernel tap, the strided window of the padded input it
reads (a loop over taps, never over batch, channels or positions); one batched matmul per
group then does the arithmetic. ``convnd_grad_input`` is the adjoint of ``convnd`` in x
(col2im: scatter-add per tap) and is exactly the forward of a transposed convolution whose
weight, (C_in_T, C_out_T // groups, *K), has the same layout.
"""

import itertools
import math

from ..backend import get_array_module


def conv_output_shape(size, kernel_size, stride, padding, dilation):
    """Spatial output shape of a convolution."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, s, p, d in zip(size, kernel_size, stride, padding, dilation))


def conv_transpose_output_shape(size, kernel_size, stride, padding, output_padding, dilation):
    """Spatial output shape of a transposed convolution."""
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for n, k, s, p, op, d in zip(size, kernel_size, stride, padding, output_padding, dilation))


def _taps(kernel_size):
    return itertools.product(*(range(k) for k in kernel_size))


def _window(tap, out_shape, stride, dilation):
    """Slices of the padded input that tap ``tap`` reads for every output position: o·s + k·d."""
    return (slice(None), slice(None)) + tuple(
        slice(k * d, k * d + (o - 1) * s + 1, s) for k, o, s, d in zip(tap, out_shape, stride, dilation))


def _unfold(x, kernel_size, out_shape, stride, padding, dilation):
    """Columns (N, C, prod(K), *S_out) with cols[n, c, t, *o] = x_padded[n, c, *(o·s + tap_t·d)]."""
    xp = get_array_module(x)
    widths = [(0, 0), (0, 0)]
    for size, k, o, s, p, d in zip(x.shape[2:], kernel_size, out_shape, stride, padding, dilation):
        needed = (o - 1) * s + d * (k - 1) + 1
        widths.append((p, max(needed - size - p, 0)))
    padded = xp.pad(x, widths) if any(lo or hi for lo, hi in widths) else x
    cols = xp.empty((x.shape[0], x.shape[1], math.prod(kernel_size), *out_shape), dtype=x.dtype)
    for t, tap in enumerate(_taps(kernel_size)):
        cols[:, :, t] = padded[_window(tap, out_shape, stride, dilation)]
    return cols


def convnd(x, w, stride, padding, dilation, groups):
    """Cross-correlation: y[n, o, *l] = sum_{c, k} w[o, c, *k] x_padded[n, g(o)·C_g + c, *(l·s + k·d)]."""
    xp = get_array_module(x)
    n = x.shape[0]
    c_out, c_group, *kernel_size = w.shape
    out_shape = conv_output_shape(x.shape[2:], kernel_size, stride, padding, dilation)
    cols = _unfold(x, kernel_size, out_shape, stride, padding, dilation)
    cols = cols.reshape(n, groups, c_group * math.prod(kernel_size), math.prod(out_shape))
    weight = w.reshape(groups, c_out // groups, c_group * math.prod(kernel_size))
    return xp.matmul(weight, cols).reshape(n, c_out, *out_shape)


def convnd_grad_input(grad_out, w, size, stride, padding, dilation, groups):
    """Adjoint of ``convnd`` in x: scatter each output column back over the taps it read.

    Returns (N, C_in, *size); ``size`` picks among the input shapes that give this S_out.
    """
    xp = get_array_module(grad_out)
    n, c_out, *out_shape = grad_out.shape
    _, c_group, *kernel_size = w.shape
    taps = math.prod(kernel_size)
    weight = w.reshape(groups, c_out // groups, c_group * taps).transpose(0, 2, 1)
    cols = xp.matmul(weight, grad_out.reshape(n, groups, c_out // groups, math.prod(out_shape)))
    cols = cols.reshape(n, groups * c_group, taps, *out_shape)
    full = [max((o - 1) * s + 1 + d * (k - 1), p + length)
            for o, k, s, p, d, length in zip(out_shape, kernel_size, stride, padding, dilation, size)]
    out = xp.zeros((n, groups * c_group, *full), dtype=cols.dtype)
    for t, tap in enumerate(_taps(kernel_size)):
        out[_window(tap, out_shape, stride, dilation)] += cols[:, :, t]
    return out[(slice(None), slice(None)) + tuple(slice(p, p + length) for p, length in zip(padding, size))]


def convnd_grad_weight(x, grad_out, kernel_size, stride, padding, dilation, groups):
    """Gradient of ``convnd`` in w: gw[o, c, *k] = sum_{n, l} grad_out[n, o, *l] x_padded[n, c, *(l·s + k·d)]."""
    xp = get_array_module(x)
    n, c_in = x.shape[:2]
    c_out, out_shape = grad_out.shape[1], grad_out.shape[2:]
    c_group = c_in // groups
    cols = _unfold(x, kernel_size, out_shape, stride, padding, dilation)
    cols = cols.reshape(n, groups, c_group * math.prod(kernel_size), math.prod(out_shape))
    grads = grad_out.reshape(n, groups, c_out // groups, math.prod(out_shape))
    gw = xp.einsum("ngop,ngcp->goc", grads, cols, optimize=True)
    return gw.reshape(c_out, c_group, *kernel_size)
