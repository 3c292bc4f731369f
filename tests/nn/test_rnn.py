"""RNN, LSTM, GRU and cells: PyTorch parity (stored fixtures and live), gradcheck, layout, dropout, bad input."""

import json
import pathlib

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.autograd import gradcheck
from lucid.nn.utils import rnn as rnn_utils

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "rnn.npz"


@pytest.fixture(scope="module")
def stored():
    with np.load(FIXTURES, allow_pickle=False) as data:
        return dict(data)


def _configs(key):
    with np.load(FIXTURES, allow_pickle=False) as data:
        return json.loads(str(data[key]))


CONFIGS = {c[0]: c for c in _configs("configs")}
PACKED_CONFIGS = {c[0]: c for c in _configs("packed_configs")}


def _outputs(kind, result):
    """(output or None, list of final states) of a layer's or cell's result."""
    if kind.endswith("Cell"):
        return None, list(result) if kind == "LSTMCell" else [result]
    output, final = result
    return output, list(final) if kind == "LSTM" else [final]


def _run_lucid(stored, name, kind, kwargs, lengths=None):
    """Run the stored configuration ``name`` in lucid (packed when ``lengths`` is given) and backpropagate."""
    module = getattr(nn, kind)(**kwargs)
    state = {k[len(f"{name}/state/"):]: v for k, v in stored.items() if k.startswith(f"{name}/state/")}
    module.load_state_dict(state, strict=True)
    x = lucid.tensor(stored[f"{name}/input"], requires_grad=True)
    states = [lucid.tensor(stored[f"{name}/state{i}"], requires_grad=True) for i in range(2)
              if f"{name}/state{i}" in stored]
    hx = None if not states else (tuple(states) if len(states) == 2 else states[0])
    if lengths is None:
        output, finals = _outputs(kind, module(x, hx))
    else:
        packed_output, final = module(rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=False), hx)
        assert isinstance(packed_output, rnn_utils.PackedSequence)
        output, got_lengths = rnn_utils.pad_packed_sequence(packed_output)
        assert got_lengths.tolist() == lengths
        finals = _outputs(kind, (output, final))[1]
    loss = 0
    if output is not None:
        loss = (output * lucid.tensor(stored[f"{name}/w_out"])).sum()
    for i, f in enumerate(finals):
        loss = loss + (f * lucid.tensor(stored[f"{name}/w_final{i}"])).sum()
    loss.backward()
    return module, x, states, output, finals


def _assert_matches_fixture(stored, name, module, x, states, output, finals):
    tol = dict(rtol=1e-4, atol=1e-5)
    if output is not None:
        np.testing.assert_allclose(output.numpy(), stored[f"{name}/output"], **tol)
    for i, f in enumerate(finals):
        np.testing.assert_allclose(f.numpy(), stored[f"{name}/final{i}"], **tol)
    np.testing.assert_allclose(x.grad.numpy(), stored[f"{name}/grad/input"], **tol)
    for i, s in enumerate(states):
        np.testing.assert_allclose(s.grad.numpy(), stored[f"{name}/grad/state{i}"], **tol)
    for key, p in module.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), stored[f"{name}/grad/{key}"], err_msg=key, **tol)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_outputs_states_and_every_gradient_match_pytorch_fixtures(stored, name):
    _, kind, kwargs, _, _ = CONFIGS[name]
    _assert_matches_fixture(stored, name, *_run_lucid(stored, name, kind, kwargs))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_parameter_names_and_order_are_pytorchs(stored, name):
    _, kind, kwargs, _, _ = CONFIGS[name]
    expected = [k[len(f"{name}/state/"):] for k in stored if k.startswith(f"{name}/state/")]
    assert list(getattr(nn, kind)(**kwargs).state_dict()) == expected


@pytest.mark.parametrize("name", sorted(PACKED_CONFIGS))
def test_packed_input_matches_pytorch_fixtures_with_unsorted_lengths(stored, name):
    _, kind, kwargs, _, lengths = PACKED_CONFIGS[name]
    _assert_matches_fixture(stored, name, *_run_lucid(stored, name, kind, kwargs, lengths))


def test_packing_lays_out_steps_time_major_by_decreasing_length():
    x = lucid.arange(12).reshape(4, 3, 1)  # x[t, b] = 3·t + b
    packed = rnn_utils.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 0, 2] and packed.unsorted_indices.tolist() == [1, 0, 2]
    assert packed.data.reshape(-1).tolist() == [1, 0, 2, 4, 3, 7, 10]
    padded, lengths = rnn_utils.pad_packed_sequence(packed, batch_first=True, padding_value=-1, total_length=5)
    assert lengths.tolist() == [2, 4, 1]
    assert padded[:, :, 0].tolist() == [[0, 3, -1, -1, -1], [1, 4, 7, 10, -1], [2, -1, -1, -1, -1]]


def test_pack_sequence_round_trips_through_unpack_sequence():
    seqs = [lucid.randn(n, 2) for n in (3, 1, 4)]
    back = rnn_utils.unpack_sequence(rnn_utils.pack_sequence(seqs, enforce_sorted=False))
    for a, b in zip(seqs, back):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_pad_sequence_pads_right_or_left():
    a, b = lucid.ones(2, 1), lucid.ones(1, 1) * 2
    assert rnn_utils.pad_sequence([a, b], batch_first=True)[:, :, 0].tolist() == [[1, 1], [2, 0]]
    assert rnn_utils.pad_sequence([a, b], batch_first=True, padding_side="left")[:, :, 0].tolist() == [[1, 1], [0, 2]]
    assert rnn_utils.pad_sequence([a, b]).shape == (2, 2, 1)


def test_live_packing_utilities_and_packed_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as torch_rnn

    rng = np.random.default_rng(3)
    x, lengths = rng.standard_normal((5, 4, 2)), [3, 5, 3, 1]  # a tie: the sort must be stable as torch's
    tp = torch_rnn.pack_padded_sequence(torch.tensor(x), lengths, enforce_sorted=False)
    lp = rnn_utils.pack_padded_sequence(lucid.tensor(x), lengths, enforce_sorted=False)
    assert lp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert lp.sorted_indices.tolist() == tp.sorted_indices.tolist()
    np.testing.assert_array_equal(lp.data.numpy(), tp.data.numpy())
    theirs, ours = torch.nn.GRU(2, 3, bidirectional=True).double(), nn.GRU(2, 3, bidirectional=True).double()
    ours.load_state_dict(theirs.state_dict())
    (to, th), (lo, lh) = theirs(tp), ours(lp)
    np.testing.assert_allclose(lo.data.numpy(), to.data.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lh.numpy(), th.detach().numpy(), rtol=1e-10, atol=1e-12)
    seqs = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    np.testing.assert_array_equal(
        rnn_utils.pad_sequence([lucid.tensor(s) for s in seqs], padding_value=-2).numpy(),
        torch_rnn.pad_sequence([torch.tensor(s) for s in seqs], padding_value=-2).numpy())


def test_weights_start_uniform_within_one_over_root_hidden_size():
    lucid.manual_seed(0)
    lstm = nn.LSTM(8, 16, num_layers=2, bidirectional=True)
    values = np.concatenate([p.numpy().ravel() for p in lstm.parameters()])
    assert np.abs(values).max() <= 1 / 4 and np.abs(values).max() > 0.24
    assert abs(values.mean()) < 0.01


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_a_tiny_bidirectional_two_layer_net_passes_gradcheck(kind):
    lucid.manual_seed(1)
    module = getattr(nn, kind)(3, 2, num_layers=2, bidirectional=True, batch_first=True).double()
    x = lucid.randn(2, 3, 3, dtype="float64", requires_grad=True)
    params = list(module.parameters())

    def f(x, *ps):
        out, final = module(x)
        final = final[0] if kind == "LSTM" else final
        return out.sum(-1) + final.sum()

    assert gradcheck(f, (x, *params))


def test_lstm_cell_passes_gradcheck():
    lucid.manual_seed(2)
    cell = nn.LSTMCell(3, 2).double()
    x = lucid.randn(2, 3, dtype="float64", requires_grad=True)
    h = lucid.randn(2, 2, dtype="float64", requires_grad=True)
    c = lucid.randn(2, 2, dtype="float64", requires_grad=True)
    assert gradcheck(lambda x, h, c: cell(x, (h, c))[1] * 2 + cell(x, (h, c))[0], (x, h, c))


def test_the_layer_equals_its_cell_stepped_in_a_python_loop():
    lucid.manual_seed(3)
    lstm, cell = nn.LSTM(4, 3), nn.LSTMCell(4, 3)
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x = lucid.randn(5, 2, 4)
    out, (h, c) = lstm(x)
    hc = None
    for t in range(5):
        hc = cell(x[t], hc)
        np.testing.assert_allclose(out[t].numpy(), hc[0].numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(c[0].numpy(), hc[1].numpy(), rtol=1e-6, atol=1e-7)


def test_dropout_between_layers_acts_only_in_training():
    lucid.manual_seed(4)
    gru = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = lucid.randn(6, 2, 3)
    gru.eval()
    a, b = gru(x)[0].numpy(), gru(x)[0].numpy()
    np.testing.assert_array_equal(a, b)
    gru.train()
    c = gru(x)[0].numpy()
    assert not np.allclose(a, c)
    gru.dropout = 0.0
    np.testing.assert_allclose(gru(x)[0].numpy(), a, rtol=1e-6)


BAD_INPUT = [
    ("lstm_rank_4", lambda: nn.LSTM(3, 4)(lucid.zeros(2, 2, 2, 3)), ValueError, r"2-D .* or 3-D .* got 4-D"),
    ("lstm_rank_1", lambda: nn.LSTM(3, 4)(lucid.zeros(3)), ValueError, r"got 1-D"),
    ("lstm_features", lambda: nn.LSTM(3, 4)(lucid.zeros(5, 2, 7)), ValueError, r"Expected 3, got 7"),
    ("gru_features", lambda: nn.GRU(3, 4, batch_first=True)(lucid.zeros(2, 5, 2)), ValueError,
     r"Expected 3, got 2"),
    ("lstm_h0_shape", lambda: nn.LSTM(3, 4, num_layers=2)(lucid.zeros(5, 2, 3), (lucid.zeros(1, 2, 4),
                                                                                  lucid.zeros(2, 2, 4))),
     RuntimeError, r"expected h_0 of size \(2, 2, 4\), got \(1, 2, 4\)"),
    ("lstm_hx_not_a_pair", lambda: nn.LSTM(3, 4)(lucid.zeros(5, 2, 3), lucid.zeros(1, 2, 4)), TypeError,
     r"tuple \(h_0, c_0\)"),
    ("gru_h0_shape", lambda: nn.GRU(3, 4, bidirectional=True)(lucid.zeros(5, 2, 3), lucid.zeros(1, 2, 4)),
     RuntimeError, r"expected h_0 of size \(2, 2, 4\)"),
    ("lstm_dtype", lambda: nn.LSTM(3, 4)(lucid.zeros(5, 2, 3, dtype="float64")), TypeError, r"float64"),
    ("lstm_empty_sequence", lambda: nn.LSTM(3, 4)(lucid.zeros(0, 2, 3)), ValueError, r"sequence length"),
    ("cell_features", lambda: nn.LSTMCell(3, 4)(lucid.zeros(2, 5)), ValueError, r"Expected 3, got 5"),
    ("cell_h_shape", lambda: nn.GRUCell(3, 4)(lucid.zeros(2, 3), lucid.zeros(3, 4)), RuntimeError,
     r"expected h of size \(2, 4\), got \(3, 4\)"),
    ("dropout_range", lambda: nn.LSTM(3, 4, dropout=1.5), ValueError, r"dropout"),
    ("proj_too_big", lambda: nn.LSTM(3, 4, proj_size=4), ValueError, r"proj_size must be smaller"),
    ("proj_on_gru", lambda: nn.RNNBase("GRU", 3, 4, proj_size=2), ValueError, r"only supported by LSTM"),
    ("nonlinearity", lambda: nn.RNN(3, 4, nonlinearity="gelu"), ValueError, r"'tanh' or 'relu'"),
    ("pack_unsorted", lambda: rnn_utils.pack_padded_sequence(lucid.zeros(3, 2, 1), [1, 3]), RuntimeError,
     r"decreasing order when enforce_sorted=True, got \[1, 3\]"),
    ("pack_length_count", lambda: rnn_utils.pack_padded_sequence(lucid.zeros(3, 2, 1), [3]), ValueError,
     r"expected 2 lengths"),
    ("pack_length_range", lambda: rnn_utils.pack_padded_sequence(lucid.zeros(3, 2, 1), [4, 0]), ValueError,
     r"in \[1, 3\], got \[4, 0\]"),
    ("pad_shapes", lambda: rnn_utils.pad_sequence([lucid.zeros(2, 3), lucid.zeros(2, 4)]), ValueError,
     r"sequence 1 has shape \(2, 4\)"),
    ("unpack_total_length", lambda: rnn_utils.pad_packed_sequence(
        rnn_utils.pack_padded_sequence(lucid.zeros(3, 1, 1), [3]), total_length=2), ValueError, r"total_length=2"),
]


@pytest.mark.parametrize("case", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_raises_a_clear_error(case):
    _, call, error, message = case
    with pytest.raises(error, match=message):
        call()


def test_a_failed_call_changes_nothing():
    lstm = nn.LSTM(3, 4)
    before = {k: v.numpy().copy() for k, v in lstm.state_dict().items()}
    with pytest.raises(ValueError):
        lstm(lucid.zeros(5, 2, 7))
    for k, v in lstm.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_repr_lists_the_non_default_options():
    text = repr(nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True))
    assert text == "LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)"


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
def test_live_parity_with_pytorch_in_float64(kind, batch_first):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    kwargs = dict(num_layers=2, bidirectional=True, batch_first=batch_first)
    theirs = getattr(torch.nn, kind)(4, 3, **kwargs).double()
    ours = getattr(nn, kind)(4, 3, **kwargs).double()
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((2, 5, 4))
    tx, lx = torch.tensor(x, requires_grad=True), lucid.tensor(x, requires_grad=True)
    (to, th), (lo, lh) = theirs(tx), ours(lx)
    th, lh = (th[1], lh[1]) if kind == "LSTM" else (th, lh)
    np.testing.assert_allclose(lo.numpy(), to.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lh.numpy(), th.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = rng.standard_normal(to.shape)
    ((to * torch.tensor(w)).sum() + th.sum()).backward()
    ((lo * lucid.tensor(w)).sum() + lh.sum()).backward()
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (key, p), (_, q) in zip(theirs.named_parameters(), ours.named_parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=key)
