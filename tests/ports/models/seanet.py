"""An EnCodec-style SEANet decoder (Défossez et al., 2022), written from the paper's description.

Plain PyTorch style: the port tests load this file unchanged with torch and, with only its
import lines rewritten, with lucid.

From the latent: a 7-tap conv, a 2-layer LSTM with a skip connection, then per ratio (8, 5, 4, 2):
ELU, a transposed conv of kernel 2·ratio halving the channels (its extra samples trimmed), and a
residual block (ELU, 3-tap conv to half the channels, ELU, 1-tap conv back, plus a 1-tap conv
shortcut); ELU and a final 7-tap conv to the audio channels. Every conv is weight-normed and pads
its input itself (reflect or causal) so that the output length is exactly input length / stride.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import weight_norm


def extra_padding(length, kernel_size, stride, padding_total):
    """Right padding that makes the last window of a strided conv complete."""
    n_frames = (length - kernel_size + padding_total) / stride + 1
    ideal_length = (math.ceil(n_frames) - 1) * stride + (kernel_size - padding_total)
    return ideal_length - length


def pad1d(x, paddings, mode="zeros"):
    """F.pad that also reflects inputs shorter than the padding (zero-extending them first)."""
    left, right = paddings
    if mode == "reflect":
        length = x.shape[-1]
        max_pad = max(left, right)
        extra = 0
        if length <= max_pad:
            extra = max_pad - length + 1
            x = F.pad(x, (0, extra))
        padded = F.pad(x, (left, right), mode="reflect")
        return padded[..., : padded.shape[-1] - extra]
    return F.pad(x, (left, right), mode="constant", value=0.0)


def unpad1d(x, paddings):
    left, right = paddings
    return x[..., left : x.shape[-1] - right]


class SConv1d(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, dilation=1, causal=False,
                 pad_mode="reflect"):
        super().__init__()
        self.conv = weight_norm(nn.Conv1d(in_channels, out_channels, kernel_size, stride, dilation=dilation))
        self.causal = causal
        self.pad_mode = pad_mode

    def forward(self, x):
        kernel_size = self.conv.kernel_size[0]
        stride = self.conv.stride[0]
        dilation = self.conv.dilation[0]
        kernel_size = (kernel_size - 1) * dilation + 1
        padding_total = kernel_size - stride
        extra = extra_padding(x.shape[-1], kernel_size, stride, padding_total)
        if self.causal:
            x = pad1d(x, (padding_total, extra), mode=self.pad_mode)
        else:
            right = padding_total // 2
            left = padding_total - right
            x = pad1d(x, (left, right + extra), mode=self.pad_mode)
        return self.conv(x)


class SConvTranspose1d(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, causal=False, trim_right_ratio=1.0):
        super().__init__()
        self.convtr = weight_norm(nn.ConvTranspose1d(in_channels, out_channels, kernel_size, stride))
        self.causal = causal
        self.trim_right_ratio = trim_right_ratio

    def forward(self, x):
        kernel_size = self.convtr.kernel_size[0]
        stride = self.convtr.stride[0]
        padding_total = kernel_size - stride
        y = self.convtr(x)
        if self.causal:
            right = math.ceil(padding_total * self.trim_right_ratio)
        else:
            right = padding_total // 2
        left = padding_total - right
        return unpad1d(y, (left, right))


class SLSTM(nn.Module):
    """An LSTM over the time axis of (B, C, T) with a skip connection."""

    def __init__(self, dimension, num_layers=2, skip=True):
        super().__init__()
        self.skip = skip
        self.lstm = nn.LSTM(dimension, dimension, num_layers)

    def forward(self, x):
        x = x.permute(2, 0, 1)
        y, _ = self.lstm(x)
        if self.skip:
            y = y + x
        return y.permute(1, 2, 0)


class SEANetResnetBlock(nn.Module):
    def __init__(self, dim, kernel_sizes=(3, 1), dilations=(1, 1), alpha=1.0, causal=False, pad_mode="reflect",
                 compress=2, true_skip=False):
        super().__init__()
        hidden = dim // compress
        block = []
        for i, (kernel_size, dilation) in enumerate(zip(kernel_sizes, dilations)):
            in_chs = dim if i == 0 else hidden
            out_chs = dim if i == len(kernel_sizes) - 1 else hidden
            block += [nn.ELU(alpha=alpha),
                      SConv1d(in_chs, out_chs, kernel_size, dilation=dilation, causal=causal, pad_mode=pad_mode)]
        self.block = nn.Sequential(*block)
        if true_skip:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = SConv1d(dim, dim, 1, causal=causal, pad_mode=pad_mode)

    def forward(self, x):
        return self.shortcut(x) + self.block(x)


class SEANetDecoder(nn.Module):
    def __init__(self, channels=1, dimension=128, n_filters=32, n_residual_layers=1, ratios=(8, 5, 4, 2),
                 alpha=1.0, kernel_size=7, last_kernel_size=7, residual_kernel_size=3, dilation_base=2,
                 causal=False, pad_mode="reflect", true_skip=False, compress=2, lstm=2, trim_right_ratio=1.0):
        super().__init__()
        self.ratios = list(ratios)
        self.hop_length = 1
        for r in ratios:
            self.hop_length *= r
        mult = 2 ** len(ratios)
        model = [SConv1d(dimension, mult * n_filters, kernel_size, causal=causal, pad_mode=pad_mode)]
        if lstm:
            model += [SLSTM(mult * n_filters, num_layers=lstm)]
        for ratio in ratios:
            model += [nn.ELU(alpha=alpha),
                      SConvTranspose1d(mult * n_filters, mult * n_filters // 2, kernel_size=ratio * 2, stride=ratio,
                                       causal=causal, trim_right_ratio=trim_right_ratio)]
            for j in range(n_residual_layers):
                model += [SEANetResnetBlock(mult * n_filters // 2, kernel_sizes=(residual_kernel_size, 1),
                                            dilations=(dilation_base ** j, 1), alpha=alpha, causal=causal,
                                            pad_mode=pad_mode, compress=compress, true_skip=true_skip)]
            mult //= 2
        model += [nn.ELU(alpha=alpha),
                  SConv1d(n_filters, channels, last_kernel_size, causal=causal, pad_mode=pad_mode)]
        self.model = nn.Sequential(*model)

    def forward(self, z):
        return self.model(z)
