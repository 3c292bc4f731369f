"""Linear, activations, losses and conv1d: PyTorch parity (stored fixtures and live), gradients, errors."""

import math
import pathlib
import zlib

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck
from lucid.kernels.special import erf

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "workflow_layers.npz"


@pytest.fixture(scope="module")
def stored():
    with np.load(FIXTURES, allow_pickle=False) as data:
        return dict(data)


FUNCTIONS = {
    "linear": lambda x, w, b: F.linear(x, w, b),
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "tanh": F.tanh,
    "gelu_none": lambda x: F.gelu(x, approximate="none"),
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_none_f64": F.gelu,
    "conv1d": lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2),
    **{f"mse_{r}": (lambda a, t, r=r: F.mse_loss(a, t, reduction=r)) for r in ("mean", "sum", "none")},
    **{f"l1_{r}": (lambda a, t, r=r: F.l1_loss(a, t, reduction=r)) for r in ("mean", "sum", "none")},
}


def _run(name, inputs, grad_out):
    tensors = [lucid.tensor(a, requires_grad=True) for a in inputs]
    out = FUNCTIONS[name](*tensors)
    out.backward(lucid.tensor(grad_out))
    return out.numpy(), [t.grad.numpy() for t in tensors]


def _tolerance(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_outputs_and_gradients_match_the_stored_pytorch_fixtures(stored, name):
    inputs = [stored[f"{name}/in{i}"] for i in range(3) if f"{name}/in{i}" in stored]
    out, grads = _run(name, inputs, stored[f"{name}/grad_out"])
    tol = _tolerance(inputs[0].dtype)
    assert out.dtype == stored[f"{name}/out"].dtype
    np.testing.assert_allclose(out, stored[f"{name}/out"], **tol)
    for i, grad in enumerate(grads):
        np.testing.assert_allclose(grad, stored[f"{name}/grad{i}"], **tol)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_outputs_and_gradients_match_live_pytorch(stored, name):
    torch = pytest.importorskip("torch")
    f = torch.nn.functional
    live = {
        "linear": f.linear, "relu": f.relu, "leaky_relu": lambda x: f.leaky_relu(x, 0.2), "tanh": torch.tanh,
        "gelu_none": f.gelu, "gelu_tanh": lambda x: f.gelu(x, approximate="tanh"), "gelu_none_f64": f.gelu,
        "conv1d": lambda x, w, b: f.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2),
        **{f"mse_{r}": (lambda a, t, r=r: f.mse_loss(a, t, reduction=r)) for r in ("mean", "sum", "none")},
        **{f"l1_{r}": (lambda a, t, r=r: f.l1_loss(a, t, reduction=r)) for r in ("mean", "sum", "none")},
    }
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    inputs = [rng.standard_normal(stored[f"{name}/in{i}"].shape).astype(stored[f"{name}/in{i}"].dtype) * 3
              for i in range(3) if f"{name}/in{i}" in stored]
    tensors = [torch.tensor(a, requires_grad=True) for a in inputs]
    expected = live[name](*tensors)
    grad_out = rng.standard_normal(tuple(expected.shape)).astype(inputs[0].dtype)
    expected.backward(torch.tensor(grad_out))
    out, grads = _run(name, inputs, grad_out)
    # float32 tails differ by an ulp of 1 where one library's tanh rounds to -1 and the other's does not
    tol = dict(rtol=1e-5, atol=1e-5) if inputs[0].dtype == np.float32 else _tolerance(inputs[0].dtype)
    np.testing.assert_allclose(out, expected.detach().numpy(), **tol)
    for grad, t in zip(grads, tensors):
        np.testing.assert_allclose(grad, t.grad.numpy(), **tol)


def test_erf_is_float64_accurate_against_pytorch_and_math_erf(stored):
    x = stored["erf/in0"]
    np.testing.assert_allclose(erf(x), stored["erf/out"], rtol=4e-16, atol=1e-300)
    dense = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-200, 6.5, 2000)])
    exact = np.array([math.erf(v) for v in dense])
    ulps = np.abs(erf(dense) - exact) / np.spacing(np.abs(exact))
    assert ulps.max() <= 2


def test_erf_handles_signs_infinities_nan_and_keeps_the_dtype():
    out = erf(np.array([-0.0, np.inf, -np.inf, np.nan, 40.0]))
    assert np.signbit(out[0]) and out[1] == 1 and out[2] == -1 and np.isnan(out[3]) and out[4] == 1
    assert erf(np.ones(3, dtype=np.float32)).dtype == np.float32
    assert erf(np.ones(3, dtype=np.float16)).dtype == np.float16


@pytest.mark.parametrize("fn", [
    pytest.param(lambda x: F.leaky_relu(x, 0.3), id="leaky_relu"),
    pytest.param(F.erf, id="erf"),
    pytest.param(lambda x: F.gelu(x), id="gelu_none"),
    pytest.param(lambda x: F.gelu(x, approximate="tanh"), id="gelu_tanh"),
])
def test_new_activations_pass_gradcheck(fn, rng):
    x = lucid.tensor(rng.standard_normal((3, 4)) * 2, dtype="float64", requires_grad=True)
    assert gradcheck(fn, (x,))


def test_linear_and_losses_pass_gradcheck(rng):
    x = lucid.tensor(rng.standard_normal((2, 3, 4)), dtype="float64", requires_grad=True)
    w = lucid.tensor(rng.standard_normal((5, 4)), dtype="float64", requires_grad=True)
    b = lucid.tensor(rng.standard_normal(5), dtype="float64", requires_grad=True)
    t = lucid.tensor(rng.standard_normal((2, 3, 5)), dtype="float64", requires_grad=True)
    assert gradcheck(lambda x, w, b, t: F.mse_loss(F.linear(x, w, b), t), (x, w, b, t))
    assert gradcheck(lambda x, w, b, t: F.l1_loss(F.linear(x, w, b), t, reduction="sum"), (x, w, b, t))


def test_gelu_gradient_is_itself_differentiable():
    x = lucid.tensor([-1.5, 0.3, 2.0], dtype="float64", requires_grad=True)
    (g,) = lucid.autograd.grad(F.gelu(x).sum(), x, create_graph=True)
    (gg,) = lucid.autograd.grad(g.sum(), x)
    xs = x.numpy()
    pdf = np.exp(-xs * xs / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(gg.numpy(), pdf * (2 - xs * xs), rtol=1e-12)


def test_modules_wrap_the_functional_forms(rng):
    x = lucid.tensor(rng.standard_normal((4, 6)).astype(np.float32))
    t = lucid.tensor(rng.standard_normal((4, 6)).astype(np.float32))
    cases = [(nn.ReLU(), F.relu(x)), (nn.LeakyReLU(0.2), F.leaky_relu(x, 0.2)), (nn.Tanh(), F.tanh(x)),
             (nn.GELU(), F.gelu(x)), (nn.GELU("tanh"), F.gelu(x, approximate="tanh")), (nn.Identity(3, k=1), x)]
    for module, expected in cases:
        np.testing.assert_array_equal(module(x).numpy(), expected.numpy())
    assert nn.Identity()(x) is x
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_array_equal(nn.MSELoss(reduction=reduction)(x, t).numpy(),
                                      F.mse_loss(x, t, reduction=reduction).numpy())
        np.testing.assert_array_equal(nn.L1Loss(reduction=reduction)(x, t).numpy(),
                                      F.l1_loss(x, t, reduction=reduction).numpy())
    assert list(nn.ReLU().parameters()) == [] and nn.ReLU().state_dict() == {}


def test_linear_initialises_like_pytorch_and_computes_x_wt_plus_b(rng):
    lucid.manual_seed(3)
    layer = nn.Linear(50, 20)
    assert layer.weight.shape == (20, 50) and layer.bias.shape == (20,)
    bound = 1 / math.sqrt(50)
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.weight.numpy()).max() > 0.9 * bound
    assert np.abs(layer.bias.numpy()).max() <= bound
    x = lucid.tensor(rng.standard_normal((3, 7, 50)).astype(np.float32))
    expected = x.numpy() @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    no_bias = nn.Linear(4, 2, bias=False, dtype="float64")
    assert no_bias.bias is None and no_bias.weight.dtype == lucid.float64
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert repr(no_bias) == "Linear(in_features=4, out_features=2, bias=False)"


def test_linear_loads_a_pytorch_state_dict_and_matches_its_output(rng):
    torch = pytest.importorskip("torch")
    reference = torch.nn.Linear(5, 3)
    layer = nn.Linear(5, 3)
    layer.load_state_dict(reference.state_dict())
    x = rng.standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(layer(lucid.tensor(x)).numpy(), reference(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)


def test_conv1d_module_matches_pytorch_after_loading_its_weights(rng):
    torch = pytest.importorskip("torch")
    reference = torch.nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2)
    layer = nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2)
    layer.load_state_dict(reference.state_dict())
    x = rng.standard_normal((2, 4, 13)).astype(np.float32)
    np.testing.assert_allclose(layer(lucid.tensor(x)).numpy(), reference(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_conv1d_and_conv_transpose1d_are_adjoint(rng):
    """<conv1d(x, w), y> == <x, conv_transpose1d(y, w)>: the two share their kernels."""
    x = lucid.tensor(rng.standard_normal((2, 4, 11)))
    w = lucid.tensor(rng.standard_normal((6, 2, 3)))
    y = F.conv1d(x, w, stride=2, padding=1, dilation=2, groups=2)
    v = lucid.tensor(rng.standard_normal(y.shape))
    back = F.conv_transpose1d(v, w, stride=2, padding=1, dilation=2, groups=2, output_padding=0)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(y.numpy() * v.numpy()), np.sum(x.numpy() * back.numpy()), rtol=1e-12)


@pytest.mark.parametrize("call, error, words", [
    pytest.param(lambda: F.linear(lucid.zeros(2, 3), lucid.zeros(4, 5)), ValueError, "in_features=5",
                 id="linear-features"),
    pytest.param(lambda: F.linear(lucid.zeros(2, 3), lucid.zeros(4, 3, 1)), ValueError, "2-D", id="linear-weight-rank"),
    pytest.param(lambda: F.linear(lucid.zeros(2, 3), lucid.zeros(4, 3), lucid.zeros(5)), ValueError, "(4,)",
                 id="linear-bias"),
    pytest.param(lambda: F.linear(lucid.zeros(2, 3, dtype="float64"), lucid.zeros(4, 3)), TypeError, "float64",
                 id="linear-dtype"),
    pytest.param(lambda: F.linear([1.0], lucid.zeros(4, 1)), TypeError, "input must be a Tensor", id="linear-type"),
    pytest.param(lambda: nn.Linear(0, 3), ValueError, "in_features", id="Linear-in"),
    pytest.param(lambda: nn.Linear(3, 2, bias=1), TypeError, "bias", id="Linear-bias"),
    pytest.param(lambda: nn.Linear(3, 2, dtype="int64"), TypeError, "floating", id="Linear-dtype"),
    pytest.param(lambda: F.gelu(lucid.zeros(2), approximate="fast"), ValueError, "'none' or 'tanh'", id="gelu"),
    pytest.param(lambda: nn.GELU("erf"), ValueError, "approximate", id="GELU"),
    pytest.param(lambda: nn.LeakyReLU("0.1"), TypeError, "negative_slope", id="LeakyReLU"),
    pytest.param(lambda: F.mse_loss(lucid.zeros(2, 3), lucid.zeros(3, 2)), ValueError, "(3, 2)", id="mse-shape"),
    pytest.param(lambda: F.l1_loss(lucid.zeros(2), lucid.zeros(2), reduction="avg"), ValueError, "'avg'",
                 id="l1-reduction"),
    pytest.param(lambda: nn.MSELoss(reduction="max"), ValueError, "reduction", id="MSELoss"),
    pytest.param(lambda: F.mse_loss(lucid.zeros(2), [0.0, 0.0]), TypeError, "target", id="mse-target-type"),
])
def test_bad_arguments_raise_errors_that_name_them(call, error, words):
    with pytest.raises(error, match=None) as raised:
        call()
    assert words in str(raised.value)
