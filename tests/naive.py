"""Test-only references written straight from the definitions, with explicit loops."""

import numpy as np


def conv_transpose1d_naive(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """y[n, g·Co_g + o, l·s + k·d - p] += x[n, g·Ci_g + c, l] · w[g·Ci_g + c, o, k] (+ b)."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n, c_in, length = x.shape
    _, c_out_group, k = w.shape
    c_in_group = c_in // groups
    out_length = (length - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    y = np.zeros((n, c_out_group * groups, out_length))
    for c in range(c_in):
        group = c // c_in_group
        for o in range(c_out_group):
            for l in range(length):
                for tap in range(k):
                    pos = l * stride + tap * dilation - padding
                    if 0 <= pos < out_length:
                        y[:, group * c_out_group + o, pos] += x[:, c, l] * w[c, o, tap]
    if b is not None:
        y += np.asarray(b, np.float64)[None, :, None]
    return y


def conv_transpose1d_grads_naive(x, w, grad_out, stride=1, padding=0, groups=1, dilation=1):
    """Gradients of sum(y · grad_out) in x, w and b, from the same index relation."""
    x, w, grad_out = (np.asarray(a, np.float64) for a in (x, w, grad_out))
    n, c_in, length = x.shape
    _, c_out_group, k = w.shape
    c_in_group = c_in // groups
    out_length = grad_out.shape[2]
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    for c in range(c_in):
        group = c // c_in_group
        for o in range(c_out_group):
            for l in range(length):
                for tap in range(k):
                    pos = l * stride + tap * dilation - padding
                    if 0 <= pos < out_length:
                        g = grad_out[:, group * c_out_group + o, pos]
                        gx[:, c, l] += g * w[c, o, tap]
                        gw[c, o, tap] += np.dot(g, x[:, c, l])
    return gx, gw, grad_out.sum(axis=(0, 2))


def conv1d_naive(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, l] = sum_{c, k} w[o, c, k] · x_padded[n, g(o)·Ci_g + c, l·s + k·d] (+ b)."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n, c_in, length = x.shape
    c_out, c_in_group, k = w.shape
    out_group = c_out // groups
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    out_length = (length + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    y = np.zeros((n, c_out, out_length))
    for o in range(c_out):
        group = o // out_group
        for c in range(c_in_group):
            for l in range(out_length):
                for tap in range(k):
                    y[:, o, l] += w[o, c, tap] * padded[:, group * c_in_group + c, l * stride + tap * dilation]
    if b is not None:
        y += np.asarray(b, np.float64)[None, :, None]
    return y
