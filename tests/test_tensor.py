"""Tensors, factories, dtypes and devices."""

import numpy as np
import pytest

import lucid


@pytest.mark.parametrize("factory", [lucid.zeros, lucid.ones, lucid.empty, lucid.randn, lucid.rand])
def test_factories_take_varargs_or_a_tuple_and_default_to_float32(factory):
    a, b = factory(2, 3), factory((2, 3))
    assert a.shape == b.shape == (2, 3) and isinstance(a.shape[0], int)
    assert a.dtype == lucid.float32 and a.device == "cpu" and not a.requires_grad
    c = factory(4, dtype="float64", requires_grad=True)
    assert c.dtype == lucid.float64 and c.requires_grad and c.is_leaf


def test_zeros_ones_and_random_factories_have_the_right_values():
    assert lucid.zeros(3).numpy().tolist() == [0, 0, 0] and lucid.ones(2).numpy().tolist() == [1, 1]
    lucid.manual_seed(4)
    a = lucid.randn(1000).numpy()
    lucid.manual_seed(4)
    assert np.array_equal(a, lucid.randn(1000).numpy())
    assert abs(a.mean()) < 0.15 and abs(a.std() - 1) < 0.1
    r = lucid.rand(1000).numpy()
    assert r.min() >= 0 and r.max() < 1


def test_tensor_infers_dtypes_like_pytorch():
    assert lucid.tensor([1.0, 2.0]).dtype == lucid.float32
    assert lucid.tensor([1, 2]).dtype == lucid.int64
    assert lucid.tensor([True]).dtype == lucid.bool
    assert lucid.tensor(np.zeros(2)).dtype == lucid.float64
    assert lucid.tensor([1, 2], dtype=lucid.float16).dtype == "float16"


@pytest.mark.parametrize("spec", [lucid.float64, "float64", "double", np.float64, np.dtype("float64"), "torch.float64"])
def test_a_dtype_may_be_given_in_many_spellings(spec):
    assert lucid.zeros(1, dtype=spec).dtype == lucid.float64


def test_unknown_dtypes_and_devices_are_clear_errors():
    with pytest.raises(ValueError, match="dtype must be one of"):
        lucid.zeros(1, dtype="float128x")
    with pytest.raises(TypeError, match="dtype must be a lucid dtype"):
        lucid.zeros(1, dtype=object())
    with pytest.raises(RuntimeError, match="device 'cuda' requested, but no GPU backend is available"):
        lucid.zeros(1, device="cuda")
    with pytest.raises(ValueError, match="device must be one of"):
        lucid.zeros(1, device="abacus")
    with pytest.raises(TypeError, match="shape entries must be ints"):
        lucid.zeros(2.5)
    with pytest.raises(ValueError, match="non-negative"):
        lucid.zeros(-1)


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        lucid.zeros(2, dtype="int64", requires_grad=True)


def test_item_numpy_array_detach_and_repr():
    x = lucid.tensor([[1.5, 2.0]], requires_grad=True)
    assert x.ndim == 2 and x.numel() == 2 and len(x) == 1
    assert np.asarray(x).tolist() == [[1.5, 2.0]] and x.numpy() is x._array
    assert x[0, 0].item() == 1.5
    with pytest.raises(ValueError, match="one element"):
        x.item()
    d = x.detach()
    assert not d.requires_grad and d.numpy() is x.numpy()
    assert repr(x) == "tensor([[1.5, 2. ]], requires_grad=True)"
    assert repr(lucid.ones(2, dtype="float64")) == "tensor([1., 1.], dtype=lucid.float64)"
    assert "grad_fn=<MulBackward>" in repr(x * 2)


def test_arithmetic_broadcasts_and_keeps_float32_with_python_scalars():
    a = lucid.ones(2, 3)
    b = (a * 2 + 1) / 3 - lucid.tensor([1.0, 0.0, 1.0])
    assert b.dtype == lucid.float32 and b.shape == (2, 3)
    np.testing.assert_allclose(b.numpy(), [[0, 1, 0], [0, 1, 0]], atol=1e-7)
    assert (lucid.tensor([1, 2]) * 1.5).dtype == lucid.float32
    assert (lucid.ones(2) + lucid.ones(2, dtype="float64")).dtype == lucid.float64
    assert (a == 1).dtype == lucid.bool and bool((a > 0).numpy().all())


def test_shape_operations():
    x = lucid.arange(24).reshape(2, 3, 4)
    assert x.reshape(-1, 4).shape == (6, 4) and x.view(6, 4).shape == (6, 4)
    assert x.transpose(0, 2).shape == (4, 3, 2) and x.permute(1, 2, 0).shape == (3, 4, 2)
    assert x.unsqueeze(1).shape == (2, 1, 3, 4) and x.unsqueeze(1).squeeze(1).shape == (2, 3, 4)
    assert x.flatten(1).shape == (2, 12) and x.T.shape == (4, 3, 2)
    assert x[:, 1, ::2].numpy().tolist() == [[4, 6], [16, 18]]
    with pytest.raises(RuntimeError, match=r"shape \(5, 5\) is invalid for a tensor of 24 elements"):
        x.reshape(5, 5)
    with pytest.raises(ValueError, match="permutation"):
        x.permute(0, 0, 1)


def test_in_place_updates_need_no_grad_on_leaves():
    w = lucid.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="in place"):
        w.add_(1)
    with lucid.no_grad():
        w.add_(lucid.ones(2), alpha=2).mul_(2)
    assert w.numpy().tolist() == [6.0, 6.0]


def test_to_changes_dtype_and_rejects_gpus():
    x = lucid.ones(2, requires_grad=True)
    y = x.to(lucid.float64)
    assert y.dtype == lucid.float64 and x.to("float32") is x
    y.sum().backward()
    assert x.grad.dtype == lucid.float32
    with pytest.raises(RuntimeError, match="no GPU backend"):
        x.to("cuda")


def test_cat_and_stack():
    a, b = lucid.ones(2, 3), lucid.zeros(2, 1)
    assert lucid.cat([a, b], dim=1).shape == (2, 4) and lucid.stack([a, a]).shape == (2, 2, 3)
    with pytest.raises(ValueError, match="differ outside dim 1"):
        lucid.cat([a, lucid.zeros(3, 1)], dim=1)
