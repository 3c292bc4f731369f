"""Stateless layer functions on Tensors (``lucid.nn.functional``, usually imported as F)."""

import math
import numbers

from ..kernels.convnd import conv_transpose_output_shape
from ..ops import activation as activation_ops
from ..ops import conv as conv_ops
from ..tensor import Tensor
from ._checks import check_groups_divide, check_output_padding, int_tuple, positive_int


def _check_input(name, x, weight, n_spatial):
    _check_tensor(name, "input", x)
    _check_tensor(name, "weight", weight)
    if x.ndim != n_spatial + 2:
        raise ValueError(
            f"{name}: input must be {n_spatial + 2}-D (batch, channels, {'length' if n_spatial == 1 else '*spatial'}), "
            f"got {x.ndim}-D input of shape {x.shape}"
        )
    if 0 in x.shape[2:] and 0 not in x.shape[:2]:
        # PyTorch refuses these too; a transposed convolution would otherwise return a bias-only output
        raise ValueError(
            f"{name}: only an empty batch or zero channels may be empty, got input of shape {x.shape} "
            f"with an empty spatial dim"
        )
    if not x.is_floating_point():
        raise TypeError(f"{name}: input must be floating point, got dtype {x.dtype}")
    if weight.ndim != n_spatial + 2:
        raise ValueError(f"{name}: weight must be {n_spatial + 2}-D, got shape {weight.shape}")
    if x._array.dtype != weight._array.dtype:  # raw dtypes: the same test, without building lucid dtypes
        raise TypeError(f"{name}: input dtype {x.dtype} and weight dtype {weight.dtype} must match")


def _check_bias(name, bias, out_channels, x):
    if bias is None:
        return
    if not isinstance(bias, Tensor):
        raise TypeError(f"{name}: bias must be a Tensor or None, got {type(bias).__name__}")
    if bias.shape != (out_channels,):
        raise ValueError(f"{name}: bias must have shape ({out_channels},), got {bias.shape}")
    if bias._array.dtype != x._array.dtype:
        raise TypeError(f"{name}: bias dtype {bias.dtype} must match input dtype {x.dtype}")


def _add_bias(out, bias):
    return out if bias is None else out + bias.reshape(1, -1, *([1] * (out.ndim - 2)))


def _conv_transpose(name, n, input, weight, bias, stride, padding, output_padding, groups, dilation):
    """Checks shared by every transposed convolution, then the op (1-d runs on its own fast kernels)."""
    _check_input(name, input, weight, n)
    s, p = int_tuple("stride", stride, n, 1), int_tuple("padding", padding, n, 0)
    d, op = int_tuple("dilation", dilation, n, 1), int_tuple("output_padding", output_padding, n, 0)
    check_output_padding(op, s, d)
    groups = positive_int("groups", groups)
    c_in, size = input.shape[1], input.shape[2:]
    if weight.shape[0] != c_in:
        raise ValueError(
            f"{name}: input has {c_in} channels but weight expects {weight.shape[0]} (weight shape {weight.shape})"
        )
    check_groups_divide("in_channels", c_in, groups)
    kernel = weight.shape[2:]
    out_size = conv_transpose_output_shape(size, kernel, s, p, op, d)
    if min(out_size) <= 0:
        if n == 1:
            got = f"{out_size[0]} is not positive for L={size[0]}, stride={s[0]}, padding={p[0]}, dilation={d[0]}, " \
                  f"K={kernel[0]}, output_padding={op[0]}"
        else:
            got = f"{out_size} is not positive for input size {size}, stride={s}, padding={p}, dilation={d}, " \
                  f"kernel {kernel}, output_padding={op}"
        raise ValueError(f"{name}: output {'length' if n == 1 else 'size'} (L-1)*stride - 2*padding + "
                         f"dilation*(K-1) + output_padding + 1 = {got}")
    _check_bias(name, bias, weight.shape[1] * groups, input)
    inputs = (input, weight) if bias is None else (input, weight, bias)  # the bias is added in the output pass
    return conv_ops.ConvTransposeNd.apply(*inputs, stride=s, padding=p, output_padding=op, dilation=d, groups=groups)


def _conv(name, n, input, weight, bias, stride, padding, dilation, groups):
    """Checks shared by every convolution, then the op (1-d runs on its own fast kernels)."""
    _check_input(name, input, weight, n)
    s, d = int_tuple("stride", stride, n, 1), int_tuple("dilation", dilation, n, 1)
    p = int_tuple("padding", padding, n, 0)
    groups = positive_int("groups", groups)
    c_in, size = input.shape[1], input.shape[2:]
    c_out, c_group, kernel = weight.shape[0], weight.shape[1], weight.shape[2:]
    if c_group * groups != c_in:
        raise ValueError(
            f"{name}: input has {c_in} channels but weight of shape {weight.shape} with groups={groups} "
            f"expects {c_group * groups}"
        )
    check_groups_divide("out_channels", c_out, groups)
    for axis, (l, k, p_, d_) in enumerate(zip(size, kernel, p, d)):
        if l + 2 * p_ < d_ * (k - 1) + 1:
            where = f"length {l + 2 * p_}" if n == 1 else f"size {l + 2 * p_} along spatial dim {axis}"
            raise ValueError(f"{name}: padded input {where} is shorter than the dilated kernel {d_ * (k - 1) + 1}")
    _check_bias(name, bias, c_out, input)
    out = conv_ops.ConvNd.apply(input, weight, stride=s, padding=p, dilation=d, groups=groups)
    return _add_bias(out, bias)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution (the adjoint of ``conv1d``).

    Parameters
    ----------
    input : Tensor, shape (N, C_in, L)
    weight : Tensor, shape (C_in, C_out // groups, K)
    bias : Tensor, shape (C_out,), optional
    stride, padding, output_padding, groups, dilation : int or 1-tuple

    Returns
    -------
    Tensor, shape (N, C_out, L_out)
        ``L_out = (L - 1)·stride - 2·padding + dilation·(K - 1) + output_padding + 1``.
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution; ``input`` (N, C_in, H, W), ``weight`` (C_in, C_out // groups, kH, kW).

    Each spatial size follows the 1-d formula with that dim's stride, padding, dilation,
    kernel size and output_padding (ints or 2-tuples).
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution; ``input`` (N, C_in, D, H, W), ``weight`` (C_in, C_out // groups, kD, kH, kW)."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation).

    Parameters
    ----------
    input : Tensor, shape (N, C_in, L)
    weight : Tensor, shape (C_out, C_in // groups, K)
    bias : Tensor, shape (C_out,), optional

    Returns
    -------
    Tensor, shape (N, C_out, L_out) with ``L_out = (L + 2·padding - dilation·(K - 1) - 1) // stride + 1``.
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution; ``input`` (N, C_in, H, W), ``weight`` (C_out, C_in // groups, kH, kW).

    Each spatial size follows the 1-d formula with that dim's stride, padding, dilation and
    kernel size (ints or 2-tuples).
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution; ``input`` (N, C_in, D, H, W), ``weight`` (C_out, C_in // groups, kD, kH, kW)."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def relu(input, inplace=False):
    """max(x, 0); ``inplace`` is accepted for PyTorch compatibility, a new tensor is always returned."""
    _check_tensor("relu", "input", input)
    return input.relu()


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()


# --------------------------------------------------------------------- linear, activations, losses
def _check_tensor(name, argument, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: {argument} must be a Tensor, got {type(value).__name__}")


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``.

    Parameters
    ----------
    input : Tensor, shape (*, in_features)
    weight : Tensor, shape (out_features, in_features)
    bias : Tensor, shape (out_features,), optional

    Returns
    -------
    Tensor, shape (*, out_features)
    """
    name = "linear"
    _check_tensor(name, "input", input)
    _check_tensor(name, "weight", weight)
    if weight.ndim != 2:
        raise ValueError(f"{name}: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if input.ndim < 1 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"{name}: input's last dimension must be in_features={weight.shape[1]}, "
                         f"got input of shape {input.shape}")
    if not input.is_floating_point():
        raise TypeError(f"{name}: input must be floating point, got dtype {input.dtype}")
    if input.dtype != weight.dtype:
        raise TypeError(f"{name}: input dtype {input.dtype} and weight dtype {weight.dtype} must match")
    _check_bias(name, bias, weight.shape[0], input)
    out = input @ weight.transpose(0, 1)
    return out if bias is None else out + bias


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, ``negative_slope``·x otherwise; ``inplace`` is accepted, a new tensor is returned."""
    _check_tensor("leaky_relu", "input", input)
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
        raise TypeError(f"leaky_relu: negative_slope must be a number, got {negative_slope!r}")
    return activation_ops.LeakyReLU.apply(input, negative_slope=float(negative_slope))


def erf(input):
    """The error function, elementwise."""
    _check_tensor("erf", "input", input)
    return activation_ops.Erf.apply(input._float_self())


def gelu(input, approximate="none"):
    """Gaussian error linear unit: x·Φ(x).

    Parameters
    ----------
    input : Tensor
    approximate : {'none', 'tanh'}
        ``'none'``: 0.5·x·(1 + erf(x/√2)); ``'tanh'``: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    """
    _check_tensor("gelu", "input", input)
    if approximate == "none":
        return input * 0.5 * (1 + erf(input * (1 / math.sqrt(2))))
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * 0.5 * (1 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _loss_difference(name, input, target, reduction):
    _check_tensor(name, "input", input)
    _check_tensor(name, "target", target)
    _check_reduction(name, reduction)
    if input.shape != target.shape:
        raise ValueError(f"{name}: target shape {target.shape} must equal input shape {input.shape}")
    if not input.is_floating_point():
        raise TypeError(f"{name}: input must be floating point, got dtype {input.dtype}")
    return input - target


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def mse_loss(input, target, *, reduction="mean"):
    """Squared error (input - target)², averaged (``'mean'``), summed (``'sum'``) or kept (``'none'``)."""
    difference = _loss_difference("mse_loss", input, target, reduction)
    return _reduce(difference * difference, reduction)


def l1_loss(input, target, *, reduction="mean"):
    """Absolute error |input - target|, averaged (``'mean'``), summed (``'sum'``) or kept (``'none'``)."""
    difference = _loss_difference("l1_loss", input, target, reduction)
    return _reduce(difference.abs(), reduction)


# --------------------------------------------------------------------------------------------- padding
_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_index(xp, size, before, after, mode):
    """Source position of every output position along one axis (positions -before .. size+after-1)."""
    j = xp.arange(-before, size + after)
    if mode == "replicate":
        return xp.clip(j, 0, size - 1)
    if mode == "circular":  # as PyTorch: crop by the negative amounts first, then wrap the rest
        start, kept = max(-before, 0), size - max(-before, 0) - max(-after, 0)
        return start + (j - start) % kept
    j = xp.abs(j)  # reflect about 0, then about size - 1; pads < size need one fold each way
    return xp.where(j > size - 1, 2 * (size - 1) - j, j)


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative amounts, crop) the last ``len(pad) // 2`` dims of ``input``.

    Parameters
    ----------
    input : Tensor
    pad : sequence of int
        ``(left, right)`` for the last dim, then ``(top, bottom)`` for the one before, and so on
        (PyTorch's order: last dim first).
    mode : {'constant', 'reflect', 'replicate', 'circular'}
        ``'reflect'`` mirrors without repeating the edge (each pad must be smaller than the dim);
        ``'replicate'`` repeats the edge; ``'circular'`` wraps around (each pad at most the dim).
    value : float, optional
        Fill for ``'constant'`` (default 0).

    Returns
    -------
    Tensor
    """
    from ..ops.gather import Gather
    from ..ops.pad import ConstantPad

    _check_tensor("pad", "input", input)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    amounts = tuple(pad)
    if not all(_is_int(p) for p in amounts):
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad!r}")
    if len(amounts) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {len(amounts)} values {amounts}")
    n = len(amounts) // 2
    if n > input.ndim:
        raise ValueError(f"pad: padding length must be at most twice the input's {input.ndim} dims, "
                         f"got {len(amounts)} values {amounts}")
    pairs = [(int(amounts[2 * i]), int(amounts[2 * i + 1])) for i in range(n)]  # pairs[i] pads dim -1 - i
    shape = input.shape
    for i, (before, after) in enumerate(pairs):
        dim = input.ndim - 1 - i
        if shape[dim] + before + after < 0 or (mode != "constant" and shape[dim] + before + after <= 0):
            raise ValueError(f"pad: padding {(before, after)} leaves dim {dim} of input shape {shape} "
                             f"with size {shape[dim] + before + after}")
        if mode == "reflect" and max(before, after) >= shape[dim]:
            raise ValueError(f"pad: reflect padding must be smaller than the padded dim, got padding "
                             f"{(before, after)} at dim {dim} of input shape {shape}")
        if mode == "circular" and max(before, after) > shape[dim] - max(-before, 0) - max(-after, 0):
            raise ValueError(f"pad: circular padding must be at most the padded dim, got padding "
                             f"{(before, after)} at dim {dim} of input shape {shape}")
        if mode in ("replicate", "circular") and shape[dim] == 0 and (before > 0 or after > 0):
            raise ValueError(f"pad: {mode} padding needs a non-empty dim {dim}, got input shape {shape}")
    if mode == "constant":
        full = [(0, 0)] * (input.ndim - n) + pairs[::-1]
        return ConstantPad.apply(input, pads=tuple(full), value=0 if value is None else value)
    out = input
    xp = _array_module(input)
    for i, (before, after) in enumerate(pairs):
        if before or after:
            dim = input.ndim - 1 - i
            out = Gather.apply(out, axis=dim, index=_pad_index(xp, shape[dim], before, after, mode))
    return out


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _array_module(x):
    from ..backend import get_array_module

    return get_array_module(x._array)


# ----------------------------------------------------------------------------------------- activations
def _number(name, argument, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: {argument} must be a number, got {value!r}")
    return float(value)


def _float_input(name, input):
    _check_tensor(name, "input", input)
    return input._float_self()


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, ``alpha``·(exp(x) - 1) otherwise; ``inplace`` is accepted, a new tensor is returned."""
    x = _float_input("elu", input)
    return activation_ops.ELU.apply(x, alpha=_number("elu", "alpha", alpha))


def silu(input, inplace=False):
    """x·sigmoid(x) (also called swish); ``inplace`` is accepted, a new tensor is returned."""
    x = _float_input("silu", input)
    return x * x.sigmoid()


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta·x)) / beta, reverting to x where beta·x > ``threshold``."""
    x = _float_input("softplus", input)
    beta, threshold = _number("softplus", "beta", beta), _number("softplus", "threshold", threshold)
    return activation_ops.Softplus.apply(x, beta=beta, threshold=threshold)


def mish(input, inplace=False):
    """x·tanh(softplus(x))."""
    x = _float_input("mish", input)
    return x * softplus(x).tanh()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [``min_val``, ``max_val``]."""
    x = _float_input("hardtanh", input)
    low, high = _number("hardtanh", "min_val", min_val), _number("hardtanh", "max_val", max_val)
    if low > high:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return activation_ops.Hardtanh.apply(x, min_val=low, max_val=high)


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return relu6(_float_input("hardsigmoid", input) + 3) / 6


def hardswish(input, inplace=False):
    """x·relu6(x + 3) / 6."""
    x = _float_input("hardswish", input)
    return x * hardsigmoid(x)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow."""
    return -softplus(-_float_input("logsigmoid", input))


def softsign(input):
    """x / (1 + |x|)."""
    x = _float_input("softsign", input)
    return x / (x.abs() + 1)


def tanhshrink(input):
    """x - tanh(x)."""
    x = _float_input("tanhshrink", input)
    return x - x.tanh()


def prelu(input, weight):
    """x for x > 0, ``weight``·x otherwise, with one weight per channel (dim 1) or one shared.

    Parameters
    ----------
    input : Tensor, shape (N, C, *) or (C,) ...
    weight : Tensor, shape (1,) or (C,)
    """
    x = _float_input("prelu", input)
    _check_tensor("prelu", "weight", weight)
    if weight.ndim != 1:
        raise ValueError(f"prelu: weight must be 1-D, got shape {weight.shape}")
    count = weight.shape[0]
    if count != 1:
        channels = x.shape[1] if x.ndim >= 2 else (x.shape[0] if x.ndim == 1 else 1)
        if channels != count:
            raise ValueError(f"prelu: weight has {count} values but the input has {channels} channels "
                             f"(input shape {x.shape})")
        if x.ndim >= 2:
            weight = weight.reshape(1, count, *([1] * (x.ndim - 2)))
    return x.relu() - weight * (-x).relu()


def _softmax_dim(name, input, dim):
    if dim is None:  # PyTorch's implicit choice (it warns; the rule is kept for old code)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    if not _is_int(dim) or not -max(input.ndim, 1) <= dim < max(input.ndim, 1):
        raise IndexError(f"{name}: dim {dim!r} is out of range for a {input.ndim}-D input")
    return int(dim) % max(input.ndim, 1)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``; ``dtype`` casts the input first."""
    x = _float_input("softmax", input)
    x = x if dtype is None else x.to(dtype=dtype)
    return activation_ops.Softmax.apply(x, axis=_softmax_dim("softmax", x, dim))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - log(sum(exp(x))) along ``dim``, computed stably; ``dtype`` casts the input first."""
    x = _float_input("log_softmax", input)
    x = x if dtype is None else x.to(dtype=dtype)
    return activation_ops.LogSoftmax.apply(x, axis=_softmax_dim("log_softmax", x, dim))


def glu(input, dim=-1):
    """First half of ``input`` along ``dim`` times the sigmoid of the second half."""
    x = _float_input("glu", input)
    dim = _softmax_dim("glu", x, dim)
    size = x.shape[dim]
    if size % 2:
        raise ValueError(f"glu: the halved dim must have even size, got size {size} at dim {dim} of shape {x.shape}")
    head = (slice(None),) * dim
    return x[head + (slice(0, size // 2),)] * x[head + (slice(size // 2, size),)].sigmoid()
