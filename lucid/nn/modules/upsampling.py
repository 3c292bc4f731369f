"""Upsample: ``F.interpolate`` as a layer."""

from .. import functional as F
from ..module import Module


class Upsample(Module):
    """Resample the spatial dims by ``scale_factor`` or to ``size`` (see ``F.interpolate``).

    Parameters
    ----------
    size : int or tuple of int, optional
    scale_factor : float or tuple of float, optional
        Exactly one of size and scale_factor.
    mode : {'nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear'}, optional
        Default ``'nearest'``.
    align_corners : bool, optional
        For the linear modes.
    recompute_scale_factor : bool, optional

    Shape
    -----
    Input ``(N, C, *spatial)``; output ``(N, C, *size)``.
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        self.size, self.mode, self.align_corners = size, mode, align_corners
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) else scale_factor
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x):
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        what = f"scale_factor={self.scale_factor}" if self.size is None else f"size={self.size}"
        return f"{what}, mode={self.mode!r}"
