"""lucid.distributed and DistributedDataParallel inside one plain process (no launcher)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lucid
from lucid import distributed as dist
from lucid import nn, optim
from lucid.distributed import core
from lucid.nn import functional as F
from lucid.nn.parallel import DistributedDataParallel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(monkeypatch):
    """A world of one without MPI (as when mpi4py is not installed), left again afterwards."""
    monkeypatch.setattr(core, "_import_mpi", lambda: None)
    for name in core._LAUNCHER_SIZE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    dist.init_process_group("mpi")
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def test_a_plain_process_is_a_world_of_one(world):
    assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
    assert dist.get_backend() == "mpi"


def test_collectives_in_a_world_of_one_leave_values_as_they_are(world):
    t = lucid.tensor([1.5, -2.0])
    for op in dist.ReduceOp:
        dist.all_reduce(t, op=op)
        np.testing.assert_array_equal(t.numpy(), [1.5, -2.0])
    assert dist.all_reduce(t, async_op=True).wait()
    dist.broadcast(t, src=0)
    gathered = [lucid.zeros(2)]
    dist.all_gather(gathered, t)
    np.testing.assert_array_equal(gathered[0].numpy(), [1.5, -2.0])
    objects = [None]
    dist.all_gather_object(objects, {"a": 1})
    assert objects == [{"a": 1}]
    sent = ["x", 2]
    dist.broadcast_object_list(sent)
    assert sent == ["x", 2]
    dist.barrier()


def test_all_reduce_writes_into_a_non_contiguous_view_in_place(world):
    base = lucid.tensor(np.arange(6.0).reshape(2, 3))
    view = base.detach().transpose(0, 1)
    dist.all_reduce(view, op=dist.ReduceOp.AVG)
    np.testing.assert_array_equal(view.numpy(), np.arange(6.0).reshape(2, 3).T)


def test_destroy_then_init_again_works(world):
    dist.destroy_process_group()
    assert not dist.is_initialized()
    dist.init_process_group()
    assert dist.get_world_size() == 1


@pytest.mark.parametrize("call, error, words", [
    (lambda: dist.init_process_group(), ValueError, "twice"),
    (lambda: dist.all_reduce(lucid.ones(2), op="sum"), TypeError, "ReduceOp"),
    (lambda: dist.all_reduce(lucid.ones(2, dtype="int64"), op=dist.ReduceOp.AVG), TypeError, "floating"),
    (lambda: dist.all_reduce(np.ones(2)), TypeError, "expected a Tensor"),
    (lambda: dist.broadcast(lucid.ones(2), src=1), ValueError, "src must be a rank in [0, 0]"),
    (lambda: dist.all_gather([lucid.ones(2), lucid.ones(2)], lucid.ones(2)), ValueError, "world_size=1"),
    (lambda: dist.all_gather([lucid.ones(3)], lucid.ones(2)), ValueError, "tensor_list[0] must be a tensor of shape (2,)"),
    (lambda: dist.all_gather_object([], 1), ValueError, "world_size=1"),
    (lambda: dist.get_rank(group="other"), ValueError, "only the default group"),
    (lambda: DistributedDataParallel(nn.Linear(2, 2), device_ids=[0]), ValueError, "device_ids"),
    (lambda: DistributedDataParallel(nn.Linear(2, 2), bucket_cap_mb=0), ValueError, "bucket_cap_mb"),
    (lambda: DistributedDataParallel(nn.LazyLinear(2)), RuntimeError, "still lazy"),
    (lambda: DistributedDataParallel("model"), TypeError, "lucid Module"),
], ids=["init twice", "op not a ReduceOp", "AVG of ints", "not a tensor", "src out of range",
        "tensor_list too long", "tensor_list shape", "object_list length", "another group", "device_ids",
        "bucket size", "lazy without example", "not a module"])
def test_bad_calls_raise_clear_errors(world, call, error, words):
    with pytest.raises(error, match=None) as caught:
        call()
    assert words in str(caught.value)


def test_bad_init_arguments_raise_and_leave_no_group(monkeypatch):
    monkeypatch.setattr(core, "_import_mpi", lambda: None)
    for kwargs, words in [({"backend": "nccl"}, "backend='mpi' only"), ({"init_method": "tcp://x:1"}, "init_method"),
                          ({"world_size": 2}, "world_size=2")]:
        with pytest.raises(ValueError, match="init_process_group") as caught:
            dist.init_process_group(**kwargs)
        assert words in str(caught.value)
        assert not dist.is_initialized()


def test_calls_before_init_say_so():
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="has not been initialized"):
        DistributedDataParallel(nn.Linear(2, 2))


def test_a_launch_of_several_processes_without_mpi4py_refuses_to_train_each_alone(monkeypatch):
    monkeypatch.setattr(core, "_import_mpi", lambda: None)
    monkeypatch.setenv("PMI_SIZE", "2")
    with pytest.raises(RuntimeError, match="mpi4py is not installed"):
        dist.init_process_group()
    assert not dist.is_initialized()


def test_ddp_in_a_world_of_one_trains_exactly_like_the_bare_model(world):
    rng = np.random.default_rng(0)
    x, y = lucid.tensor(rng.standard_normal((8, 3))), lucid.tensor(rng.standard_normal((8, 2)))
    results = []
    for wrap in (False, True):
        lucid.manual_seed(3)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
        net = DistributedDataParallel(model) if wrap else model
        optimizer = optim.Adam(net.parameters(), lr=0.01)
        for _ in range(3):
            optimizer.zero_grad()
            F.mse_loss(net(x), y).backward()
            optimizer.step()
        results.append([p.numpy().copy() for p in model.parameters()])
    for bare, wrapped in zip(*results):
        np.testing.assert_array_equal(bare, wrapped)


def test_ddp_state_dict_keys_carry_the_module_prefix_and_load_back(world):
    model = DistributedDataParallel(nn.Linear(3, 2))
    state = model.state_dict()
    assert list(state) == ["module.weight", "module.bias"]
    fresh = DistributedDataParallel(nn.Linear(3, 2))
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.module.weight.numpy(), model.module.weight.numpy())


def test_ddp_example_materializes_lazy_layers_and_an_earlier_optimizer_trains_them(world):
    model = nn.Sequential(nn.LazyConv1d(3, kernel_size=3), nn.LazyLinear(2))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    ddp = DistributedDataParallel(model, example=(1, 2, 10))
    assert model[0].weight.shape == (3, 2, 3) and model[1].weight.shape == (2, 8)
    before = model[1].weight.numpy().copy()
    ddp(lucid.randn(4, 2, 10)).sum().backward()
    optimizer.step()
    assert not np.array_equal(model[1].weight.numpy(), before)


def test_a_plain_python_process_with_mpi4py_is_a_world_of_one():
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip('mpi4py is not installed (pip install ".[mpi]")')
    env = {k: v for k, v in os.environ.items() if k not in core._LAUNCHER_SIZE_VARIABLES}
    env["PYTHONPATH"] = str(ROOT)
    code = ("import lucid.distributed as d; d.init_process_group(); "
            "print(d.get_rank(), d.get_world_size(), d.core._world.mpi is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "1", "True"]
