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
    ('conv1d', 'depthwise_compiled'): (42.28, 0.0, 734.21, 16.0, 0.6551),
    ('conv1d', 'depthwise_numpy'): (92.92, 2.502, 86.57, 32.0, 1.0455),
    ('conv1d', 'gather_compiled'): (36.31, 36.315, 114.8, 4.0, 1.5447),
    ('conv1d', 'im2col_gemm'): (87.2, 2.014, 52.94, 32.0, 0.0359),
    ('conv1d', 'per_tap_gemm'): (576.26, 13.146, 86.32, 32.0, 0.0),
    ('conv1d', 'polyphase_gemm'): (67.84, 19.709, 85.91, 32.0, 0.4502),
    ('grad_input', 'col2im_compiled'): (223.96, 0.0, 64.11, 32.0, 0.2293),
    ('grad_input', 'col2im_gemm'): (98.09, 27.171, 69.88, 32.0, 0.5724),
    ('grad_input', 'depthwise_compiled'): (37.67, 0.0, 51.43, 0.0, 0.7245),
    ('grad_input', 'depthwise_numpy'): (57.17, 3.618, 192.91, 64.0, 1.3911),
    ('grad_input', 'gather_compiled'): (56.81, 56.815, 71.07, 2.0, 1.3604),
    ('grad_input', 'per_tap_gemm'): (517.84, 12.554, 76.21, 16.0, 0.0835),
    ('grad_input', 'polyphase_gemm'): (95.62, 7.544, 108.46, 0.0, 0.7676),
    ('grad_weight', 'depthwise_compiled'): (41.53, 0.0, 29.28, 0.0, 0.6444),
    ('grad_weight', 'depthwise_numpy'): (103.97, 3.14, 617.32, 128.0, 1.135),
    ('grad_weight', 'gather_compiled'): (52.84, 52.838, 191.22, 8.0, 2.6821),
    ('grad_weight', 'im2col_gemm'): (74.88, 2.115, 52.32, 32.0, 0.0385),
    ('grad_weight', 'per_tap_gemm'): (681.73, 13.518, 77.89, 32.0, 0.1812),
    ('grad_weight', 'polyphase_gemm'): (102.68, 14.456, 34.52, 8.0, 0.1639),
}

# --- measured choice among near ties (registry.choose) ---------------------------------------------
TRIAL_MARGIN = 6.0  # leaves predicted within this factor of the cheapest are timed (the model's misses reach ~6x)
TRIAL_LEAVES = 4  # at most this many of them (the cheapest predicted first)
TRIAL_RUNS = 4  # calls in a row per candidate, the best kept: the first 2-3 load compiled loops and fill scratch
TRIAL_CASES = 4096  # measured choices kept (oldest dropped first); a decoder has a few dozen cases

# --- the weight-layout cache ------------------------------------------------------------------
WEIGHT_CACHE_BYTES = 256 << 20  # rearranged weights kept for reuse; a HiFi-GAN V1 needs about 60 MiB
