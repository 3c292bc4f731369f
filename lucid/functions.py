"""Function forms of tensor operations: ``lucid.exp(x)``, ``lucid.cat([a, b])`` ..."""

from .ops.shape import Concatenate
from .tensor import Tensor, _promote


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def sqrt(x):
    return x.sqrt()


def tanh(x):
    return x.tanh()


def sigmoid(x):
    return x.sigmoid()


def relu(x):
    return x.relu()


def abs(x):
    return x.abs()


def sum(x, dim=None, keepdim=False):
    return x.sum(dim, keepdim)


def mean(x, dim=None, keepdim=False):
    return x.mean(dim, keepdim)


def matmul(a, b):
    return a @ b


def reshape(x, *shape):
    return x.reshape(*shape)


def transpose(x, dim0, dim1):
    return x.transpose(dim0, dim1)


def permute(x, *dims):
    return x.permute(*dims)


def flatten(x, start_dim=0, end_dim=-1):
    return x.flatten(start_dim, end_dim)


def cat(tensors, dim=0):
    """Join tensors along an existing dimension."""
    tensors = list(tensors)
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("cat expects a non-empty sequence of Tensors")
    first = tensors[0]
    ndim = first.ndim
    if not -ndim <= dim < ndim:
        raise IndexError(f"dim {dim} is out of range for {ndim}-d tensors")
    dim %= ndim
    for t in tensors[1:]:
        if t.ndim != ndim or t.shape[:dim] + t.shape[dim + 1 :] != first.shape[:dim] + first.shape[dim + 1 :]:
            raise ValueError(f"cat: shapes {first.shape} and {t.shape} differ outside dim {dim}")
        first, t = _promote(first, t)
    dtype = first.dtype
    return Concatenate.apply(*[t.to(dtype=dtype) for t in tensors], axis=dim)


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise TypeError("stack expects a non-empty sequence of Tensors")
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def allclose(a, b, rtol=1e-5, atol=1e-8):
    import numpy as np

    return bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol))
