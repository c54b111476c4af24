"""Networks of the GRDA chapter: encoder, predictor, graph discriminator and DANN's domain classifier.

Shapes are written for a batch that holds ``B`` samples of each of ``N`` domains: ``x`` [N, B, d],
domain embeddings ``z`` [N, k]. Every module also accepts any leading batch shape.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn


def _mlp(sizes: list[int], *, last_relu: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if last_relu or i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def official_init(module: nn.Module, std: float = 0.01) -> nn.Module:
    """Weights ``N(0, std^2)`` and zero biases for every linear layer, as in the official code."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)
            nn.init.zeros_(m.bias)
    return module


class Encoder(nn.Module):
    """``E(x, z_u) -> e``: x [..., d] and the domain's embedding z [..., k] give e [..., hidden].

    Two branches (x: one layer; z: two layers), concatenated, three more layers and a linear output.
    """

    def __init__(self, in_dim: int = 2, embed_dim: int = 2, hidden: int = 512):
        super().__init__()
        self.fx = _mlp([in_dim, hidden], last_relu=True)
        self.fz = _mlp([embed_dim, hidden, hidden], last_relu=True)
        self.trunk = _mlp([2 * hidden] * 4 + [hidden], last_relu=False)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.trunk(torch.cat([self.fx(x), self.fz(z)], dim=-1))


class Predictor(nn.Module):
    """``F(e)`` -> class logits [..., n_classes]."""

    def __init__(self, hidden: int = 512, n_classes: int = 2):
        super().__init__()
        self.net = _mlp([hidden, hidden, hidden, n_classes], last_relu=False)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        return self.net(e)


class GraphDiscriminator(nn.Module):
    """``D(e)`` -> [..., out_dim]: an encoding's guess of its domain's node embedding.

    The guessed adjacency of two samples is ``sigmoid(<D(e1), D(e2)>)``.
    """

    def __init__(self, hidden: int = 512, out_dim: int = 2, depth: int = 5):
        super().__init__()
        self.net = _mlp([hidden] * (depth + 1) + [out_dim], last_relu=False)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        return self.net(e)


class DomainClassifier(nn.Module):
    """DANN's discriminator: ``D(e)`` -> logits [..., n_domains] of an N-way domain classifier."""

    def __init__(self, hidden: int, n_domains: int, depth: int = 5):
        super().__init__()
        self.net = _mlp([hidden] * (depth + 1) + [n_domains], last_relu=False)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        return self.net(e)


class ConditionalDomainClassifier(nn.Module):
    """CDANN's discriminator: an N-way domain classifier that also reads the predictor's class
    probabilities, ``D(e, p)`` -> logits [..., n_domains] from e [..., hidden] and p [..., n_classes]."""

    def __init__(self, hidden: int, n_classes: int, n_domains: int, depth: int = 5):
        super().__init__()
        self.fe = _mlp([hidden, hidden], last_relu=True)
        self.fp = _mlp([n_classes, hidden, hidden], last_relu=True)
        self.net = _mlp([2 * hidden] + [hidden] * (depth - 1) + [n_domains], last_relu=False)

    def forward(self, e: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([self.fe(e), self.fp(p)], dim=-1))


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.scale * grad, None


def grad_reverse(x: torch.Tensor, scale: float) -> torch.Tensor:
    """Identity forward; multiplies the gradient by ``-scale`` on the way back (Ganin & Lempitsky, 2015)."""
    return _Reverse.apply(x, float(scale))
