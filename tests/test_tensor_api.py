"""lucid.Size, constants, conversions, NaN/inf propagation and the bad-input messages of the tensor ops."""

import math

import numpy as np
import pytest

import lucid


def test_shape_and_size_are_a_tuple_subclass_that_prints_like_a_tuple():
    x = lucid.zeros(2, 16, 20)
    assert isinstance(x.shape, lucid.Size) and isinstance(x.size(), tuple) and x.size() == (2, 16, 20)
    assert repr(x.shape) == "(2, 16, 20)" and x.size(-1) == 20 and x.size(0) == 2
    assert isinstance(x.shape[1:], lucid.Size) and x.shape[1:] == (16, 20) and x.shape.numel() == 640
    assert isinstance(x.shape + (3,), lucid.Size) and (1,) + x.shape == (1, 2, 16, 20)
    assert lucid.zeros(x.shape[:-1] + (5,)).shape == (2, 16, 5)


def test_constants_dtypes_and_small_helpers_exist_under_their_pytorch_names():
    assert lucid.pi == math.pi and lucid.inf == math.inf and math.isnan(lucid.nan) and lucid.e == math.e
    assert lucid.is_tensor(lucid.ones(1)) and not lucid.is_tensor(np.ones(1)) and lucid.numel(lucid.ones(2, 3)) == 6
    assert lucid.zeros(2, dtype=lucid.int16).dtype == lucid.short and lucid.uint8 == "uint8"
    assert isinstance(lucid.float32, lucid.dtype)
    x = lucid.tensor([1.5, 2.5])
    assert x.float().dtype == lucid.float32 and x.double().dtype == lucid.float64 and x.half().dtype == lucid.float16
    assert x.to(lucid.ones(1, dtype="float64")).dtype == lucid.float64 and x.contiguous() is x
    assert x.tolist() == [1.5, 2.5] and x[0].item() == 1.5 and x.cpu() is x and x.numpy() is x._array
    assert x.dim() == 1 and x.numel() == 2 and x.element_size() == 4


def test_max_and_min_with_a_dim_return_values_and_indices_by_name():
    x = lucid.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    values, indices = x.max(1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    result = lucid.min(x, dim=0, keepdim=True)
    assert result.values.tolist() == [[1.0, 0.0, 2.0]] and result.indices.tolist() == [[0, 1, 0]]


def test_random_factories_follow_the_seed_and_their_ranges():
    lucid.manual_seed(3)
    a = lucid.randint(0, 5, (100,))
    lucid.manual_seed(3)
    assert lucid.randint(5, (100,)).tolist() == a.tolist() and a.dtype == lucid.int64
    assert 0 <= int(a.amin()) and int(a.amax()) < 5
    assert sorted(lucid.randperm(6).tolist()) == list(range(6))
    n = lucid.normal(2.0, 0.5, (4000,))
    assert abs(float(n.mean()) - 2.0) < 0.05 and abs(float(n.std()) - 0.5) < 0.05
    like = lucid.randn_like(lucid.zeros(2, 3, dtype="float64"))
    assert like.shape == (2, 3) and like.dtype == lucid.float64 and lucid.rand_like(like).shape == (2, 3)
    assert lucid.normal(lucid.zeros(3), 1.0).shape == (3,)


def test_nan_and_inf_reach_only_the_outputs_they_touch():
    x = lucid.tensor([[1.0, float("nan"), 3.0], [0.5, 2.0, -1.0]], requires_grad=True)
    soft = x.softmax(1)
    assert np.isnan(soft[0].numpy()).all() and np.isfinite(soft[1].numpy()).all()
    assert np.isnan(x.clamp(0, 2)[0, 1].item()) and np.isfinite(x.clamp(0, 2).numpy()[[0, 0, 1, 1, 1], [0, 2, 0, 1, 2]]).all()
    values, _ = x.max(1)
    assert math.isnan(values[0].item()) and values[1].item() == 2.0
    csum = x.cumsum(1).detach().numpy()
    assert csum[0, 0] == 1.0 and np.isnan(csum[0, 1:]).all() and np.isfinite(csum[1]).all()
    (x.sin() * lucid.tensor([[1.0], [2.0]])).sum().backward()
    grad = x.grad.numpy()
    assert np.isnan(grad[0, 1]) and np.isfinite(np.delete(grad.reshape(-1), 1)).all()
    inf = lucid.tensor([float("inf"), 1.0])
    assert lucid.minimum(inf, lucid.tensor([2.0, 2.0])).tolist() == [2.0, 1.0]
    assert inf.nan_to_num().tolist() == [float(np.finfo(np.float32).max), 1.0]


BAD = {
    "split sizes that do not sum": (lambda: lucid.arange(5).split([1, 2]), RuntimeError,
                                    r"split_sizes \[1, 2\] must be non-negative and sum to 5.*sum to 3"),
    "view of an incompatible shape": (lambda: lucid.zeros(2, 3, 4).view(5, 5), RuntimeError,
                                      r"shape \(5, 5\) is invalid for a tensor of 24 elements"),
    "where with mismatched shapes": (lambda: lucid.where(lucid.ones(3) > 0, lucid.ones(2), 0.0), RuntimeError,
                                     r"where: condition of shape \(3,\), input of shape \(2,\) .* do not broadcast"),
    "where with a float condition": (lambda: lucid.where(lucid.ones(2), lucid.ones(2), 0.0), TypeError,
                                     "must be a bool tensor, got dtype lucid.float32"),
    "masked_fill with a mask that does not fit": (lambda: lucid.ones(2, 3).masked_fill(lucid.ones(4) > 0, 0.0),
                                                  RuntimeError, r"mask of shape \(4,\) does not broadcast to the "
                                                                r"tensor's shape \(2, 3\)"),
    "clamp without bounds": (lambda: lucid.ones(2).clamp(), ValueError, "at least one of min and max"),
    "clamp with a string bound": (lambda: lucid.ones(2).clamp("0"), TypeError, "min must be a number"),
    "expand to a smaller shape": (lambda: lucid.ones(2, 3).expand(4, 3), RuntimeError,
                                  r"cannot expand shape \(2, 3\) to \(4, 3\)"),
    "repeat with too few counts": (lambda: lucid.ones(2, 3).repeat(2), RuntimeError, "1 repeat counts"),
    "gather with an index of another rank": (lambda: lucid.ones(2, 3).gather(1, lucid.tensor([0])), RuntimeError,
                                             "index must be an integer tensor with 2 dims"),
    "narrow past the end": (lambda: lucid.ones(2, 3).narrow(1, 2, 2), IndexError,
                            "start 2 and length 2 do not fit dim 1 of size 3"),
    "chunk into zero pieces": (lambda: lucid.ones(4).chunk(0), RuntimeError, "chunks must be a positive int"),
    "unflatten into sizes of another product": (lambda: lucid.ones(2, 6).unflatten(1, (4, 2)), RuntimeError,
                                                r"sizes \(4, 2\) do not multiply to the size 6 of dim 1"),
    "stack of different shapes": (lambda: lucid.stack([lucid.ones(2), lucid.ones(3)]), ValueError,
                                  "stack expects tensors of one shape"),
    "unsqueeze out of range": (lambda: lucid.ones(2).unsqueeze(3), IndexError, "dim 3 is out of range"),
    "a dim out of range": (lambda: lucid.ones(2, 3).sum(2), IndexError, "dim 2 is out of range for a tensor with 2"),
    "t of a 3-d tensor": (lambda: lucid.ones(2, 3, 4).t(), RuntimeError, "t\\(\\) expects a tensor with <= 2 dims"),
    "mm of 3-d tensors": (lambda: lucid.mm(lucid.ones(2, 2, 2), lucid.ones(2, 2)), RuntimeError,
                          "mm expects two 2-d tensors"),
    "bmm with different batch sizes": (lambda: lucid.bmm(lucid.ones(2, 2, 3), lucid.ones(3, 3, 2)), RuntimeError,
                                       "bmm expects two 3-d tensors with one batch size"),
    "einsum with the wrong number of letters": (lambda: lucid.einsum("ij,jk->ik", lucid.ones(2, 3), lucid.ones(3)),
                                                ValueError, r"subscripts 'jk' do not fit an operand of shape \(3,\)"),
    "max over a tuple of dims": (lambda: lucid.ones(2, 3).max((0, 1)), TypeError, "use amax/amin"),
    "roll with mismatched shifts and dims": (lambda: lucid.ones(2, 3).roll((1, 2), 0), RuntimeError,
                                             r"2 shifts \(1, 2\) for 1 dims"),
    "repeat_interleave with the wrong count of repeats": (
        lambda: lucid.ones(3).repeat_interleave(lucid.tensor([1, 2])), RuntimeError, "repeats must be 3"),
    "randint with high not above low": (lambda: lucid.randint(3, 3, (2,)), ValueError,
                                        r"high \(3\) must be greater than low \(3\)"),
    "a window of negative length": (lambda: lucid.hann_window(-1), ValueError,
                                    "window_length must be a non-negative int, got -1"),
    "an integer window": (lambda: lucid.hann_window(4, dtype=lucid.int64), ValueError,
                          "dtype must be floating point"),
    "arange with a zero step": (lambda: lucid.arange(0, 3, 0), ValueError, "step must be nonzero"),
    "var with unbiased and correction": (lambda: lucid.ones(3).var(unbiased=True, correction=1), ValueError,
                                         "unbiased or correction, not both"),
    "norm with p = 0": (lambda: lucid.ones(3).norm(p=0), ValueError, "p must be 'fro', inf, -inf or a number > 0"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_raises_a_clear_error(case):
    call, error, message = BAD[case]
    with pytest.raises(error, match=message):
        call()


def test_split_chunk_and_unbind_cut_like_pytorch():
    x = lucid.arange(10)
    assert [p.tolist() for p in x.split(4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [len(p) for p in lucid.arange(6).chunk(4)] == [2, 2, 2]  # ceil(6 / 4) = 2: three pieces, as PyTorch
    assert [p.tolist() for p in lucid.arange(6).reshape(2, 3).unbind(1)] == [[0, 3], [1, 4], [2, 5]]


def test_views_of_pieces_share_the_version_counter_with_their_source():
    x = lucid.zeros(2, 4)
    first, _ = x.chunk(2, dim=1)
    first.add_(1)
    assert x._version == 1 and x.numpy()[:, :2].tolist() == [[1.0, 1.0], [1.0, 1.0]]


@pytest.mark.parametrize("op, shape", [
    (lambda x, a: x + 1 / (a + 1e-9) * lucid.sin(a * x) ** 2, (2, 3, 8)),
    (lambda x, a: x.clamp(-1, 1).masked_fill(x > 0, 0.0), (2, 3, 8)),
    (lambda x, a: lucid.where(x > 0, x, a), (2, 3, 8)),
    (lambda x, a: x.softmax(-1).var(1), (2, 8)),
    (lambda x, a: x.split([3, 5], 2)[1].flip(1).roll(1, 2).cumsum(2), (2, 3, 5)),
    (lambda x, a: x.max(1).values + x.max(1).indices, (2, 8)),
    (lambda x, a: x.repeat(1, 2, 1).unfold(2, 4, 2), (2, 6, 3, 4)),
], ids=["snake", "clamp-masked_fill", "where", "softmax-var", "split-flip-roll-cumsum", "max-dim", "repeat-unfold"])
def test_ops_give_shapes_on_shape_only_meta_tensors(op, shape):
    x, a = lucid.empty(2, 3, 8, device="meta"), lucid.empty(1, 3, 1, device="meta")
    out = op(x, a)
    assert out.device == "meta" and out.shape == shape


def test_the_norm_of_a_zero_vector_has_a_zero_gradient_like_pytorch():
    x = lucid.zeros(2, 3, requires_grad=True)
    x.norm(dim=1).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]


def test_the_exponent_gradient_of_a_zero_base_is_zero_like_pytorch():
    base = lucid.tensor([0.0, 2.0])
    exponent = lucid.tensor([1.5, 3.0], requires_grad=True)
    (base**exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad.numpy(), [0.0, 8.0 * math.log(2.0)], rtol=1e-6)
