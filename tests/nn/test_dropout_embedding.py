"""Dropout, Embedding, Flatten/Unflatten and convolutions with padding='same' / 'valid'."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F


def test_dropout_zeroes_about_p_and_keeps_the_mean_in_training():
    lucid.manual_seed(0)
    layer = nn.Dropout(0.3)
    out = layer(lucid.ones(20000)).numpy()
    assert abs((out == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)
    assert abs(out.mean() - 1) < 0.03


def test_dropout_is_the_identity_in_eval_and_its_gradient_uses_the_mask():
    layer = nn.Dropout(0.5).eval()
    x = lucid.ones(4, 4)
    assert layer(x) is x or np.array_equal(layer(x).numpy(), x.numpy())
    layer.train()
    x = lucid.ones(100, requires_grad=True)
    out = layer(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())


def test_dropout2d_zeroes_whole_channels():
    lucid.manual_seed(1)
    out = nn.Dropout2d(0.5)(lucid.ones(4, 8, 3, 3)).numpy()
    per_channel = out.reshape(32, 9)
    assert all(len(set(row)) == 1 for row in per_channel)


def test_dropout_probability_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1, got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1, got -0.1"):
        F.dropout(lucid.ones(2), p=-0.1)


def test_embedding_looks_up_rows_and_matches_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Embedding(6, 3, padding_idx=2)
    ours = nn.Embedding(6, 3, padding_idx=2)
    ours.load_state_dict(theirs.state_dict())
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    out, expected = ours(lucid.tensor(idx)), theirs(torch.tensor(idx))
    g = np.random.default_rng(0).standard_normal(out.shape).astype(np.float32)
    out.backward(lucid.tensor(g))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy())
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)


def test_embedding_padding_row_starts_at_zero_and_gets_no_gradient():
    layer = nn.Embedding(4, 2, padding_idx=-1)
    assert layer.padding_idx == 3
    np.testing.assert_array_equal(layer.weight.numpy()[3], [0, 0])
    out = layer(lucid.tensor([3, 0, 0]))
    assert out.shape == (3, 2)
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), [[2, 2], [0, 0], [0, 0], [0, 0]])


def test_embedding_from_pretrained_is_frozen_by_default():
    rows = lucid.tensor([[1.0, 2.0], [3.0, 4.0]])
    layer = nn.Embedding.from_pretrained(rows)
    assert not layer.weight.requires_grad
    np.testing.assert_array_equal(layer(lucid.tensor([1])).numpy(), [[3, 4]])
    assert nn.Embedding.from_pretrained(rows, freeze=False).weight.requires_grad


def test_embedding_max_norm_rescales_looked_up_rows_in_place():
    layer = nn.Embedding.from_pretrained(lucid.tensor([[3.0, 4.0], [0.3, 0.4]]), max_norm=1.0)
    layer(lucid.tensor([0]))
    np.testing.assert_allclose(np.linalg.norm(layer.weight.numpy(), axis=1), [1.0, 0.5], rtol=1e-6)


def test_embedding_index_out_of_range_names_the_index_and_the_table_size():
    layer = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match="index 5 is out of range for num_embeddings=5"):
        layer(lucid.tensor([0, 5]))
    with pytest.raises(TypeError, match="must hold integers"):
        layer(lucid.tensor([0.0]))


def test_flatten_and_unflatten_are_inverse_reshapes():
    x = lucid.ones(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(1, (3, 4))(nn.Flatten()(x)).shape == (2, 3, 4)


@pytest.mark.parametrize("kernel, dilation", [(3, 1), (4, 1), (4, 3), (2, 2), (5, 2)])
def test_same_padding_keeps_the_length_and_equals_torch(kernel, dilation, rng):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Conv1d(2, 3, kernel, padding="same", dilation=dilation).double()
    ours = nn.Conv1d(2, 3, kernel, padding="same", dilation=dilation).double()
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((2, 2, 9))
    out = ours(lucid.tensor(x))
    assert out.shape == (2, 3, 9)
    np.testing.assert_allclose(out.numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)


def test_same_padding_is_also_accepted_by_the_functional_and_lazy_forms():
    x = lucid.ones(1, 2, 7)
    assert F.conv1d(x, lucid.ones(3, 2, 4), padding="same").shape == (1, 3, 7)
    assert F.conv2d(lucid.ones(1, 1, 4, 5), lucid.ones(1, 1, 2, 2), padding="valid").shape == (1, 1, 3, 4)
    assert nn.LazyConv1d(3, 4, padding="same")(x).shape == (1, 3, 7)


@pytest.mark.parametrize("kwargs, message", [
    (dict(padding="same", stride=2), r"padding='same' is not supported for strided convolutions, got stride=\(2,\)"),
    (dict(padding="full"), "padding must be 'same', 'valid', an int or a tuple of ints, got 'full'"),
], ids=["strided", "unknown"])
def test_a_bad_padding_string_raises_like_pytorch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nn.Conv1d(2, 3, 3, **kwargs)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [2, "same"])
def test_conv_padding_modes_equal_torch_forward_and_gradients(mode, padding, rng):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Conv1d(2, 3, 4, padding=padding, dilation=3 if padding == "same" else 1,
                             padding_mode=mode).double()
    ours = nn.Conv1d(2, 3, 4, padding=padding, dilation=3 if padding == "same" else 1, padding_mode=mode).double()
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((2, 2, 9))
    t, tt = lucid.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(t), theirs(tt)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10)


def test_reflect_padding_mode_pads_by_reflection():
    layer = nn.Conv1d(1, 1, 3, padding=1, padding_mode="reflect", bias=False)
    layer.weight.data.copy_(lucid.tensor([[[1.0, 0.0, 0.0]]]))  # picks the left neighbour
    out = layer(lucid.tensor([[[1.0, 2.0, 3.0]]]))
    np.testing.assert_array_equal(out.numpy(), [[[2.0, 1.0, 2.0]]])
    assert "padding_mode=reflect" in repr(layer)


def test_an_unknown_or_transposed_padding_mode_is_refused():
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv1d(2, 3, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match=r"ConvTranspose1d: padding_mode must be one of \('zeros',\)"):
        nn.ConvTranspose1d(2, 3, 3, padding_mode="reflect")
