"""NaN and inf reach exactly the outputs the definition says they touch, in every leaf.

Each applicable leaf is forced through ``method=``; one NaN and one inf are put in an operand and
the non-finite outputs are compared with the loop references of test_conv_paths. A poisoned signal
(conv1d's x, the transposed convolution's grad_out, the weight gradient's x) must give exactly the
reference's set. A poisoned weight (or the weight gradient's grad_out) may in addition reach the
outputs its products with zero padding would: IEEE makes 0 · NaN a NaN, and GEMM formulations
multiply padding that the loops skip. Those stay inside the poisoned element's own channel.
"""

import numpy as np
import pytest

from lucid.kernels import conv as kernels

from .test_conv_paths import GRID, arrays, case_of, expected, run

pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

SHAPES = ["strided-padded", "dilated", "dilation-3-stride-2", "depthwise", "depthwise-multiplier",
          "depthwise-dilated-stride-3", "long", "many-taps", "same-dilated-long", "stride-above-kernel"]


def params():
    for name in SHAPES:
        case = case_of(GRID[name])
        for op in kernels.OPS:
            for leaf in kernels.applicable(op, case):
                for operand in ("signal", "other"):
                    yield pytest.param(GRID[name], op, leaf.name, operand, id=f"{name}-{op}-{leaf.name}-{operand}")


def poison(rng, a):
    """A copy of ``a`` with a NaN and an inf at two random places, and those places."""
    a = a.copy()
    flat = rng.choice(a.size, size=2, replace=False)
    places = [np.unravel_index(i, a.shape) for i in flat]
    a[places[0]] = np.nan
    a[places[1]] = np.inf
    return a, places


@pytest.mark.parametrize("shape, op, method, operand", list(params()))
def test_nan_and_inf_reach_exactly_the_outputs_they_touch(rng, shape, op, method, operand):
    length = shape[8]
    groups = shape[7]
    x, w, y = arrays(rng, shape, length)
    # conv1d: (x, w); grad_input: (y, w); grad_weight: (x, y) -- the signal first, the other second
    names = {"conv1d": ("x", "w"), "grad_input": ("y", "w"), "grad_weight": ("x", "y")}[op]
    target = names[0] if operand == "signal" else names[1]
    values = dict(x=x, w=w, y=y)
    values[target], places = poison(rng, values[target])
    got = ~np.isfinite(run(op, method, values["x"], values["w"], values["y"], shape, length))
    must = ~np.isfinite(expected(op, values["x"], values["w"], values["y"], shape, length))
    assert must.any()
    if operand == "signal":
        np.testing.assert_array_equal(got, must)
        return
    assert (got >= must).all(), "a non-finite output the definition gives came out finite"
    may = must.copy()
    c_group = shape[1] // groups
    for place in places:  # the poisoned element's channel of the output
        if op == "conv1d":  # w[o, c, k] -> y[:, o, :]
            may[:, place[0], :] = True
        elif op == "grad_input":  # w[o, c, k] -> x[:, g(o)·C_g + c, :]
            group = place[0] // (shape[2] // groups)
            may[:, group * c_group + place[1], :] = True
        else:  # grad_out[n, o, l] -> gw[o, :, :]
            may[place[1]] = True
    assert (got <= may).all(), "a non-finite value reached outputs outside its channel"
