"""One lazy flag: "still lazy?" is one check, and a materialized lazy layer's call takes no lock."""

import threading

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.nn.modules import lazy
from lucid.nn.parameter import is_lazy
from lucid.nn.utils import parametrizations, weight_norm


def _call_while_another_thread_holds_the_first_call_lock(layer, x, patience=5.0):
    held, release = threading.Event(), threading.Event()

    def hold():
        with lazy._first_call_lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    result = {}
    caller = threading.Thread(target=lambda: result.setdefault("y", layer(x)))
    caller.start()
    caller.join(patience)
    finished = not caller.is_alive()
    release.set()
    holder.join()
    caller.join()
    return finished, result.get("y")


@pytest.mark.parametrize("materialize", ["first_forward", "load_state_dict"])
def test_a_materialized_lazy_layer_is_called_without_taking_the_lock(materialize):
    layer = nn.LazyConv1d(3, 3)
    x = lucid.randn(1, 2, 6)
    if materialize == "first_forward":
        layer(x)
    else:
        layer.load_state_dict(nn.Conv1d(2, 3, 3).state_dict())
        layer(x)  # the first call after a load looks once under the lock, then sets the flag
    finished, y = _call_while_another_thread_holds_the_first_call_lock(layer, x)
    assert finished and y.shape == (1, 3, 4)


def test_a_still_lazy_layer_waits_for_the_lock_on_its_first_call():
    layer = nn.LazyConv1d(3, 3)
    finished, _ = _call_while_another_thread_holds_the_first_call_lock(layer, lucid.randn(1, 2, 6), patience=0.3)
    assert not finished


def test_summary_puts_the_flag_back_with_the_placeholders():
    layer = nn.LazyConv1d(3, 3)
    nn.utils.summary(layer, (1, 2, 6))
    assert is_lazy(layer._parameters["weight"])
    assert layer(lucid.randn(1, 5, 6)).shape == (1, 3, 4)  # materializes for real, from 5 channels
    assert layer.in_channels == 5


def test_is_lazy_is_the_one_check_and_is_false_after_materialization():
    layer = nn.LazyLinear(2)
    placeholder = layer._parameters["weight"]
    assert is_lazy(placeholder) and not is_lazy(nn.Parameter(lucid.ones(1))) and not is_lazy(None)
    layer(lucid.ones(1, 3))
    assert not is_lazy(placeholder) and layer.weight is placeholder


def test_lazy_weight_norm_bad_input_changes_nothing():
    layer = weight_norm(nn.LazyConv1d(3, 3))
    names = [name for name, _ in layer.named_parameters()]
    with pytest.raises(RuntimeError, match="already weight-normalized"):
        weight_norm(layer)
    with pytest.raises(ValueError, match="no parameter 'weight'"):
        parametrizations.weight_norm(layer)
    assert [name for name, _ in layer.named_parameters()] == names
    bad = weight_norm(nn.LazyConv1d(3, 3), dim=4)  # the dim can only be checked against a shape
    with pytest.raises(ValueError, match="dim 4 is out of range"):
        bad(lucid.randn(1, 2, 6))
    assert [name for name, _ in bad.named_parameters()] == names  # still lazy, still split


def test_a_plain_checkpoint_into_a_lazy_weight_normed_layer_names_the_expected_keys_and_stays_lazy():
    layer = weight_norm(nn.LazyConv1d(3, 3))
    with pytest.raises(RuntimeError, match="expects 'weight_g' and 'weight_v'"):
        layer.load_state_dict(nn.Conv1d(2, 3, 3).state_dict())
    assert all(is_lazy(p) for p in layer.parameters())
    state = weight_norm(nn.Conv1d(2, 3, 3)).state_dict()
    layer.load_state_dict(state)
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[key].numpy())
