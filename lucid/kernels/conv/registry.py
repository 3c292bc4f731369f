"""The leaves (one formulation of one op each) and :func:`choose`, the only place one is picked.

``choose`` ranks the applicable leaves by the cost model. With :func:`measured_choice` on (off by
default, like ``torch.backends.cudnn.benchmark``), the near ties of a case (leaves predicted within
``tuning.TRIAL_MARGIN`` of the cheapest) run one after another at its first calls, each
``tuning.TRIAL_RUNS`` times; :func:`record` keeps each one's best time, and the fastest is then
kept for the case. Off by default because the leaves round differently: while a case is being timed, the same
call can return results that differ in the last bits, where PyTorch's CPU kernels repeat exactly.
"""

import collections
import dataclasses
import math
import os
import threading
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
    applicable leaf by the cost model, or, while near ties of a case are being timed, the next of
    them to time (see the module docstring)."""
    if method is None:
        return _measured(op, case)
    candidates = applicable(op, case)
    names = [leaf.name for leaf in leaves(op)]
    if method not in names:
        raise ValueError(f"method must be None or one of {names} for {op}, got {method!r}")
    for leaf in candidates:
        if leaf.name == method:
            return leaf
    raise ValueError(f"method {method!r} does not apply to this {op} (applicable: "
                     f"{[leaf.name for leaf in candidates]})")


# --- measured choice among near ties ------------------------------------------------------------

@dataclasses.dataclass
class _Trial:
    """The near ties of one (op, case): each one's best time so far and how often it ran."""

    candidates: list  # cheapest predicted first
    seconds: list
    runs: list
    winner: Leaf = None

    def next(self):
        """One candidate after another, each for its runs in a row: alternating them call by call
        times each leaf with the others' scratch and cache contents, slower than it runs alone."""
        for leaf, runs in zip(self.candidates, self.runs):
            if runs < tuning.TRIAL_RUNS:
                return leaf
        return self.candidates[-1]


_trials = collections.OrderedDict()  # (op, case, compiled leaves apply) -> _Trial, oldest first
_trials_lock = threading.RLock()
_measure = [os.environ.get("LUCID_MEASURED_CHOICE", "") not in ("", "0")]


class measured_choice:
    """Time the cost model's near ties at each case's first calls (``True``) or not (``False``, the
    default; ``LUCID_MEASURED_CHOICE=1`` turns it on for a process).

    A call sets it; used as a context manager (``with measured_choice(True): ...``) it is restored
    on exit, as ``set_grad_enabled`` is.
    """

    def __init__(self, enabled):
        self._previous = _measure[0]
        _measure[0] = bool(enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _measure[0] = self._previous
        return False


def is_measured_choice():
    return _measure[0]


def pending():
    """How many measured cases are still timing their near ties."""
    with _trials_lock:
        return sum(trial.winner is None for trial in _trials.values())


def forget_measurements():
    """Drop every measured choice (the next calls of each case time their near ties again)."""
    with _trials_lock:
        _trials.clear()


def _key(op, case):
    return op, case, ws.has_compiled(case.numpy)


def _measured(op, case):
    if not (_measure[0] and case.numpy):  # other array modules run asynchronously: wall time says little
        return min(applicable(op, case), key=lambda leaf: leaf.cost(case))
    key = _key(op, case)
    with _trials_lock:
        trial = _trials.get(key)
        if trial is not None:
            return trial.winner or trial.next()
    ranked = sorted(((leaf.cost(case), i, leaf) for i, leaf in enumerate(applicable(op, case))))
    near = [leaf for cost, _, leaf in ranked[:tuning.TRIAL_LEAVES] if cost <= tuning.TRIAL_MARGIN * ranked[0][0]]
    trial = _Trial(near, [math.inf] * len(near), [0] * len(near), near[0] if len(near) == 1 else None)
    with _trials_lock:
        trial = _trials.setdefault(key, trial)
        while len(_trials) > tuning.TRIAL_CASES:
            _trials.popitem(last=False)
        return trial.winner or trial.next()


def record(op, case, leaf, seconds):
    """Report that ``leaf`` ran ``op`` on ``case`` in ``seconds`` (wall time, weight preparation
    included); once every near tie has run ``tuning.TRIAL_RUNS`` times the fastest is kept."""
    if not _measure[0]:
        return
    with _trials_lock:
        trial = _trials.get(_key(op, case))
        if trial is None or trial.winner is not None or leaf not in trial.candidates:
            return
        i = trial.candidates.index(leaf)
        trial.seconds[i] = min(trial.seconds[i], seconds)
        trial.runs[i] += 1
        if min(trial.runs) >= tuning.TRIAL_RUNS:
            trial.winner = trial.candidates[trial.seconds.index(min(trial.seconds))]
