"""Winograd's minimal filtering F(2, 3) for stride-1, three-tap convolutions (any dilation).

Two outputs from four inputs with 4 products instead of 6: per block of tiles, numba's input
transform writes V (4, C_in, B), four BLAS GEMMs M_i = U_i @ V_i contract over channels, and
numba's output transform writes the outputs (and adds the bias) from M. The weight transform
U = G w is made once per weight version (the layout cache). A dilation-d convolution is d
interleaved dense ones; a tile takes outputs l0 and l0 + d of one of them.

The transposed convolution at stride 1 is again a stride-1 convolution: of grad_out with the
kernel flipped and its channel axes swapped, padded by d(K - 1) - p.
"""

from ...backend import get_array_module
from . import tuning
from . import workspace as ws


def tiles(out_length, dilation):
    """How many tiles cover ``out_length`` outputs: tile u starts at (u // d)·2d + u % d."""
    return sum(max(0, -(-(out_length - r) // (2 * dilation))) for r in range(dilation))


def _transform(w):
    """U (4, O, C) = G w for w (O, C, 3)."""
    xp = get_array_module(w)
    g0, g1, g2 = w[..., 0], w[..., 1], w[..., 2]
    return xp.ascontiguousarray(xp.stack([g0, (g0 + g1 + g2) * 0.5, (g0 - g1 + g2) * 0.5, g2]))


def conv1d_weight(case, w):
    return _transform(w)


def grad_input_weight(case, w):
    return _transform(w[:, :, ::-1].transpose(1, 0, 2))


def _run(xp, signal, u, bias, out_length, dilation, padding):
    n, c_in, _ = signal.shape
    c_out = u.shape[1]
    out = xp.empty((n, c_out, out_length), dtype=signal.dtype)
    total = tiles(out_length, dilation)
    block = max(64, tuning.PER_TAP_BLOCK_BYTES // (4 * signal.dtype.itemsize * max(c_in, c_out)))
    forward, backward = ws.compiled("winograd23_input"), ws.compiled("winograd23_output")
    bias_arg, has_bias = ws.bias_arg(xp, bias, c_out, signal.dtype)
    u = u.astype(signal.dtype, copy=False)
    for i in range(n):
        x = xp.ascontiguousarray(signal[i])
        for first in range(0, total, block):
            count = min(block, total - first)
            v = ws.scratch(xp, (4, c_in, count), signal.dtype, "winograd-v")
            forward(x, v, first, dilation, padding)
            m = ws.matmul(xp, u, v, "winograd-m")
            backward(m, bias_arg, has_bias, out[i], first, dilation)
    return out


def conv1d(case, x, w, bias=None, weight=None):
    u = conv1d_weight(case, w) if weight is None else weight
    return _run(get_array_module(x), x, u, bias, case.out_length, case.dilation, case.padding)


def grad_input(case, grad_out, w, bias=None, weight=None):
    u = grad_input_weight(case, w) if weight is None else weight
    padding = case.dilation * (case.kernel_size - 1) - case.padding
    return _run(get_array_module(grad_out), grad_out, u, bias, case.length, case.dilation, padding)
