"""Winograd's minimal filtering F(3, 3) for stride-1, ungrouped convolutions of any size and dilation.

Three outputs of a three-tap filter from five inputs take 5 products instead of 9. A kernel of K
taps is cut into P = ceil(K / 3) pieces of three (zero taps pad the last one); piece k reads the
same transformed tiles as piece 0, one tile (3 outputs) later, so the input transform runs once
and the pieces are one GEMM contraction over (piece, channel):

    M[a] = U[a] @ V[a],   U[a] (C_out, P·C_in) = G w,   V[a] (P·C_in, tiles) = B^T x,   a < 5
    y = A^T M (+ bias)

which is 5·P/(3·K) of the dense multiply-adds (K = 3: 0.56, K = 7: 0.71, K = 11: 0.61). A
dilation-d convolution is d interleaved dense ones (output phase r reads input phase r - p).
The signal is split once into its 3d phases so that every tile reads contiguous rows, and the
outputs are written by phase and interleaved once at the end (both compiled, over the pool).

Blocks of tiles run on the pool's workers with BLAS on one thread each, so the transform and
GEMMs of a block stay in one core's cache and no BLAS thread spins against a transform. Winograd mixes the five inputs of a tile, so a NaN
or inf would reach outputs it does not touch: when any output comes out non-finite, that sample
is recomputed with the exact compiled loop (``direct_conv1d``).

The transposed convolution at stride 1 is again a stride-1 convolution: of grad_out with the
kernel flipped and its channel axes swapped, padded by d(K - 1) - p.
"""

import numpy as np

from ...backend import get_array_module
from . import tuning
from . import workspace as ws

TILE = 3  # outputs per tile
POINTS = 5  # products per tile and piece: F(3, 3) interpolates at 0, 1, -1, 2 and infinity

# y = A^T [(G g) ⊙ (B^T d)] for the correlation y_i = sum_k g_k d_{i+k}; rows of G scaled so that
# B^T has integer entries (tests/kernels/test_conv_winograd.py derives all three by Toom-Cook)
A_T = np.array([[1, 1, 1, 1, 0], [0, 1, -1, 2, 0], [0, 1, 1, 4, 1]], dtype=np.float64)
G = np.array([[1 / 2, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 6, -1 / 6, 1 / 6], [1 / 6, 1 / 3, 2 / 3], [0, 0, 1]])
B_T = np.array([[2, -1, -2, 1, 0], [0, 2, 1, -1, 0], [0, -2, 3, -1, 0], [0, -1, 0, 1, 0], [0, 2, -1, -2, 1]],
               dtype=np.float64)


def pieces(kernel_size):
    return -(-kernel_size // TILE)


def work_fraction(kernel_size):
    """The share of the dense multiply-adds the GEMMs run: 5·P / (3·K)."""
    return POINTS * pieces(kernel_size) / (TILE * kernel_size)


def tiles(out_length, dilation):
    """Tiles per output phase (the last may reach past the end)."""
    return -(-out_length // (TILE * dilation))


def block_tiles(c_in, kernel_size, itemsize):
    """Tiles per block, so that a block's V (5, P·C_in, B) stays near WINOGRAD_BLOCK_BYTES."""
    return max(16, tuning.WINOGRAD_BLOCK_BYTES // (POINTS * pieces(kernel_size) * c_in * itemsize))


def transform(w):
    """U (5, C_out, P·C_in) = G w, the kernel cut into three-tap pieces, for w (C_out, C_in, K)."""
    xp = get_array_module(w)
    c_out, c_in, k = w.shape
    p = pieces(k)
    padded = xp.zeros((c_out, c_in, p * TILE), dtype=w.dtype)
    padded[..., :k] = w
    taps = padded.reshape(c_out, c_in, p, TILE).transpose(3, 0, 2, 1)  # (tap, C_out, piece, C_in)
    u = xp.tensordot(xp.asarray(G, dtype=w.dtype), taps, axes=1)
    return xp.ascontiguousarray(u.reshape(POINTS, c_out, p * c_in))


def _flipped(w):
    """The stride-1 transposed convolution's kernel as a conv1d kernel (C_in, C_out, K)."""
    return w[:, :, ::-1].transpose(1, 0, 2)


def conv1d_weight(case, w):
    return transform(w)


def grad_input_weight(case, w):
    return transform(_flipped(w))


def _run(xp, signal, u, w, bias, out_length, dilation, padding):
    """y (N, C_out, L_out) of the stride-1 conv1d of ``signal`` by w (C_out, C_in, K), whose U is ``u``."""
    n, c_in, _ = signal.shape
    c_out, _, k = w.shape
    dtype = signal.dtype
    phases, count, p = TILE * dilation, tiles(out_length, dilation), pieces(k)
    block = block_tiles(c_in, k, dtype.itemsize)
    split, forward = ws.compiled("winograd_split"), ws.compiled("winograd33_input")
    backward, merge = ws.compiled("winograd33_output"), ws.compiled("winograd_merge")
    bias_arg, has_bias = ws.bias_arg(xp, bias, c_out, dtype)
    u = u.astype(dtype, copy=False)
    jobs = [(r, q0, min(block, count - q0)) for r in range(dilation) for q0 in range(0, count, block)]
    workers = min(len(jobs), tuning.WORKERS)
    out = xp.empty((n, c_out, out_length), dtype=dtype)

    def blocks(x3, y3, part):  # one worker's blocks: transform, GEMMs, transform; returns the non-finite flag
        bad = 0.0
        for r, q0, size in part:
            v = ws.scratch(xp, (POINTS, p * c_in, size), dtype, "winograd-v")
            forward(x3, v, r, dilation, q0, ws.scratch(xp, (POINTS, size + p - 1), dtype, "winograd-e"), 0, c_in)
            bad += backward(ws.matmul(xp, u, v, "winograd-m"), bias_arg, has_bias, y3, r, dilation, q0, 0, c_out)
        return bad

    for i in range(n):
        x = xp.ascontiguousarray(signal[i])
        x3 = ws.scratch(xp, (phases, c_in, count + p), dtype, "winograd-x")
        ws.run(lambda a, b: split(x, x3, padding, a, b), ws.ranges(c_in, tuning.WORKERS), xp)
        y3 = ws.scratch(xp, (phases, c_out, count), dtype, "winograd-y")
        with ws.blas_threads(1 if workers > 1 else None):  # a GEMM per worker, not one spread over the cores
            bad = sum(ws.run(blocks, [(x3, y3, jobs[j::workers]) for j in range(workers)], xp))
        if np.isfinite(bad):
            ws.run(lambda a, b: merge(y3, out[i], a, b), ws.ranges(c_out, tuning.WORKERS), xp)
        else:  # a NaN or inf somewhere: the exact loop puts it only where the definition does
            exact = xp.ascontiguousarray(w, dtype=dtype)
            ws.compiled("direct_conv1d")(x[None], exact, bias_arg, has_bias, out[i : i + 1], 1, padding, dilation, 1)
    return out


def conv1d(case, x, w, bias=None, weight=None):
    u = conv1d_weight(case, w) if weight is None else weight
    return _run(get_array_module(x), x, u, w, bias, case.out_length, case.dilation, case.padding)


def grad_input(case, grad_out, w, bias=None, weight=None):
    u = grad_input_weight(case, w) if weight is None else weight
    padding = case.dilation * (case.kernel_size - 1) - case.padding
    return _run(get_array_module(grad_out), grad_out, u, _flipped(w), bias, case.length, case.dilation, padding)
