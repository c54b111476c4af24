"""Supervised regressors of the generative factors: a CNN, a CoordConv CNN, a ResNet-18 and an MLP.

Every model maps ``[B, 1, H, W]`` images to ``[B, K]`` factor predictions.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from iclr22lib.indomain.config import SUPERVISED


class CNN(nn.Module):
    """The benchmark's baseline: 4x4 stride-2 convolutions down to 4x4, a 4x4 convolution to 256, a linear head.

    At 64x64 it has four stride-2 blocks with 32, 32, 64, 64 channels, as the official ``VanillaCNN``;
    at 32x32 one 32-channel block is dropped.
    """

    def __init__(self, n_factors: int, resolution: int = 64, in_channels: int = 1) -> None:
        super().__init__()
        n_blocks = round(math.log2(resolution / 4))
        if n_blocks < 1 or 4 * 2**n_blocks != resolution:
            raise ValueError(f"resolution must be 4 * 2^k (8, 16, 32, 64, ...); got {resolution}")
        widths = ([32, 32, 64, 64] if n_blocks >= 4 else [32, 64, 64][-n_blocks:]) + [64] * max(
            0, n_blocks - 4
        )
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

    def __init__(self, n_factors: int, resolution: int = 64) -> None:
        super().__init__(n_factors, resolution, in_channels=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        ys = torch.linspace(-1, 1, h, device=x.device).view(1, 1, h, 1).expand(b, 1, h, w)
        xs = torch.linspace(-1, 1, w, device=x.device).view(1, 1, 1, w).expand(b, 1, h, w)
        return self.net(torch.cat([x, xs, ys], dim=1))


class MLP(nn.Module):
    """Flatten, two hidden ReLU layers (512, 256), linear head."""

    def __init__(self, n_factors: int, resolution: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(resolution * resolution, 512),
            nn.ReLU(),
            nn.Linear(512, 256),
            nn.ReLU(),
            nn.Linear(256, n_factors),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out),
        )  # fmt: skip
        self.skip = (
            nn.Identity() if stride == 1 and c_in == c_out
            else nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.skip(x))


class ResNet18(nn.Module):
    """ResNet-18 trained from scratch: a 3x3 stem (stride 2 at 64x64, 1 at 32x32, no max-pool), four
    stages of two basic blocks with 64, 128, 256, 512 channels, global average pooling, a linear head."""

    def __init__(self, n_factors: int, resolution: int = 64, width: int = 64) -> None:
        super().__init__()
        stride = 2 if resolution >= 64 else 1
        layers: list[nn.Module] = [
            nn.Conv2d(1, width, 3, stride, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        ]
        c = width
        for i, mult in enumerate((1, 2, 4, 8)):
            w = width * mult
            layers += [_BasicBlock(c, w, 1 if i == 0 else 2), _BasicBlock(w, w, 1)]
            c = w
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_factors)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build_model(name: str, n_factors: int, resolution: int) -> nn.Module:
    """A fresh supervised model by name (one of :data:`SUPERVISED`; the VAE families are built by the trainer)."""
    table = {"cnn": CNN, "coordconv": CoordConvCNN, "resnet18": ResNet18, "mlp": MLP}
    if name not in table:
        raise ValueError(f"unknown supervised model {name!r}; choose from {SUPERVISED}")
    return table[name](n_factors, resolution)
