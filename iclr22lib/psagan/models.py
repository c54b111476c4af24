"""PSA-GAN's building blocks, progressive generator and discriminator (1-D, univariate).

Shapes: a batch of B windows of length tau; conditioning channels F = F_t time features + E
series-embedding dims, given at full length [B, F, tau] and average-pooled to each resolution.
Resolutions are 8, 16, ..., tau (``n_stages(tau)`` of them); at depth d the models work at 8 * 2**d.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from iclr22lib.psagan.config import n_stages


class SelfAttention(nn.Module):
    """Residual self-attention over time: ``x + gamma * W_o(softmax(Q^T K / sqrt(d)) V^T)``, gamma init 0.

    x [B, C, L] -> [B, C, L]; Q, K, V are 1x1 convolutions to ``dim`` channels.
    """

    def __init__(self, channels: int, dim: int = 1) -> None:
        super().__init__()
        self.q = nn.Conv1d(channels, dim, 1)
        self.k = nn.Conv1d(channels, dim, 1)
        self.v = nn.Conv1d(channels, dim, 1)
        self.o = nn.Conv1d(dim, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(()))
        self.scale = 1.0 / math.sqrt(dim)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Attention weights [B, L, L] (rows: queries, softmax over keys)."""
        return torch.softmax(self.q(x).transpose(1, 2) @ self.k(x) * self.scale, dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = (self.attention(x) @ self.v(x).transpose(1, 2)).transpose(1, 2)
        return x + self.gamma * self.o(h)


class MainBlock(nn.Module):
    """Spectral-normalised Conv1d (kernel 3, same length) -> LeakyReLU(0.01) -> optional self-attention."""

    def __init__(self, c_in: int, c_out: int, *, attention: bool = True, attn_dim: int = 1) -> None:
        super().__init__()
        self.conv = spectral_norm(nn.Conv1d(c_in, c_out, 3, padding=1))
        self.attn = SelfAttention(c_out, attn_dim) if attention else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(F.leaky_relu(self.conv(x), 0.01))


def pool_to(x: torch.Tensor, length: int) -> torch.Tensor:
    """Average-pool [B, C, T] to [B, C, length] (T a multiple of length)."""
    k = x.shape[-1] // length
    return x if k == 1 else F.avg_pool1d(x, k)


class Conditioning(nn.Module):
    """Series embedding broadcast over time, concatenated with the time features: [B, E + F_t, tau]."""

    def __init__(self, n_series: int, emb_dim: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_series, emb_dim)

    def forward(self, series: torch.Tensor, time_features: torch.Tensor) -> torch.Tensor:
        e = self.embed(series)[:, :, None].expand(-1, -1, time_features.shape[-1])
        return torch.cat([e, time_features], dim=1)


class Generator(nn.Module):
    """Progressive generator; PSA-GAN-C when ``context_length`` > 0.

    forward(noise [B, 1, tau], series [B], time_features [B, F_t, tau], context [B, L], depth, alpha)
    -> [B, 1, 8 * 2**depth]. During a fade-in (alpha < 1) the output mixes the new stage with a 1x1
    skip of the upsampled previous stage: ``alpha * out(y) + (1 - alpha) * out(skip(prev))``.
    """

    def __init__(
        self,
        window: int,
        n_series: int,
        n_time_features: int,
        *,
        channels: int = 32,
        emb_dim: int = 10,
        attention: bool = True,
        attn_dim: int = 1,
        context_length: int = 0,
    ) -> None:
        super().__init__()
        self.window, self.stages, self.context_length = window, n_stages(window), context_length
        c, f = channels, emb_dim + n_time_features
        self.cond = Conditioning(n_series, emb_dim)
        self.initial = MainBlock(f + 1, c, attention=attention, attn_dim=attn_dim)
        self.blocks = nn.ModuleList(
            MainBlock(c + f, c, attention=attention, attn_dim=attn_dim) for _ in range(self.stages - 1)
        )
        self.skips = nn.ModuleList(nn.Conv1d(c, c, 1) for _ in range(self.stages - 1))
        L = context_length
        self.ctx = nn.ModuleList(
            nn.Sequential(nn.Linear(L + c, L // 2 + c), nn.LeakyReLU(0.01), nn.Linear(L // 2 + c, c))
            for _ in range(self.stages - 1 if L else 0)
        )
        self.out = spectral_norm(nn.Conv1d(c, 1, 1))

    def forward(
        self,
        noise: torch.Tensor,
        series: torch.Tensor,
        time_features: torch.Tensor,
        context: torch.Tensor | None = None,
        depth: int | None = None,
        alpha: float = 1.0,
    ) -> torch.Tensor:
        depth = self.stages - 1 if depth is None else depth
        if not 0 <= depth < self.stages:
            raise ValueError(f"depth={depth} outside 0..{self.stages - 1} for window {self.window}")
        if self.context_length and (context is None or context.shape[-1] != self.context_length):
            raise ValueError(f"PSA-GAN-C needs context [B, {self.context_length}]")
        cond = self.cond(series, time_features)
        y = self.initial(pool_to(torch.cat([cond, noise], dim=1), 8))
        prev = y
        for j in range(depth):
            y = F.interpolate(y, scale_factor=2, mode="nearest")
            prev = y
            if self.context_length:
                ctx = context[:, None, :].expand(-1, y.shape[-1], -1)
                y = y + self.ctx[j](torch.cat([ctx, y.transpose(1, 2)], dim=-1)).transpose(1, 2)
            y = self.blocks[j](torch.cat([y, pool_to(cond, y.shape[-1])], dim=1))
        out = self.out(y)
        if depth > 0 and alpha < 1.0:
            out = alpha * out + (1.0 - alpha) * self.out(self.skips[depth - 1](prev))
        return out


class Discriminator(nn.Module):
    """Progressive discriminator: forward(y [B, 1, 8 * 2**depth], series, time_features, depth, alpha) -> [B].

    A shared 1x1 input block reads the series and the pooled conditioning; one main block + average
    pooling per active stage brings it down to length 8; during a fade-in the first pooled features are
    mixed with the input block applied to the half-resolution input.
    """

    def __init__(
        self,
        window: int,
        n_series: int,
        n_time_features: int,
        *,
        channels: int = 32,
        emb_dim: int = 10,
        attention: bool = True,
        attn_dim: int = 1,
    ) -> None:
        super().__init__()
        self.window, self.stages = window, n_stages(window)
        c, f = channels, emb_dim + n_time_features
        self.cond = Conditioning(n_series, emb_dim)
        self.initial = spectral_norm(nn.Conv1d(1 + f, c, 1))
        self.blocks = nn.ModuleList(
            MainBlock(c, c, attention=attention, attn_dim=attn_dim) for _ in range(self.stages - 1)
        )
        self.last = MainBlock(c, c, attention=attention, attn_dim=attn_dim)
        self.last_conv = spectral_norm(nn.Conv1d(c, 1, 1))
        self.head = spectral_norm(nn.Linear(8, 1))

    def _read(self, y: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.initial(torch.cat([y, pool_to(cond, y.shape[-1])], dim=1)), 0.01)

    def forward(
        self,
        y: torch.Tensor,
        series: torch.Tensor,
        time_features: torch.Tensor,
        depth: int | None = None,
        alpha: float = 1.0,
    ) -> torch.Tensor:
        depth = self.stages - 1 if depth is None else depth
        if y.shape[-1] != 8 * 2**depth:
            raise ValueError(
                f"input length {y.shape[-1]} does not match depth {depth} (expected {8 * 2**depth})"
            )
        cond = self.cond(series, time_features)
        x = self._read(y, cond)
        for j in range(depth, 0, -1):
            x = F.avg_pool1d(self.blocks[j - 1](x), 2)
            if j == depth and alpha < 1.0:
                x = alpha * x + (1.0 - alpha) * self._read(F.avg_pool1d(y, 2), cond)
        x = F.leaky_relu(self.last_conv(self.last(x)), 0.01)
        return self.head(x[:, 0, :])[:, 0]
