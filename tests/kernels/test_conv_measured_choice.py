"""The measured choice: near ties of the cost model timed at a case's first calls, the fastest kept."""

import numpy as np
import pytest

from lucid.kernels import conv as kernels
from lucid.kernels.conv import registry, tuning, workspace

from .test_conv_paths import GRID, case_of, naive_conv1d, naive_conv_transpose1d, naive_grad_weight


@pytest.fixture(autouse=True)
def fresh():
    kernels.forget_measurements()
    yield
    kernels.forget_measurements()


@pytest.fixture
def every_leaf_is_a_near_tie(monkeypatch):
    monkeypatch.setattr(tuning, "TRIAL_MARGIN", float("inf"))
    monkeypatch.setattr(tuning, "TRIAL_LEAVES", 8)


def test_off_by_default_the_cost_model_chooses_and_nothing_is_timed():
    case = case_of(GRID["same-dilated-long"])
    with kernels.measured_choice(False):
        for op in kernels.OPS:
            cheapest = min(kernels.applicable(op, case), key=lambda leaf: leaf.cost(case))
            assert kernels.choose(op, case) is cheapest
    assert registry._trials == {}


def test_measured_choice_is_restored_by_its_context_manager():
    before = registry.is_measured_choice()
    with kernels.measured_choice(not before):
        assert registry.is_measured_choice() is (not before)
        with kernels.measured_choice(before):
            assert registry.is_measured_choice() is before
        assert registry.is_measured_choice() is (not before)
    assert registry.is_measured_choice() is before


def test_each_near_tie_runs_its_calls_in_a_row_and_the_fastest_is_kept(every_leaf_is_a_near_tie):
    case = case_of(GRID["same-dilated-long"])
    with kernels.measured_choice(True):
        kernels.choose("conv1d", case)
        candidates = registry._trials[registry._key("conv1d", case)].candidates  # cheapest predicted first
        assert sorted(leaf.name for leaf in candidates) == sorted(leaf.name for leaf in kernels.applicable("conv1d", case))
        assert len(candidates) >= 2
        fake = {leaf.name: 1.0 + i for i, leaf in enumerate(candidates)}
        fake[candidates[-1].name] = 0.5  # the last one is the fastest
        order = []
        for _ in range(len(candidates) * tuning.TRIAL_RUNS):
            leaf = kernels.choose("conv1d", case)
            assert registry.pending() == 1
            order.append(leaf.name)
            registry.record("conv1d", case, leaf, fake[leaf.name])
        assert sorted(order) == sorted(leaf.name for leaf in candidates for _ in range(tuning.TRIAL_RUNS))
        runs = tuning.TRIAL_RUNS  # one leaf after another, each for its runs in a row
        assert order == [leaf.name for leaf in candidates for _ in range(runs)]
        assert registry.pending() == 0
        for _ in range(3):
            assert kernels.choose("conv1d", case).name == candidates[-1].name
        registry.record("conv1d", case, candidates[0], 0.0)  # later timings change nothing
        assert kernels.choose("conv1d", case).name == candidates[-1].name


def test_the_best_time_of_each_leaf_counts_not_its_first(every_leaf_is_a_near_tie):
    case = case_of(GRID["same-dilated-long"])
    with kernels.measured_choice(True):
        candidates = kernels.applicable("grad_weight", case)
        slow_first = candidates[0].name  # a first call that loads compiled code is slow once
        runs = {leaf.name: 0 for leaf in candidates}
        while registry.pending() or not runs[slow_first]:
            leaf = kernels.choose("grad_weight", case)
            seconds = 9.0 if (leaf.name == slow_first and runs[slow_first] == 0) else (
                0.1 if leaf.name == slow_first else 1.0)
            runs[leaf.name] += 1
            registry.record("grad_weight", case, leaf, seconds)
        assert kernels.choose("grad_weight", case).name == slow_first


def test_a_forced_leaf_or_a_single_near_tie_times_nothing(monkeypatch):
    case = case_of(GRID["same-dilated-long"])
    with kernels.measured_choice(True):
        assert kernels.choose("conv1d", case, "im2col_gemm").name == "im2col_gemm"
        assert registry._trials == {}
        monkeypatch.setattr(tuning, "TRIAL_MARGIN", 1.0)  # only the cheapest is within 1x of itself
        with kernels.measured_choice(False):
            cheapest = kernels.choose("grad_input", case)
        assert kernels.choose("grad_input", case) is cheapest
        assert registry.pending() == 0


@pytest.mark.parametrize("name", ["same-dilated-long", "strided-padded", "depthwise", "many-taps"])
def test_every_call_while_timing_and_after_matches_the_definition(rng, every_leaf_is_a_near_tie, name):
    n, c_in, c_out, k, s, p, d, g, length = GRID[name]
    x = rng.standard_normal((n, c_in, length)).astype(np.float32)
    w = rng.standard_normal((c_out, c_in // g, k)).astype(np.float32)
    y_ref = naive_conv1d(x, w, s, p, d, g)
    gy = rng.standard_normal(y_ref.shape).astype(np.float32)
    gx_ref = naive_conv_transpose1d(gy, w, length, s, p, d, g)
    gw_ref = naive_grad_weight(x, gy, k, s, p, d, g)
    with kernels.measured_choice(True):
        for _ in range(1 + 8 * tuning.TRIAL_RUNS):
            np.testing.assert_allclose(kernels.conv1d(x, w, s, p, d, g, cache_key=(w, 0)), y_ref, rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(kernels.conv1d_grad_input(gy, w, length, s, p, d, g, cache_key=(w, 0)), gx_ref,
                                       rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(kernels.conv1d_grad_weight(x, gy, k, s, p, d, g), gw_ref, rtol=1e-4, atol=1e-4)
        assert registry.pending() == 0
        case = case_of(GRID[name])
        for op in kernels.OPS:
            assert kernels.choose(op, case) in kernels.applicable(op, case)


@pytest.mark.skipif(not workspace.has_compiled(), reason="needs numba")
def test_a_compiled_winner_is_not_used_once_compiled_kernels_are_off(every_leaf_is_a_near_tie):
    case = case_of(GRID["same-dilated-long"])
    with kernels.measured_choice(True):
        while registry.pending() or not registry._trials:
            leaf = kernels.choose("conv1d", case)
            registry.record("conv1d", case, leaf, 0.1 if leaf.name == "gather_compiled" else 1.0)
        assert kernels.choose("conv1d", case).name == "gather_compiled"
        with kernels.compiled_kernels(False):
            assert not kernels.choose("conv1d", case).name.endswith("_compiled")


def test_other_array_modules_are_not_timed():
    n, c_in, c_out, k, s, p, d, g, length = GRID["same-dilated-long"]
    case = kernels.make_case((n, c_in, length), (c_out, c_in, k), length, s, p, d, g, numpy=False)
    with kernels.measured_choice(True):
        kernels.choose("conv1d", case)
    assert registry._trials == {}


def test_the_measured_cases_kept_are_bounded(monkeypatch, every_leaf_is_a_near_tie):
    monkeypatch.setattr(tuning, "TRIAL_CASES", 2)
    with kernels.measured_choice(True):
        for name in ("plain", "dilated", "long"):
            kernels.choose("conv1d", case_of(GRID[name]))
    assert [key[1] for key in registry._trials] == [case_of(GRID["dilated"]), case_of(GRID["long"])]
