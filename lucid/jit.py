"""``torch.jit`` stand-ins: lucid has no compiler, so these return what they are given.

Model code decorated for TorchScript (``@torch.jit.script``, ``torch.jit.trace(model, x)``,
``@torch.jit.ignore``, ``torch.jit.Final`` attributes, ``if not torch.jit.is_scripting():``)
runs unchanged under lucid, eagerly, with Python semantics. Nothing is compiled, checked or
traced: type annotations are not enforced, and ``trace`` neither runs the model nor freezes
its control flow.

Examples
--------
>>> import lucid
>>> @lucid.jit.script
... def double(x):
...     return 2 * x
>>> double(lucid.ones(2)).tolist()
[2.0, 2.0]
>>> lucid.jit.is_scripting()
False
"""

import typing

from .nn.module import Module

Final = typing.Final


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a function or Module) unchanged."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """Return ``func`` unchanged; ``example_inputs`` is not run."""
    return func


def trace_module(mod, inputs=None, *args, **kwargs):
    """Return ``mod`` unchanged."""
    return mod


def ignore(drop=False, **kwargs):
    """Leave a function to Python (what lucid always does); ``@ignore`` and ``@ignore(drop=True)`` both work."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    """Return ``fn`` unchanged."""
    return fn


def export(fn):
    """Return ``fn`` unchanged."""
    return fn


def interface(obj):
    """Return ``obj`` unchanged."""
    return obj


def script_method(fn):
    """Return ``fn`` unchanged (for methods of a ``ScriptModule``)."""
    return fn


def annotate(the_type, the_value):
    """Return ``the_value``; the type is not checked."""
    return the_value


def is_scripting():
    """False: lucid code always runs as Python."""
    return False


def is_tracing():
    """False: lucid never traces."""
    return False


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """Return ``mod`` unchanged."""
    return mod


def optimize_for_inference(mod, other_methods=None):
    """Return ``mod`` unchanged."""
    return mod


class ScriptModule(Module):
    """A plain Module, so ``class Net(torch.jit.ScriptModule)`` keeps working."""


__all__ = ["Final", "ScriptModule", "annotate", "export", "freeze", "ignore", "interface",
           "is_scripting", "is_tracing", "optimize_for_inference", "script", "script_method", "trace",
           "trace_module", "unused"]
