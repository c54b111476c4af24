"""Supervised regressors of the generative factors: a CNN, a CoordConv CNN and an MLP.

Every model maps ``[B, 1, H, W]`` images to ``[B, K]`` factor predictions.
"""

from __future__ import annotations

import math

import torch
from torch import nn

MODELS = ("cnn", "coordconv", "mlp")


class CNN(nn.Module):
    """The benchmark's baseline: 4x4 stride-2 convolutions down to 4x4, a 4x4 convolution to 256, a linear head.

    At 64x64 it has four stride-2 blocks with 32, 32, 64, 64 channels, as the official ``VanillaCNN``;
    at 32x32 one 32-channel block is dropped.
    """

    def __init__(self, n_factors: int, resolution: int = 64, in_channels: int = 1):
        super().__init__()
        n_blocks = round(math.log2(resolution / 4))
        if n_blocks < 1 or 4 * 2**n_blocks != resolution:
            raise ValueError(f"resolution must be 4 * 2^k (8, 16, 32, 64, ...); got {resolution}")
        widths = ([32, 32, 64, 64] if n_blocks >= 4 else [32, 64, 64][-n_blocks:]) + [64] * max(0, n_blocks - 4)
        layers, c = [], in_channels
        for w in widths[:n_blocks]:
            layers += [nn.Conv2d(c, w, 4, stride=2, padding=1), nn.ReLU()]
            c = w
        layers += [nn.Conv2d(c, 256, 4), nn.ReLU(), nn.Flatten(), nn.Linear(256, n_factors)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CoordConvCNN(CNN):
    """The CNN with two extra input channels holding each pixel's x and y coordinate in ``[-1, 1]``."""

    def __init__(self, n_factors: int, resolution: int = 64):
        super().__init__(n_factors, resolution, in_channels=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        ys = torch.linspace(-1, 1, h, device=x.device).view(1, 1, h, 1).expand(b, 1, h, w)
        xs = torch.linspace(-1, 1, w, device=x.device).view(1, 1, 1, w).expand(b, 1, h, w)
        return self.net(torch.cat([x, xs, ys], dim=1))


class MLP(nn.Module):
    """Flatten, two hidden ReLU layers (512, 256), linear head."""

    def __init__(self, n_factors: int, resolution: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(resolution * resolution, 512), nn.ReLU(),
            nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, n_factors),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build_model(name: str, n_factors: int, resolution: int) -> nn.Module:
    """A fresh model by name (one of :data:`MODELS`)."""
    table = {"cnn": CNN, "coordconv": CoordConvCNN, "mlp": MLP}
    if name not in table:
        raise ValueError(f"unknown model {name!r}; choose from {MODELS}")
    return table[name](n_factors, resolution)
