"""Every tuning constant of the 1-d convolution kernels, each with the reason it exists.

The measurements behind the numbers are in docs/benchmarks.md; ``benchmarks/calibrate.py``
refits :data:`COST` from timings and rewrites that table here.
"""

import os

# --- workspace ------------------------------------------------------------------------------
WORKSPACE_BYTES = 16 << 20  # a call's scratch stays near this: larger calls run in chunks of batch and position
SCRATCH_KEEP_BYTES = 32 << 20  # larger scratch is not kept between calls (it would pin memory)
DIRECT_BLOCK_BYTES = 1 << 20  # blocks of the NumPy per-tap loops fit a core's L2
PARALLEL_BYTES = 1 << 20  # copies smaller than this do not pay for a hand-off to the pool
WORKERS = min(os.cpu_count() or 1, 8)  # NumPy copies and numba's serial loops release the GIL
BATCHED_MIN_POSITIONS = 256  # per-sample GEMMs (no batch transpose) once each is this wide
UNFOLD_LOOP_MAX_TAPS = 32  # past this many taps one strided copy beats a Python loop per tap

# --- compiled gathers -------------------------------------------------------------------------
GATHER_BLOCK = 512  # coarse positions per job: the accumulators and the input rows stay in L1
GATHER_DOT_WINDOW_BYTES = 512 << 10  # the weight gradient's input window per job: L2-sized
GATHER_RANGES_PER_WORKER = 4  # several job ranges per worker so that one slowed core does not hold a call
GATHER_RANGE_PRODUCTS = 1 << 24  # multiply-adds that pay for one more job range (about 0.5 ms of a core)

# --- per-tap GEMMs ----------------------------------------------------------------------------
PER_TAP_BLOCK_BYTES = 1 << 20  # output positions per block so the accumulated rows stay in L2

# --- the cost model ---------------------------------------------------------------------------
# Predicted time of a leaf, in microseconds:
#     setup + calls · per_call + macs / (gmacs·1e3 · depth / (depth + half)) + elements · ns_per_element / 1e3
# ``calls``: the Python-level GEMM/copy calls the leaf makes; ``depth``: the thinnest GEMM dimension
# it runs (GEMMs that thin run below the BLAS peak, which ``half``, the depth at half speed, models);
# ``elements``: what it copies besides the GEMM operands (im2col columns, phase copies, accumulation
# passes). Keys are (op, leaf) with op one of "conv1d", "grad_input", "grad_weight".
# Columns: setup_us, per_call_us, gmacs, half, ns_per_element. Refit by benchmarks/calibrate.py.
COST = {
    ('conv1d', 'depthwise_compiled'): (23.08, 0.0, 2.16, 0.0, 0.5614),
    ('conv1d', 'depthwise_numpy'): (0.0, 5.786, 22.04, 4.0, 1.0502),
    ('conv1d', 'gather_compiled'): (27.62, 27.625, 1060.36, 32.0, 1.2562),
    ('conv1d', 'im2col_gemm'): (24.92, 3.298, 59.94, 32.0, 0.0056),
    ('conv1d', 'per_tap_gemm'): (135.94, 7.822, 84.82, 8.0, 0.0849),
    ('conv1d', 'polyphase_gemm'): (57.34, 10.755, 151.89, 32.0, 0.4029),
    ('grad_input', 'col2im_compiled'): (190.85, 0.0, 70.09, 32.0, 0.1638),
    ('grad_input', 'col2im_gemm'): (46.42, 12.866, 70.12, 32.0, 0.2835),
    ('grad_input', 'depthwise_compiled'): (17.2, 0.0, 2.06, 0.0, 0.1698),
    ('grad_input', 'depthwise_numpy'): (9.68, 3.35, 9.45, 2.0, 0.986),
    ('grad_input', 'gather_compiled'): (42.33, 42.332, 31.58, 0.0, 1.0775),
    ('grad_input', 'per_tap_gemm'): (200.88, 8.54, 85.46, 4.0, 0.1691),
    ('grad_input', 'polyphase_gemm'): (83.55, 2.195, 73.83, 0.0, 0.3065),
    ('grad_weight', 'depthwise_compiled'): (21.43, 0.0, 125.07, 64.0, 0.2469),
    ('grad_weight', 'depthwise_numpy'): (15.3, 6.023, 7.74, 0.0, 0.7891),
    ('grad_weight', 'gather_compiled'): (23.68, 23.676, 40.28, 0.0, 2.3622),
    ('grad_weight', 'im2col_gemm'): (28.6, 2.194, 57.63, 32.0, 0.0142),
    ('grad_weight', 'per_tap_gemm'): (166.61, 6.026, 70.66, 32.0, 0.1345),
    ('grad_weight', 'polyphase_gemm'): (59.77, 7.259, 47.91, 2.0, 0.1054),
}

# --- the weight-layout cache ------------------------------------------------------------------
WEIGHT_CACHE_BYTES = 256 << 20  # rearranged weights kept for reuse; a HiFi-GAN V1 needs about 60 MiB
