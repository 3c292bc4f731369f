"""Test-only references written straight from the definitions, with explicit loops."""

import numpy as np


def _transposed_taps(x_shape, w_shape, out_length, stride, padding, groups, dilation):
    """Every (c, o, l, tap, pos) of the definition: x[:, c, l] · w[c, o_g, tap] lands on y[:, o, pos]."""
    _, c_in, length = x_shape
    _, c_out_group, k = w_shape
    c_in_group = c_in // groups
    for c in range(c_in):
        group = c // c_in_group
        for o_g in range(c_out_group):
            for l in range(length):
                for tap in range(k):
                    pos = l * stride + tap * dilation - padding
                    if 0 <= pos < out_length:
                        yield c, o_g, group * c_out_group + o_g, l, tap, pos


def conv_transpose1d_naive(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """y[n, g·Co_g + o, l·s + k·d - p] += x[n, g·Ci_g + c, l] · w[g·Ci_g + c, o, k] (+ b)."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n, _, length = x.shape
    c_out_group, k = w.shape[1:]
    out_length = (length - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    y = np.zeros((n, c_out_group * groups, out_length))
    for c, o_g, o, l, tap, pos in _transposed_taps(x.shape, w.shape, out_length, stride, padding, groups, dilation):
        y[:, o, pos] += x[:, c, l] * w[c, o_g, tap]
    if b is not None:
        y += np.asarray(b, np.float64)[None, :, None]
    return y


def conv_transpose1d_grads_naive(x, w, grad_out, stride=1, padding=0, groups=1, dilation=1):
    """Gradients of sum(y · grad_out) in x, w and b, from the same index relation."""
    x, w, grad_out = (np.asarray(a, np.float64) for a in (x, w, grad_out))
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    for c, o_g, o, l, tap, pos in _transposed_taps(x.shape, w.shape, grad_out.shape[2], stride, padding, groups,
                                                   dilation):
        g = grad_out[:, o, pos]
        gx[:, c, l] += g * w[c, o_g, tap]
        gw[c, o_g, tap] += np.dot(g, x[:, c, l])
    return gx, gw, grad_out.sum(axis=(0, 2))
