"""lucid.utils.data: datasets, samplers, DataLoader and collate, against their definitions and live PyTorch."""

import collections
import importlib.util
import math

import numpy as np
import pytest

import lucid
from lucid.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, DistributedSampler, IterableDataset,
                              RandomSampler, SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                              default_collate, random_split)

HAVE_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="live comparison with PyTorch (torch not installed)")


def as_plain(value):
    """Batches of lucid or torch tensors as nested lists/dicts of NumPy arrays, for comparison."""
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [as_plain(v) for v in value]
    if hasattr(value, "numpy"):
        array = value.numpy()
        return str(array.dtype), array.tolist()
    return value


def indices_of(loader):
    return [batch.numpy().tolist() if hasattr(batch, "numpy") else batch for batch in loader]


def expected_shard(n, replicas, rank, drop_last, order=None):
    """DistributedSampler's shard from its definition: pad by repeating from the start, or cut; then stride."""
    order = list(range(n)) if order is None else list(order)
    size = (n // replicas if drop_last else math.ceil(n / replicas)) * replicas
    padded = (order * (size // max(n, 1) + 1))[:size]
    return padded[rank::replicas]


GRID = [(n, bs, drop) for n in (0, 1, 7, 12) for bs in (1, 3, 5, 12, 20) for drop in (False, True)]


@pytest.mark.parametrize("n, batch_size, drop_last", GRID, ids=[f"n{n}-bs{b}-drop{int(d)}" for n, b, d in GRID])
def test_sequential_batches_follow_the_definition(n, batch_size, drop_last):
    loader = DataLoader(list(range(n)), batch_size=batch_size, drop_last=drop_last)
    starts = range(0, n - batch_size + 1 if drop_last else n, batch_size)
    expected = [list(range(s, min(s + batch_size, n))) for s in starts]
    assert indices_of(loader) == expected
    assert len(loader) == len(expected)


@needs_torch
@pytest.mark.parametrize("n, batch_size, drop_last", GRID, ids=[f"n{n}-bs{b}-drop{int(d)}" for n, b, d in GRID])
def test_sequential_batches_match_pytorch(n, batch_size, drop_last):
    import torch.utils.data as tud

    ours = DataLoader(list(range(n)), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(list(range(n)), batch_size=batch_size, drop_last=drop_last)
    assert indices_of(ours) == [b.tolist() for b in theirs]
    assert len(ours) == len(theirs)


def test_batch_size_none_yields_single_samples_converted():
    samples = [np.arange(3.0), np.ones(3)]
    got = list(DataLoader(samples, batch_size=None))
    assert all(isinstance(t, lucid.Tensor) and t.shape == (3,) for t in got)
    assert list(DataLoader(range(3), batch_size=None)) == [0, 1, 2]


Point = collections.namedtuple("Point", ["x", "label"])
COLLATE_CASES = {
    "tensors": [lucid.tensor([1.0, 2.0]), lucid.tensor([3.0, 4.0])],
    "arrays float64": [np.zeros((2, 2)), np.ones((2, 2))],
    "numpy scalars": [np.float32(1), np.float32(2)],
    "ints": [1, 2, 3],
    "floats": [1.0, 2.5],
    "bools": [True, False],
    "strings": ["a", "b"],
    "tuples": [(np.ones(2, dtype=np.float32), 1, "x"), (np.zeros(2, dtype=np.float32), 2, "y")],
    "lists": [[1, 2.0], [3, 4.0]],
    "dicts": [{"audio": np.ones(3, dtype=np.float32), "id": 0}, {"audio": np.zeros(3, dtype=np.float32), "id": 1}],
    "nested": [{"pair": (1, [np.int64(2)])}, {"pair": (3, [np.int64(4)])}],
}


def test_default_collate_stacks_and_recurses():
    batch = default_collate(COLLATE_CASES["dicts"])
    assert set(batch) == {"audio", "id"} and batch["audio"].shape == (2, 3) and batch["id"].dtype == lucid.int64
    assert default_collate(COLLATE_CASES["floats"]).dtype == lucid.float64
    assert default_collate(COLLATE_CASES["arrays float64"]).dtype == lucid.float64
    assert default_collate(COLLATE_CASES["strings"]) == ["a", "b"]
    points = default_collate([Point(np.ones(2), 0), Point(np.zeros(2), 1)])
    assert isinstance(points, Point) and points.x.shape == (2, 2)
    tuples = default_collate(COLLATE_CASES["tuples"])
    assert isinstance(tuples, list) and tuples[1].numpy().tolist() == [1, 2] and tuples[2] == ("x", "y")


@needs_torch
@pytest.mark.parametrize("name", list(COLLATE_CASES))
def test_default_collate_matches_pytorch(name):
    import torch
    from torch.utils.data import default_collate as torch_collate

    samples = COLLATE_CASES[name]
    theirs = [torch.tensor(s.numpy()) for s in samples] if name == "tensors" else samples
    assert as_plain(default_collate(samples)) == as_plain(torch_collate(theirs))


@pytest.mark.parametrize("batch, error, words", [
    ([[1, 2], [3]], RuntimeError, "equal size"),
    ([np.ones(2), np.ones(3)], RuntimeError, "equal size"),
    ([object()], TypeError, "batch must contain"),
    ([np.array(["a"])], TypeError, "dtype <U1"),
], ids=["ragged lists", "ragged arrays", "unknown type", "string array"])
def test_default_collate_rejects_what_it_cannot_stack(batch, error, words):
    with pytest.raises(error) as caught:
        default_collate(batch)
    assert words in str(caught.value)


def test_tensor_dataset_loader_gives_tensor_batches():
    x = lucid.tensor(np.arange(10.0).reshape(5, 2))
    y = lucid.tensor(np.arange(5))
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=2)))
    np.testing.assert_array_equal(xb.numpy(), [[0, 1], [2, 3]])
    np.testing.assert_array_equal(yb.numpy(), [0, 1])


def test_shuffle_with_a_generator_permutes_each_epoch_differently_and_repeats_run_to_run():
    def epochs(seed):
        loader = DataLoader(list(range(10)), batch_size=4, shuffle=True, generator=np.random.default_rng(seed))
        return [sum(indices_of(loader), []) for _ in range(3)]

    first, again, other = epochs(0), epochs(0), epochs(1)
    assert all(sorted(e) == list(range(10)) for e in first)
    assert first[0] != first[1]
    assert first == again and first != other


def test_shuffle_without_a_generator_follows_lucid_manual_seed():
    loader = DataLoader(list(range(10)), batch_size=10, shuffle=True)
    lucid.manual_seed(5)
    a = indices_of(loader)
    lucid.manual_seed(5)
    assert indices_of(loader) == a


def test_random_sampler_with_replacement_and_num_samples():
    sampler = RandomSampler(range(4), replacement=True, num_samples=50, generator=np.random.default_rng(0))
    drawn = list(sampler)
    assert len(drawn) == len(sampler) == 50 and set(drawn) <= set(range(4))
    chained = list(RandomSampler(range(4), num_samples=10, generator=np.random.default_rng(0)))
    assert sorted(chained[:4]) == sorted(chained[4:8]) == [0, 1, 2, 3] and len(chained) == 10


def test_subset_random_sampler_permutes_its_indices():
    assert sorted(SubsetRandomSampler([3, 5, 9], generator=np.random.default_rng(0))) == [3, 5, 9]


@needs_torch
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_pytorch(drop_last):
    import torch.utils.data as tud

    for n in (0, 5, 6):
        for size in (1, 2, 4):
            ours = BatchSampler(SequentialSampler(range(n)), size, drop_last)
            theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), size, drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)


class Squares(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(i * i for i in range(self.n))

    def __len__(self):
        return self.n


def test_an_iterable_dataset_is_batched_in_stream_order():
    assert indices_of(DataLoader(Squares(5), batch_size=2)) == [[0, 1], [4, 9], [16]]
    assert indices_of(DataLoader(Squares(5), batch_size=2, drop_last=True)) == [[0, 1], [4, 9]]
    assert len(DataLoader(Squares(5), batch_size=2)) == 3


def test_subset_concat_and_random_split():
    data = list(range(10))
    assert [Subset(data, [4, 2])[i] for i in range(2)] == [4, 2]
    both = ConcatDataset([data[:3], data[3:]])
    assert [both[i] for i in range(len(both))] == data and both[-1] == 9
    parts = random_split(data, [3, 7], generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(p[i] for p in parts for i in range(len(p))) == data
    assert [len(p) for p in random_split(data, [0.33, 0.33, 0.34])] == [4, 3, 3]  # PyTorch's rounding


@needs_torch
def test_random_split_fraction_sizes_match_pytorch():
    import torch.utils.data as tud

    for n in (7, 10, 101):
        for fractions in ([0.5, 0.5], [0.33, 0.33, 0.34], [0.1, 0.9], [0.25] * 4):
            ours = [len(p) for p in random_split(range(n), fractions)]
            assert ours == [len(p) for p in tud.random_split(range(n), fractions)]


SHARDS = [(n, r, d) for n in (0, 1, 5, 10, 12) for r in (1, 2, 3, 4) for d in (False, True)]


@pytest.mark.parametrize("n, replicas, drop_last", SHARDS, ids=[f"n{n}-of{r}-drop{int(d)}" for n, r, d in SHARDS])
def test_distributed_sampler_without_shuffle_follows_the_definition(n, replicas, drop_last):
    for rank in range(replicas):
        sampler = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        assert list(sampler) == expected_shard(n, replicas, rank, drop_last)
        assert len(sampler) == len(list(sampler))


@needs_torch
@pytest.mark.parametrize("n, replicas, drop_last", SHARDS, ids=[f"n{n}-of{r}-drop{int(d)}" for n, r, d in SHARDS])
def test_distributed_sampler_without_shuffle_matches_pytorch(n, replicas, drop_last):
    import torch.utils.data as tud

    for rank in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        theirs = tud.DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False,
                                        drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("n, replicas", [(12, 3), (10, 3), (7, 4), (2, 3)])
def test_shuffled_shards_cover_the_dataset_and_change_with_the_epoch(n, replicas):
    def shards(epoch, seed=0):
        out = []
        for rank in range(replicas):
            sampler = DistributedSampler(range(n), num_replicas=replicas, rank=rank, seed=seed)
            sampler.set_epoch(epoch)
            out.append(list(sampler))
        return out

    epoch0 = shards(0)
    everything = sum(epoch0, [])
    assert set(everything) == set(range(n))
    assert len({len(s) for s in epoch0}) == 1
    order = sum((list(t) for t in zip(*epoch0)), [])  # re-interleave the strided shards
    assert sorted(order[:n]) == list(range(n))  # one permutation ...
    assert order == (order[:n] * replicas)[:len(order)]  # ... padded by repeating its head
    if n % replicas == 0:
        assert len(set(everything)) == len(everything)
    assert shards(0) == epoch0
    if n > 5:
        assert shards(1) != epoch0 and shards(0, seed=1) != epoch0


@pytest.mark.parametrize("make, error, words", [
    (lambda: DataLoader(range(3), batch_size=0), ValueError, "batch_size should be a positive integer"),
    (lambda: DataLoader(range(3), num_workers=-1), ValueError, "num_workers"),
    (lambda: DataLoader(range(3), shuffle=True, sampler=SequentialSampler(range(3))), ValueError, "mutually exclusive"),
    (lambda: DataLoader(range(3), batch_size=2, batch_sampler=[[0]]), ValueError, "batch_sampler option"),
    (lambda: DataLoader(range(3), batch_size=None, drop_last=True), ValueError, "drop_last"),
    (lambda: DataLoader(Squares(3), shuffle=True), ValueError, "IterableDataset"),
    (lambda: DataLoader(range(3), shuffle=True, generator=0), TypeError, "numpy.random.Generator"),
    (lambda: RandomSampler(range(3), num_samples=0), ValueError, "num_samples"),
    (lambda: BatchSampler(range(3), 2, drop_last=1), ValueError, "drop_last"),
    (lambda: DistributedSampler(range(3), num_replicas=2, rank=2), ValueError, "interval [0, 1]"),
    (lambda: DistributedSampler(range(3)), ValueError, "init_process_group"),
    (lambda: TensorDataset(lucid.ones(2), lucid.ones(3)), ValueError, "sizes [2, 3]"),
    (lambda: random_split(range(4), [1, 2]), ValueError, "summing to the dataset's length 4"),
    (lambda: random_split(range(4), [0.5, 0.6]), ValueError, "fractions"),
], ids=["batch size 0", "negative workers", "sampler and shuffle", "batch_sampler and batch_size",
        "no batching with drop_last", "shuffled stream", "generator type", "num_samples 0", "drop_last not bool",
        "rank out of range", "no process group", "tensor sizes differ", "lengths sum", "fractions sum"])
def test_bad_arguments_raise_naming_them(make, error, words):
    with pytest.raises(error) as caught:
        make()
    assert words in str(caught.value)


def test_a_dataset_subclass_needs_getitem():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
