"""nn.init: moments and bounds of each distribution, exact fills, gains, and what every function leaves behind."""

import math

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.nn import init

BIG = (400, 500)  # 200 000 draws: a sample mean is within ~0.01 std of the truth


def _param(shape=BIG):
    return nn.Parameter(lucid.zeros(*shape))


def test_normal_has_the_asked_mean_and_std():
    values = init.normal_(_param(), mean=1.5, std=0.2).numpy()
    assert values.mean() == pytest.approx(1.5, abs=0.005)
    assert values.std() == pytest.approx(0.2, rel=0.01)


def test_uniform_stays_in_its_interval_and_fills_it():
    values = init.uniform_(_param(), -0.5, 2.0).numpy()
    assert values.min() >= -0.5 and values.max() < 2.0
    assert values.mean() == pytest.approx(0.75, abs=0.01)
    assert values.var() == pytest.approx(2.5**2 / 12, rel=0.02)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 1.0, 3.0, 5.0),
                                             (0.0, 1.0, -0.1, 0.3)],
                         ids=["default", "two_std", "far_tail", "narrow_off_centre"])
def test_trunc_normal_keeps_its_bounds_and_the_truncated_moments(mean, std, a, b):
    values = init.trunc_normal_(_param(), mean=mean, std=std, a=a, b=b).numpy().astype(np.float64)
    assert values.min() >= a and values.max() <= b
    # moments of a truncated normal from its definition
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    expected_mean = mean + std * (pdf(alpha) - pdf(beta)) / z
    expected_var = std**2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2)
    assert values.mean() == pytest.approx(expected_mean, abs=0.01 * math.sqrt(expected_var))
    assert values.var() == pytest.approx(expected_var, rel=0.02)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_normal_and_uniform_have_the_std_of_their_fan(mode):
    shape = (200, 100, 5)
    fan = 100 * 5 if mode == "fan_in" else 200 * 5
    expected = math.sqrt(2.0) / math.sqrt(fan)  # relu gain
    normal = init.kaiming_normal_(_param(shape), mode=mode, nonlinearity="relu").numpy()
    uniform = init.kaiming_uniform_(_param(shape), mode=mode, nonlinearity="relu").numpy()
    assert normal.std() == pytest.approx(expected, rel=0.01)
    assert uniform.std() == pytest.approx(expected, rel=0.01)
    assert np.abs(uniform).max() <= math.sqrt(3) * expected


def test_xavier_normal_and_uniform_have_the_std_of_both_fans():
    shape = (300, 200, 3)
    expected = 0.5 * math.sqrt(2.0 / (200 * 3 + 300 * 3))
    assert init.xavier_normal_(_param(shape), gain=0.5).numpy().std() == pytest.approx(expected, rel=0.01)
    uniform = init.xavier_uniform_(_param(shape), gain=0.5).numpy()
    assert uniform.std() == pytest.approx(expected, rel=0.01)
    assert np.abs(uniform).max() <= math.sqrt(3) * expected


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (5, 2, 3)], ids=["square", "wide", "tall", "conv"])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape):
    values = init.orthogonal_(_param(shape), gain=2.0).numpy().reshape(shape[0], -1).astype(np.float64)
    small = min(values.shape)
    gram = values @ values.T if values.shape[0] == small else values.T @ values
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)


def test_constant_zeros_ones_eye_and_dirac_fill_exactly():
    np.testing.assert_array_equal(init.constant_(_param((2, 3)), 0.25).numpy(), np.full((2, 3), 0.25))
    np.testing.assert_array_equal(init.zeros_(nn.Parameter(lucid.ones(3))).numpy(), np.zeros(3))
    np.testing.assert_array_equal(init.ones_(_param((3,))).numpy(), np.ones(3))
    np.testing.assert_array_equal(init.eye_(_param((2, 3))).numpy(), np.eye(2, 3))
    conv = nn.Conv1d(4, 4, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = lucid.randn(2, 4, 7)
    np.testing.assert_allclose(conv(x).numpy(), x.numpy(), atol=1e-6)
    grouped = nn.Conv1d(2, 4, 3, padding=1, groups=2, bias=False)
    init.dirac_(grouped.weight, groups=2)
    assert grouped.weight.numpy().sum() == 2  # one per group: each group has one input channel


@pytest.mark.parametrize("nonlinearity, param, expected", [
    ("linear", None, 1.0), ("conv1d", None, 1.0), ("conv2d", None, 1.0), ("conv3d", None, 1.0),
    ("conv_transpose1d", None, 1.0), ("conv_transpose2d", None, 1.0), ("conv_transpose3d", None, 1.0),
    ("sigmoid", None, 1.0), ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))), ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
    ("leaky_relu", 0, math.sqrt(2)),
])
def test_calculate_gain_matches_pytorchs_table(nonlinearity, param, expected):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected)


def test_calculate_gain_matches_live_torch_for_every_nonlinearity():
    torch = pytest.importorskip("torch")
    for name in ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                 "sigmoid", "tanh", "relu", "leaky_relu", "selu"]:
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))


FILLS = [
    ("normal_", lambda t: init.normal_(t, 0.0, 0.01)),
    ("trunc_normal_", lambda t: init.trunc_normal_(t, std=0.02)),
    ("uniform_", lambda t: init.uniform_(t, -1, 1)),
    ("kaiming_normal_", init.kaiming_normal_),
    ("kaiming_uniform_", init.kaiming_uniform_),
    ("xavier_uniform_", init.xavier_uniform_),
    ("xavier_normal_", init.xavier_normal_),
    ("orthogonal_", init.orthogonal_),
    ("constant_", lambda t: init.constant_(t, 0.5)),
    ("eye_", init.eye_),
]


@pytest.mark.parametrize("fill", [f for _, f in FILLS], ids=[n for n, _ in FILLS])
@pytest.mark.parametrize("through_data", [False, True], ids=["parameter", "data"])
def test_each_fill_works_on_a_parameter_and_on_data_outside_autograd_and_bumps_the_version(fill, through_data):
    layer = nn.Linear(8, 6)
    weight = layer.weight
    version = weight._version
    result = fill(weight.data if through_data else weight)
    assert weight._version > version
    assert result.grad_fn is None and weight.grad_fn is None
    assert layer.weight is weight and weight.requires_grad
    np.testing.assert_array_equal(weight.numpy(), result.numpy())
    assert weight.numpy().std() > 0 or fill is FILLS[8][1]


def test_a_generator_makes_draws_repeat():
    first = init.normal_(_param((3, 4)), generator=np.random.default_rng(5)).numpy()
    second = init.normal_(_param((3, 4)), generator=np.random.default_rng(5)).numpy()
    np.testing.assert_array_equal(first, second)


def test_the_version_change_makes_a_backward_over_the_old_values_raise():
    weight = nn.Parameter(lucid.randn(3, 3))
    x = lucid.randn(2, 3, requires_grad=True)
    y = (x @ weight).sum()
    init.normal_(weight)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


@pytest.mark.parametrize("call, error, message", [
    (lambda: init.calculate_gain("swish"), ValueError, "unsupported nonlinearity 'swish'"),
    (lambda: init.calculate_gain("leaky_relu", "0.1"), ValueError, "not a valid number"),
    (lambda: init.xavier_uniform_(_param((5,))), ValueError, "at least 2 dims"),
    (lambda: init.kaiming_normal_(_param((3, 3)), mode="fan"), ValueError, "'fan_in' or 'fan_out'"),
    (lambda: init.orthogonal_(_param((4,))), ValueError, "at least 2 dims"),
    (lambda: init.eye_(_param((2, 2, 2))), ValueError, "2-D"),
    (lambda: init.dirac_(_param((3, 2, 3)), groups=2), ValueError, "divisible by groups"),
    (lambda: init.trunc_normal_(_param((3,)), a=1.0, b=-1.0), ValueError, "a < b"),
    (lambda: init.normal_([1.0, 2.0]), TypeError, "expected a Tensor"),
    (lambda: init.normal_(nn.LazyLinear(3).weight or nn.parameter.UninitializedParameter()), ValueError,
     "uninitialized lazy parameter"),
], ids=["unknown_gain", "slope_not_a_number", "xavier_1d", "bad_mode", "orthogonal_1d", "eye_3d", "dirac_groups",
        "trunc_bounds", "not_a_tensor", "lazy"])
def test_bad_input_is_rejected_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()
