"""All parameters as one flat vector, and back."""

from ...autograd.grad_mode import no_grad
from ...functions import cat
from ...tensor import Tensor


def parameters_to_vector(parameters):
    """One 1-D tensor of every parameter's values, flattened and joined in order (differentiable).

    Parameters
    ----------
    parameters : iterable of Tensor

    Returns
    -------
    Tensor
    """
    flat = []
    for param in parameters:
        if not isinstance(param, Tensor):
            raise TypeError(f"parameters_to_vector: expected Tensors, got {type(param).__name__}")
        flat.append(param.reshape(-1))
    if not flat:
        raise ValueError("parameters_to_vector: no parameters given")
    return cat(flat)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters``, in order.

    Parameters
    ----------
    vec : Tensor
        Exactly as many elements as the parameters together.
    parameters : iterable of Tensor
        Filled in place (the same objects), outside autograd.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: vec must be a Tensor, got {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if total != vec.numel():
        raise ValueError(f"vector_to_parameters: the parameters hold {total} elements, vec has {vec.numel()}")
    offset = 0
    with no_grad():
        for param in parameters:
            count = param.numel()
            param.copy_(vec._array[offset:offset + count].reshape(param.shape))
            offset += count
