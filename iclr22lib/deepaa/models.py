"""Networks: a small CNN for CPU runs and a Wide-ResNet (WRN-d-k) for the full protocol.

Both take images in grey levels [0, 255], shape (N, 3, H, W), and normalise them with the CIFAR-10
mean and std inside ``forward`` (augmentation always works in pixel space, before normalisation).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

CIFAR_MEAN = (125.3, 123.0, 113.9)
CIFAR_STD = (63.0, 62.1, 66.7)


class Normalise(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(CIFAR_MEAN).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(CIFAR_STD).reshape(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.to(self.mean.dtype) - self.mean) / self.std


class SmallCNN(nn.Module):
    """Three conv-BN-ReLU blocks (widths ``w, 2w, 4w``) with 2x2 pooling, global average pool, linear."""

    def __init__(self, n_classes: int = 10, width: int = 16) -> None:
        super().__init__()
        layers: list[nn.Module] = [Normalise()]
        c_in = 3
        for i, c in enumerate((width, 2 * width, 4 * width)):
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
            if i < 2:
                layers.append(nn.MaxPool2d(2))
            c_in = c
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, n_classes)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _Block(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(c_in), nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(c_out), nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.short = None if c_in == c_out and stride == 1 else nn.Conv2d(c_in, c_out, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = F.relu(self.bn1(x))
        y = self.conv2(F.relu(self.bn2(self.conv1(o))))
        return y + (x if self.short is None else self.short(o))


class WideResNet(nn.Module):
    """WRN-``depth``-``widen`` (pre-activation, Zagoruyko & Komodakis); WRN-40-2 has 2.2M parameters."""

    def __init__(self, depth: int = 40, widen: int = 2, n_classes: int = 10) -> None:
        super().__init__()
        if (depth - 4) % 6:
            raise ValueError(f"WRN depth must be 6n+4; got {depth}")
        n = (depth - 4) // 6
        widths = (16, 16 * widen, 32 * widen, 64 * widen)
        blocks: list[nn.Module] = [Normalise(), nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)]
        c_in = widths[0]
        for g, c in enumerate(widths[1:]):
            for i in range(n):
                blocks.append(_Block(c_in, c, (1 if g == 0 else 2) if i == 0 else 1))
                c_in = c
        blocks += [
            nn.BatchNorm2d(c_in),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(c_in, n_classes),
        ]
        self.net = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build_model(name: str, n_classes: int = 10, width: int = 16) -> nn.Module:
    """``"cnn"`` (SmallCNN of ``width``), ``"wrn-40-2"`` or ``"wrn-28-2"``."""
    if name == "cnn":
        return SmallCNN(n_classes, width)
    if name.startswith("wrn-"):
        depth, widen = (int(s) for s in name.split("-")[1:])
        return WideResNet(depth, widen, n_classes)
    raise ValueError(f"unknown model {name!r}; choose 'cnn', 'wrn-40-2' or 'wrn-28-2'")
