"""lucid: a small deep-learning framework with PyTorch's API on NumPy."""

from . import autograd
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import Device, to_device as device
from .creation import (arange, empty, empty_like, from_numpy, full, linspace, ones, ones_like, rand, rand_like,
                       randn, randn_like, tensor, zeros, zeros_like)
from .dtypes import (DType, bool_, float16, float32, float64, get_default_dtype, int32, int64,
                     set_default_dtype)
from .functions import (abs, allclose, cat, exp, flatten, log, matmul, mean, permute, relu, reshape, sigmoid,
                        sqrt, stack, sum, tanh, transpose)
from .random import get_rng_state, manual_seed, set_rng_state
from .tensor import Tensor

half, float, double, long = float16, float32, float64, int64
bool = bool_

from . import nn  # noqa: E402  (nn builds on everything above)
from . import optim  # noqa: E402  (optim builds on nn)
from . import jit  # noqa: E402  (pass-throughs; ScriptModule is a Module)
from .serialization import load, save  # noqa: E402

__version__ = "0.1.0"
