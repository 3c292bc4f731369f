"""WaveGAN generator (Donahue et al., 2019), written from the paper's description.

Plain PyTorch style: the port tests load this file unchanged with torch and, with only its
import lines rewritten, with lucid.

A dense layer maps the latent to 16 frames of 16·d channels; five transposed convolutions of
kernel 25, stride 4 (padding 11, output padding 1, so each multiplies the length by exactly 4)
halve the channels down to the audio channels, ReLU between them and tanh at the end:
16 · 4⁵ = 16384 samples.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Generator(nn.Module):
    def __init__(self, latent_dim=100, model_size=64, num_channels=1, upsample_layers=5):
        super().__init__()
        self.model_size = model_size
        self.latent_dim = latent_dim
        self.fc1 = nn.Linear(latent_dim, 16 * 16 * model_size)
        layers = []
        channels = 16 * model_size
        for i in range(upsample_layers):
            last = i == upsample_layers - 1
            out_channels = num_channels if last else channels // 2
            layers.append(nn.ConvTranspose1d(channels, out_channels, 25, stride=4, padding=11, output_padding=1))
            channels = out_channels
        self.deconvs = nn.ModuleList(layers)
        for m in self.modules():
            if isinstance(m, (nn.ConvTranspose1d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight.data)

    def forward(self, z):
        x = self.fc1(z).view(-1, 16 * self.model_size, 16)
        x = F.relu(x)
        for i, deconv in enumerate(self.deconvs):
            x = deconv(x)
            if i < len(self.deconvs) - 1:
                x = F.relu(x)
        return torch.tanh(x)
