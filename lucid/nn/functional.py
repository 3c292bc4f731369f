"""Stateless layer functions on Tensors (``lucid.nn.functional``, usually imported as F)."""

import math

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
