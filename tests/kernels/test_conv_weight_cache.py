"""The weight-layout cache: reused while the version holds, rebuilt after a change, bounded, freed with its owner."""

import gc

import numpy as np
import pytest

from lucid.kernels import conv as kernels
from lucid.kernels.conv import registry, tuning, weights, workspace

from .test_conv_paths import naive_conv1d, naive_conv_transpose1d


class Owner:
    """Stands in for a Parameter: weak-referenceable, lives as long as its weight."""


@pytest.fixture(autouse=True)
def empty_cache():
    weights.clear()
    yield
    weights.clear()


def count_prepares(monkeypatch, op, name):
    calls = []
    leaf = registry.LEAVES[f"{op}/{name}"]
    original = leaf.prepare
    monkeypatch.setitem(registry.LEAVES, f"{op}/{name}",
                        registry.Leaf(leaf.name, leaf.op, leaf.applies, leaf.features, leaf.run,
                                      lambda case, w: calls.append(1) or original(case, w)))
    return calls


@pytest.mark.parametrize("op, name", [("conv1d", "polyphase_gemm"), ("conv1d", "per_tap_gemm"),
                                      ("grad_input", "polyphase_gemm"), ("grad_input", "per_tap_gemm")])
def test_a_rearranged_weight_is_built_once_per_version(rng, monkeypatch, op, name):
    calls = count_prepares(monkeypatch, op, name)
    s = 2 if name == "polyphase_gemm" else 1  # polyphase applies to strided convolutions only
    x = rng.standard_normal((2, 4, 30))
    w = rng.standard_normal((6, 4, 3))
    y = rng.standard_normal((2, 6, 30 // s))
    owner = Owner()

    def call(version):
        if op == "conv1d":
            return kernels.conv1d(x, w, s, 1, 1, 1, method=name, cache_key=(owner, version))
        return kernels.conv1d_grad_input(y, w, 30, s, 1, 1, 1, method=name, cache_key=(owner, version))

    def want():
        return naive_conv1d(x, w, s, 1, 1, 1) if op == "conv1d" else naive_conv_transpose1d(y, w, 30, s, 1, 1, 1)

    for _ in range(3):
        np.testing.assert_allclose(call(0), want(), rtol=1e-10, atol=1e-10)
    assert len(calls) == 1
    w *= 2  # an in-place change, which bumps the version
    np.testing.assert_allclose(call(1), want(), rtol=1e-10, atol=1e-10)
    assert len(calls) == 2
    kernels.conv1d(x, w, 2, 1, 1, 1, method="polyphase_gemm")  # no key: nothing cached, nothing reused
    assert weights.cached_bytes() > 0


def test_the_cache_frees_an_owners_entries_when_the_owner_goes(rng):
    x = rng.standard_normal((1, 4, 20))
    w = rng.standard_normal((4, 4, 3))
    owner = Owner()
    kernels.conv1d(x, w, 1, 1, 1, 1, method="per_tap_gemm", cache_key=(owner, 0))
    assert weights.cached_bytes() == w.nbytes
    del owner
    gc.collect()
    assert weights.cached_bytes() == 0


def test_the_cache_stays_within_its_byte_bound(rng, monkeypatch):
    monkeypatch.setattr(tuning, "WEIGHT_CACHE_BYTES", 3 * 4 * 4 * 3 * 8)
    x = rng.standard_normal((1, 4, 20))
    owners = [Owner() for _ in range(5)]
    for owner in owners:
        kernels.conv1d(x, rng.standard_normal((4, 4, 3)), 1, 1, 1, 1, method="per_tap_gemm", cache_key=(owner, 0))
    assert weights.cached_bytes() <= tuning.WEIGHT_CACHE_BYTES


def test_a_collection_inside_the_caches_lock_does_not_deadlock(rng):
    # A garbage collection can run anywhere a Python object is allocated, including inside
    # prepared()'s locked section; an owner freed there runs _drop_owner, which takes the lock again.
    import threading

    x = rng.standard_normal((1, 4, 20))
    w = rng.standard_normal((4, 4, 3))
    owner = Owner()
    owner.cycle = owner  # only the cycle collector frees it, at a moment we pick
    kernels.conv1d(x, w, 1, 1, 1, 1, method="per_tap_gemm", cache_key=(owner, 0))
    assert weights.cached_bytes() == w.nbytes
    del owner

    def collect_while_locked():
        with weights._lock:
            gc.collect()

    worker = threading.Thread(target=collect_while_locked, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the cache's finalizer deadlocked on its own lock"
    assert weights.cached_bytes() == 0


@pytest.mark.skipif(not workspace.has_compiled(), reason="needs numba")
def test_a_layout_that_needs_no_copy_is_cached_as_a_copy_so_a_weight_array_owner_is_still_freed(rng):
    # depthwise: the gather kernels' transposed weight is the weight's own memory (a view)
    y = rng.standard_normal((1, 6, 9))
    w = rng.standard_normal((6, 1, 4))
    got = kernels.conv1d_grad_input(y, w, 20, 2, 1, 1, 6, method="gather_compiled", cache_key=(w, 0))
    np.testing.assert_allclose(got, naive_conv_transpose1d(y, w, 20, 2, 1, 1, 6), rtol=1e-10, atol=1e-10)
    assert weights.cached_bytes() == w.nbytes
    cached = next(iter(weights._entries.values()))[1]
    assert not np.shares_memory(cached, w)
    del w
    gc.collect()
    assert weights.cached_bytes() == 0


def test_clearing_the_cache_while_owners_live_only_in_it_raises_nothing(rng):
    unraisable = []
    import sys

    previous, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        x = rng.standard_normal((1, 4, 20))
        for _ in range(3):
            owner = Owner()
            kernels.conv1d(x, rng.standard_normal((4, 4, 3)), 1, 1, 1, 1, method="per_tap_gemm",
                           cache_key=(owner, 0))
            weights._entries[next(reversed(weights._entries))] += (owner,)  # the entry alone keeps it alive
            del owner
        weights.clear()
        gc.collect()
    finally:
        sys.unraisablehook = previous
    assert unraisable == [] and weights.cached_bytes() == 0 and weights._finalizers == {}
