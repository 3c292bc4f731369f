"""Second derivatives through the convolutions and the ops a gradient penalty needs.

Checked three ways: Hessian-vector products against central differences of first
derivatives, PyTorch's second derivatives stored in tests/fixtures/lazy_family.npz, and a
live WGAN-GP style gradient penalty through transposed convolutions when torch is installed.
"""

import pathlib

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import grad

FIXTURES = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "lazy_family.npz", allow_pickle=False)

CONVS = [
    # (functional, input shape, weight shape, keyword arguments)
    (F.conv1d, (2, 4, 7), (4, 2, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
    (F.conv_transpose1d, (2, 2, 4), (2, 3, 3), dict(stride=1, padding=1, output_padding=1, dilation=2)),
    (F.conv2d, (1, 2, 5, 4), (3, 2, 2, 3), dict(stride=(2, 1), padding=(1, 0))),
    (F.conv_transpose2d, (1, 2, 3, 3), (2, 2, 2, 3), dict(stride=(1, 2), padding=(0, 1), output_padding=(1, 1),
                                                          dilation=(2, 1))),
    (F.conv3d, (1, 2, 3, 4, 3), (2, 1, 2, 2, 1), dict(padding=(0, 1, 0), groups=2)),
    (F.conv_transpose3d, (1, 2, 2, 3, 2), (2, 1, 2, 1, 2), dict(stride=(2, 1, 1), output_padding=(1, 0, 0))),
]
CONV_IDS = ["conv1d", "conv_transpose1d", "conv2d", "conv_transpose2d", "conv3d", "conv_transpose3d"]


def first_derivatives(function, tensors, create_graph=False):
    out = function(*tensors)
    return grad(out, tensors, create_graph=create_graph)


def check_hessian_vector_products(function, arrays, rng, eps=1e-6, rtol=1e-5, atol=1e-7):
    """H·v by double backward equals (∇f(θ + εv) - ∇f(θ - εv)) / 2ε for a random direction v."""
    tensors = [lucid.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    direction = [rng.standard_normal(a.shape) for a in arrays]
    grads = first_derivatives(function, tensors, create_graph=True)
    assert all(g.requires_grad for g in grads)
    directional = sum((g * lucid.tensor(v)).sum() for g, v in zip(grads, direction))
    analytic = grad(directional, tensors, allow_unused=True)

    def gradient_at(sign):
        moved = [lucid.tensor(a + sign * eps * v, dtype="float64", requires_grad=True)
                 for a, v in zip(arrays, direction)]
        return [g.numpy() for g in first_derivatives(function, moved)]

    plus, minus = gradient_at(1), gradient_at(-1)
    for i, found in enumerate(analytic):
        numeric = (plus[i] - minus[i]) / (2 * eps)
        found = np.zeros_like(numeric) if found is None else found.numpy()
        np.testing.assert_allclose(found, numeric, rtol=rtol, atol=atol, err_msg=f"input {i}")


@pytest.mark.parametrize("conv, x_shape, w_shape, kwargs", CONVS, ids=CONV_IDS)
def test_second_derivatives_of_a_convolution_match_differences_of_first_derivatives(rng, conv, x_shape, w_shape,
                                                                                   kwargs):
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    out_channels = w_shape[1] * kwargs.get("groups", 1) if "transpose" in conv.__name__ else w_shape[0]
    b = rng.standard_normal(out_channels)
    probe = lucid.tensor(rng.standard_normal(conv(lucid.tensor(x), lucid.tensor(w), **kwargs).shape))

    def function(x, w, b):
        return (conv(x, w, b, **kwargs).tanh() * probe).sum()

    check_hessian_vector_products(function, [x, w, b], rng)


@pytest.mark.parametrize("name, function", [
    ("pow-sum-sqrt", lambda x: ((x ** 2).sum(1) + 1e-3).sqrt().sum()),
    ("penalty", lambda x: (((x * x).sum((1, 2)).sqrt() - 1) ** 2).mean()),
    ("leaky_relu-tanh", lambda x: (F.leaky_relu(x, 0.2) * x.tanh()).sum()),
    ("sigmoid-exp-mean", lambda x: (x.sigmoid() * (x * 0.3).exp()).mean()),
    ("reshape-permute-index", lambda x: (x.permute(2, 0, 1).reshape(-1, 3)[1:] ** 3).sum()),
    ("div-sub", lambda x: ((x - 2.0) / (x * x + 1.0)).sum()),
], ids=lambda v: v if isinstance(v, str) else "")
def test_second_derivatives_of_the_ops_a_gradient_penalty_uses(rng, name, function):
    check_hessian_vector_products(function, [rng.standard_normal((2, 3, 3))], rng)


def _fixture(name):
    return {key.split(".", 1)[1]: FIXTURES[key] for key in FIXTURES.files if key.startswith(name + ".")}


def _call(data, x, w, b):
    kind = str(data["kind"])
    if kind == "linear":
        return F.linear(x, w, b)
    kwargs = dict(stride=tuple(data["stride"]), padding=tuple(data["padding"]), dilation=tuple(data["dilation"]),
                  groups=int(data["groups"]))
    if kind.startswith("conv_transpose"):
        kwargs["output_padding"] = tuple(data["output_padding"])
    return getattr(F, kind)(x, w, b, **kwargs)


@pytest.mark.parametrize("name", [str(c) for c in FIXTURES["cases"]])
def test_a_gradient_penalty_has_pytorchs_second_derivatives(name):
    data = _fixture(name)
    x = lucid.tensor(data["x"], requires_grad=True)
    w = lucid.tensor(data["weight"], requires_grad=True)
    b = lucid.tensor(data["bias"], requires_grad=True) if "bias" in data else None
    y = _call(data, x, w, b)
    (grad_x,) = grad(y, [x], lucid.tensor(data["grad_out"]), create_graph=True)
    penalty = (grad_x ** 2).sum()
    second_x, second_w = grad(penalty, [x, w], allow_unused=True)
    tol = dict(rtol=1e-9, atol=1e-9) if str(data["dtype"]) == "float64" else dict(rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(np.zeros(x.shape) if second_x is None else second_x.numpy(), data["penalty_grad_x"],
                               **tol)
    np.testing.assert_allclose(second_w.numpy(), data["penalty_grad_weight"], **tol)


def test_backward_with_create_graph_leaves_differentiable_grads():
    w = lucid.tensor(np.linspace(-1, 1, 12).reshape(2, 2, 3), requires_grad=True)
    x = lucid.tensor(np.linspace(0, 2, 10).reshape(1, 2, 5), requires_grad=True)
    y = F.conv_transpose1d(x, w, stride=2)
    (y * y).sum().backward(create_graph=True)
    assert x.grad.requires_grad and w.grad.requires_grad
    first_w = w.grad.detach().numpy().copy()
    x_grad = x.grad
    x.grad = w.grad = None
    (x_grad ** 2).sum().backward()
    assert w.grad is not None and not np.allclose(w.grad.numpy(), first_w)


def _discriminator(torch_module, n):
    """A GAN critic over transposed and plain convolutions (as in vocoder discriminators)."""
    if torch_module is None:
        conv_t, conv = (nn.ConvTranspose1d, nn.Conv1d) if n == 1 else (nn.ConvTranspose2d, nn.Conv2d)
        act = nn.LeakyReLU(0.2)
        return nn.Sequential(conv_t(2, 4, 4, stride=2, padding=1), act, conv(4, 3, 3, padding=1), nn.Tanh(),
                             conv(3, 1, 3))
    tnn = torch_module.nn
    conv_t, conv = (tnn.ConvTranspose1d, tnn.Conv1d) if n == 1 else (tnn.ConvTranspose2d, tnn.Conv2d)
    return tnn.Sequential(conv_t(2, 4, 4, stride=2, padding=1), tnn.LeakyReLU(0.2), conv(4, 3, 3, padding=1),
                          tnn.Tanh(), conv(3, 1, 3)).double()


@pytest.mark.parametrize("n", [1, 2], ids=["1d", "2d"])
def test_a_wgan_gradient_penalty_through_transposed_convolutions_matches_pytorch(rng, n):
    torch = pytest.importorskip("torch")
    critic_t = _discriminator(torch, n)
    critic = _discriminator(None, n).double()
    critic.load_state_dict(critic_t.state_dict())
    shape = (3, 2, 6) if n == 1 else (3, 2, 4, 5)
    real, fake = rng.standard_normal(shape), rng.standard_normal(shape)
    alpha = rng.random((3,) + (1,) * (len(shape) - 1))
    mixed = alpha * real + (1 - alpha) * fake
    dims = tuple(range(1, len(shape)))

    def penalty(lib, module, x):
        score = module(x)
        if lib is torch:
            (g,) = torch.autograd.grad(score.sum(), x, create_graph=True)
        else:
            (g,) = grad(score.sum(), x, create_graph=True)
        return score.mean() + 10 * (((g * g).sum(dims).sqrt() - 1) ** 2).mean()

    loss_t = penalty(torch, critic_t, torch.tensor(mixed, requires_grad=True))
    loss_t.backward()
    loss = penalty(lucid, critic, lucid.tensor(mixed, requires_grad=True))
    loss.backward()
    assert np.isclose(loss.item(), loss_t.item(), rtol=1e-10)
    for (name, p), q in zip(critic.named_parameters(), critic_t.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)
