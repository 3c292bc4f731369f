"""The transposed forward's scratch memory stays under 1.5 × (input + weight + output) + 64 MiB.

Measured with tracemalloc, which NumPy reports its allocations to; the output itself is not
scratch and is subtracted.
"""

import tracemalloc

import numpy as np
import pytest

from lucid.kernels import conv as kernels

MiB = 1 << 20

# (N, C_in_T, C_out_T, K, stride, padding, groups, L): a suite shape and long inputs whose
# single im2col/col2im GEMM buffer (K/s × output: 1 GiB here) alone would break the bound
SHAPES = {
    "hifigan-up2": (4, 256, 128, 16, 8, 4, 1, 1024),
    "long-input": (1, 16, 16, 64, 2, 31, 1, 1 << 18),
    "long-depthwise": (1, 64, 64, 8, 2, 3, 64, 1 << 18),
}


def params():
    for name, (n, c_in, c_out, k, s, p, groups, length) in SHAPES.items():
        out_length = (length - 1) * s - 2 * p + (k - 1) + 1
        case = kernels.make_case((n, c_out, out_length), (c_in, c_out // groups, k), out_length, s, p, 1, groups,
                                 out_length=length)
        for method in ["auto"] + [leaf.name for leaf in kernels.applicable("grad_input", case)]:
            if method != "gather_compiled" or groups > 1:  # dense gathers here would take seconds
                yield pytest.param(name, method, id=f"{name}-{method}")


@pytest.mark.parametrize("name, method", list(params()))
def test_a_transposed_forward_stays_within_its_workspace_bound(name, method):
    n, c_in, c_out, k, s, p, groups, length = SHAPES[name]
    x = np.ones((n, c_in, length), dtype=np.float32)
    w = np.ones((c_in, c_out // groups, k), dtype=np.float32)
    out_length = (length - 1) * s - 2 * p + (k - 1) + 1
    bound = 1.5 * (x.nbytes + w.nbytes + n * c_out * out_length * 4) + 64 * MiB
    kernels.release_scratch()  # reused scratch buffers count too: measure a first call
    tracemalloc.start()
    try:
        out = kernels.conv1d_grad_input(x, w, out_length, s, p, 1, groups, method=None if method == "auto" else method)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape == (n, c_out, out_length)
    assert peak - out.nbytes <= bound, f"workspace {(peak - out.nbytes) / MiB:.1f} MiB > bound {bound / MiB:.1f} MiB"
