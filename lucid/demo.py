"""Train a small lazy decoder, checkpoint it, reload it into a fresh model, and plot the result.

Run ``python -m lucid.demo [--steps N] [--seed S] [--out DIR]`` (needs the ``demo`` extra:
``pip install ".[demo]"``); ``mpiexec -n 2 python -m lucid.demo --distributed`` trains the same
decoder data-parallel, each process on its share of every batch. The task: recover a 1-D waveform of 128 samples from a 4x shorter
version of it (the mean of every 4 samples). The decoder is built from lazy layers, so no
channel count is written down twice: two LazyConvTranspose1d upsample by 2 each, and a
LazyConv1d maps to one output channel.
"""

import argparse
import os
import sys
import time

import numpy as np

import lucid
from lucid import nn, optim
from lucid.nn import functional as F

LENGTH = 128
FACTOR = 4


def build_decoder():
    """A fresh decoder; every in_channels is inferred on the first forward (or from a checkpoint)."""
    return nn.Sequential(
        nn.LazyConvTranspose1d(32, kernel_size=4, stride=2, padding=1),  # L -> 2L
        nn.LeakyReLU(0.1),
        nn.LazyConvTranspose1d(16, kernel_size=4, stride=2, padding=1),  # 2L -> 4L
        nn.LeakyReLU(0.1),
        nn.LazyConv1d(1, kernel_size=5, padding=2),
    )


def make_batch(rng, batch_size):
    """(downsampled input (N, 1, L/4), target (N, 1, L)): sums of three random sinusoids."""
    t = np.linspace(0.0, 1.0, LENGTH, endpoint=False)
    freq = rng.uniform(1.0, 6.0, size=(batch_size, 3, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(batch_size, 3, 1))
    amp = rng.uniform(0.2, 1.0, size=(batch_size, 3, 1))
    target = (amp * np.sin(2 * np.pi * freq * t + phase)).sum(axis=1, keepdims=True) / 2
    low = target.reshape(batch_size, 1, LENGTH // FACTOR, FACTOR).mean(axis=-1)
    return lucid.tensor(low.astype(np.float32)), lucid.tensor(target.astype(np.float32))


def _require_extras():
    try:
        import matplotlib
        from tqdm import tqdm
    except ImportError as error:
        raise SystemExit(f"lucid.demo needs tqdm and matplotlib ({error.name} is not installed); "
                         'install them with: pip install ".[demo]"') from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return tqdm, plt


def _plot(plt, path, low, target, reconstruction, losses):
    figure, axes = plt.subplots(2, 2, figsize=(11, 6.5))
    t = np.arange(LENGTH)
    t_low = np.arange(LENGTH // FACTOR) * FACTOR + (FACTOR - 1) / 2
    for k, axis in enumerate(axes.flat[:3]):
        axis.plot(t, target[k, 0], color="black", linewidth=2, label="target")
        axis.plot(t, reconstruction[k, 0], color="tab:orange", linewidth=1.5, linestyle="--", label="reconstruction")
        axis.plot(t_low, low[k, 0], "o", color="tab:blue", markersize=3, label="input (4x shorter)")
        axis.set_title(f"validation signal {k}")
        axis.set_xlabel("sample")
        if k == 0:
            axis.legend(loc="upper right", fontsize=8)
    loss_axis = axes.flat[3]
    loss_axis.plot(np.arange(1, len(losses) + 1), losses, color="tab:green")
    loss_axis.set_yscale("log")
    loss_axis.set_title("training loss (MSE)")
    loss_axis.set_xlabel("step")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv=None):
    """Run the demo; returns a dict of results (losses, paths) for tests."""
    parser = argparse.ArgumentParser(prog="python -m lucid.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", default=os.path.join("runs", "demo"), help="output folder (default runs/demo)")
    parser.add_argument("--distributed", action="store_true",
                        help="train data-parallel across the processes of an MPI launch (mpiexec -n N ...)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    tqdm, plt = _require_extras()
    rank, world = 0, 1
    if args.distributed:
        from lucid import distributed as dist
        from lucid.nn.parallel import DistributedDataParallel

        dist.init_process_group("mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()

    lucid.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    val_low, val_target = make_batch(np.random.default_rng(args.seed + 1), 64)
    model = build_decoder()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)  # built before the lazy layers materialize
    if args.distributed:  # materialize on every rank, then all start from rank 0's weights
        model = DistributedDataParallel(model, example=(1, 1, LENGTH // FACTOR))
    with lucid.no_grad():
        start_loss = F.mse_loss(model(val_low), val_target).item()

    losses, running = [], None
    bar = tqdm(range(args.steps), desc="training", unit="step", file=sys.stdout, mininterval=0.2, disable=rank > 0)
    for _ in bar:
        low, target = make_batch(rng, 32)
        low, target = low[rank::world], target[rank::world]  # this process's share of the batch
        loss = F.mse_loss(model(low), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        running = losses[-1] if running is None else 0.9 * running + 0.1 * losses[-1]
        bar.set_postfix(loss=f"{running:.4f}")
    bar.close()

    if args.distributed:
        model = model.module
        weights = [p.numpy() for p in model.parameters()]
        everyone = [None] * world
        dist.all_gather_object(everyone, weights)
        same = all(all(np.array_equal(a, b) for a, b in zip(weights, other)) for other in everyone)
        dist.destroy_process_group()
        if rank > 0:
            return {"rank": rank, "same_weights": same}
        print(f"final weights identical on all {world} processes: {same}")
        if not same:
            raise SystemExit("the processes' weights differ after data-parallel training")
    with lucid.no_grad():
        reconstruction = model(val_low)
        end_loss = F.mse_loss(reconstruction, val_target).item()
    print(f"validation MSE: start {start_loss:.5f} -> end {end_loss:.5f} ({start_loss / end_loss:.1f}x lower)")

    checkpoint = os.path.join(args.out, "checkpoint.safetensors")
    lucid.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": args.steps}, checkpoint)
    fresh = build_decoder()  # lazy again: the checkpoint's shapes materialize it
    fresh.load_state_dict(lucid.load(checkpoint)["model"])
    with lucid.no_grad():
        identical = np.array_equal(fresh(val_low).numpy(), reconstruction.numpy())
    print(f"checkpoint {checkpoint} reloaded into a fresh lazy decoder: outputs identical = {identical}")
    if not identical:
        raise SystemExit("the reloaded decoder's outputs differ from the trained one's")

    figure = os.path.join(args.out, "demo.png")
    _plot(plt, figure, val_low.numpy(), val_target.numpy(), reconstruction.numpy(), losses)
    elapsed = time.perf_counter() - started
    print(f"figure written to {figure} ({elapsed:.1f} s in all)")
    return {"start_loss": start_loss, "end_loss": end_loss, "losses": losses, "checkpoint": checkpoint,
            "figure": figure, "identical": identical, "seconds": elapsed}


if __name__ == "__main__":
    main()
