"""What each process of the MPI tests runs: ``mpiexec -n N python _worker.py OUT_DIR [scenario]``.

Every scenario writes ``OUT_DIR/<scenario>_rank<r>.npz`` for the test to check. The model and
data builders are also imported by the tests for their single-process references.
"""

import sys

import numpy as np

import lucid
from lucid import nn, optim
from lucid import distributed as dist
from lucid.nn import functional as F
from lucid.nn.parallel import DistributedDataParallel
from lucid.utils.data import DataLoader, DistributedSampler, TensorDataset

STEPS = 4
BATCH = 12  # divisible by 2 and 3 processes
LR = 1e-2


class Net(nn.Module):
    """A small MLP in float64, plus a parameter that forward never uses."""

    def __init__(self, width=16):
        super().__init__()
        self.hidden = nn.Linear(5, width)
        self.out = nn.Linear(width, 3)
        self.unused = nn.Linear(2, 2)

    def forward(self, x):
        return self.out(self.hidden(x).tanh())


def build_net(seed, width=16):
    lucid.manual_seed(seed)
    return Net(width).double()


def make_data():
    rng = np.random.default_rng(1234)
    x = rng.standard_normal((BATCH, 5))
    y = rng.standard_normal((BATCH, 3))
    return x, y


def params_of(model):
    return {name: p.numpy().copy() for name, p in model.named_parameters()}


def train_reference(seed, steps=STEPS):
    """Single process, full batch: what DDP training must reproduce."""
    x, y = (lucid.tensor(a) for a in make_data())
    model = build_net(seed)
    optimizer = optim.Adam(model.parameters(), lr=LR)
    for _ in range(steps):
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()
    return params_of(model)


def large_batch_reference(seed):
    """One SGD step on the full batch (for the no_sync accumulation check)."""
    x, y = (lucid.tensor(a) for a in make_data())
    model = build_net(seed)
    F.mse_loss(model(x), y).backward()
    optim.SGD(model.parameters(), lr=0.1).step()
    return params_of(model)


def build_lazy(seed):
    lucid.manual_seed(seed)
    return nn.Sequential(nn.LazyConv1d(4, kernel_size=3, padding=1), nn.Tanh(), nn.LazyConv1d(1, kernel_size=3,
                                                                                                 padding=1))


def scenario_adam(rank, world):
    """DDP + Adam on the shards a DistributedSampler gives, tiny buckets so there are several."""
    x, y = make_data()
    dataset = TensorDataset(lucid.tensor(x), lucid.tensor(y))
    sampler = DistributedSampler(dataset, shuffle=True, seed=7)
    loader = DataLoader(dataset, batch_size=BATCH // world, sampler=sampler)
    model = DistributedDataParallel(build_net(seed=100 + rank), bucket_cap_mb=0.0005)
    start = params_of(model.module)
    optimizer = optim.Adam(model.parameters(), lr=LR)
    for step in range(STEPS):
        sampler.set_epoch(step)
        (xb, yb), = list(loader)
        optimizer.zero_grad()
        F.mse_loss(model(xb), yb).backward()
        optimizer.step()
    result = {f"param/{k}": v for k, v in params_of(model.module).items()}
    result.update({f"start/{k}": v for k, v in start.items()})
    result["buckets"] = np.array(len(model._buckets))
    result["unused_grad_is_none"] = np.array(model.module.unused.weight.grad is None)
    result["state_dict_keys"] = np.array(sorted(model.state_dict()))
    return result


def scenario_no_sync(rank, world):
    """Two micro-batches per rank, the first under no_sync, then one SGD step."""
    x, y = make_data()
    shard = slice(rank * BATCH // world, (rank + 1) * BATCH // world)
    xs, ys = x[shard], y[shard]
    half = len(xs) // 2
    model = DistributedDataParallel(build_net(seed=100 + rank))
    with model.no_sync():
        (F.mse_loss(model(lucid.tensor(xs[:half])), lucid.tensor(ys[:half])) / 2).backward()
    local_grad = model.module.out.weight.grad.numpy().copy()
    (F.mse_loss(model(lucid.tensor(xs[half:])), lucid.tensor(ys[half:])) / 2).backward()
    optim.SGD(model.parameters(), lr=0.1).step()
    result = {f"param/{k}": v for k, v in params_of(model.module).items()}
    result["local_grad"] = local_grad
    return result


def scenario_sampler(rank, world):
    result = {}
    for n in (10, 12):
        for shuffle in (False, True):
            for drop_last in (False, True):
                sampler = DistributedSampler(range(n), shuffle=shuffle, drop_last=drop_last)
                for epoch in (0, 1):
                    sampler.set_epoch(epoch)
                    result[f"n{n}_shuffle{int(shuffle)}_drop{int(drop_last)}_epoch{epoch}"] = np.array(list(sampler))
    return result


def scenario_lazy(rank, world):
    """A lazy conv model materialized by example=, trained with Adam."""
    rng = np.random.default_rng(5)
    x = lucid.tensor(rng.standard_normal((world * 2, 2, 16)).astype(np.float32))
    y = lucid.tensor(rng.standard_normal((world * 2, 1, 16)).astype(np.float32))
    model = DistributedDataParallel(build_lazy(seed=100 + rank), example=(1, 2, 16))
    start = params_of(model.module)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(10):
        loss = F.mse_loss(model(x[rank * 2:(rank + 1) * 2]), y[rank * 2:(rank + 1) * 2])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    result = {f"param/{k}": v for k, v in params_of(model.module).items()}
    result.update({f"start/{k}": v for k, v in start.items()})
    total = lucid.tensor([losses[0], losses[-1]], dtype="float64")
    dist.all_reduce(total)
    result["loss_first_last"] = total.numpy()
    return result


def scenario_collectives(rank, world):
    result = {}
    for op in ("SUM", "AVG", "MAX", "MIN"):
        t = lucid.tensor([rank + 1.0, -(rank + 1.0)], dtype="float64")
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        result[f"all_reduce_{op}"] = t.numpy()
    t = lucid.tensor([float(rank)] * 3)
    dist.all_reduce(t, op=dist.ReduceOp.SUM, async_op=True).wait()
    result["all_reduce_async"] = t.numpy()
    t = lucid.tensor(np.arange(4, dtype=np.int64) + rank)
    dist.broadcast(t, src=world - 1)
    result["broadcast"] = t.numpy()
    gathered = [lucid.zeros(2) for _ in range(world)]
    dist.all_gather(gathered, lucid.full((2,), float(rank)))
    result["all_gather"] = np.stack([g.numpy() for g in gathered])
    objects = [None] * world
    dist.all_gather_object(objects, {"rank": rank})
    result["all_gather_object"] = np.array([o["rank"] for o in objects])
    sent = [f"from {rank}", rank] if rank == 0 else [None, None]
    dist.broadcast_object_list(sent, src=0)
    result["broadcast_object_list"] = np.array([sent[0] == "from 0", sent[1] == 0])
    dist.barrier()
    result["rank_world"] = np.array([dist.get_rank(), dist.get_world_size()])
    return result


class Counting(nn.Module):
    """A layer with a buffer that each rank changes differently in forward."""

    def __init__(self, rank):
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.register_buffer("seen", lucid.full((3,), float(rank)))

    def forward(self, x):
        self.seen.data = self.seen.numpy() + 1 + dist.get_rank()
        return self.linear(x)


def scenario_buffers(rank, world):
    """Buffers start as rank 0's and are rank 0's again at each forward (broadcast_buffers)."""
    model = DistributedDataParallel(Counting(rank))
    at_start = model.module.seen.numpy().copy()
    model(lucid.ones(1, 2))
    model(lucid.ones(1, 2))  # broadcast rank 0's (1.0), then this rank adds 1 + rank
    return {"at_start": at_start, "after_two_steps": model.module.seen.numpy().copy()}


def scenario_mismatch(rank, world):
    """Rank 1 builds a wider hidden layer: every rank must raise, naming the parameters."""
    try:
        DistributedDataParallel(build_net(seed=0, width=16 if rank != 1 else 17))
    except RuntimeError as error:
        return {"message": np.array(str(error))}
    return {"message": np.array("")}


def scenario_raise(rank, world):
    """Rank 1 raises while the others wait in a collective: the job must abort, not hang."""
    if rank == 1:
        raise ValueError("rank 1 fails on purpose")
    dist.barrier()
    dist.all_reduce(lucid.zeros(3))
    return {}


SCENARIOS = {name[len("scenario_"):]: value for name, value in dict(globals()).items()
             if name.startswith("scenario_")}
DEFAULT = ["collectives", "adam", "no_sync", "sampler", "lazy", "buffers", "mismatch"]


def main(out_dir, names):
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    for name in names:
        np.savez(f"{out_dir}/{name}_rank{rank}.npz", **SCENARIOS[name](rank, world))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:] or DEFAULT)
