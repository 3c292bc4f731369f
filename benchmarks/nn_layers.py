"""Forward + backward time of the layers vocoders wrap around their convolutions, lucid vs PyTorch (CPU).

    python benchmarks/nn_layers.py

Each layer runs on a float32 activation of SHAPE (batch, channels, samples); the best of
REPEATS runs is printed for lucid and, when torch imports, for torch (same thread count).
"""

import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402

SHAPE = (4, 64, 16384)
REPEATS = 5

LAYERS = [
    ("ReflectionPad1d(3)", lambda nn: nn.ReflectionPad1d(3)),
    ("ELU()", lambda nn: nn.ELU()),
    ("SiLU()", lambda nn: nn.SiLU()),
    ("BatchNorm1d(64) train", lambda nn: nn.BatchNorm1d(64)),
    ("LayerNorm(16384)", lambda nn: nn.LayerNorm(SHAPE[-1])),
    ("GroupNorm(8, 64)", lambda nn: nn.GroupNorm(8, 64)),
    ("AvgPool1d(4, 2, 1)", lambda nn: nn.AvgPool1d(4, 2, padding=1, count_include_pad=False)),
    ("MaxPool1d(3, 2, 1)", lambda nn: nn.MaxPool1d(3, 2, padding=1)),
    ("Upsample(x2, nearest)", lambda nn: nn.Upsample(scale_factor=2)),
    ("Upsample(x2, linear)", lambda nn: nn.Upsample(scale_factor=2, mode="linear")),
    ("Conv1d(64, 64, 4, same)", lambda nn: nn.Conv1d(64, 64, 4, padding="same")),
]


def best_time(run):
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    try:
        import torch
    except ImportError:
        torch = None
    print(f"input {SHAPE} float32, best of {REPEATS}, forward + backward of sum(out)")
    print(f"{'layer':28s} {'lucid ms':>10s} {'torch ms':>10s}")
    for name, build in LAYERS:
        layer = build(nn)
        t = lucid.tensor(x, requires_grad=True)
        ours = best_time(lambda: layer(t).sum().backward())
        theirs = float("nan")
        if torch is not None:
            torch_layer = build(torch.nn)
            tt = torch.tensor(x, requires_grad=True)
            theirs = best_time(lambda: torch_layer(tt).sum().backward())
        print(f"{name:28s} {ours * 1e3:10.1f} {theirs * 1e3:10.1f}")


if __name__ == "__main__":
    main()
