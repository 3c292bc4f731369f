"""Flatten and Unflatten: reshapes as layers."""

from ..module import Module


class Flatten(Module):
    """Merge dims ``start_dim`` .. ``end_dim`` into one.

    Parameters
    ----------
    start_dim : int, optional
        Default 1 (the batch dim stays).
    end_dim : int, optional
        Default -1.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``.

    Parameters
    ----------
    dim : int
    unflattened_size : tuple of int
        Its product must equal the size of ``dim`` (one entry may be -1).
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        dim = self.dim % x.ndim
        shape = x.shape
        return x.reshape(*shape[:dim], *self.unflattened_size, *shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
