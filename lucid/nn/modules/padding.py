"""Padding layers: each holds a pad tuple in PyTorch's order (last dim first) and calls ``F.pad``."""

from .. import functional as F
from ..module import Module


class _PadNd(Module):
    """Shared by every padding layer; ``n_spatial`` dims are padded, ``mode`` picks the fill."""

    n_spatial = 1
    mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        n = 2 * self.n_spatial
        if isinstance(padding, bool) or not isinstance(padding, (int, tuple, list)):
            raise TypeError(f"padding must be an int or a tuple of {n} ints, got {padding!r}")
        items = (padding,) * n if isinstance(padding, int) else tuple(padding)
        if len(items) != n or not all(isinstance(p, int) and not isinstance(p, bool) for p in items):
            raise TypeError(f"padding must be an int or a tuple of {n} ints, got {padding!r}")
        self.padding = items
        self.value = value

    def forward(self, x):
        if self.mode == "constant":
            return F.pad(x, self.padding, "constant", self.value)
        return F.pad(x, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}" + (f", value={self.value}" if self.mode == "constant" else "")


class ReflectionPad1d(_PadNd):
    """Mirror the last dim about its edges (edge values not repeated).

    Parameters
    ----------
    padding : int or (left, right)
        Each amount must be smaller than the input length.

    Shape
    -----
    Input ``(C, L)`` or ``(N, C, L)``; each padded dim grows by its two amounts.
    """

    mode = "reflect"

    def __init__(self, padding):
        super().__init__(padding)


class ReflectionPad2d(ReflectionPad1d):
    """Mirror the last two dims about their edges.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)

    Shape
    -----
    Input ``(C, H, W)`` or ``(N, C, H, W)``; each padded dim grows by its two amounts.
    """

    n_spatial = 2


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last dim.

    Parameters
    ----------
    padding : int or (left, right)

    Shape
    -----
    Input ``(C, L)`` or ``(N, C, L)``; each padded dim grows by its two amounts.
    """

    mode = "replicate"

    def __init__(self, padding):
        super().__init__(padding)


class ReplicationPad2d(ReplicationPad1d):
    """Repeat the edge values of the last two dims.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)

    Shape
    -----
    Input ``(C, H, W)`` or ``(N, C, H, W)``; each padded dim grows by its two amounts.
    """

    n_spatial = 2


class CircularPad1d(_PadNd):
    """Wrap the last dim around.

    Parameters
    ----------
    padding : int or (left, right)

    Shape
    -----
    Input ``(C, L)`` or ``(N, C, L)``; each padded dim grows by its two amounts.
    """

    mode = "circular"

    def __init__(self, padding):
        super().__init__(padding)


class ConstantPad1d(_PadNd):
    """Pad the last dim with ``value``.

    Parameters
    ----------
    padding : int or (left, right)
    value : float

    Shape
    -----
    Input ``(C, L)`` or ``(N, C, L)``; each padded dim grows by its two amounts.
    """

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ConstantPad2d(ConstantPad1d):
    """Pad the last two dims with ``value``.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)
    value : float

    Shape
    -----
    Input ``(C, H, W)`` or ``(N, C, H, W)``; each padded dim grows by its two amounts.
    """

    n_spatial = 2


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros.

    Parameters
    ----------
    padding : int or (left, right)

    Shape
    -----
    Input ``(C, L)`` or ``(N, C, L)``; each padded dim grows by its two amounts.
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """Pad the last two dims with zeros.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)

    Shape
    -----
    Input ``(C, H, W)`` or ``(N, C, H, W)``; each padded dim grows by its two amounts.
    """

    n_spatial = 2


class ReflectionPad3d(ReflectionPad1d):
    """Mirror the last three dims about their edges.

    Parameters
    ----------
    padding : int or (left, right, top, bottom, front, back)

    Shape
    -----
    Input ``(C, D, H, W)`` or ``(N, C, D, H, W)``; each padded dim grows by its two amounts.
    """

    n_spatial = 3


class ReplicationPad3d(ReplicationPad1d):
    """Repeat the edge values of the last three dims.

    Parameters
    ----------
    padding : int or (left, right, top, bottom, front, back)

    Shape
    -----
    Input ``(C, D, H, W)`` or ``(N, C, D, H, W)``; each padded dim grows by its two amounts.
    """

    n_spatial = 3


class CircularPad2d(CircularPad1d):
    """Wrap the last two dims around.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)

    Shape
    -----
    Input ``(C, H, W)`` or ``(N, C, H, W)``; each padded dim grows by its two amounts.
    """

    n_spatial = 2


class CircularPad3d(CircularPad1d):
    """Wrap the last three dims around.

    Parameters
    ----------
    padding : int or (left, right, top, bottom, front, back)

    Shape
    -----
    Input ``(C, D, H, W)`` or ``(N, C, D, H, W)``; each padded dim grows by its two amounts.
    """

    n_spatial = 3


class ConstantPad3d(ConstantPad1d):
    """Pad the last three dims with ``value``.

    Parameters
    ----------
    padding : int or (left, right, top, bottom, front, back)
    value : float

    Shape
    -----
    Input ``(C, D, H, W)`` or ``(N, C, D, H, W)``; each padded dim grows by its two amounts.
    """

    n_spatial = 3


class ZeroPad3d(ZeroPad1d):
    """Pad the last three dims with zeros.

    Parameters
    ----------
    padding : int or (left, right, top, bottom, front, back)

    Shape
    -----
    Input ``(C, D, H, W)`` or ``(N, C, D, H, W)``; each padded dim grows by its two amounts.
    """

    n_spatial = 3
