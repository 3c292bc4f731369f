"""nn.utils.materialize and nn.utils.summary: shape-only runs over a model of every lazy layer."""

import tracemalloc

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid._meta import ShapeOnlyError


class EveryLazyLayer(nn.Module):
    """1-d, 2-d and 3-d lazy convolutions and transposed convolutions, then a lazy linear head."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.LazyConv1d(8, 3, padding=1)
        self.t1 = nn.LazyConvTranspose1d(4, 4, stride=2, padding=1)
        self.c2 = nn.LazyConv2d(4, 3, padding=1)
        self.t2 = nn.LazyConvTranspose2d(2, 2, stride=2)
        self.c3 = nn.LazyConv3d(3, 1)
        self.t3 = nn.LazyConvTranspose3d(2, (1, 2, 2), stride=(1, 2, 2))
        self.head = nn.Sequential(nn.LeakyReLU(0.2), nn.LazyLinear(5))

    def forward(self, x):  # (N, C, L)
        h = self.t1(self.c1(x)).relu()  # (N, 4, 2L)
        h = self.t2(self.c2(h.unsqueeze(1))).tanh()  # (N, 2, 8, 4L)
        h = self.t3(self.c3(h.unsqueeze(1)))  # (N, 2, 2, 16, 8L)
        return self.head(h.flatten(1))  # (N, 5)


def lazy_parameters(model):
    return [p for p in model.parameters() if isinstance(p, nn.UninitializedParameter)]


def test_materialize_from_a_shape_gives_the_weights_a_real_first_call_would_give(rng):
    lucid.manual_seed(3)
    model = EveryLazyLayer()
    assert nn.utils.materialize(model, (2, 3, 6)) == (2, 5)
    assert not lazy_parameters(model)
    assert model.c1.in_channels == 3 and model.t3.in_channels == 3 and model.head[1].in_features == 2 * 2 * 16 * 48
    lucid.manual_seed(3)
    reference = EveryLazyLayer()
    x = lucid.tensor(rng.standard_normal((2, 3, 6)).astype(np.float32))
    expected = reference(x).numpy()
    np.testing.assert_array_equal(model(x).numpy(), expected)
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)


def test_materialize_accepts_tensors_and_dtypes_and_returns_every_output_shape():
    class TwoInTwoOut(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.LazyConv1d(2, 1), nn.LazyLinear(3)

        def forward(self, x, y):
            return self.a(x), {"b": self.b(y)}

    model = TwoInTwoOut()
    assert nn.utils.materialize(model, lucid.zeros(4, 6, 5), [2, 7], dtype="float64") == ((4, 2, 5), {"b": (2, 3)})
    assert model.a.weight.dtype == lucid.float32  # a Tensor example brings its own dtype
    assert model.b.weight.dtype == lucid.float64 and model.b.in_features == 7


def test_materialize_respects_a_dtype_recorded_by_to():
    model = nn.Sequential(nn.LazyConvTranspose1d(4, 3)).to(lucid.float64)
    assert nn.utils.materialize(model, (1, 2, 9), dtype=lucid.float64) == (1, 4, 11)
    assert model[0].weight.dtype == lucid.float64


def test_shape_only_materialization_of_a_huge_decoder_allocates_only_the_weights():
    decoder = nn.Sequential(nn.LazyConvTranspose1d(256, 16, stride=8, padding=4), nn.LeakyReLU(0.1),
                            nn.LazyConvTranspose1d(128, 4, stride=2, padding=1), nn.Tanh(),
                            nn.LazyConv1d(1, 7, padding=3))
    tracemalloc.start()
    try:
        shape = nn.utils.materialize(decoder, (64, 512, 100_000))  # a real forward would need tens of GB
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert shape == (64, 1, 1_600_000)
    weights = sum(p.numel() * 4 for p in decoder.parameters())
    assert peak < 200e6 and peak < 4 * weights + 10e6


def test_a_layer_that_needs_values_is_named_and_nothing_changes():
    class Thresholds(nn.Module):
        def forward(self, x):
            return x * float(np.asarray(x).max())  # needs values

    model = nn.Sequential(nn.LazyConv1d(4, 3), nn.Sequential(Thresholds()), nn.LazyConv1d(2, 1))
    with pytest.raises(ShapeOnlyError, match=r"materialize: layer '1\.0' \(Thresholds\) cannot be shape-propagated: "
                                             r".*has no values"):
        nn.utils.materialize(model, (1, 3, 8))
    assert len(lazy_parameters(model)) == 4 and model[0].in_channels is None
    with pytest.raises(RuntimeError, match=r"summary: layer '1\.0' \(Thresholds\)"):
        nn.utils.summary(model, (1, 3, 8))
    assert len(lazy_parameters(model)) == 4
    model(lucid.zeros(1, 3, 8))  # a real input still works
    assert not lazy_parameters(model)


def test_bad_examples_are_rejected_clearly_and_change_nothing():
    model = nn.Sequential(nn.LazyConv2d(4, 3))
    with pytest.raises(TypeError, match="materialize: give at least one example input"):
        nn.utils.materialize(model)
    with pytest.raises(TypeError, match=r"each example must be a Tensor or a shape tuple .* got str 'x'"):
        nn.utils.materialize(model, "x")
    with pytest.raises(TypeError, match=r"got tuple \(1, 2.5\)"):
        nn.utils.materialize(model, (1, 2.5))
    with pytest.raises(ValueError, match="LazyConv2d: input must be 4-D"):
        nn.utils.materialize(model, (3, 8))
    assert model[0].in_channels is None and len(lazy_parameters(model)) == 2


def test_summary_lists_every_layer_before_anything_was_materialized_and_leaves_it_so():
    model = EveryLazyLayer()
    state = lucid.get_rng_state()
    report = nn.utils.summary(model, (2, 3, 6))
    assert len(lazy_parameters(model)) == 14 and model.c1.in_channels is None  # still lazy
    assert lucid.get_rng_state() == state
    rows = {row.name: row for row in report.rows}
    assert rows[""].type == "EveryLazyLayer" and rows[""].output_shape == (2, 5)
    assert rows["c1"].output_shape == (2, 8, 6) and rows["c1"].params == 8 * 3 * 3 + 8 and rows["c1"].inferred
    assert rows["t2"].type == "LazyConvTranspose2d" and rows["t2"].output_shape == (2, 2, 8, 24)
    assert rows["head.0"].params == 0 and not rows["head.0"].inferred
    assert rows["head.1"].params == 5 * 3072 + 5
    nn.utils.materialize(model, (2, 3, 6))
    total = sum(p.numel() for p in model.parameters())
    assert report.total_params == report.trainable_params == report.inferred_params == total
    text = str(report)
    assert "c1 (LazyConv1d)" in text and "(2, 8, 6)" in text and "80 *" in text
    assert f"Total params: {total:,}" in text and "* inferred from the example input" in text


def test_summary_of_an_eager_model_marks_nothing_as_inferred():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.ConvTranspose2d(4, 1, 2, stride=2))
    model[2].weight.requires_grad = False
    report = nn.utils.summary(model, lucid.zeros(1, 3, 5, 5))
    assert [row.output_shape for row in report.rows] == [(1, 1, 6, 6), (1, 4, 3, 3), (1, 4, 3, 3), (1, 1, 6, 6)]
    assert report.inferred_params == 0 and report.total_params == 112 + 17
    assert report.trainable_params == 112 + 1
    assert "*" not in str(report)


def test_meta_tensors_carry_only_shape_and_dtype():
    x = lucid.empty(64, 512, 100_000, device="meta")
    assert x.device == "meta" and x.shape == (64, 512, 100_000) and x.dtype == lucid.float32
    assert repr(x) == "tensor(..., size=(64, 512, 100000), dtype=lucid.float32, device='meta')"
    y = ((x.tanh() * 2 + 1) @ lucid.zeros(100_000, 3)).sum(1)
    assert y.shape == (64, 3) and y.device == "meta"
    assert x.flatten(1).shape == (64, 51_200_000) and x[:, 3:7, ::2].shape == (64, 4, 50_000)
    assert nn.GELU()(x).shape == x.shape and nn.LeakyReLU()(x).shape == x.shape  # table lookups, where, ufuncs
    with pytest.raises(ShapeOnlyError, match="has no values"):
        x.numpy()
    with pytest.raises(ShapeOnlyError):
        bool(x[0, 0, 0])
