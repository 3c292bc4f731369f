"""ConvTranspose1d's backward: plain and ``create_graph=True`` take one path and agree; the fused bias keeps dtypes."""

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid.autograd import grad

CASES = {
    "strided": ((2, 4, 9), (4, 3, 4), dict(stride=2, padding=1)),
    "grouped-output-padding": ((2, 4, 6), (4, 2, 3), dict(stride=3, padding=1, output_padding=2, groups=2)),
    "dilation-above-stride": ((1, 2, 5), (2, 3, 3), dict(stride=1, padding=1, output_padding=1, dilation=2)),
    "depthwise": ((2, 3, 7), (3, 1, 4), dict(stride=2, padding=1, groups=3)),
}


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("name", list(CASES))
def test_a_plain_backward_matches_the_differentiable_one(rng, name, bias):
    x_shape, w_shape, kwargs = CASES[name]
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    if bias:
        arrays.append(rng.standard_normal(w_shape[1] * kwargs.get("groups", 1)))

    def gradients(create_graph):
        tensors = [lucid.tensor(a, requires_grad=True) for a in arrays]
        out = F.conv_transpose1d(*tensors, **kwargs)
        seed = lucid.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape))
        return [g.numpy() for g in grad(out, tensors, grad_outputs=seed, create_graph=create_graph)]

    for fast, composed in zip(gradients(False), gradients(True)):
        np.testing.assert_allclose(fast, composed, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_the_fused_bias_and_shared_backward_keep_the_dtype(rng, dtype):
    x = lucid.tensor(rng.standard_normal((2, 4, 8)), dtype=dtype, requires_grad=True)
    w = lucid.tensor(rng.standard_normal((4, 3, 4)) * 0.3, dtype=dtype, requires_grad=True)
    b = lucid.tensor(rng.standard_normal(3), dtype=dtype, requires_grad=True)
    out = F.conv_transpose1d(x, w, b, stride=2, padding=1)
    reference = F.conv_transpose1d(x.detach().to("float64"), w.detach().to("float64"), stride=2, padding=1)
    reference = reference.numpy() + b.numpy().astype(np.float64)[:, None]
    tol = 2e-2 if dtype == "float16" else 1e-5
    np.testing.assert_allclose(out.numpy().astype(np.float64), reference, rtol=tol, atol=tol)
    out.sum().backward()
    for t in (x, w, b):
        assert t.grad.dtype == t.dtype
    np.testing.assert_allclose(b.grad.numpy().astype(np.float64), np.full(3, out.shape[0] * out.shape[2]), rtol=tol)


def test_only_the_weight_gradient_is_computed_when_the_input_needs_none(rng):
    x = lucid.tensor(rng.standard_normal((1, 2, 5)))
    w = lucid.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    F.conv_transpose1d(x, w, stride=2).sum().backward()
    assert x.grad is None and w.grad.shape == (2, 2, 3)
