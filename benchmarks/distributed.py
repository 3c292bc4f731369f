"""Data-parallel training on MPI: allreduce time, step scaling from 1 to 2 processes, bucket size.

    python benchmarks/distributed.py [--steps 20] [--repeats 3]

The script launches itself under ``mpiexec -n 1`` and ``-n 2`` (the ``mpi`` extra's mpiexec
beside this Python, else the one on PATH) and prints one table per measurement:

- the gradient allreduce alone (pack, one ``Allreduce`` per bucket, unpack) for the
  benchmark decoder's 2.1 M float32 parameters (8.4 MB), per bucket size;
- a whole training step (forward, backward with the DDP gradient averaging, Adam) for a
  fixed global batch of 16, on 1 process (the whole batch) and on 2 (8 each);
- both with the process using every core (lucid's thread pool and BLAS threads, the
  default) and pinned to one thread per process (one process per core).

Each number is the median over ``--repeats`` runs of the mean over ``--steps`` steps.

``--overlap-ab`` instead compares, in the same two processes and in alternating rounds, DDP
as it is (every bucket's allreduce after the backward) with a variant that starts each
bucket's allreduce non-blocking as soon as its gradients are ready (the design DDP tried
first and dropped: docs/benchmarks.md).
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
GLOBAL_BATCH = 16
BUCKETS_MB = [0.25, 1, 5, 25]


def _decoder(nn):
    return nn.Sequential(
        nn.Conv1d(64, 512, 7, padding=3), nn.LeakyReLU(0.1),
        nn.ConvTranspose1d(512, 256, 8, stride=4, padding=2), nn.LeakyReLU(0.1),
        nn.Conv1d(256, 256, 7, padding=3), nn.LeakyReLU(0.1),
        nn.ConvTranspose1d(256, 128, 8, stride=4, padding=2), nn.LeakyReLU(0.1),
        nn.Conv1d(128, 1, 7, padding=3),
    )


def worker(args):
    """One MPI process: time the allreduce and the training step; rank 0 prints JSON."""
    if args.one_thread:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = "1"
    sys.path.insert(0, str(ROOT))
    import numpy as np

    import lucid
    from lucid import distributed as dist
    from lucid import nn, optim
    from lucid.kernels import conv as conv_kernels
    from lucid.nn import functional as F
    from lucid.nn.parallel import DistributedDataParallel

    if args.one_thread:
        conv_kernels._WORKERS = 1
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    comm = dist.core._world
    lucid.manual_seed(0)
    rng = np.random.default_rng(0)
    x = lucid.tensor(rng.standard_normal((GLOBAL_BATCH, 64, 32)).astype(np.float32))
    y = lucid.tensor(rng.standard_normal((GLOBAL_BATCH, 1, 512)).astype(np.float32))
    share = GLOBAL_BATCH // world
    xs, ys = x[rank * share:(rank + 1) * share], y[rank * share:(rank + 1) * share]
    results = {"world": world, "allreduce_ms": {}, "step_ms": {}}

    def timed(fn, steps):
        fn()
        fn()  # warm-up: first-call allocations, numba compilation
        dist.barrier()
        start = time.perf_counter()
        for _ in range(steps):
            fn()
        dist.barrier()
        return (time.perf_counter() - start) / steps * 1e3

    for bucket_mb in BUCKETS_MB:
        model = DistributedDataParallel(_decoder(nn), bucket_cap_mb=bucket_mb)
        optimizer = optim.Adam(model.parameters(), lr=1e-4)
        F.mse_loss(model(xs), ys).backward()
        results["params"] = sum(p.numel() for p in model.parameters())
        results.setdefault("buckets", {})[bucket_mb] = len(model._buckets)
        if world > 1:
            def allreduce():
                for bucket in model._buckets:
                    bucket.pack()
                    comm.comm.Allreduce(comm.mpi.IN_PLACE, bucket.flat, comm.mpi.SUM)
                    bucket.unpack(world)

            results["allreduce_ms"][bucket_mb] = timed(allreduce, args.steps)

        def step():
            optimizer.zero_grad()
            F.mse_loss(model(xs), ys).backward()
            optimizer.step()

        results["step_ms"][str(bucket_mb)] = timed(step, args.steps)
        if world == 1:
            break  # no communication: the bucket size cannot matter
    if rank == 0:
        print("RESULT " + json.dumps(results))
    dist.destroy_process_group()


def _overlapping_ddp(DistributedDataParallel, queue_callback, register_post_accumulate_grad_hook):
    """DDP whose buckets start a non-blocking allreduce, in bucket order, once their gradients are ready."""

    class Overlapping(DistributedDataParallel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for handle in self._hook_handles:
                handle.remove()
            self._hook_handles = [register_post_accumulate_grad_hook(p, self._ready_in(b))
                                  for b, bucket in enumerate(self._buckets) for p in bucket.params]

        def _ready_in(self, b):
            def hook(param):
                if not self._sync_pending:
                    return
                world = self._world
                if not self._finishing_queued:
                    queue_callback(self._wait_all)
                    self._finishing_queued = True
                    self._ready, self._requests = [0] * len(self._buckets), []
                self._ready[b] += 1
                while (len(self._requests) < len(self._buckets)
                       and self._ready[len(self._requests)] == len(self._buckets[len(self._requests)].params)):
                    self._start(self._buckets[len(self._requests)])
                world.mpi.Request.Testall(self._requests)  # MPI progresses transfers only inside its calls

            return hook

        def _start(self, bucket):
            world = self._world
            bucket.pack()
            self._requests.append(world.comm.Iallreduce(world.mpi.IN_PLACE, bucket.flat, world.mpi.SUM))

        def _wait_all(self):
            while len(self._requests) < len(self._buckets):  # buckets with unused parameters
                self._start(self._buckets[len(self._requests)])
            self._world.mpi.Request.Waitall(self._requests)
            for bucket in self._buckets:
                bucket.unpack(self._world.size)
            self._sync_pending = self._finishing_queued = False

    return Overlapping


def overlap_worker(args):
    """Two processes, one thread each: after-backward vs overlapped averaging, alternating rounds."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    sys.path.insert(0, str(ROOT))
    import numpy as np

    import lucid
    from lucid import distributed as dist
    from lucid import nn, optim
    from lucid.autograd.engine import queue_callback, register_post_accumulate_grad_hook
    from lucid.kernels import conv as conv_kernels
    from lucid.nn import functional as F
    from lucid.nn.parallel import DistributedDataParallel

    conv_kernels._WORKERS = 1
    Overlapping = _overlapping_ddp(DistributedDataParallel, queue_callback, register_post_accumulate_grad_hook)
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    rng = np.random.default_rng(0)
    share = GLOBAL_BATCH // world
    x = lucid.tensor(rng.standard_normal((share, 64, 32)).astype(np.float32))
    y = lucid.tensor(rng.standard_normal((share, 1, 512)).astype(np.float32))
    variants = {}
    for bucket_mb in (1, 25):
        for name, cls in (("after backward", DistributedDataParallel), ("overlapped", Overlapping)):
            lucid.manual_seed(0)
            model = cls(_decoder(nn), bucket_cap_mb=bucket_mb)
            variants[(bucket_mb, name)] = (model, optim.Adam(model.parameters(), lr=1e-4))

    def step(model, optimizer):
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()

    times = {key: [] for key in variants}
    for key, (model, optimizer) in variants.items():
        step(model, optimizer)
    for _ in range(args.repeats):
        for key, (model, optimizer) in variants.items():
            dist.barrier()
            start = time.perf_counter()
            for _ in range(args.steps):
                step(model, optimizer)
            dist.barrier()
            times[key].append((time.perf_counter() - start) / args.steps * 1e3)
    same = all(np.array_equal(a.numpy(), b.numpy()) for a, b in
               zip(variants[(1, "after backward")][0].parameters(), variants[(1, "overlapped")][0].parameters()))
    if rank == 0:
        print(f"final weights identical in both variants: {same}")
        print("| bucket_cap_mb | variant | median step ms | min | buckets |")
        print("|---|---|---|---|---|")
        for (bucket_mb, name), values in times.items():
            print(f"| {bucket_mb} | {name} | {statistics.median(values):.1f} | {min(values):.1f} | "
                  f"{len(variants[(bucket_mb, name)][0]._buckets)} |")
    dist.destroy_process_group()


def _mpiexec():
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def _launch(n, args, one_thread):
    env = dict(os.environ, HYDRA_IFACE="lo")
    command = [_mpiexec(), "-n", str(n), sys.executable, __file__, "--worker", "--steps", str(args.steps)]
    if one_thread:
        command.append("--one-thread")
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{out.stdout}\n{out.stderr}")
    line = next(line for line in out.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def _median_runs(runs, key):
    return {k: statistics.median(run[key][k] for run in runs) for k in runs[0][key]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--overlap-ab", action="store_true",
                        help="compare after-backward with overlapped gradient averaging instead")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--one-thread", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return overlap_worker(args) if args.overlap_ab else worker(args)
    if _mpiexec() is None:
        raise SystemExit('no mpiexec found; install the mpi extra: pip install ".[mpi]"')
    if args.overlap_ab:
        command = [_mpiexec(), "-n", "2", sys.executable, __file__, "--worker", "--overlap-ab", "--steps",
                   str(args.steps), "--repeats", str(args.repeats)]
        subprocess.run(command, check=True, env=dict(os.environ, HYDRA_IFACE="lo"), timeout=1800)
        return None
    print(f"cores: {os.cpu_count()}, global batch {GLOBAL_BATCH}, {args.steps} steps x {args.repeats} repeats")
    for one_thread in (False, True):
        label = "one thread per process" if one_thread else "all cores per process (default)"
        runs = {n: [_launch(n, args, one_thread) for _ in range(args.repeats)] for n in (1, 2)}
        single = _median_runs(runs[1], "step_ms")
        double = _median_runs(runs[2], "step_ms")
        allreduce = _median_runs(runs[2], "allreduce_ms")
        first = runs[2][0]
        print(f"\n## {label}: {first['params']:,} parameters ({first['params'] * 4 / 1e6:.1f} MB)")
        print(f"1 process, whole batch: {single[next(iter(single))]:.1f} ms/step")
        print("| bucket_cap_mb | buckets | allreduce ms/step (2 proc) | step ms (2 proc) | speedup vs 1 process |")
        print("|---|---|---|---|---|")
        base = single[next(iter(single))]
        for bucket_mb in BUCKETS_MB:
            key = str(bucket_mb)
            print(f"| {bucket_mb} | {first['buckets'][key]} | {allreduce[key]:.2f} | {double[key]:.1f} | "
                  f"{base / double[key]:.2f}x |")


if __name__ == "__main__":
    main()
