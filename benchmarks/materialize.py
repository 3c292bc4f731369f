"""Time and peak memory of shape-only materialization of a lazy decoder.

    python benchmarks/materialize.py

The decoder (a vocoder-style upsampler built without a single input channel count) is
materialized from the input shape (64, 512, 100_000). A real forward on that input would
hold every activation; the script prints that size (from the summary's output shapes) next
to what ``nn.utils.materialize`` actually used: wall time, the peak of Python/NumPy
allocations (tracemalloc) and the growth of the process's peak resident memory.
"""

import math
import pathlib
import resource
import sys
import time
import tracemalloc

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402

SHAPE = (64, 512, 100_000)


def decoder():
    return nn.Sequential(
        nn.LazyConvTranspose1d(256, 16, stride=8, padding=4), nn.LeakyReLU(0.1),
        nn.LazyConv1d(256, 7, padding=3), nn.LeakyReLU(0.1),
        nn.LazyConvTranspose1d(128, 4, stride=2, padding=1), nn.LeakyReLU(0.1),
        nn.LazyConv1d(1, 7, padding=3), nn.Tanh(),
    )


def main():
    lucid.manual_seed(0)
    model = decoder()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    start = time.perf_counter()
    out = nn.utils.materialize(model, SHAPE)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    weights = sum(4 * p.numel() for p in model.parameters())
    rows = nn.utils.summary(model, SHAPE).rows
    activations = sum(4 * math.prod(row.output_shape) for row in rows if row.name)  # each layer's output
    print(f"input shape                      {SHAPE}")
    print(f"output shape                     {out}")
    print(f"a real forward's activations     {activations / 1e9:,.1f} GB (float32)")
    print(f"materialized weights             {weights / 1e6:,.1f} MB")
    print(f"materialize wall time            {elapsed * 1e3:,.1f} ms")
    print(f"materialize peak (tracemalloc)   {peak / 1e6:,.1f} MB")
    print(f"peak RSS growth                  {rss_growth / 1e6:,.1f} MB")
    assert elapsed < 1.0 and peak < 200e6, "shape-only materialization exceeded its budget"


if __name__ == "__main__":
    main()
