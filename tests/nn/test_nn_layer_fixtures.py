"""Every layer of tests/fixtures/make_nn_layer_fixtures.py against PyTorch's stored forward and gradients."""

import importlib.util
import pathlib

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F

_FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures"
_spec = importlib.util.spec_from_file_location("make_nn_layer_fixtures", _FIXTURES / "make_nn_layer_fixtures.py")
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)


@pytest.fixture(scope="module")
def stored():
    with np.load(_FIXTURES / "nn_layers.npz", allow_pickle=False) as data:
        return dict(data)


def _by_prefix(stored, prefix):
    return {key[len(prefix):]: value for key, value in stored.items() if key.startswith(prefix)}


def _run(name, build, stored):
    layer = build(nn, F)
    if isinstance(layer, nn.Module):
        layer.double()
        layer.load_state_dict(_by_prefix(stored, f"{name}/state/"))
    x = lucid.tensor(stored[f"{name}/x"], requires_grad=True)
    out = layer(x)
    out.backward(lucid.tensor(stored[f"{name}/g"]))
    return layer, x, out


@pytest.mark.parametrize("name, build", [(c[0], c[1]) for c in cases.CASES], ids=[c[0] for c in cases.CASES])
def test_forward_and_gradients_match_pytorch(name, build, stored):
    layer, x, out = _run(name, build, stored)
    np.testing.assert_allclose(out.numpy(), stored[f"{name}/out"], rtol=1e-7, atol=1e-9)
    grads = _by_prefix(stored, f"{name}/grad/")
    np.testing.assert_allclose(x.grad.numpy(), grads.pop("input"), rtol=1e-7, atol=1e-9)
    if isinstance(layer, nn.Module):
        params = dict(layer.named_parameters())
        assert sorted(params) == sorted(grads)
        for key, expected in grads.items():
            np.testing.assert_allclose(params[key].grad.numpy(), expected, rtol=1e-7, atol=1e-9, err_msg=key)
        after = _by_prefix(stored, f"{name}/after/")
        state = layer.state_dict()
        assert sorted(state) == sorted(after)
        for key, expected in after.items():
            np.testing.assert_allclose(state[key].numpy(), expected, rtol=1e-7, atol=1e-9, err_msg=key)

