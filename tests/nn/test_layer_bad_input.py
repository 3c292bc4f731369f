"""Issue 9's bad-input rows for the new layers, one table: a clear error, and the layer unchanged after it."""

import re

import numpy as np
import pytest

import lucid
import lucid.nn as nn


def _snapshot(module):
    state = {key: value.numpy().copy() for key, value in module.state_dict().items()}
    return state, list(module._modules), dict(vars(module))


ROWS = [
    # (id, build the layer, the failing call, error, message)
    ("reflect pad not smaller than the input", lambda: nn.ReflectionPad1d((2, 3)),
     lambda m: m(lucid.ones(1, 2, 3)), ValueError,
     "pad: reflect padding must be smaller than the padded dim, got padding (2, 3) at dim 2 of input shape (1, 2, 3)"),
    ("reflect pad 2d", lambda: nn.ReflectionPad2d(2), lambda m: m(lucid.ones(1, 1, 2, 5)), ValueError,
     "got padding (2, 2) at dim 2 of input shape (1, 1, 2, 5)"),
    ("unknown pad mode", lambda: nn.ZeroPad1d(1), lambda m: lucid.nn.functional.pad(lucid.ones(1, 1, 3), (1, 1),
                                                                                      mode="symmetric"),
     ValueError, "pad: mode must be one of ('constant', 'reflect', 'replicate', 'circular'), got 'symmetric'"),
    ("batchnorm channel count", lambda: nn.BatchNorm1d(8), lambda m: m(lucid.ones(4, 6, 5)), ValueError,
     "BatchNorm1d: expected input with num_features=8 channels (dim 1), got 6 channels in shape (4, 6, 5)"),
    ("batchnorm2d channel count", lambda: nn.BatchNorm2d(3).eval(), lambda m: m(lucid.ones(2, 4, 2, 2)), ValueError,
     "BatchNorm2d: expected input with num_features=3 channels (dim 1), got 4 channels in shape (2, 4, 2, 2)"),
    ("module list index", lambda: nn.ModuleList([nn.Tanh(), nn.ReLU()]), lambda m: m[2], IndexError,
     "ModuleList index 2 is out of range for length 2"),
    ("module list negative index", lambda: nn.ModuleList([nn.Tanh()]), lambda m: m[-2], IndexError,
     "ModuleList index -2 is out of range for length 1"),
    ("module list insert of a non-module", lambda: nn.ModuleList([nn.Tanh()]), lambda m: m.insert(0, "relu"),
     TypeError, "ModuleList holds Modules, got str at index 0"),
    ("sequential index", lambda: nn.Sequential(nn.Tanh()), lambda m: m[1], IndexError,
     "Sequential index 1 is out of range for length 1"),
]


@pytest.mark.parametrize("build, call, error, message", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_bad_input_raises_a_clear_error_and_leaves_the_layer_unchanged(build, call, error, message):
    layer = build()
    state, children, attributes = _snapshot(layer)
    with pytest.raises(error, match=re.escape(message)):
        call(layer)
    after_state, after_children, after_attributes = _snapshot(layer)
    assert after_children == children and after_attributes.keys() == attributes.keys()
    assert after_state.keys() == state.keys()
    for key in state:
        np.testing.assert_array_equal(after_state[key], state[key], err_msg=key)
