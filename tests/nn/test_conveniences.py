"""PyTorch conveniences: output_size, unbatched input, .to on lazy layers, copies, threads, repr."""

import copy
import pickle
import threading
import time

import numpy as np
import pytest

import lucid
import lucid.nn as nn

# ------------------------------------------------------------------------------------------ output_size


@pytest.mark.parametrize("output_size, expected_padding", [((9,), (0,)), ((10,), (1,)), ([2, 3, 10], (1,))],
                         ids=["smallest", "largest", "with-batch-and-channels"])
def test_output_size_chooses_the_output_padding(rng, output_size, expected_padding):
    layer = nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1)
    x = lucid.tensor(rng.standard_normal((2, 3, 5)).astype(np.float32))
    y = layer(x, output_size=output_size)
    assert y.shape == (2, 2, output_size[-1])
    twin = nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=expected_padding)
    twin.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(y.numpy(), twin(x).numpy())


@pytest.mark.parametrize("output_size, message", [
    ((8,), r"output_size \(8,\) is unreachable: spatial size 0 must lie in \[9, 10\] for this input, got 8"),
    ((11,), r"must lie in \[9, 10\] for this input, got 11"),
    ((9, 9), r"output_size must hold 1 ints \(or 3 with the input's leading dims\), got \(9, 9\)"),
    ((9.0,), r"output_size must hold 1 ints"),
], ids=["too-small", "too-large", "wrong-length", "float"])
def test_an_unreachable_or_malformed_output_size_is_a_clear_error(output_size, message):
    layer = nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match=message):
        layer(lucid.zeros(2, 3, 5), output_size=output_size)


def test_output_size_works_in_2d_unbatched_and_on_the_first_call_of_a_lazy_layer():
    layer = nn.LazyConvTranspose2d(2, 3, stride=(2, 3))
    y = layer(lucid.zeros(4, 5, 6), output_size=(12, 19))  # unbatched (C, H, W)
    assert y.shape == (2, 12, 19) and layer.in_channels == 4
    assert layer(lucid.zeros(1, 4, 5, 6), output_size=(1, 2, 11, 20)).shape == (1, 2, 11, 20)
    with pytest.raises(ValueError, match=r"spatial size 1 must lie in \[18, 20\] for this input, got 21"):
        layer(lucid.zeros(1, 4, 5, 6), output_size=(11, 21))


def test_output_size_matches_pytorch(rng):
    torch = pytest.importorskip("torch")
    t = torch.nn.ConvTranspose2d(3, 2, 3, stride=(2, 3), padding=1)
    layer = nn.ConvTranspose2d(3, 2, 3, stride=(2, 3), padding=1)
    layer.load_state_dict(t.state_dict())
    x = rng.standard_normal((1, 3, 4, 5)).astype(np.float32)
    for size in [(7, 13), (8, 15), (8, 14)]:
        expected = t(torch.tensor(x), output_size=size).detach().numpy()
        np.testing.assert_allclose(layer(lucid.tensor(x), output_size=size).numpy(), expected, rtol=1e-5, atol=1e-5)

# ---------------------------------------------------------------------------------------------- unbatched


UNBATCHED = [
    (lambda: nn.Conv1d(3, 4, 3, padding=1), (3, 7)),
    (lambda: nn.ConvTranspose1d(3, 4, 3, stride=2), (3, 7)),
    (lambda: nn.Conv2d(3, 4, (2, 3), stride=2), (3, 6, 7)),
    (lambda: nn.ConvTranspose2d(3, 4, 2, stride=2, groups=1), (3, 4, 5)),
    (lambda: nn.Conv3d(2, 3, 2), (2, 3, 4, 3)),
    (lambda: nn.ConvTranspose3d(2, 3, 2, stride=(1, 2, 1)), (2, 3, 2, 3)),
    (lambda: nn.LazyConvTranspose1d(4, 3, stride=2), (5, 7)),
]


@pytest.mark.parametrize("make, shape", UNBATCHED,
                         ids=["conv1d", "convT1d", "conv2d", "convT2d", "conv3d", "convT3d", "lazy-first-call"])
def test_unbatched_input_gives_the_batched_result_without_the_batch_dim(rng, make, shape):
    layer = make()
    x = lucid.tensor(rng.standard_normal(shape), dtype="float32", requires_grad=True)
    y = layer(x)
    expected = layer(x.detach().unsqueeze(0))
    assert y.shape == expected.shape[1:]
    np.testing.assert_allclose(y.numpy(), expected.numpy()[0], rtol=1e-6, atol=1e-6)
    y.sum().backward()
    assert x.grad.shape == shape


def test_unbatched_input_matches_pytorch(rng):
    torch = pytest.importorskip("torch")
    t = torch.nn.Conv2d(3, 4, 3, padding=1)
    layer = nn.Conv2d(3, 4, 3, padding=1)
    layer.load_state_dict(t.state_dict())
    x = rng.standard_normal((3, 5, 6)).astype(np.float32)
    np.testing.assert_allclose(layer(lucid.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-5)


def test_an_input_of_the_wrong_rank_names_both_accepted_ranks():
    with pytest.raises(ValueError, match=r"Conv2d: input must be 4-D \(batch, channels, \*spatial\) or 3-D "
                                         r"\(channels, \*spatial\), got 2-D input of shape \(3, 5\)"):
        nn.Conv2d(3, 4, 3)(lucid.zeros(3, 5))

# ------------------------------------------------------------------------------------------ .to and copies


def test_to_on_an_unmaterialized_layer_records_the_target_for_materialization():
    layer = nn.LazyConv2d(4, 3).to("cpu").to(dtype="float64")
    assert layer.weight is None
    assert all(p.target_dtype == lucid.float64 and p.target_device == "cpu" for p in layer.parameters())
    layer(lucid.zeros(1, 2, 5, 5, dtype="float64"))
    assert layer.weight.dtype == lucid.float64 and layer.weight.device == "cpu"
    layer.to(lucid.float32)  # after materialization .to converts as usual
    assert layer.weight.dtype == lucid.float32


def test_a_recorded_target_survives_deepcopy_and_pickle():
    layer = nn.LazyLinear(3).to(lucid.float64)
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        clone(lucid.zeros(2, 4, dtype="float64"))
        assert clone.weight.dtype == lucid.float64 and clone.in_features == 4
    assert layer.weight is None


def test_a_model_of_lazy_layers_deep_copies_and_pickles_before_and_after_materialization(rng):
    model = nn.Sequential(nn.LazyConv2d(4, 3), nn.ReLU(), nn.LazyConvTranspose2d(2, 2, stride=2))
    x = lucid.tensor(rng.standard_normal((1, 3, 6, 6)).astype(np.float32))
    before = pickle.loads(pickle.dumps(model))
    assert repr(before) == repr(model) and "in_channels=None" in repr(before)
    y = model(x)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        np.testing.assert_array_equal(clone(x).numpy(), y.numpy())
        assert all(p is not q for p, q in zip(clone.parameters(), model.parameters()))
    assert before(x).shape == y.shape and before[0].in_channels == 3


def test_repr_shows_in_channels_none_until_inferred():
    layer = nn.LazyConv3d(4, 2, padding=1, bias=False)
    assert repr(layer) == ("LazyConv3d(in_channels=None, out_channels=4, kernel_size=(2, 2, 2), stride=(1, 1, 1), "
                           "padding=(1, 1, 1), bias=False)")
    layer(lucid.zeros(1, 5, 2, 2, 2))
    assert repr(layer).startswith("LazyConv3d(in_channels=5, out_channels=4")
    assert repr(nn.LazyLinear(3)) == "LazyLinear(in_features=None, out_features=3, bias=True)"

# ----------------------------------------------------------------------------------------------- threads


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.LazyConvTranspose1d(4, 3, stride=2), (2, 5, 6)),
    (lambda: nn.LazyConv2d(3, 2), (1, 4, 5, 5)),
    (lambda: nn.LazyLinear(3), (2, 6)),
], ids=["LazyConvTranspose1d", "LazyConv2d", "LazyLinear"])
def test_threads_racing_on_the_first_call_share_one_set_of_weights(rng, monkeypatch, make, shape):
    layer = make()
    placeholders = list(layer.parameters())
    calls = []
    original = type(layer).reset_parameters

    def slow_reset(self):
        if not self.has_uninitialized_params():  # materialized, values not yet drawn
            calls.append(threading.get_ident())
            time.sleep(0.05)  # widen the window in which another thread could see half-made weights
        original(self)

    monkeypatch.setattr(type(layer), "reset_parameters", slow_reset)
    inputs = [lucid.tensor(rng.standard_normal(shape).astype(np.float32)) for _ in range(6)]
    outputs, errors = [None] * len(inputs), []
    barrier = threading.Barrier(len(inputs))

    def work(i):
        try:
            barrier.wait()
            outputs[i] = layer(inputs[i]).numpy()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(calls) == 1
    assert list(layer.parameters()) == placeholders and not layer.has_uninitialized_params()
    for x, y in zip(inputs, outputs):
        np.testing.assert_array_equal(y, layer(x).numpy())
