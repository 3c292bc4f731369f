"""HiFi-GAN generator (Kong et al., 2020), written from the paper's description and its V1/V3 configs.

Plain PyTorch style: the port tests load this file unchanged with torch and, with only its
import lines rewritten, with lucid.

V1: upsample rates 8, 8, 2, 2 with kernels 16, 16, 4, 4 from 512 channels, halving the
channels at each stage; after each upsampling a multi-receptive-field fusion averages
ResBlock1s of kernels 3, 7, 11 with dilations (1, 3, 5). V3 uses ResBlock2 (dilations 1, 3).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import remove_weight_norm, weight_norm

LRELU_SLOPE = 0.1


def same_padding(kernel_size, dilation=1):
    return (kernel_size * dilation - dilation) // 2


def wn_conv(in_channels, out_channels, kernel_size, dilation=1, std=0.01):
    conv = nn.Conv1d(in_channels, out_channels, kernel_size, 1, dilation=dilation,
                     padding=same_padding(kernel_size, dilation))
    conv.weight.data.normal_(0.0, std)
    return weight_norm(conv)


class ResBlock1(nn.Module):
    """Pairs of (dilated conv, plain conv), each pair wrapped in a residual connection."""

    def __init__(self, channels, kernel_size=3, dilation=(1, 3, 5)):
        super().__init__()
        self.convs1 = nn.ModuleList([wn_conv(channels, channels, kernel_size, d) for d in dilation])
        self.convs2 = nn.ModuleList([wn_conv(channels, channels, kernel_size, 1) for _ in dilation])

    def forward(self, x):
        for c1, c2 in zip(self.convs1, self.convs2):
            xt = F.leaky_relu(x, LRELU_SLOPE)
            xt = c1(xt)
            xt = F.leaky_relu(xt, LRELU_SLOPE)
            xt = c2(xt)
            x = xt + x
        return x

    def remove_weight_norm(self):
        for conv in list(self.convs1) + list(self.convs2):
            remove_weight_norm(conv)


class ResBlock2(nn.Module):
    """One dilated conv per residual connection (HiFi-GAN V3)."""

    def __init__(self, channels, kernel_size=3, dilation=(1, 3)):
        super().__init__()
        self.convs = nn.ModuleList([wn_conv(channels, channels, kernel_size, d) for d in dilation])

    def forward(self, x):
        for conv in self.convs:
            x = conv(F.leaky_relu(x, LRELU_SLOPE)) + x
        return x

    def remove_weight_norm(self):
        for conv in self.convs:
            remove_weight_norm(conv)


class Generator(nn.Module):
    def __init__(self, in_channels=80, upsample_initial_channel=512, upsample_rates=(8, 8, 2, 2),
                 upsample_kernel_sizes=(16, 16, 4, 4), resblock="1", resblock_kernel_sizes=(3, 7, 11),
                 resblock_dilation_sizes=((1, 3, 5), (1, 3, 5), (1, 3, 5))):
        super().__init__()
        self.num_kernels = len(resblock_kernel_sizes)
        self.num_upsamples = len(upsample_rates)
        self.conv_pre = weight_norm(nn.Conv1d(in_channels, upsample_initial_channel, 7, 1, padding=3))
        block = ResBlock1 if resblock == "1" else ResBlock2

        self.ups = nn.ModuleList()
        for i, (u, k) in enumerate(zip(upsample_rates, upsample_kernel_sizes)):
            up = nn.ConvTranspose1d(upsample_initial_channel // (2 ** i), upsample_initial_channel // (2 ** (i + 1)),
                                    k, u, padding=(k - u) // 2)
            up.weight.data.normal_(0.0, 0.01)
            self.ups.append(weight_norm(up))

        self.resblocks = nn.ModuleList()
        for i in range(len(self.ups)):
            ch = upsample_initial_channel // (2 ** (i + 1))
            for k, d in zip(resblock_kernel_sizes, resblock_dilation_sizes):
                self.resblocks.append(block(ch, k, d))

        self.conv_post = weight_norm(nn.Conv1d(ch, 1, 7, 1, padding=3))

    def forward(self, x):
        x = self.conv_pre(x)
        for i in range(self.num_upsamples):
            x = F.leaky_relu(x, LRELU_SLOPE)
            x = self.ups[i](x)
            xs = None
            for j in range(self.num_kernels):
                y = self.resblocks[i * self.num_kernels + j](x)
                xs = y if xs is None else xs + y
            x = xs / self.num_kernels
        x = F.leaky_relu(x)
        x = self.conv_post(x)
        return torch.tanh(x)

    def remove_weight_norm(self):
        for up in self.ups:
            remove_weight_norm(up)
        for block in self.resblocks:
            block.remove_weight_norm()
        remove_weight_norm(self.conv_pre)
        remove_weight_norm(self.conv_post)
