"""Classification and robust regression losses: finite differences, live PyTorch parity, bad input."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck


def _targets(rng, shape, classes):
    t = rng.integers(0, classes, shape)
    t.reshape(-1)[1] = -100  # one ignored target
    return t


CROSS_ENTROPY = [
    {}, dict(reduction="sum"), dict(reduction="none"), dict(weight=True), dict(label_smoothing=0.2),
    dict(label_smoothing=0.1, weight=True), dict(label_smoothing=0.1, weight=True, reduction="sum"),
    dict(label_smoothing=0.3, reduction="none"),
]


@pytest.mark.parametrize("target_kind", ["indices", "probabilities"])
@pytest.mark.parametrize("kwargs", CROSS_ENTROPY, ids=[str(sorted(k.items())) for k in CROSS_ENTROPY])
def test_cross_entropy_and_its_gradient_equal_live_torch(kwargs, target_kind, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 5, 3))
    target = _targets(rng, (4, 3), 5) if target_kind == "indices" else rng.random((4, 5, 3))
    w = rng.random(5)
    ours_kw = {k: (lucid.tensor(w) if k == "weight" else v) for k, v in kwargs.items()}
    theirs_kw = {k: (torch.tensor(w) if k == "weight" else v) for k, v in kwargs.items()}
    ours, theirs = lucid.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = F.cross_entropy(ours, lucid.tensor(target), **ours_kw)
    expected = torch.nn.functional.cross_entropy(theirs, torch.tensor(target), **theirs_kw)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_cross_entropy_gradient_matches_finite_differences(rng):
    x = lucid.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = lucid.tensor(np.array([0, 3, 1]))
    w = lucid.tensor(rng.random(4))
    assert gradcheck(lambda x: F.cross_entropy(x, t, weight=w, label_smoothing=0.1), x)


def test_cross_entropy_equals_the_definition_on_one_sample():
    x = np.array([1.0, 2.0, 0.5])
    expected = -np.log(np.exp(x[1]) / np.exp(x).sum())
    np.testing.assert_allclose(F.cross_entropy(lucid.tensor(x), lucid.tensor(np.int64(1))).item(), expected)


@pytest.mark.parametrize("name, extra", [
    ("binary_cross_entropy", {}), ("binary_cross_entropy_with_logits", dict(pos_weight=True)),
    ("smooth_l1_loss", dict(beta=0.5)), ("huber_loss", dict(delta=2.0)), ("smooth_l1_loss", dict(beta=0.0)),
], ids=["bce", "bce-logits", "smooth-l1", "huber", "smooth-l1-beta0"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_and_robust_losses_equal_live_torch(name, extra, reduction, rng):
    torch = pytest.importorskip("torch")
    x = rng.random((3, 4)) if name == "binary_cross_entropy" else 3 * rng.standard_normal((3, 4))
    y = (rng.random((3, 4)) > 0.5).astype(float) if "cross" in name else rng.standard_normal((3, 4))
    pw = rng.random(4) * 3
    ours_kw = {k: (lucid.tensor(pw) if k == "pos_weight" else v) for k, v in extra.items()}
    theirs_kw = {k: (torch.tensor(pw) if k == "pos_weight" else v) for k, v in extra.items()}
    ours, theirs = lucid.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(F, name)(ours, lucid.tensor(y), reduction=reduction, **ours_kw)
    expected = getattr(torch.nn.functional, name)(theirs, torch.tensor(y), reduction=reduction, **theirs_kw)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_bce_with_logits_stays_finite_for_huge_logits():
    out = F.binary_cross_entropy_with_logits(lucid.tensor([1e4, -1e4]), lucid.tensor([0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(out.numpy(), [1e4, 1e4])


def test_loss_modules_keep_their_weights_as_buffers_like_torch():
    torch = pytest.importorskip("torch")
    w = np.ones(3, dtype=np.float32)
    assert list(nn.CrossEntropyLoss(weight=lucid.tensor(w)).state_dict()) == \
        list(torch.nn.CrossEntropyLoss(weight=torch.tensor(w)).state_dict())
    assert list(nn.BCEWithLogitsLoss(pos_weight=lucid.tensor(w)).state_dict()) == \
        list(torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w)).state_dict())
    assert list(nn.NLLLoss().state_dict()) == []


LOSS_ERRORS = [
    (lambda: F.cross_entropy(lucid.ones(2, 3), lucid.tensor([0, 3])), IndexError, "target 3 is out of bounds for 3"),
    (lambda: F.cross_entropy(lucid.ones(2, 3), lucid.tensor([0])), ValueError, "target shape (1,) must be (2,)"),
    (lambda: F.nll_loss(lucid.ones(2, 3), lucid.tensor([0, 1]), weight=lucid.ones(2)), ValueError,
     "weight must have shape (3,), one per class, got (2,)"),
    (lambda: F.binary_cross_entropy(lucid.tensor([1.5]), lucid.tensor([1.0])), ValueError, "must lie in [0, 1]"),
    (lambda: F.cross_entropy(lucid.ones(2, 3), lucid.tensor([0.0, 1.0])), ValueError,
     "probability target shape (2,) must equal input shape (2, 3)"),
]


@pytest.mark.parametrize("call, error, message", LOSS_ERRORS, ids=["class", "shape", "weight", "bce-range", "probs"])
def test_bad_loss_input_raises_clearly(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
