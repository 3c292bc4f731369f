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


def _check_padding_string(name, padding, stride):
    if padding not in ("same", "valid"):
        raise ValueError(f"{name}: padding must be 'same', 'valid', an int or a tuple of ints, got {padding!r}")
    if padding == "same" and any(s > 1 for s in stride):
        raise ValueError(f"{name}: padding='same' is not supported for strided convolutions, got stride={stride}")


def _string_padding(name, n, input, weight, stride, padding, dilation):
    """Resolve ``'valid'`` (no padding) and ``'same'`` (output length = input length) to the input and ints.

    For ``'same'`` the total padding ``dilation·(K - 1)`` is split with the odd one on the right, as
    PyTorch splits it; an asymmetric split pads the input explicitly.
    """
    s, d = int_tuple("stride", stride, n, 1), int_tuple("dilation", dilation, n, 1)
    _check_padding_string(name, padding, s)
    if padding == "valid":
        return input, 0
    totals = [d_ * (k - 1) for d_, k in zip(d, weight.shape[2:])]
    if all(t % 2 == 0 for t in totals):
        return input, tuple(t // 2 for t in totals)
    amounts = []
    for t in reversed(totals):
        amounts += [t // 2, t - t // 2]
    return pad(input, amounts), 0


def _conv(name, n, input, weight, bias, stride, padding, dilation, groups):
    """Checks shared by every convolution, then the op (1-d runs on its own fast kernels)."""
    _check_input(name, input, weight, n)
    if isinstance(padding, str):
        input, padding = _string_padding(name, n, input, weight, stride, padding, dilation)
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
    inputs = (input, weight) if bias is None else (input, weight, bias)  # the bias is added in the output pass
    return conv_ops.ConvNd.apply(*inputs, stride=s, padding=p, dilation=d, groups=groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""1-D transposed convolution (the adjoint of :func:`conv1d`).

    Parameters
    ----------
    input : Tensor
        Shape ``(N, C_in, L_in)``.
    weight : Tensor
        Shape ``(C_in, C_out // groups, K)``: the leading axis is the input's channels.
    bias : Tensor, optional
        Shape ``(C_out,)``.
    stride, padding, output_padding, dilation : int or tuple of 1 int
        As in :class:`~lucid.nn.ConvTranspose1d`.
    groups : int, default 1
        Blocked connections; must divide ``C_in``.

    Returns
    -------
    Tensor
        Shape ``(N, C_out, L_out)``.

    Notes
    -----
    .. math::

        L_{\text{out}} = (L_{\text{in}} - 1) \cdot \mathrm{stride} - 2 \cdot \mathrm{padding}
        + \mathrm{dilation} \cdot (K - 1) + \mathrm{output\_padding} + 1

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> F.conv_transpose1d(lucid.randn(2, 6, 10), lucid.randn(6, 4, 4), stride=2, padding=1).shape
    (2, 4, 20)
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
    r"""1-D convolution (cross-correlation, as in PyTorch).

    Parameters
    ----------
    input : Tensor
        Shape ``(N, C_in, L_in)``.
    weight : Tensor
        Shape ``(C_out, C_in // groups, K)``.
    bias : Tensor, optional
        Shape ``(C_out,)``.
    stride, padding, dilation : int or tuple of 1 int
        As in :class:`~lucid.nn.Conv1d`.
    groups : int, default 1
        Blocked connections; must divide both channel counts.

    Returns
    -------
    Tensor
        Shape ``(N, C_out, L_out)``.

    Notes
    -----
    .. math::

        L_{\text{out}} = \left\lfloor \frac{L_{\text{in}} + 2 \cdot \mathrm{padding}
        - \mathrm{dilation} \cdot (K - 1) - 1}{\mathrm{stride}} \right\rfloor + 1

    Examples
    --------
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> F.conv1d(lucid.randn(2, 4, 20), lucid.randn(8, 4, 3), stride=2, padding=1).shape
    (2, 8, 10)
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
    """Hyperbolic tangent elementwise."""
    return input.tanh()


def sigmoid(input):
    """Logistic sigmoid ``1 / (1 + exp(-x))`` elementwise."""
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
    """Absolute error ``|input - target|``, averaged (``'mean'``), summed (``'sum'``) or kept (``'none'``)."""
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


def selu(input, inplace=False):
    """scale·elu(x, alpha) with the self-normalizing constants alpha ≈ 1.6733 and scale ≈ 1.0507."""
    x = _float_input("selu", input)
    return activation_ops.ELU.apply(x, alpha=_SELU_ALPHA) * _SELU_SCALE


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha·(exp(x/alpha) - 1)), that is alpha·elu(x/alpha)."""
    x = _float_input("celu", input)
    alpha = _number("celu", "alpha", alpha)
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    return activation_ops.ELU.apply(x / alpha, alpha=1.0) * alpha


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
    """``x / (1 + |x|)``."""
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


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    return softmax(-_float_input("softmin", input), dim, dtype=dtype)


def glu(input, dim=-1):
    """First half of ``input`` along ``dim`` times the sigmoid of the second half."""
    x = _float_input("glu", input)
    dim = _softmax_dim("glu", x, dim)
    size = x.shape[dim]
    if size % 2:
        raise ValueError(f"glu: the halved dim must have even size, got size {size} at dim {dim} of shape {x.shape}")
    head = (slice(None),) * dim
    return x[head + (slice(0, size // 2),)] * x[head + (slice(size // 2, size),)].sigmoid()


# --------------------------------------------------------------------------------------- normalization
def _normalize(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over ``axes`` (biased variance), plus the batch mean and variance."""
    mean = x.mean(axes, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(axes, keepdim=True)
    return centered * (var + eps) ** -0.5, mean, var


def _channel_shape(x):
    return (1, -1) + (1,) * (x.ndim - 2)


def _check_vector(name, argument, value, size):
    if value is None:
        return
    _check_tensor(name, argument, value)
    if value.shape != (size,):
        raise ValueError(f"{name}: {argument} must have shape ({size},), got {value.shape}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
    """Normalize each channel (dim 1) over the batch and every other dim.

    Parameters
    ----------
    input : Tensor, shape (N, C, *)
    running_mean, running_var : Tensor of shape (C,) or None
        Used for normalization when ``training`` is False; updated in place when it is True:
        ``running = (1 - momentum)·running + momentum·batch`` (the variance term unbiased).
    weight, bias : Tensor of shape (C,), optional
    training : bool
    momentum : float
    eps : float

    Returns
    -------
    Tensor, the shape of ``input``
    """
    from ..autograd.grad_mode import no_grad

    name = "batch_norm"
    x = _float_input(name, input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must have at least 2 dims (N, C, *), got shape {x.shape}")
    channels = x.shape[1]
    for argument, value in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                            ("bias", bias)):
        _check_vector(name, argument, value, channels)
    axes = (0,) + tuple(range(2, x.ndim))
    count = x.numel() // max(channels, 1)
    if training:
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {x.shape}")
        out, mean, var = _normalize(x, axes, eps)
        with no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean.detach().reshape(-1).to(dtype=running_mean.dtype),
                                                     alpha=momentum)
            if running_var is not None:
                unbiased = var.detach().reshape(-1) * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased.to(dtype=running_var.dtype), alpha=momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when training is False")
        shape = _channel_shape(x)
        out = (x - running_mean.to(dtype=x.dtype).reshape(shape)) * \
            (running_var.to(dtype=x.dtype).reshape(shape) + eps) ** -0.5
    return _channel_affine(out, weight, bias)


def _channel_affine(out, weight, bias):
    """``out·weight + bias`` with per-channel (dim 1) vectors, either of them optional."""
    if weight is not None:
        out = out * weight.reshape(_channel_shape(out))
    return out if bias is None else out + bias.reshape(_channel_shape(out))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalize over the trailing dims ``normalized_shape`` of each sample.

    Parameters
    ----------
    input : Tensor, shape (*, *normalized_shape)
    normalized_shape : int or tuple of int
    weight, bias : Tensor of shape ``normalized_shape``, optional
    eps : float
    """
    name = "layer_norm"
    x = _float_input(name, input)
    shape = (normalized_shape,) if _is_int(normalized_shape) else tuple(normalized_shape)
    n = len(shape)
    if n == 0 or n > x.ndim or tuple(x.shape[x.ndim - n:]) != shape:
        raise ValueError(f"layer_norm: normalized_shape={list(shape)} expects input of shape [*, "
                         f"{', '.join(map(str, shape))}], got input of shape {x.shape}")
    for argument, value in (("weight", weight), ("bias", bias)):
        if value is not None and value.shape != shape:
            raise ValueError(f"layer_norm: {argument} must have shape {shape}, got {value.shape}")
    out, _, _ = _normalize(x, tuple(range(x.ndim - n, x.ndim)), eps)
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalize each of ``num_groups`` channel groups of each sample.

    Parameters
    ----------
    input : Tensor, shape (N, C, *)
    num_groups : int
        Must divide C.
    weight, bias : Tensor of shape (C,), optional
    eps : float
    """
    name = "group_norm"
    x = _float_input(name, input)
    if x.ndim < 2:
        raise ValueError(f"group_norm: input must have at least 2 dims (N, C, *), got shape {x.shape}")
    n, channels = x.shape[0], x.shape[1]
    if not _is_int(num_groups) or num_groups < 1 or channels % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups!r} must be a positive int dividing the "
                         f"{channels} channels of input shape {x.shape}")
    _check_vector(name, "weight", weight, channels)
    _check_vector(name, "bias", bias, channels)
    grouped = x.reshape(n, num_groups, -1)
    out, _, _ = _normalize(grouped, (2,), eps)
    return _channel_affine(out.reshape(x.shape), weight, bias)


# --------------------------------------------------------------------------------------------- pooling
def _pool_setup(name, input, n, kernel_size, stride, padding, dilation, ceil_mode):
    """Checked geometry: (x, kernel, stride, padding, dilation, input sizes, output sizes)."""
    from ._checks import int_tuple

    x = _float_input(name, input)
    if x.ndim not in (n + 1, n + 2):
        raise ValueError(f"{name}: input must be {n + 1}-D or {n + 2}-D (with a batch dim), "
                         f"got {x.ndim}-D input of shape {x.shape}")
    k = int_tuple("kernel_size", kernel_size, n, 1)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else int_tuple("stride", stride, n, 1)
    p, d = int_tuple("padding", padding, n, 0), int_tuple("dilation", dilation, n, 1)
    size = x.shape[x.ndim - n:]
    out = []
    for axis in range(n):
        span = d[axis] * (k[axis] - 1) + 1
        if p[axis] > span // 2:
            raise ValueError(f"{name}: padding {p} must be at most half the effective kernel size "
                             f"{tuple(d_ * (k_ - 1) + 1 for k_, d_ in zip(k, d))}")
        room = size[axis] + 2 * p[axis] - span
        length = (-(-room // s[axis]) if ceil_mode else room // s[axis]) + 1
        if ceil_mode and (length - 1) * s[axis] >= size[axis] + p[axis]:
            length -= 1  # the last window must start inside the input or its left padding
        if length < 1:
            raise ValueError(f"{name}: input of spatial size {size} is too small for kernel_size={k}, "
                             f"padding={p}, dilation={d} (output size {length} along dim {axis})")
        out.append(length)
    return x, k, s, p, d, size, tuple(out)


def _pool_padding(size, k, s, p, d, out):
    """F.pad amounts (last dim first) giving every window room: padding, plus ceil_mode's extra on the right."""
    amounts = []
    for axis in reversed(range(len(size))):
        needed = (out[axis] - 1) * s[axis] + d[axis] * (k[axis] - 1) + 1
        amounts += [p[axis], max(needed - size[axis] - p[axis], p[axis])]
    return amounts



def _avg_pool(name, n, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Window sums as a convolution with a ones kernel over ``(batch·channels, 1, *spatial)``, then the divisor."""
    import numpy as np

    from ..creation import ones

    x, k, s, p, d, size, out = _pool_setup(name, input, n, kernel_size, stride, padding, 1, ceil_mode)
    padded = pad(x, _pool_padding(size, k, s, p, d, out))
    padded = padded.reshape(-1, 1, *padded.shape[padded.ndim - n:])
    summed = (conv1d if n == 1 else conv2d)(padded, ones(1, 1, *k, dtype=x.dtype), stride=s)
    if divisor_override:
        divisor = np.asarray(float(divisor_override))
    else:
        divisor = np.ones(())
        for axis in range(n):  # a window's count is the product of its per-dim counts
            start = np.arange(out[axis]) * s[axis] - p[axis]
            end = start + k[axis]
            if count_include_pad:
                count = np.minimum(end, size[axis] + p[axis]) - start
            else:
                count = np.minimum(end, size[axis]) - np.maximum(start, 0)
            divisor = np.multiply.outer(divisor, count)
    summed = summed / Tensor(divisor.astype(x._array.dtype))
    return summed.reshape(*x.shape[:x.ndim - n], *out)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Average over sliding windows of the last dim.

    Parameters
    ----------
    input : Tensor, shape (N, C, L) or (C, L)
    kernel_size, stride, padding : int or 1-tuple
        ``stride`` defaults to ``kernel_size``; ``padding`` (zeros) at most half the kernel.
    ceil_mode : bool
        Round the output length up (a last, partial window), as PyTorch does.
    count_include_pad : bool
        Count the zero padding in each window's divisor.

    Returns
    -------
    Tensor, shape (N, C, L_out) with ``L_out = floor((L + 2·padding - kernel_size) / stride) + 1``.
    """
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Average over sliding windows of the last two dims; arguments as ``avg_pool1d`` (ints or 2-tuples).

    ``divisor_override``, when given, divides every window sum instead of the window's size.
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def _max_pool(name, n, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    """The window maxima picked by index (the first maximum, as PyTorch), so the gradient is a gather's."""
    import numpy as np

    from ..ops.gather import Gather

    x, k, s, p, d, size, out = _pool_setup(name, input, n, kernel_size, stride, padding, dilation, ceil_mode)
    padded = pad(x, _pool_padding(size, k, s, p, d, out), value=-float("inf"))
    array = np.asarray(padded._array)
    spatial = tuple(range(array.ndim - n, array.ndim))
    spans = tuple(d_ * (k_ - 1) + 1 for k_, d_ in zip(k, d))
    windows = np.lib.stride_tricks.sliding_window_view(array, spans, axis=spatial)
    windows = windows[(Ellipsis,) + tuple(slice(None, o * s_, s_) for o, s_ in zip(out, s))
                      + tuple(slice(None, None, d_) for d_ in d)]
    lead = array.shape[:array.ndim - n]
    flat_windows = windows.reshape(*lead, *out, -1)
    taps = np.unravel_index(np.argmax(flat_windows, axis=-1), k)  # NaN wins, as in PyTorch
    grids = np.meshgrid(*[np.arange(o) for o in out], indexing="ij")
    positions = [grid * s_ + tap * d_ for grid, tap, s_, d_ in zip(grids, taps, s, d)]
    lead_index = np.meshgrid(*[np.arange(m) for m in lead], *[np.arange(o) for o in out], indexing="ij")[:len(lead)]
    flat = np.ravel_multi_index((*lead_index, *positions), array.shape)
    result = Gather.apply(padded.reshape(-1), axis=0, index=flat)
    if not return_indices:
        return result
    inner = np.ravel_multi_index(tuple(q - p_ for q, p_ in zip(positions, p)), size)
    return result, Tensor._from_array(np.ascontiguousarray(inner, dtype=np.int64), x.device)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over sliding windows of the last dim.

    Parameters
    ----------
    input : Tensor, shape (N, C, L) or (C, L)
    kernel_size, stride, padding, dilation : int or 1-tuple
        ``stride`` defaults to ``kernel_size``; padding (-inf) at most half the effective kernel.
    ceil_mode : bool
    return_indices : bool
        Also return each maximum's position in the input's last dim.

    Returns
    -------
    Tensor, shape (N, C, L_out) with ``L_out = floor((L + 2·padding - dilation·(kernel_size - 1) - 1) / stride) + 1``
    """
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over sliding windows of the last two dims; arguments as ``max_pool1d`` (ints or 2-tuples).

    With ``return_indices`` the indices count positions in the flattened (H, W) plane, as PyTorch's.
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _adaptive_windows(size, out):
    """PyTorch's adaptive windows: [floor(i·size/out), ceil((i+1)·size/out)) for each output i."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _adaptive_avg_pool(name, n, input, output_size):
    import numpy as np

    from ._checks import int_tuple

    x = _float_input(name, input)
    if x.ndim not in (n + 1, n + 2):
        raise ValueError(f"{name}: input must be {n + 1}-D or {n + 2}-D, got {x.ndim}-D input of shape {x.shape}")
    size = x.shape[x.ndim - n:]
    if isinstance(output_size, (tuple, list)):
        output_size = tuple(size[a] if o is None else o for a, o in enumerate(output_size))
    out = int_tuple("output_size", output_size, n, 1)
    result = x
    for axis in range(n):  # separable: one averaging matrix per dim
        matrix = np.zeros((size[axis], out[axis]), dtype=x._array.dtype)
        for i, (start, end) in enumerate(_adaptive_windows(size[axis], out[axis])):
            matrix[start:end, i] = 1 / (end - start)
        dim = x.ndim - n + axis
        result = (result.transpose(dim, -1) @ Tensor(matrix)).transpose(dim, -1)
    return result


def adaptive_avg_pool1d(input, output_size):
    """Average over ``output_size`` near-equal windows of the last dim, as PyTorch divides it."""
    return _adaptive_avg_pool("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average over near-equal windows of the last two dims; ``output_size`` an int or (H, W) (None keeps a dim)."""
    return _adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


# ------------------------------------------------------------------------------------------ resampling
_INTERPOLATE_MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2, "trilinear": 3}


def _interpolate_sizes(x, n, size, scale_factor, recompute_scale_factor):
    """Output sizes and the per-dim scale (input / output step) that PyTorch's index rule uses."""
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor, got "
                         f"size={size!r}, scale_factor={scale_factor!r}")
    in_size = x.shape[2:]
    if size is not None:
        out = tuple(size) if isinstance(size, (tuple, list)) else (size,) * n
        if len(out) != n or not all(_is_int(o) and o > 0 for o in out):
            raise ValueError(f"interpolate: size must be a positive int or {n} of them for "
                             f"{x.ndim}-D input, got {size!r}")
        return tuple(int(o) for o in out), tuple(i / o for i, o in zip(in_size, out))
    factors = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * n
    if len(factors) != n or not all(isinstance(f, numbers.Real) and f > 0 for f in factors):
        raise ValueError(f"interpolate: scale_factor must be a positive number or {n} of them for "
                         f"{x.ndim}-D input, got {scale_factor!r}")
    out = tuple(int(math.floor(i * float(f))) for i, f in zip(in_size, factors))
    if min(out) < 1:
        raise ValueError(f"interpolate: scale_factor={scale_factor!r} makes input size {in_size} empty")
    if recompute_scale_factor:
        return out, tuple(i / o for i, o in zip(in_size, out))
    return out, tuple(1 / float(f) for f in factors)


def _linear_weights(xp, in_size, out_size, scale, align_corners, dtype):
    """Left source index, right source index and right weight of every output position (PyTorch's rule)."""
    j = xp.arange(out_size, dtype=xp.float64)
    if align_corners:
        src = j * ((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
    else:
        src = xp.maximum((j + 0.5) * scale - 0.5, 0.0)
    left = xp.minimum(xp.floor(src).astype(xp.int64), in_size - 1)
    right = xp.minimum(left + 1, in_size - 1)
    return left, right, (src - left).astype(dtype)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample the spatial dims of ``input`` ``(N, C, *spatial)``.

    Parameters
    ----------
    input : Tensor, shape (N, C, L), (N, C, H, W) or (N, C, D, H, W)
    size : int or tuple of int, optional
        Output spatial size.
    scale_factor : float or tuple of float, optional
        Output size ``floor(input size · scale_factor)``; exactly one of size and scale_factor.
    mode : {'nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear'}
        ``'linear'`` needs 3-D input, ``'bilinear'`` 4-D, ``'trilinear'`` 5-D.
    align_corners : bool, optional
        For the linear modes: map the corner pixels onto each other (default False).
    recompute_scale_factor : bool, optional
        With ``scale_factor``, index by input/output size instead of by the factor.

    Returns
    -------
    Tensor, shape (N, C, *size)

    Notes
    -----
    ``'nearest'`` takes source ``floor(j·scale)``, PyTorch's rule (not the rounded centre);
    ``'nearest-exact'`` takes ``floor((j + 0.5)·scale)``. Linear modes are separable, one dim at a time.
    """
    import numpy as np

    from ..ops.gather import Gather

    x = _float_input("interpolate", input)
    if mode not in _INTERPOLATE_MODES:
        raise ValueError(f"interpolate: mode must be one of {tuple(_INTERPOLATE_MODES)}, got {mode!r}")
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    n = x.ndim - 2
    wanted = _INTERPOLATE_MODES[mode]
    if n < 1 or (wanted is not None and n != wanted):
        expected = f"{wanted + 2}-D" if wanted is not None else "3-D, 4-D or 5-D"
        raise ValueError(f"interpolate: mode {mode!r} needs {expected} input, got {x.ndim}-D input of shape {x.shape}")
    if wanted is None and align_corners is not None:
        raise ValueError(f"interpolate: align_corners only applies to the linear modes, not {mode!r}")
    out_size, scales = _interpolate_sizes(x, n, size, scale_factor, recompute_scale_factor)
    xp = _array_module(x)
    result = x
    for axis in range(n):
        dim, in_size = 2 + axis, x.shape[2 + axis]
        if wanted is None:
            # float32 arithmetic, as PyTorch's CPU index rule, so boundary cases pick the same source
            j = np.arange(out_size[axis], dtype=np.float32) + (np.float32(0.5) if mode == "nearest-exact" else 0)
            index = np.minimum(np.floor(j * np.float32(scales[axis])).astype(np.int64), in_size - 1)
            result = Gather.apply(result, axis=dim, index=xp.asarray(index))
        else:
            left, right, weight = _linear_weights(xp, in_size, out_size[axis], scales[axis], bool(align_corners),
                                                  x._array.dtype)
            shape = (-1,) + (1,) * (n - axis - 1)
            w = Tensor._from_array(weight.reshape(shape), x.device)
            result = Gather.apply(result, axis=dim, index=left) * (1 - w) + Gather.apply(result, axis=dim,
                                                                                         index=right) * w
    return result


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """``interpolate`` under its older name."""
    return interpolate(input, size, scale_factor, mode, align_corners)


# ----------------------------------------------------------------------------- dropout, embedding
def _check_probability(name, p):
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, got {p!r}")
    return float(p)


def _dropout(name, input, p, training, mask_shape):
    from ..random import generator

    x = _float_input(name, input)
    p = _check_probability(name, p)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = generator().random(mask_shape) >= p
    scale = (keep / (1 - p)).astype(x._array.dtype)
    return x * Tensor._from_array(_array_module(x).asarray(scale), x.device)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1/(1 - p) when ``training``.

    The mask comes from lucid's generator (``lucid.manual_seed``); ``inplace`` is accepted, a new
    tensor is returned.
    """
    _check_tensor("dropout", "input", input)
    return _dropout("dropout", input, p, training, input.shape)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p`` (scaled by 1/(1 - p))."""
    _check_tensor("dropout1d", "input", input)
    if input.ndim not in (2, 3):
        raise ValueError(f"dropout1d: input must be 2-D or 3-D, got shape {input.shape}")
    return _dropout("dropout1d", input, p, training, input.shape[:-1] + (1,))


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p`` (scaled by 1/(1 - p))."""
    _check_tensor("dropout2d", "input", input)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: input must be 3-D or 4-D, got shape {input.shape}")
    return _dropout("dropout2d", input, p, training, input.shape[:-2] + (1, 1))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` picked by the integer ``input``.

    Parameters
    ----------
    input : Tensor of int
        Any shape; each value in ``[0, num_embeddings)``.
    weight : Tensor, shape (num_embeddings, embedding_dim)
    padding_idx : int, optional
        Rows looked up at this index get no gradient.
    max_norm : float, optional
        Rescale (in place, as PyTorch) every looked-up row whose ``norm_type``-norm exceeds it.

    Returns
    -------
    Tensor, shape ``input.shape + (embedding_dim,)``
    """
    import numpy as np

    from ..autograd.grad_mode import no_grad
    from ..ops.gather import Gather

    _check_tensor("embedding", "weight", weight)
    index = np.asarray(input._array if isinstance(input, Tensor) else input)
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: input must hold integers, got dtype {index.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}")
    count = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= count):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"embedding: index {int(bad)} is out of range for num_embeddings={count}")
    if scale_grad_by_freq or sparse:
        raise ValueError("embedding: scale_grad_by_freq and sparse are not supported")
    if padding_idx is not None:
        if not -count <= padding_idx < count:
            raise ValueError(f"embedding: padding_idx must be within num_embeddings={count}, got {padding_idx}")
        padding_idx %= count
    if max_norm is not None:
        with no_grad():
            rows = np.unique(index)
            norms = np.linalg.norm(weight._array[rows], ord=norm_type, axis=1, keepdims=True)
            scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight._array[rows] *= scale.astype(weight._array.dtype)
            weight._bump_version()
    return Gather.apply(weight, axis=0, index=index.astype(np.int64, copy=False), skip=padding_idx)


# --------------------------------------------------------------------------------------- more losses
def _class_targets(name, input, target):
    """Checked integer class targets for ``(N, C, *)`` or ``(C,)`` input: log-probs as (M, C), targets (M,), shape."""
    import numpy as np

    t = np.asarray(target._array if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: class-index target must hold integers, got dtype {t.dtype}")
    if input.ndim == 1:
        x, expected = input.unsqueeze(0), ()
    else:
        x, expected = input, (input.shape[0],) + input.shape[2:]
    if t.shape != expected:
        raise ValueError(f"{name}: target shape {t.shape} must be {expected} for input of shape {input.shape}")
    flat = x.movedim(1, -1).reshape(-1, x.shape[1])
    return flat, t.reshape(-1), expected


def _picked(name, flat, targets, weight, ignore_index):
    """Per-sample log-probability of its target, the per-sample weights and the ignore mask."""
    import numpy as np

    from ..ops.gather import Gather

    classes = flat.shape[1]
    ignored = targets == ignore_index
    bad = (~ignored) & ((targets < 0) | (targets >= classes))
    if bad.any():
        raise IndexError(f"{name}: target {int(targets[bad][0])} is out of bounds for {classes} classes")
    safe = np.where(ignored, 0, targets)
    picked = Gather.apply(flat.reshape(-1), axis=0, index=np.arange(len(safe)) * classes + safe)
    w = np.ones(len(safe), dtype=flat._array.dtype) if weight is None else \
        np.asarray(weight._array, dtype=flat._array.dtype)[safe]
    w = np.where(ignored, 0, w).astype(flat._array.dtype)
    return picked, w, ignored


def _check_class_weight(name, weight, classes):
    if weight is not None:
        _check_tensor(name, "weight", weight)
        if weight.shape != (classes,):
            raise ValueError(f"{name}: weight must have shape ({classes},), one per class, got {weight.shape}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class-index targets given log-probabilities ``input``.

    Parameters
    ----------
    input : Tensor, shape (N, C, *) or (C,)
        Log-probabilities (e.g. from ``log_softmax``).
    target : Tensor of int, shape (N, *) or ()
    weight : Tensor, shape (C,), optional
        Per-class weights; ``'mean'`` divides by the summed weights of the targets.
    ignore_index : int
        Targets equal to it add nothing, to the loss or to the divisor.
    reduction : {'mean', 'sum', 'none'}
    """
    name = "nll_loss"
    x = _float_input(name, input)
    _check_reduction(name, reduction)
    flat, targets, shape = _class_targets(name, x, target)
    _check_class_weight(name, weight, flat.shape[1])
    picked, w, _ = _picked(name, flat, targets, weight, ignore_index)
    losses = -picked * Tensor._from_array(w, x.device)
    if reduction == "none":
        return losses.reshape(shape)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / float(w.sum())


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy between ``softmax(input)`` over dim 1 and the target.

    Parameters
    ----------
    input : Tensor, shape (N, C, ...) or (C,)
        Unnormalized logits.
    target : Tensor
        Class indices, shape (N, ...), or class probabilities of the input's shape.
    weight : Tensor, shape (C,), optional
    ignore_index : int
        For class-index targets.
    reduction : {'mean', 'sum', 'none'}
    label_smoothing : float
        Mix the target with the uniform distribution by this amount, as PyTorch does.
    """
    import numpy as np

    name = "cross_entropy"
    x = _float_input(name, input)
    _check_reduction(name, reduction)
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    class_dim = 0 if x.ndim == 1 else 1
    classes = x.shape[class_dim]
    _check_class_weight(name, weight, classes)
    logp = log_softmax(x, dim=class_dim)
    w_shape = (-1,) + (1,) * (x.ndim - 1 - class_dim)
    if isinstance(target, Tensor) and target.is_floating_point():  # class probabilities
        if target.shape != x.shape:
            raise ValueError(f"{name}: probability target shape {target.shape} must equal input shape {x.shape}")
        probs = target if label_smoothing == 0 else target * (1 - label_smoothing) + label_smoothing / classes
        terms = logp * probs if weight is None else logp * probs * weight.reshape(w_shape)
        losses = -terms.sum(class_dim)
        if reduction == "none":
            return losses
        total = losses.sum()
        return total if reduction == "sum" else total / max(x.numel() // classes, 1)
    flat, targets, shape = _class_targets(name, logp, target)
    picked, w, ignored = _picked(name, flat, targets, weight, ignore_index)
    losses = -picked * Tensor._from_array(w, x.device)
    if label_smoothing:
        all_terms = flat if weight is None else flat * weight.reshape(1, -1)
        keep = Tensor._from_array((~ignored).astype(flat._array.dtype), x.device)
        smooth = -all_terms.sum(1) * keep
    if reduction == "none":
        out = losses if not label_smoothing else losses * (1 - label_smoothing) + smooth * (label_smoothing / classes)
        return out.reshape(shape)
    divisor = 1.0 if reduction == "sum" else float(w.sum())
    out = losses.sum() / divisor
    if label_smoothing:
        smooth_divisor = 1.0 if reduction == "sum" else (float(w.sum()) if weight is not None
                                                          else float(np.sum(~ignored)))
        out = out * (1 - label_smoothing) + smooth.sum() / smooth_divisor * (label_smoothing / classes)
    return out


def _weighted(name, losses, weight, reduction):
    if weight is not None:
        _check_tensor(name, "weight", weight)
        losses = losses * weight
    return _reduce(losses, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(t·log(p) + (1 - t)·log(1 - p)) for probabilities ``input``; each log is clamped at -100, as PyTorch."""
    name = "binary_cross_entropy"
    _loss_difference(name, input, target, reduction)  # the shape and dtype checks
    values = input._array
    if values.size and not ((values >= 0) & (values <= 1)).all():
        raise ValueError(f"{name}: every input value must lie in [0, 1] (probabilities), got values in "
                         f"[{values.min()}, {values.max()}]")
    losses = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    return _weighted(name, losses, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross entropy of ``sigmoid(input)``, computed stably from the logits.

    Parameters
    ----------
    input, target : Tensor of one shape
    weight : Tensor, optional
        Broadcast over the elementwise loss.
    pos_weight : Tensor, optional
        Weight of the positive term, broadcast along the last dim (one per class).
    reduction : {'mean', 'sum', 'none'}

    Notes
    -----
    ``loss = (1 - t)·x + (1 + (pw - 1)·t)·softplus(-x)``, which never takes the log of 0.
    """
    name = "binary_cross_entropy_with_logits"
    _loss_difference(name, input, target, reduction)
    log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
    losses = (1 - target) * input + log_weight * softplus(-input)
    return _weighted(name, losses, weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5·d²/beta`` where ``|d| < beta``, ``|d| - 0.5·beta`` elsewhere (``d = input - target``); beta=0 is the L1 loss."""
    d = _loss_difference("smooth_l1_loss", input, target, reduction).abs()
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return _reduce(d, reduction)
    small = (d.detach() < beta).to(dtype=d.dtype)
    return _reduce(small * (0.5 * d * d / beta) + (1 - small) * (d - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """``0.5·d²`` where ``|d| < delta``, ``delta·(|d| - 0.5·delta)`` elsewhere: ``delta`` times smooth_l1 with beta=delta."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = _loss_difference("huber_loss", input, target, reduction).abs()
    small = (d.detach() < delta).to(dtype=d.dtype)
    return _reduce(small * (0.5 * d * d) + (1 - small) * (delta * (d - 0.5 * delta)), reduction)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-05):
    """Normalize each channel of each sample over its spatial dims.

    Parameters
    ----------
    input : Tensor, shape (N, C, *)
    running_mean, running_var : Tensor of shape (C,), optional
        Updated in place from the batch average of the per-sample statistics when
        ``use_input_stats``; used instead of them otherwise.
    weight, bias : Tensor of shape (C,), optional
    use_input_stats : bool
    momentum, eps : float

    Notes
    -----
    As PyTorch computes it: a batch norm of the input seen as one sample of N·C channels,
    with the running statistics repeated N times and averaged back afterwards.
    """
    import numpy as np

    name = "instance_norm"
    x = _float_input(name, input)
    if x.ndim < 3:
        raise ValueError(f"{name}: input must have at least 3 dims (N, C, *), got shape {x.shape}")
    n, channels = x.shape[:2]
    for argument, value in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                            ("bias", bias)):
        _check_vector(name, argument, value, channels)
    repeated = [None if r is None else Tensor._from_array(np.tile(r._array, n), r.device)
                for r in (running_mean, running_var)]
    out = batch_norm(x.reshape(1, n * channels, *x.shape[2:]), *repeated, training=use_input_stats,
                     momentum=momentum, eps=eps).reshape(x.shape)
    if use_input_stats:
        for running, updated in zip((running_mean, running_var), repeated):
            if running is not None:
                running.copy_(updated.reshape(n, channels).mean(0))
    return _channel_affine(out, weight, bias)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input`` divided by its ``p``-norm along ``dim``, the norm floored at ``eps``.

    Notes
    -----
    The floor is applied to the sum of powers (``eps ** p``), which gives the same values as
    flooring the norm and keeps the gradient of an all-zero slice zero instead of NaN.
    """
    x = _float_input("normalize", input)
    if out is not None:
        raise ValueError("normalize: out= is not supported")
    powers = x * x if p == 2 else x.abs() ** p
    norm = powers.sum(dim, keepdim=True).clamp(min=eps ** p) ** (1 / p)
    return x / norm


def one_hot(tensor, num_classes=-1):
    """Integer class indices as one-hot int64 vectors along a new last dim (``num_classes=-1``: max + 1)."""
    import numpy as np

    index = np.asarray(tensor._array if isinstance(tensor, Tensor) else tensor)
    if index.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class values must be integers, got dtype {index.dtype}")
    if index.size and index.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {int(index.min())}")
    classes = int(index.max()) + 1 if num_classes == -1 else num_classes
    if index.size and index.max() >= classes:
        raise ValueError(f"one_hot: class value {int(index.max())} is not below num_classes={classes}")
    out = (index[..., None] == np.arange(classes)).astype(np.int64)
    return Tensor._from_array(out, tensor.device if isinstance(tensor, Tensor) else _default_device())


def _default_device():
    from ..backend import to_device

    return to_device(None)
