"""Four published decoders, written once for PyTorch, run under lucid after rewriting only their imports.

Each model file in tests/ports/models is loaded with lucid (import lines rewritten, nothing else
edited), gets torch's weights (stored by tests/fixtures/make_port_fixtures.py, or live from torch
when it imports) with ``strict=True``, and must match torch's eval-mode output and the gradient
of every parameter in train mode.
"""

import pathlib

import numpy as np
import pytest
from safetensors.numpy import load_file

import lucid
from tests.ports.porting import MODELS, build, example_input, load_model_file, output_weight, rewrite_imports

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "ports"
NAMES = sorted(MODELS)
pytestmark = pytest.mark.filterwarnings("ignore:.*weight_norm.*is deprecated:FutureWarning")
OUTPUT_TOL = dict(rtol=1e-4, atol=1e-6)


def _stored(name):
    state = load_file(str(FIXTURES / f"{name}.safetensors"))
    with np.load(FIXTURES / f"{name}.npz", allow_pickle=False) as data:
        return state, dict(data)


def _assert_gradients_match(model, expected):
    """Every parameter's gradient equals the reference, within float32 accumulation error.

    A weight-normed direction ``v`` with one element per norm slice (a 1-tap conv from one
    channel) has an exactly zero gradient: w = g·v/|v| does not depend on it. Both sides then
    hold rounding noise, so it is only checked to be negligible against the model's gradients.
    """
    grads = {key: p for key, p in model.named_parameters()}
    assert sorted(grads) == sorted(expected)
    overall = max(float(np.abs(ref).max()) for ref in expected.values())
    for key, ref in expected.items():
        param = grads[key]
        assert param.grad is not None, f"{key} got no gradient"
        got = param.grad.numpy()
        if key.endswith(("weight_v", "weight.original1")) and int(np.prod(param.shape[1:])) == 1:
            assert np.abs(got).max() <= 1e-5 * overall and np.abs(ref).max() <= 1e-5 * overall, key
            continue
        scale = float(np.abs(ref).max()) or 1.0
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * scale, err_msg=key)


def _train_step(model, x):
    model.train()
    y = model(lucid.tensor(x))
    (y * lucid.tensor(output_weight(tuple(y.shape)))).sum().backward()
    return y


def test_the_rewrite_changes_only_torch_import_lines():
    source = "import math\nimport torch\nimport torch.nn as nn  # layers\nfrom torch.nn.utils import weight_norm\n" \
             "from torch import nn as tnn\nx = torch.tanh(y)  # torch stays\n"
    assert rewrite_imports(source) == (
        "import math\nimport lucid as torch\nimport lucid.nn as nn  # layers\nfrom lucid.nn.utils import weight_norm\n"
        "from lucid import nn as tnn\nx = torch.tanh(y)  # torch stays\n"
    )
    with pytest.raises(ValueError, match="cannot rewrite"):
        rewrite_imports("import torch.nn\n")


@pytest.mark.parametrize("file", sorted({m[0] for m in MODELS.values()}))
def test_each_model_file_imports_with_lucid(file):
    module = load_model_file(file, "lucid")
    assert module.torch is lucid and module.nn is lucid.nn


@pytest.mark.parametrize("name", NAMES)
def test_torch_weights_load_strictly_and_the_eval_output_matches(name):
    state, ref = _stored(name)
    model = build(name, "lucid")
    assert sorted(model.state_dict()) == sorted(state)
    model.load_state_dict(state, strict=True)
    model.eval()
    with lucid.no_grad():
        out = model(lucid.tensor(ref["input"]))
    np.testing.assert_allclose(out.numpy(), ref["eval_output"], **OUTPUT_TOL)


@pytest.mark.parametrize("name", NAMES)
def test_train_mode_gradients_of_every_parameter_match(name):
    state, ref = _stored(name)
    model = build(name, "lucid")
    model.load_state_dict(state, strict=True)
    y = _train_step(model, ref["input"])
    np.testing.assert_allclose(y.numpy(), ref.get("train_output", ref["eval_output"]), **OUTPUT_TOL)
    _assert_gradients_match(model, {k[5:]: v for k, v in ref.items() if k.startswith("grad/")})


def test_hifigan_remove_weight_norm_keeps_the_output_and_plain_weights():
    state, ref = _stored("hifigan_v1")
    model = build("hifigan_v1", "lucid")
    model.load_state_dict(state, strict=True)
    model.eval()
    model.remove_weight_norm()
    assert not any(key.endswith(("weight_g", "weight_v")) for key in model.state_dict())
    assert "conv_pre.weight" in model.state_dict()
    with lucid.no_grad():
        out = model(lucid.tensor(ref["input"]))
    np.testing.assert_allclose(out.numpy(), ref["eval_output"], **OUTPUT_TOL)


# ------------------------------------------------------------------ live, when torch imports
@pytest.mark.parametrize("name", NAMES)
def test_live_torch_state_dict_loads_as_tensors_and_as_numpy_and_everything_matches(name):
    torch = pytest.importorskip("torch")
    torch.manual_seed(123)
    theirs = build(name, "torch")
    from_tensors, from_arrays = build(name, "lucid"), build(name, "lucid")
    from_tensors.load_state_dict(theirs.state_dict(), strict=True)
    from_arrays.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()}, strict=True)
    x = example_input(name, seed=5)
    theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    for ours in (from_tensors, from_arrays):
        ours.eval()
        with lucid.no_grad():
            np.testing.assert_allclose(ours(lucid.tensor(x)).numpy(), expected, **OUTPUT_TOL)
    theirs.train()
    y = theirs(torch.tensor(x))
    (y * torch.tensor(output_weight(tuple(y.shape)))).sum().backward()
    _train_step(from_tensors, x)
    _assert_gradients_match(from_tensors, {k: p.grad.numpy() for k, p in theirs.named_parameters()})


def test_live_remove_weight_norm_matches_torchs_plain_state_dict():
    torch = pytest.importorskip("torch")
    torch.manual_seed(7)
    theirs, ours = build("hifigan_v3_resblock2", "torch"), build("hifigan_v3_resblock2", "lucid")
    ours.load_state_dict(theirs.state_dict(), strict=True)
    theirs.remove_weight_norm()
    ours.remove_weight_norm()
    expected = theirs.state_dict()
    got = ours.state_dict()
    assert list(got) == list(expected)
    for key in expected:
        np.testing.assert_allclose(got[key].numpy(), expected[key].numpy(), rtol=1e-5, atol=1e-7, err_msg=key)
