"""Peak memory and time of a forward+backward with and without activation checkpointing.

    python benchmarks/checkpoint_memory.py

A stack of residual conv blocks (vocoder-style: Conv1d, LeakyReLU, Conv1d) runs forward and
backward on one input, plainly, with every block wrapped in ``checkpoint``, and with
``checkpoint_sequential`` in a few segments. Reported: the peak of Python/NumPy allocations
during the step (tracemalloc; NumPy reports its buffers to it), above what the model and
input already held, and the wall time. Gradients are checked to be equal to the plain run's.
"""

import pathlib
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402
from lucid.utils.checkpoint import checkpoint, checkpoint_sequential  # noqa: E402

BLOCKS, CHANNELS, LENGTH, BATCH = 8, 64, 8192, 4


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(CHANNELS, CHANNELS, 3, padding=1)
        self.act = nn.LeakyReLU(0.1)
        self.conv2 = nn.Conv1d(CHANNELS, CHANNELS, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(self.act(self.conv1(self.act(x))))


def run(model, x, mode):
    model.zero_grad()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    if mode == "plain":
        y = model(x)
    elif mode == "checkpoint every block":
        y = x
        for block in model:
            y = checkpoint(block, y)
    else:
        y = checkpoint_sequential(model, 4, x)
    y.mean().backward()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, seconds, [p.grad.numpy().copy() for p in model.parameters()]


def main():
    lucid.manual_seed(0)
    model = nn.Sequential(*[Residual() for _ in range(BLOCKS)])
    x = lucid.randn(BATCH, CHANNELS, LENGTH)
    activation = BATCH * CHANNELS * LENGTH * 4 / 2**20
    print(f"{BLOCKS} residual blocks, input {(BATCH, CHANNELS, LENGTH)} float32 ({activation:.0f} MiB per activation)")
    reference = None
    for mode in ("plain", "checkpoint every block", "checkpoint_sequential(4)"):
        run(model, x, mode)  # warm caches (kernel plans, compiled code) outside the measurement
        peak, seconds, grads = run(model, x, mode)
        if reference is None:
            reference = grads
        worst = max(float(np.max(np.abs(a - b))) for a, b in zip(grads, reference))
        print(f"{mode:>26}: peak {peak / 2**20:7.0f} MiB  time {seconds:6.2f} s  max |grad - plain| {worst:.1e}")


if __name__ == "__main__":
    main()
