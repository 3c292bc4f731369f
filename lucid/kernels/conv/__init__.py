"""1-D convolution kernels on raw arrays, each op a choice among formulations.

Layouts: ``x`` is (N, C_in, L), ``w`` is (C_out, C_in // groups, K), ``grad_out`` and the
output are (N, C_out, L_out) with ``L_out = (L + 2p - d(K-1) - 1) // s + 1``.
``conv1d_grad_input`` is the adjoint of ``conv1d`` in ``x`` and is exactly the forward of a
transposed convolution whose weight, (C_in_T, C_out_T // groups, K), has the same layout.

Each op describes its call as a :class:`~.geometry.Case` and asks :func:`~.registry.choose`
for a leaf (``method=`` forces one by name: ``im2col_gemm``, ``col2im_gemm``,
``col2im_compiled``, ``polyphase_gemm``, ``per_tap_gemm``, ``gather_compiled``,
``depthwise_compiled``, ``depthwise_numpy``); :func:`measured_choice` (True) times the cost
model's near ties at each case's first calls and keeps the fastest. ``*_compiled`` leaves need numba (the ``fast``
extra) and NumPy arrays; ``LUCID_NO_NUMBA=1`` or :func:`compiled_kernels` (False) removes them
from the choice. :mod:`lucid.kernels.convnd` is the always-correct N-d reference.
"""

import time

from ...backend import get_array_module
from .geometry import Case, conv1d_output_length, conv_transpose1d_output_length, tap_plan
from . import weights
from . import registry
from .registry import LEAVES, OPS, Leaf, applicable, choose, forget_measurements, leaves, measured_choice
from .workspace import compiled_kernels, release_scratch

__all__ = ["Case", "LEAVES", "OPS", "Leaf", "applicable", "choose", "compiled_kernels", "conv1d",
           "conv1d_grad_input", "conv1d_grad_weight", "conv1d_output_length", "conv_transpose1d_output_length",
           "forget_measurements", "leaves", "make_case", "measured_choice", "release_scratch", "tap_plan"]


def make_case(x_shape, w_shape, length, stride, padding, dilation, groups, itemsize=4, numpy=True, out_length=None):
    """The Case of a convolution of a long signal of ``length`` (x of ``x_shape``) by w (C_out, C_g, K)."""
    c_out, c_group, k = w_shape
    if out_length is None:
        out_length = conv1d_output_length(length, k, stride, padding, dilation)
    return Case(x_shape[0], c_group * groups, c_out, k, stride, padding, dilation, groups, length, out_length,
                itemsize, numpy)


def _is_numpy(a):
    return get_array_module(a).__name__ == "numpy"


def _run(op, case, method, a, b, bias=None, cache_key=None):
    """Run the chosen leaf, timed for :func:`~.registry.record` when the choice was not forced; a
    leaf that rearranges the weight ``b`` takes it from the cache under ``cache_key``."""
    leaf = choose(op, case, method)
    start = time.perf_counter()
    if leaf.prepare is None:
        out = leaf.run(case, a, b, bias)
    else:
        owner, version = cache_key if cache_key is not None else (None, None)
        geometry = (b.shape, str(b.dtype), case.stride, case.padding, case.dilation, case.groups)
        weight = weights.prepared(owner, version, op, leaf.name, geometry, lambda: leaf.prepare(case, b))
        out = leaf.run(case, a, b, bias, weight=weight)
    if method is None:
        registry.record(op, case, leaf, time.perf_counter() - start)
    return out


def conv1d(x, w, stride, padding, dilation, groups, *, bias=None, method=None, cache_key=None):
    """Cross-correlation: y[n, o, l] = sum_{c, k} w[o, c, k] x_padded[n, g(o)·C_g + c, l·s + k·d] (+ bias[o]).

    ``cache_key``: (owner, version) of the weight, where ``owner`` is any weak-referenceable object
    that lives as long as the weight and ``version`` changes with every write to it; a leaf's
    rearranged weight is then reused across calls (see :mod:`.weights`).
    """
    case = make_case(x.shape, w.shape, x.shape[-1], stride, padding, dilation, groups, x.dtype.itemsize, _is_numpy(x))
    return _run("conv1d", case, method, x, w, bias, cache_key)


def conv1d_grad_input(grad_out, w, length, stride, padding, dilation, groups, *, bias=None, method=None,
                      cache_key=None):
    """Adjoint of ``conv1d`` in x: (N, C_in, length) (+ ``bias[c]``, the transposed convolution's bias).

    ``length`` picks among the input lengths that give this L_out; ``cache_key`` as for :func:`conv1d`.
    """
    case = make_case(grad_out.shape, w.shape, length, stride, padding, dilation, groups, grad_out.dtype.itemsize,
                     _is_numpy(grad_out), out_length=grad_out.shape[-1])
    return _run("grad_input", case, method, grad_out, w, bias, cache_key)


def conv1d_grad_weight(x, grad_out, kernel_size, stride, padding, dilation, groups, *, method=None):
    """Gradient of ``conv1d`` in w: gw[o, c, k] = sum_{n, l} grad_out[n, o, l] x_padded[n, c, l·s + k·d]."""
    w_shape = (grad_out.shape[1], x.shape[1] // groups, kernel_size)
    case = make_case(x.shape, w_shape, x.shape[-1], stride, padding, dilation, groups, x.dtype.itemsize,
                     _is_numpy(x), out_length=grad_out.shape[-1])
    return _run("grad_weight", case, method, x, grad_out)
