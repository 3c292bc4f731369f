"""SGD, Adam, AdamW: PyTorch's update rules, parameter groups, lazy parameters, state dicts."""

import json
import pathlib

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid import optim

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "workflow_optim.npz"

with np.load(FIXTURES, allow_pickle=False) as _data:
    STORED = dict(_data)
CONFIGS = json.loads(str(STORED["configs"]))
STEPS = sum(1 for key in STORED if key.startswith(CONFIGS[0][0] + "/param") and key.endswith("_0"))


def _make(cls, kwargs, params):
    kwargs = dict(kwargs)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    return getattr(optim, cls)(params, **kwargs)


@pytest.mark.parametrize("name, cls, kwargs", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_updates_match_the_stored_pytorch_trajectory(name, cls, kwargs):
    params = [nn.Parameter(lucid.tensor(STORED[f"{name}/start{i}"])) for i in range(2)]
    optimizer = _make(cls, kwargs, params)
    for step in range(STEPS):
        for i, p in enumerate(params):
            p.grad = lucid.tensor(STORED[f"{name}/grad{step}_{i}"])
        optimizer.step()
        for i, p in enumerate(params):
            np.testing.assert_allclose(p.numpy(), STORED[f"{name}/param{step}_{i}"], rtol=1e-5, atol=1e-6,
                                       err_msg=f"step {step}, parameter {i}")


@pytest.mark.parametrize("name, cls, kwargs", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_updates_and_state_match_live_pytorch_in_float64(name, cls, kwargs, rng):
    torch = pytest.importorskip("torch")
    starts = [rng.standard_normal((3, 2)), rng.standard_normal(5)]
    ours = [nn.Parameter(lucid.tensor(a)) for a in starts]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in starts]
    optimizer = _make(cls, kwargs, ours)
    reference = getattr(torch.optim, cls)(theirs, **kwargs)
    for _ in range(5):
        for p, q in zip(ours, theirs):
            grad = rng.standard_normal(p.shape)
            p.grad, q.grad = lucid.tensor(grad), torch.tensor(grad)
        optimizer.step()
        reference.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-12, atol=1e-14)
    expected = reference.state_dict()["state"]
    got = optimizer.state_dict()["state"]
    assert sorted(got) == sorted(expected)
    for index, entries in expected.items():
        assert set(got[index]) == set(entries)
        for key, value in entries.items():
            np.testing.assert_allclose(np.asarray(got[index][key]), value.numpy(), rtol=1e-12, atol=1e-14)


def test_pytorch_optimizer_state_dict_loads_and_training_continues_identically(rng):
    torch = pytest.importorskip("torch")
    start = rng.standard_normal((4, 3))
    theirs = torch.nn.Parameter(torch.tensor(start))
    reference = torch.optim.AdamW([theirs], lr=0.05, amsgrad=True)
    for _ in range(3):
        theirs.grad = torch.tensor(rng.standard_normal((4, 3)))
        reference.step()
    ours = nn.Parameter(lucid.tensor(theirs.detach().numpy().copy()))
    optimizer = optim.AdamW([ours], lr=0.5)
    optimizer.load_state_dict(reference.state_dict())
    assert optimizer.param_groups[0]["lr"] == 0.05 and optimizer.state[ours]["step"] == 3
    for _ in range(2):
        grad = rng.standard_normal((4, 3))
        theirs.grad, ours.grad = torch.tensor(grad), lucid.tensor(grad)
        reference.step()
        optimizer.step()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12)


def test_parameter_groups_use_their_own_hyperparameters():
    a, b = nn.Parameter(lucid.ones(2)), nn.Parameter(lucid.ones(2))
    optimizer = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1)
    a.grad, b.grad = lucid.ones(2), lucid.ones(2)
    optimizer.step()
    np.testing.assert_allclose(a.numpy(), 0.9)
    np.testing.assert_allclose(b.numpy(), 0.5)
    c = nn.Parameter(lucid.ones(1))
    optimizer.add_param_group({"params": [c], "momentum": 0.9})
    assert optimizer.param_groups[2]["lr"] == 0.1 and optimizer.param_groups[2]["momentum"] == 0.9
    assert optimizer.state_dict()["param_groups"][1]["params"] == [1]


def test_zero_grad_drops_gradients_by_default_or_fills_zeros():
    p = nn.Parameter(lucid.ones(3))
    optimizer = optim.SGD([p], lr=0.1)
    p.grad = lucid.ones(3)
    optimizer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(3))
    optimizer.zero_grad()
    assert p.grad is None


def test_parameters_without_gradient_are_left_alone_and_get_no_state():
    p, q = nn.Parameter(lucid.ones(2)), nn.Parameter(lucid.ones(2))
    optimizer = optim.Adam([p, q], lr=0.1)
    p.grad = lucid.ones(2)
    optimizer.step()
    np.testing.assert_array_equal(q.numpy(), np.ones(2))
    assert q not in optimizer.state and list(optimizer.state_dict()["state"]) == [0]


def test_an_optimizer_built_before_a_lazy_layer_materializes_trains_it():
    lucid.manual_seed(0)
    model = nn.Sequential(nn.LazyConvTranspose1d(4, 3, stride=2), nn.Tanh(), nn.Linear(9, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    optimizer.step()  # placeholders have no data yet: skipped
    assert optimizer.state == {}
    x, target = lucid.randn(2, 3, 4), lucid.zeros(2, 4, 1)
    losses = []
    for _ in range(30):
        loss = nn.functional.mse_loss(model(x), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert model[0].weight in optimizer.state and optimizer.state[model[0].weight]["step"] == 30
    assert losses[-1] < 0.2 * losses[0]


def test_state_dict_uses_pytorchs_layout_and_is_a_snapshot():
    p = nn.Parameter(lucid.ones(2))
    optimizer = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = lucid.ones(2)
    optimizer.step()
    state = optimizer.state_dict()
    assert state["param_groups"] == [{"lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0,
                                      "nesterov": False, "maximize": False, "params": [0]}]
    assert list(state["state"]) == [0] and list(state["state"][0]) == ["momentum_buffer"]
    optimizer.step()
    np.testing.assert_array_equal(state["state"][0]["momentum_buffer"].numpy(), np.ones(2))


def test_load_state_dict_round_trip_resumes_exactly(rng):
    def run(optimizer, params, grads):
        for grad in grads:
            for p, g in zip(params, grad):
                p.grad = lucid.tensor(g)
            optimizer.step()

    starts = [rng.standard_normal((3, 3)), rng.standard_normal(3)]
    grads = [[rng.standard_normal(a.shape) for a in starts] for _ in range(6)]
    full = [nn.Parameter(lucid.tensor(a)) for a in starts]
    run(optim.Adam(full, lr=0.1, amsgrad=True), full, grads)
    first = [nn.Parameter(lucid.tensor(a)) for a in starts]
    optimizer = optim.Adam(first, lr=0.1, amsgrad=True)
    run(optimizer, first, grads[:3])
    second = [nn.Parameter(lucid.tensor(p.numpy().copy())) for p in first]
    resumed = optim.Adam(second, lr=0.7)
    resumed.load_state_dict(optimizer.state_dict())
    run(resumed, second, grads[3:])
    for p, q in zip(full, second):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("state_dict, words", [
    pytest.param([], "'state' and 'param_groups'", id="not-a-mapping"),
    pytest.param({"state": {}}, "'state' and 'param_groups'", id="missing-groups"),
    pytest.param({"state": {}, "param_groups": []}, "0 parameter group(s)", id="group-count"),
    pytest.param({"state": {}, "param_groups": [{"lr": 0.1, "params": [0]}]}, "holds 1 parameter(s)",
                 id="group-size"),
    pytest.param({"state": {5: {"momentum_buffer": np.zeros(2)}},
                  "param_groups": [{"lr": 0.1, "params": [0, 1]}]}, "index 5", id="unknown-index"),
    pytest.param({"state": {1: {"momentum_buffer": np.zeros(3)}},
                  "param_groups": [{"lr": 0.1, "params": [0, 1]}]}, "shape (3,)", id="wrong-shape"),
    pytest.param({"state": {}, "param_groups": [{"lr": -1.0, "params": [0, 1]}]}, "lr", id="bad-lr"),
    pytest.param({"state": {0: {"momentum_buffer": "x"}}, "param_groups": [{"params": [0, 1]}]}, "state[0]",
                 id="non-tensor"),
])
def test_a_failed_load_state_dict_raises_and_changes_nothing(state_dict, words):
    a, b = nn.Parameter(lucid.ones(2)), nn.Parameter(lucid.ones(2))
    optimizer = optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad = lucid.ones(2)
    optimizer.step()
    before = optimizer.state_dict()
    with pytest.raises(ValueError) as raised:
        optimizer.load_state_dict(state_dict)
    assert words in str(raised.value)
    after = optimizer.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["momentum_buffer"].numpy(),
                                  before["state"][0]["momentum_buffer"].numpy())


@pytest.mark.parametrize("make, error, words", [
    pytest.param(lambda p: optim.SGD([], lr=0.1), ValueError, "empty parameter list", id="empty"),
    pytest.param(lambda p: optim.SGD(p, lr=0.1), TypeError, "single Tensor", id="bare-tensor"),
    pytest.param(lambda p: optim.SGD({p}, lr=0.1), TypeError, "not a set", id="set"),
    pytest.param(lambda p: optim.SGD([p, p], lr=0.1), ValueError, "more than once", id="duplicate"),
    pytest.param(lambda p: optim.SGD([p * 2], lr=0.1), ValueError, "leaf", id="non-leaf"),
    pytest.param(lambda p: optim.SGD([np.ones(2)], lr=0.1), TypeError, "ndarray", id="array"),
    pytest.param(lambda p: optim.SGD([p], lr=-0.1), ValueError, "lr must be >= 0.0", id="negative-lr"),
    pytest.param(lambda p: optim.SGD([p], lr=0.1, nesterov=True), ValueError, "Nesterov", id="nesterov"),
    pytest.param(lambda p: optim.Adam([p], betas=(0.9, 1.0)), ValueError, "betas[1]", id="beta"),
    pytest.param(lambda p: optim.Adam([p], eps="small"), TypeError, "eps", id="eps-type"),
    pytest.param(lambda p: optim.AdamW([p], amsgrad=1), TypeError, "amsgrad", id="amsgrad"),
])
def test_bad_constructor_arguments_raise_errors_that_name_them(make, error, words):
    p = nn.Parameter(lucid.ones(2))
    with pytest.raises(error) as raised:
        make(p)
    assert words in str(raised.value)


def test_step_with_a_closure_returns_its_loss():
    p = nn.Parameter(lucid.tensor([2.0]))
    optimizer = optim.SGD([p], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert loss.item() == 4.0 and p.item() == 1.0
