"""Global switch that decides whether operations record a graph."""

import functools
import threading

_state = threading.local()


def is_grad_enabled():
    """True when new operations are recorded for backward."""
    return getattr(_state, "enabled", True)


def set_grad_enabled(mode):
    _state.enabled = bool(mode)


class _GradMode:
    mode = True

    def __enter__(self):
        self._previous = is_grad_enabled()
        set_grad_enabled(self.mode)

    def __exit__(self, *exc):
        set_grad_enabled(self._previous)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Context manager and decorator: operations inside record no graph."""

    mode = False


class enable_grad(_GradMode):
    """Context manager and decorator: turn recording back on inside ``no_grad``."""

    mode = True


class inference_mode(_GradMode):
    """``torch.inference_mode``: here the same as ``no_grad`` (lucid has no separate inference tensors).

    Parameters
    ----------
    mode : bool, optional
        ``inference_mode(False)`` leaves recording as it is, as in PyTorch.
    """

    def __init__(self, mode=True):
        self.mode = not mode and is_grad_enabled()

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(not self.mode):
                return func(*args, **kwargs)

        return wrapper
