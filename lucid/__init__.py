"""lucid: a small deep-learning framework with PyTorch's API on NumPy."""

from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backend import Device, to_device as device
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, logspace,
                       normal, ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros,
                       zeros_like)
from .dtypes import (DType, bool_, finfo, float16, float32, float64, get_default_dtype, iinfo, int8, int16, int32,
                     int64, set_default_dtype, uint8)
from .functions import *  # noqa: F401,F403  (lucid.sin, lucid.cat, lucid.pi ... : see functions.__all__)
from .random import get_rng_state, manual_seed, set_rng_state
from .tensor import Size, Tensor
from .windows import bartlett_window, blackman_window, hamming_window, hann_window, kaiser_window

dtype = DType
half, float, double, long, short = float16, float32, float64, int64, int16
int = int32
bool = bool_

from . import nn  # noqa: E402  (nn builds on everything above)
from . import optim  # noqa: E402  (optim builds on nn)
from . import jit  # noqa: E402  (pass-throughs; ScriptModule is a Module)
from .serialization import load, save  # noqa: E402
from . import cuda, distributed, utils  # noqa: E402  (mpi4py is imported only by init_process_group)

__version__ = "0.1.0"
