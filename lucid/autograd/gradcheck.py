"""Compare analytic gradients with central finite differences."""

import numpy as np

from .grad_mode import no_grad


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``func``'s backward against central differences, in float64.

    Parameters
    ----------
    func : callable
        Takes the tensors of ``inputs`` and returns a Tensor.
    inputs : Tensor or tuple of Tensor
        Those with ``requires_grad=True`` are checked; they should be float64.

    Returns
    -------
    bool
        True when every gradient matches; otherwise raises RuntimeError (or returns False).
    """
    from ..tensor import Tensor

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck needs at least one input with requires_grad=True")
    for t in checked:
        if t._array.dtype != np.float64:
            raise TypeError(f"gradcheck needs float64 inputs for accuracy, got {t.dtype}")
    out = func(*inputs)
    rng = np.random.default_rng(0)
    probe = rng.standard_normal(out.shape)
    for t in checked:
        t.grad = None
    out.backward(Tensor(probe, dtype="float64"))
    analytic = [np.zeros(t.shape) if t.grad is None else t.grad._array.copy() for t in checked]

    def objective():
        with no_grad():
            return float(np.sum(func(*inputs)._array * probe))

    for t, grad in zip(checked, analytic):
        flat = t._array.reshape(-1)
        numeric = np.empty(flat.size)
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + eps
            t._bump_version()  # an in-place change: caches keyed on the version must see it
            up = objective()
            flat[i] = saved - eps
            t._bump_version()
            down = objective()
            flat[i] = saved
            t._bump_version()
            numeric[i] = (up - down) / (2 * eps)
        numeric = numeric.reshape(t.shape)
        if not np.allclose(grad, numeric, atol=atol, rtol=rtol):
            worst = np.unravel_index(np.argmax(np.abs(grad - numeric)), t.shape)
            message = (f"gradient mismatch for input of shape {t.shape}: at {worst} analytic "
                       f"{grad[worst]:.6g} vs numerical {numeric[worst]:.6g}")
            if raise_exception:
                raise RuntimeError(message)
            return False
    return True
