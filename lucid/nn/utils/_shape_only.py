"""Model utilities that run a model on shape-only inputs: ``materialize`` and ``summary``.

Both run the model once on "meta" tensors (``lucid._meta``): every op computes its output's
shape and dtype, never values, so a decoder whose real forward would need gigabytes runs in
milliseconds. Lazy layers materialize on that run through their usual first-call path
(``LazyModuleMixin``), with real, initialised weights.
"""

from collections import namedtuple

from ... import _meta
from ...autograd.grad_mode import no_grad
from ...backend import to_device
from ...dtypes import to_dtype
from ...random import get_rng_state, set_rng_state
from ...tensor import Tensor, _shape_args
from ..modules.lazy import _first_call_lock
from ..parameter import is_lazy
from ..state_dict import restore, snapshot

_META = to_device("meta")


def _shape_only(example, dtype, where):
    """A meta tensor standing for ``example`` (a Tensor, or a shape tuple of ``dtype``)."""
    if isinstance(example, Tensor):
        return Tensor._from_array(_meta.ndarray(example.shape, example._array.dtype), _META)
    if isinstance(example, (tuple, list)):
        try:
            shape = _shape_args(tuple(example))
        except TypeError:
            shape = None
        if shape is not None and all(s >= 0 for s in shape):
            return Tensor._from_array(_meta.ndarray(shape, to_dtype(dtype).numpy), _META)
    raise TypeError(f"{where}: each example must be a Tensor or a shape tuple of non-negative ints, "
                    f"got {type(example).__name__} {example!r}")


def _shapes(out):
    """The shape of every tensor in a (nested) output; other values pass through."""
    if isinstance(out, Tensor):
        return out.shape
    if isinstance(out, (tuple, list)):
        return type(out)(_shapes(o) for o in out)
    if isinstance(out, dict):
        return {key: _shapes(value) for key, value in out.items()}
    return out


def _propagate(model, examples, dtype, where, on_output=None):
    """Run ``model`` once on shape-only stand-ins for ``examples``; say which layer cannot follow."""
    if not examples:
        raise TypeError(f"{where}: give at least one example input (a Tensor or a shape tuple such as (1, 80, 100))")
    inputs = [_shape_only(example, dtype, where) for example in examples]
    running, handles = [], []

    def enter(module, args, name):
        running.append((name, module))

    def leave(module, args, out, name):
        running.pop()
        if on_output is not None:
            on_output(name, out)

    for name, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(lambda m, a, name=name: enter(m, a, name)))
        handles.append(module.register_forward_hook(lambda m, a, o, name=name: leave(m, a, o, name)))
    try:
        with no_grad():
            return model(*inputs)
    except _meta.ShapeOnlyError as error:
        name, module = running[-1] if running else ("", model)
        raise _meta.ShapeOnlyError(
            f"{where}: layer {name or '(the model itself)'!r} ({type(module).__name__}) cannot be shape-propagated: "
            f"{error}. Materialize it by calling the model once on a real input instead."
        ) from None
    finally:
        for handle in handles:
            handle.remove()


def materialize(model, *example, dtype=None):
    """Materialize every lazy layer of ``model`` from input shapes alone; return the output shape(s).

    The model runs once on shape-only ("meta") tensors: no arithmetic, no activation buffers,
    so it takes milliseconds and little memory whatever the input size. Each lazy layer reads
    its inferred sizes on that run and gets real weights, initialised exactly as its first
    real forward would have done. On any error nothing is changed.

    Parameters
    ----------
    model : Module
    *example : Tensor or tuple of int
        One per positional input of ``model.forward``. A Tensor contributes only its shape
        and dtype.
    dtype : optional
        Floating dtype of the shape-tuple examples (default: the default dtype).

    Returns
    -------
    tuple of int, or a (nested) tuple/list/dict of them
        The shape of each output tensor.

    Raises
    ------
    lucid._meta.ShapeOnlyError
        (a RuntimeError) naming the layer when one needs values, e.g. calls ``.numpy()``.
    """
    with _first_call_lock:  # no first call of another thread interleaves with ours
        saved = snapshot(model)
        try:
            out = _propagate(model, example, dtype, "materialize")
        except BaseException:
            restore(saved)
            raise
    return _shapes(out)


SummaryRow = namedtuple("SummaryRow", ["name", "type", "output_shape", "params", "inferred"])


class ModelSummary:
    """What ``summary`` found: one ``SummaryRow`` per module and parameter totals; prints as a table."""

    def __init__(self, rows, output_shape, total_params, trainable_params, inferred_params):
        self.rows = rows
        self.output_shape = output_shape
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.inferred_params = inferred_params

    def __str__(self):
        header = ("Layer (type)", "Output shape", "Param #")
        lines = []
        for row in self.rows:
            label = f"{row.name} ({row.type})" if row.name else row.type
            shape = "-" if row.output_shape is None else str(row.output_shape)
            params = f"{row.params:,}" + (" *" if row.inferred else "") if row.params else ""
            lines.append((label, shape, params))
        widths = [max(len(line[i]) for line in lines + [header]) for i in range(3)]

        def format_line(line):
            return f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  {line[2]:>{widths[2]}}".rstrip()

        rule = "=" * (sum(widths) + 4)
        text = [format_line(header), rule] + [format_line(line) for line in lines] + [rule]
        text.append(f"Total params: {self.total_params:,}")
        text.append(f"Trainable params: {self.trainable_params:,}")
        if self.inferred_params:
            text.append(f"* inferred from the example input: {self.inferred_params:,} params (still lazy)")
        return "\n".join(text)

    __repr__ = __str__


def summary(model, *example, dtype=None):
    """A table of every layer's name, type, output shape and parameter count, from input shapes alone.

    Works on a model whose lazy layers were never run: the model runs once on shape-only
    tensors, as in ``materialize``, and is then put back exactly as it was (lazy layers stay
    lazy, the random generator is untouched). Counts of parameters that only the example
    made known are marked ``*``.

    Parameters
    ----------
    model : Module
    *example : Tensor or tuple of int
        As in ``materialize``.
    dtype : optional
        As in ``materialize``.

    Returns
    -------
    ModelSummary
        ``print`` it for the table; ``rows``, ``total_params``, ``trainable_params``,
        ``inferred_params`` and ``output_shape`` hold the numbers.
    """
    outputs = {}
    with _first_call_lock:
        lazy = {id(p) for p in model.parameters() if is_lazy(p)}
        saved, rng = snapshot(model), get_rng_state()
        try:
            out = _propagate(model, example, dtype, "summary",
                             on_output=lambda name, value: outputs.__setitem__(name, _shapes(value)))
            rows, seen = [], set()
            total = trainable = inferred = 0
            for name, module in model.named_modules():
                own = [p for p in module._parameters.values() if p is not None]
                count = sum(p.numel() for p in own)
                rows.append(SummaryRow(name, type(module).__name__, outputs.get(name), count,
                                       any(id(p) in lazy for p in own)))
                for p in own:
                    if id(p) not in seen:
                        seen.add(id(p))
                        total += p.numel()
                        trainable += p.numel() if p.requires_grad else 0
                        inferred += p.numel() if id(p) in lazy else 0
        finally:
            restore(saved)
            set_rng_state(rng)
    return ModelSummary(rows, _shapes(out), total, trainable, inferred)
