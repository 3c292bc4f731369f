"""Real multi-process runs: pytest starts ``mpiexec -n 2`` and ``-n 3`` (on loopback) and checks what the ranks wrote."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TIMEOUT = 120  # seconds; a run takes about 2 s, so reaching this means a hang


def _find_mpiexec():
    beside = Path(sys.executable).parent / "mpiexec"  # the mpich wheel's, in this venv
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = _find_mpiexec()
HAVE_MPI4PY = importlib.util.find_spec("mpi4py") is not None
pytestmark = pytest.mark.skipif(
    MPIEXEC is None or not HAVE_MPI4PY,
    reason=f"needs mpiexec and mpi4py (found mpiexec={MPIEXEC}, mpi4py={HAVE_MPI4PY}); "
           'install them with: pip install ".[mpi]"')


def _load_worker():
    spec = importlib.util.spec_from_file_location("_distributed_worker", HERE / "_worker.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


worker = _load_worker()


def _oversubscribe_flags():
    """Open MPI refuses more processes than cores unless told; MPICH's hydra needs no flag."""
    version = subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True, timeout=30).stdout
    return ["--oversubscribe"] if "Open MPI" in version or "OpenRTE" in version else []


def mpirun(n, *args, timeout=TIMEOUT):
    """Run ``python *args`` under ``mpiexec -n n``, processes talking over loopback only."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.update(LUCID_NO_NUMBA="1", HYDRA_IFACE="lo", OMPI_MCA_btl_tcp_if_include="lo",
               OMPI_MCA_oob_tcp_if_include="lo")
    command = [MPIEXEC, "-n", str(n)] + _oversubscribe_flags() + [sys.executable] + [str(a) for a in args]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{' '.join(command)} did not finish within {timeout} s (a hang):\n{error.stderr}")


@pytest.fixture(scope="module", params=[2, 3], ids=["2 processes", "3 processes on 2 cores"])
def run(request, tmp_path_factory):
    """Every default scenario of the worker, run once per world size; ``run.load(name)`` gives each rank's npz."""
    world = request.param
    out = tmp_path_factory.mktemp(f"world{world}")
    result = mpirun(world, HERE / "_worker.py", out)
    assert result.returncode == 0, f"mpiexec -n {world} failed:\n{result.stdout}\n{result.stderr}"

    class Run:
        size = world

        @staticmethod
        def load(name):
            return [dict(np.load(out / f"{name}_rank{rank}.npz")) for rank in range(world)]

    return Run


def _params(ranks):
    return [{key[len("param/"):]: value for key, value in rank.items() if key.startswith("param/")} for rank in ranks]


def test_collectives_combine_every_rank_value(run):
    n = run.size
    ranks = np.arange(1, n + 1, dtype=np.float64)
    for rank, got in enumerate(run.load("collectives")):
        np.testing.assert_array_equal(got["all_reduce_SUM"], [ranks.sum(), -ranks.sum()])
        np.testing.assert_array_equal(got["all_reduce_AVG"], [ranks.mean(), -ranks.mean()])
        np.testing.assert_array_equal(got["all_reduce_MAX"], [n, -1])
        np.testing.assert_array_equal(got["all_reduce_MIN"], [1, -n])
        np.testing.assert_array_equal(got["all_reduce_async"], [sum(range(n))] * 3)
        np.testing.assert_array_equal(got["broadcast"], np.arange(4) + n - 1)
        np.testing.assert_array_equal(got["all_gather"], np.repeat(np.arange(n, dtype=np.float32)[:, None], 2, 1))
        np.testing.assert_array_equal(got["all_gather_object"], np.arange(n))
        assert got["broadcast_object_list"].all()
        np.testing.assert_array_equal(got["rank_world"], [rank, n])


def test_ddp_with_adam_gives_bit_identical_ranks_equal_to_full_batch_training(run):
    ranks = run.load("adam")
    params = _params(ranks)
    reference = worker.train_reference(seed=100)  # rank 0's initial weights, the whole batch, one process
    for name, expected in reference.items():
        for rank in range(1, run.size):
            np.testing.assert_array_equal(params[rank][name], params[0][name], err_msg=f"{name} on rank {rank}")
            np.testing.assert_array_equal(ranks[rank][f"start/{name}"], ranks[0][f"start/{name}"])
        np.testing.assert_allclose(params[0][name], expected, rtol=1e-6, atol=1e-12, err_msg=name)
    start = worker.params_of(worker.build_net(seed=100))
    assert not np.array_equal(params[0]["hidden.weight"], start["hidden.weight"])  # it did train


def test_ddp_uses_several_buckets_keeps_unused_grads_none_and_prefixes_state_dict_keys(run):
    first = run.load("adam")[0]
    assert first["buckets"] > 1
    assert first["unused_grad_is_none"]
    assert all(key.startswith("module.") for key in first["state_dict_keys"])


def test_no_sync_accumulation_equals_one_large_batch_step(run):
    ranks = run.load("no_sync")
    reference = worker.large_batch_reference(seed=100)
    for name, expected in reference.items():
        for params in _params(ranks):
            np.testing.assert_allclose(params[name], expected, rtol=1e-6, atol=1e-12, err_msg=name)
    # inside no_sync nothing was averaged: the ranks' local gradients still differ
    assert not np.allclose(ranks[0]["local_grad"], ranks[1]["local_grad"])


def test_distributed_sampler_shards_are_disjoint_and_cover_the_dataset(run):
    ranks = run.load("sampler")
    for key in ranks[0]:
        n = int(key.split("_")[0][1:])
        drop_last = "drop1" in key
        shards = [rank[key].tolist() for rank in ranks]
        assert len({len(s) for s in shards}) == 1, key
        everything = sum(shards, [])
        if drop_last or n % run.size == 0:
            assert len(set(everything)) == len(everything), f"{key}: shards overlap"
        if not drop_last:
            assert set(everything) == set(range(n)), f"{key}: shards miss samples"
        else:
            assert len(everything) == n - n % run.size
    for rank in ranks:
        assert rank["n12_shuffle1_drop0_epoch0"].tolist() != rank["n12_shuffle1_drop0_epoch1"].tolist()


def test_a_lazy_model_with_example_trains_identically_on_every_rank(run):
    ranks = run.load("lazy")
    params = _params(ranks)
    assert set(params[0]) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert params[0]["0.weight"].shape == (4, 2, 3)
    for rank in range(1, run.size):
        for name in params[0]:
            np.testing.assert_array_equal(params[rank][name], params[0][name])
            np.testing.assert_array_equal(ranks[rank][f"start/{name}"], ranks[0][f"start/{name}"])
    first, last = ranks[0]["loss_first_last"]
    assert last < first


def test_buffers_start_as_rank_0s_and_are_broadcast_again_at_each_forward(run):
    for rank, got in enumerate(run.load("buffers")):
        np.testing.assert_array_equal(got["at_start"], [0.0] * 3)
        np.testing.assert_array_equal(got["after_two_steps"], [1.0 + 1 + rank] * 3)


def test_different_parameter_shapes_on_the_ranks_raise_naming_them(run):
    for got in run.load("mismatch"):
        message = str(got["message"])
        assert "hidden.weight: rank 0 has shape (16, 5)" in message and "rank 1 has (17, 5)" in message
        assert "out.weight" in message and "hidden.bias" in message


def test_a_rank_that_raises_ends_the_job_with_a_nonzero_exit_instead_of_hanging(tmp_path):
    result = mpirun(2, HERE / "_worker.py", tmp_path, "raise", timeout=60)
    assert result.returncode != 0
    assert "rank 1 fails on purpose" in result.stderr
    assert "aborting the job" in result.stderr


def test_the_demo_trains_data_parallel_to_the_same_weights_on_both_ranks(tmp_path):
    pytest.importorskip("tqdm")
    pytest.importorskip("matplotlib")
    result = mpirun(2, "-m", "lucid.demo", "--distributed", "--steps", "5", "--out", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "final weights identical on all 2 processes: True" in result.stdout
    assert (tmp_path / "checkpoint.safetensors").exists()
