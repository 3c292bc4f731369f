"""Every op of tests/ops/tensor_op_cases.py against PyTorch: frozen fixtures, finite differences, live torch.

The fixtures (tests/fixtures/tensor_ops.npz, from make_tensor_op_fixtures.py) hold torch's inputs,
outputs and gradients, so the first test needs no torch.
"""

import pathlib

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck
from tests.ops.tensor_op_cases import CASES, NO_GRAD, NO_GRADCHECK, probe

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "tensor_ops.npz"


@pytest.fixture(scope="module")
def torch_results():
    with np.load(FIXTURES, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _run(lib, name, arrays, make):
    function, _ = CASES[name]
    tensors = [make(a) for a in arrays]
    outs = _outputs(function(lib, *tensors))
    grads = {}
    if name not in NO_GRAD:
        terms = [(out * make(probe(tuple(out.shape)).astype(_dtype_name(out)), grad=False)).sum()
                 for out in outs if out.requires_grad]
        sum(terms[1:], terms[0]).backward()
        grads = {i: t.grad for i, t in enumerate(tensors) if t.grad is not None}
    return outs, grads


def _dtype_name(tensor):
    return str(tensor.dtype).rpartition(".")[2]


def _lucid_maker(array, grad=True):
    return lucid.tensor(array, requires_grad=grad and array.dtype.kind == "f")


def _check_close(actual, expected, what):
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, torch gives {expected.shape}"
    assert actual.dtype.kind == expected.dtype.kind, f"{what}: dtype {actual.dtype}, torch gives {expected.dtype}"
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(actual, expected, rtol=2e-5, atol=2e-6, err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_and_gradients_match_pytorch_fixtures(name, torch_results):
    n_inputs = len(CASES[name][1])
    arrays = [torch_results[f"{name}/in{i}"] for i in range(n_inputs)]
    outs, grads = _run(lucid, name, arrays, _lucid_maker)
    expected_outs = sorted(k for k in torch_results if k.startswith(f"{name}/out"))
    assert len(outs) == len(expected_outs)
    for j, out in enumerate(outs):
        _check_close(out.numpy(), torch_results[f"{name}/out{j}"], f"{name} output {j}")
    for i in range(n_inputs):
        key = f"{name}/grad{i}"
        if key in torch_results:
            assert i in grads, f"{name}: torch gives input {i} a gradient, lucid none"
            _check_close(grads[i].numpy(), torch_results[key], f"{name} gradient of input {i}")
        else:
            assert i not in grads or not np.any(grads[i].numpy()), f"{name}: lucid gives input {i} a gradient"


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_GRADCHECK))
def test_gradients_match_finite_differences_in_float64(name, torch_results):
    function, specs = CASES[name]
    arrays = [torch_results[f"{name}/in{i}"].astype(np.float64) for i in range(len(specs))]
    inputs = [lucid.tensor(a, requires_grad=True) for a in arrays]

    def total(*tensors):
        return lucid.cat([o.reshape(-1) for o in _outputs(function(lucid, *tensors)) if o.is_floating_point()])

    assert gradcheck(total, inputs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_and_gradients_match_live_pytorch(name, torch_results):
    torch = pytest.importorskip("torch")
    arrays = [torch_results[f"{name}/in{i}"] for i in range(len(CASES[name][1]))]

    def torch_maker(array, grad=True):
        return torch.tensor(array, requires_grad=grad and array.dtype.kind == "f" and name not in NO_GRAD)

    outs, grads = _run(lucid, name, arrays, _lucid_maker)
    torch_outs, torch_grads = _run(torch, name, arrays, torch_maker)
    for j, (out, expected) in enumerate(zip(outs, torch_outs)):
        _check_close(out.numpy(), expected.detach().numpy(), f"{name} output {j}")
    for i, expected in torch_grads.items():
        _check_close(grads[i].numpy(), expected.numpy(), f"{name} gradient of input {i}")


# the nonlinear cases (piecewise-linear ones have constant first gradients)
SECOND_ORDER = ["sin", "cos", "tan", "exp", "log1p", "expm1", "sqrt", "rsqrt", "pow-tensor", "pow-fractional", "snake",
                "softmax", "log_softmax", "logsumexp", "var-std", "norm", "atan2", "reciprocal", "einsum"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_gradients_are_differentiable_again(name, torch_results):
    function, specs = CASES[name]
    arrays = [torch_results[f"{name}/in{i}"].astype(np.float64) for i in range(len(specs))]
    inputs = [lucid.tensor(a, requires_grad=True) for a in arrays]

    def first_gradients(*tensors):
        with lucid.enable_grad():  # gradcheck evaluates under no_grad; the first gradients need a graph
            outs = _outputs(function(lucid, *tensors))
            loss = sum((o * lucid.tensor(probe(tuple(o.shape)))).sum() for o in outs)
            grads = lucid.autograd.grad(loss, tensors, create_graph=True)
        return lucid.cat([g.reshape(-1) for g in grads])

    assert gradcheck(first_gradients, inputs)
