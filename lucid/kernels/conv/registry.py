"""The leaves (one formulation of one op each) and :func:`choose`, the only place one is picked."""

import dataclasses
import math
from typing import Callable

from . import depthwise, gather, im2col, per_tap, polyphase, tuning
from . import workspace as ws

OPS = ("conv1d", "grad_input", "grad_weight")


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One formulation of one op: ``run(case, a, b, bias=None)`` never dispatches again."""

    name: str
    op: str
    applies: Callable
    features: Callable  # case -> (calls, depth, elements) for the cost model
    run: Callable
    prepare: Callable = None  # (case, w) -> the rearranged weight ``run`` takes as ``weight=`` (cacheable)

    def cost(self, case):
        """Predicted microseconds, from the constants in ``tuning.COST``."""
        return predict(tuning.COST[self.op, self.name], case.macs, *self.features(case))


def predict(constants, macs, calls, depth, elements):
    setup, per_call, gmacs, half, ns = constants
    rate = gmacs * 1e3 * (depth / (depth + half) if half > 0 else 1.0)
    return setup + calls * per_call + macs / max(rate, 1e-9) + elements * ns / 1e3


def _always(case):
    return True


def _unit_stride(case):
    return case.stride == 1


def _strided(case):
    """Polyphase at stride 1 is one phase: its GEMMs are per_tap_gemm's, through a temporary."""
    return case.stride > 1


def _compiled(case):
    return ws.has_compiled(case.numpy)


def _compiled_depthwise(case):
    return case.depthwise and ws.has_compiled(case.numpy)


def _depthwise(case):
    return case.depthwise


def _col2im_compiled(case):
    return im2col.compiled_col2im_fits(case) and ws.has_compiled(case.numpy)


def _chunks(case, column_elements, positions):
    return max(1, math.ceil(case.itemsize * column_elements * case.n * positions / tuning.WORKSPACE_BYTES))


def _cols(case):
    return case.n * case.c_in * case.kernel_size * case.out_length


# features per (op, leaf): (calls, depth, elements)
def _im2col_conv1d(case):
    chunks = _chunks(case, case.kernel_size * case.c_in + case.c_out, case.out_length)
    return chunks * (1 + min(case.kernel_size, tuning.UNFOLD_LOOP_MAX_TAPS)), min(case.o_group, case.c_group *
                                                                                  case.kernel_size), \
        2 * _cols(case) + case.short_size


def _im2col_grad_weight(case):
    chunks = _chunks(case, case.kernel_size * case.c_in + case.c_out, case.out_length)
    return chunks * (1 + min(case.kernel_size, tuning.UNFOLD_LOOP_MAX_TAPS)), min(case.o_group, case.c_group *
                                                                                  case.kernel_size), 2 * _cols(case)


def _col2im(case):
    chunks = _chunks(case, case.c_in * case.kernel_size, case.out_length)
    return chunks * (1 + case.taps.per_phase), min(case.c_group * case.kernel_size, case.o_group), \
        2 * _cols(case) + case.long_size


def _polyphase_conv1d(case):
    plan = case.taps
    q = len(plan.shifts)
    chunks = _chunks(case, case.stride * case.c_in + 2 * case.c_out, case.out_length)
    copy = case.long_size * (3 if case.stride > 1 else 1)
    return chunks * 2 * q, min(case.o_group, case.c_group * plan.per_shift), \
        3 * case.weight_size + copy + 2 * q * case.short_size


def _polyphase_grad_input(case):
    plan = case.taps
    q = len(plan.shifts)
    return 2 * q, min(case.c_group, case.o_group * plan.per_phase), \
        2 * case.weight_size + 2 * q * case.short_size + 3 * case.long_size


def _polyphase_grad_weight(case):
    plan = case.taps
    q = len(plan.shifts)
    return 3 * q, min(case.o_group, case.c_group * case.stride), \
        3 * case.long_size + 2 * q * case.short_size + q * case.weight_size


def _per_tap_calls(case, positions, rows):
    """GEMM calls: per tap and sample, one per group in place (BLAS) or one per block of positions."""
    if per_tap.direct(case):
        return case.n * case.kernel_size * case.groups
    step = max(64, tuning.PER_TAP_BLOCK_BYTES // (case.itemsize * max(rows, 1)))
    return case.n * case.kernel_size * math.ceil(positions / step)


def _per_tap_passes(case):
    """Extra passes over the output: in place, each further tap's GEMM reads it again; through the
    temporary, each also writes and re-adds it."""
    return (case.kernel_size - 1) * (1 if per_tap.direct(case) else 2)


def _per_tap_conv1d(case):
    return _per_tap_calls(case, case.out_length, case.c_out), min(case.o_group, case.c_group), \
        _per_tap_passes(case) * case.short_size


def _per_tap_grad_input(case):
    return _per_tap_calls(case, case.length, case.c_in), min(case.o_group, case.c_group), \
        _per_tap_passes(case) * case.long_size


def _per_tap_grad_weight(case):
    return case.n * case.kernel_size * case.groups, min(case.o_group, case.c_group), \
        case.n * case.kernel_size * case.weight_size


def _gather_features(case):
    return 1, 1, case.long_size + case.short_size


def _depthwise_features(case):
    blocks = max(1, (case.long_size + case.short_size) * case.itemsize // tuning.DIRECT_BLOCK_BYTES)
    return blocks * case.kernel_size, 1, case.long_size + case.short_size


LEAVES = {leaf.op + "/" + leaf.name: leaf for leaf in (
    Leaf("im2col_gemm", "conv1d", _always, _im2col_conv1d, im2col.conv1d),
    Leaf("polyphase_gemm", "conv1d", _strided, _polyphase_conv1d, polyphase.conv1d, polyphase.phase_weight),
    Leaf("per_tap_gemm", "conv1d", _unit_stride, _per_tap_conv1d, per_tap.conv1d, per_tap.per_tap_weight),
    Leaf("gather_compiled", "conv1d", _compiled, _gather_features, gather.conv1d),
    Leaf("depthwise_compiled", "conv1d", _compiled_depthwise, _depthwise_features, depthwise.conv1d_compiled),
    Leaf("depthwise_numpy", "conv1d", _depthwise, _depthwise_features, depthwise.conv1d_numpy),
    Leaf("col2im_gemm", "grad_input", _always, _col2im, im2col.grad_input),
    Leaf("col2im_compiled", "grad_input", _col2im_compiled, _col2im, im2col.grad_input_compiled),
    Leaf("polyphase_gemm", "grad_input", _strided, _polyphase_grad_input, polyphase.grad_input,
         polyphase.phase_weight),
    Leaf("per_tap_gemm", "grad_input", _unit_stride, _per_tap_grad_input, per_tap.grad_input,
         per_tap.grad_input_weight),
    Leaf("gather_compiled", "grad_input", _compiled, _gather_features, gather.grad_input,
         gather.grad_input_weight),
    Leaf("depthwise_compiled", "grad_input", _compiled_depthwise, _depthwise_features, depthwise.grad_input_compiled),
    Leaf("depthwise_numpy", "grad_input", _depthwise, _depthwise_features, depthwise.grad_input_numpy),
    Leaf("im2col_gemm", "grad_weight", _always, _im2col_grad_weight, im2col.grad_weight),
    Leaf("polyphase_gemm", "grad_weight", _strided, _polyphase_grad_weight, polyphase.grad_weight),
    Leaf("per_tap_gemm", "grad_weight", _unit_stride, _per_tap_grad_weight, per_tap.grad_weight),
    Leaf("gather_compiled", "grad_weight", _compiled, _gather_features, gather.grad_weight),
    Leaf("depthwise_compiled", "grad_weight", _compiled_depthwise, _depthwise_features,
         depthwise.grad_weight_compiled),
    Leaf("depthwise_numpy", "grad_weight", _depthwise, _depthwise_features, depthwise.grad_weight_numpy),
)}


def leaves(op):
    """Every leaf of ``op``, applicable or not."""
    if op not in OPS:
        raise ValueError(f"op must be one of {OPS}, got {op!r}")
    return [leaf for leaf in LEAVES.values() if leaf.op == op]


def applicable(op, case):
    return [leaf for leaf in leaves(op) if leaf.applies(case)]


def choose(op, case, method=None):
    """The leaf that runs ``op`` on ``case``: ``method`` (a leaf name) when given, else the cheapest
    applicable leaf by the cost model."""
    candidates = applicable(op, case)
    if method is None:
        return min(candidates, key=lambda leaf: leaf.cost(case))
    names = [leaf.name for leaf in leaves(op)]
    if method not in names:
        raise ValueError(f"method must be None or one of {names} for {op}, got {method!r}")
    for leaf in candidates:
        if leaf.name == method:
            return leaf
    raise ValueError(f"method {method!r} does not apply to this {op} (applicable: "
                     f"{[leaf.name for leaf in candidates]})")
