"""Stateless layer functions on Tensors (``lucid.nn.functional``, usually imported as F)."""

from ..ops import conv as conv_ops
from ..tensor import Tensor
from ._checks import check_groups_divide, check_output_padding, int_tuple, positive_int


def _check_input(name, x, weight, n_spatial):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}: weight must be a Tensor, got {type(weight).__name__}")
    if x.ndim != n_spatial + 2:
        raise ValueError(
            f"{name}: input must be {n_spatial + 2}-D (batch, channels, length), got {x.ndim}-D input of shape {x.shape}"
        )
    if not x.is_floating_point():
        raise TypeError(f"{name}: input must be floating point, got dtype {x.dtype}")
    if weight.ndim != n_spatial + 2:
        raise ValueError(f"{name}: weight must be {n_spatial + 2}-D, got shape {weight.shape}")
    if x.dtype != weight.dtype:
        raise TypeError(f"{name}: input dtype {x.dtype} and weight dtype {weight.dtype} must match")


def _check_bias(name, bias, out_channels, x):
    if bias is None:
        return
    if not isinstance(bias, Tensor):
        raise TypeError(f"{name}: bias must be a Tensor or None, got {type(bias).__name__}")
    if bias.shape != (out_channels,):
        raise ValueError(f"{name}: bias must have shape ({out_channels},), got {bias.shape}")
    if bias.dtype != x.dtype:
        raise TypeError(f"{name}: bias dtype {bias.dtype} must match input dtype {x.dtype}")


def _add_bias(out, bias):
    return out if bias is None else out + bias.reshape(1, -1, *([1] * (out.ndim - 2)))


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
    name = "conv_transpose1d"
    _check_input(name, input, weight, 1)
    (s,), (p,), (d,) = int_tuple("stride", stride, 1, 1), int_tuple("padding", padding, 1, 0), int_tuple(
        "dilation", dilation, 1, 1)
    (op,) = int_tuple("output_padding", output_padding, 1, 0)
    check_output_padding((op,), (s,), (d,))
    groups = positive_int("groups", groups)
    c_in, length = input.shape[1], input.shape[2]
    if weight.shape[0] != c_in:
        raise ValueError(
            f"{name}: input has {c_in} channels but weight expects {weight.shape[0]} (weight shape {weight.shape})"
        )
    check_groups_divide("in_channels", c_in, groups)
    k = weight.shape[2]
    out_length = (length - 1) * s - 2 * p + d * (k - 1) + op + 1
    if out_length <= 0:
        raise ValueError(
            f"{name}: output length (L-1)*stride - 2*padding + dilation*(K-1) + output_padding + 1 = "
            f"{out_length} is not positive for L={length}, stride={s}, padding={p}, dilation={d}, K={k}, "
            f"output_padding={op}"
        )
    _check_bias(name, bias, weight.shape[1] * groups, input)
    out = conv_ops.ConvTranspose1d.apply(input, weight, stride=s, padding=p, output_padding=op, dilation=d,
                                         groups=groups)
    return _add_bias(out, bias)


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
    name = "conv1d"
    _check_input(name, input, weight, 1)
    (s,), (d,) = int_tuple("stride", stride, 1, 1), int_tuple("dilation", dilation, 1, 1)
    (p,) = int_tuple("padding", padding, 1, 0)
    groups = positive_int("groups", groups)
    c_in, length = input.shape[1], input.shape[2]
    c_out, c_group, k = weight.shape
    if c_group * groups != c_in:
        raise ValueError(
            f"{name}: input has {c_in} channels but weight of shape {weight.shape} with groups={groups} "
            f"expects {c_group * groups}"
        )
    check_groups_divide("out_channels", c_out, groups)
    if length + 2 * p < d * (k - 1) + 1:
        raise ValueError(
            f"{name}: padded input length {length + 2 * p} is shorter than the dilated kernel {d * (k - 1) + 1}"
        )
    _check_bias(name, bias, c_out, input)
    out = conv_ops.Conv1d.apply(input, weight, stride=s, padding=p, dilation=d, groups=groups)
    return _add_bias(out, bias)


def relu(input):
    return input.relu()


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()
