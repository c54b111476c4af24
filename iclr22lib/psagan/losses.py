"""GAN losses of PSA-GAN: least-squares (LSGAN) and the moment loss."""

from __future__ import annotations

import torch


def lsgan_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """Discriminator LSGAN loss ``0.5 * mean((D(real) - 1)^2) + 0.5 * mean(D(fake)^2)``; scores [B]."""
    return 0.5 * ((d_real - 1.0) ** 2).mean() + 0.5 * (d_fake**2).mean()


def lsgan_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """Generator LSGAN loss ``0.5 * mean((D(fake) - 1)^2)``."""
    return 0.5 * ((d_fake - 1.0) ** 2).mean()


def moment_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Moment loss between paired windows [B, ..., T]: per-sample mean and (population) std over time,
    ``mean_i |std(fake_i) - std(real_i)| + mean_i |mean(fake_i) - mean(real_i)|``."""
    f, r = fake.flatten(1), real.flatten(1)
    d_std = (f.std(dim=1, unbiased=False) - r.std(dim=1, unbiased=False)).abs().mean()
    d_mean = (f.mean(dim=1) - r.mean(dim=1)).abs().mean()
    return d_std + d_mean
