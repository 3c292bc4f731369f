"""1-D convolution kernels on raw arrays.

Layouts: ``x`` is (N, C_in, L), ``w`` is (C_out, C_in // groups, K), ``grad_out`` and the
output are (N, C_out, L_out) with ``L_out = (L + 2p - d(K-1) - 1) // s + 1``.

``conv1d_grad_input`` is the adjoint of ``conv1d`` in ``x`` and is exactly the forward of
a transposed convolution whose weight, (C_in_T, C_out_T // groups, K), has the same layout.
"""

from ..backend import get_array_module


def conv1d_output_length(length, kernel_size, stride, padding, dilation):
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def _unfold(x, kernel_size, out_length, stride, padding, dilation):
    """Columns (N, C, K, L_out) with cols[n, c, k, l] = x_padded[n, c, l*s + k*d]."""
    xp = get_array_module(x)
    n, c, length = x.shape
    needed = (out_length - 1) * stride + dilation * (kernel_size - 1) + 1
    right = max(needed - length - padding, 0)
    padded = xp.pad(x, ((0, 0), (0, 0), (padding, right))) if padding or right else x
    span = (out_length - 1) * stride + 1
    return xp.stack([padded[:, :, k * dilation : k * dilation + span : stride] for k in range(kernel_size)], axis=2)


def conv1d(x, w, stride, padding, dilation, groups):
    """Cross-correlation: y[n, o, l] = sum_{c, k} w[o, c, k] x_padded[n, g(o)·C_g + c, l·s + k·d]."""
    xp = get_array_module(x)
    n, c_in, length = x.shape
    c_out, c_group, k = w.shape
    out_length = conv1d_output_length(length, k, stride, padding, dilation)
    cols = _unfold(x, k, out_length, stride, padding, dilation).reshape(n, groups, c_group * k, out_length)
    weight = w.reshape(groups, c_out // groups, c_group * k)
    return xp.matmul(weight, cols).reshape(n, c_out, out_length)


def conv1d_grad_input(grad_out, w, length, stride, padding, dilation, groups):
    """Adjoint of ``conv1d`` in x: scatter each output column back over the taps it read.

    Returns (N, C_in, length); ``length`` picks among the input lengths that give this L_out.
    """
    xp = get_array_module(grad_out)
    n, c_out, out_length = grad_out.shape
    _, c_group, k = w.shape
    weight = w.reshape(groups, c_out // groups, c_group * k).transpose(0, 2, 1)
    cols = xp.matmul(weight, grad_out.reshape(n, groups, c_out // groups, out_length))
    cols = cols.reshape(n, groups * c_group, k, out_length)
    span = (out_length - 1) * stride + 1
    full = max(span + dilation * (k - 1), padding + length)
    out = xp.zeros((n, groups * c_group, full), dtype=cols.dtype)
    for tap in range(k):
        out[:, :, tap * dilation : tap * dilation + span : stride] += cols[:, :, tap, :]
    return out[:, :, padding : padding + length]


def conv1d_grad_weight(x, grad_out, kernel_size, stride, padding, dilation, groups):
    """Gradient of ``conv1d`` in w: gw[o, c, k] = sum_{n, l} grad_out[n, o, l] x_padded[n, c, l·s + k·d]."""
    xp = get_array_module(x)
    n, c_in, _ = x.shape
    _, c_out, out_length = grad_out.shape
    c_group = c_in // groups
    cols = _unfold(x, kernel_size, out_length, stride, padding, dilation)
    cols = cols.reshape(n, groups, c_group * kernel_size, out_length)
    grads = grad_out.reshape(n, groups, c_out // groups, out_length)
    gw = xp.einsum("ngol,ngcl->goc", grads, cols, optimize=True)
    return gw.reshape(c_out, c_group, kernel_size)
