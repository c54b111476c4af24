"""EBGAN baseline on the same windows and conditioning (TimeGAN: :mod:`iclr22lib.psagan.timegan`).

Energy-based GAN (Zhao et al. 2017): the discriminator is an autoencoder whose energy is the
per-window reconstruction error; it learns low energy on real windows and energy above a margin m on
generated ones, ``L_D = E(x) + max(0, m - E(G(z)))``, and the generator minimises ``E(G(z))``.
The generator is PSA-GAN's, at full resolution from the start, without self-attention, fade-in or
moment loss, so the comparison isolates PSA-GAN's ingredients.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from iclr22lib.core.training import optimizer_step
from iclr22lib.psagan.config import PsaganConfig, n_stages
from iclr22lib.psagan.data import Panel, sample_windows
from iclr22lib.psagan.models import Conditioning, Generator
from iclr22lib.psagan.train import GanResult, Variant, to_tensors


class AutoencoderDiscriminator(nn.Module):
    """Conv autoencoder on [series ; conditioning]; forward(y [B, 1, tau], series, tf) -> energy [B]."""

    def __init__(self, n_series: int, n_time_features: int, *, channels: int = 32, emb_dim: int = 10) -> None:
        super().__init__()
        self.cond = Conditioning(n_series, emb_dim)
        f = emb_dim + n_time_features
        self.enc = nn.Sequential(
            nn.Conv1d(1 + f, channels, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv1d(channels, channels, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
        )
        self.dec = nn.Sequential(
            nn.ConvTranspose1d(channels, channels, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv1d(channels, 1, 3, padding=1),
        )

    def forward(self, y: torch.Tensor, series: torch.Tensor, time_features: torch.Tensor) -> torch.Tensor:
        rec = self.dec(self.enc(torch.cat([y, self.cond(series, time_features)], dim=1)))
        return ((rec - y) ** 2).flatten(1).mean(1)


def ebgan_losses(
    e_real: torch.Tensor, e_fake: torch.Tensor, margin: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(discriminator loss ``mean E(x) + mean max(0, m - E(G(z)))``, generator loss ``mean E(G(z))``)."""
    return e_real.mean() + F.relu(margin - e_fake).mean(), e_fake.mean()


def train_ebgan(
    cfg: PsaganConfig,
    panel: Panel,
    window: int,
    *,
    seed: int = 0,
    margin: float = 0.1,
    max_iters: int | None = None,
) -> GanResult:
    """Train EBGAN with as many iterations as PSA-GAN gets (alternating 1:1 G and D steps)."""
    dev = torch.device(cfg.device)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    g = Generator(
        window,
        panel.n_series,
        panel.n_time_features,
        channels=cfg.channels,
        emb_dim=cfg.emb_dim,
        attention=False,
    ).to(dev)
    d = AutoencoderDiscriminator(
        panel.n_series, panel.n_time_features, channels=cfg.channels, emb_dim=cfg.emb_dim
    ).to(dev)
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    total = n_stages(window) * cfg.epochs_per_stage * cfg.batches_per_epoch
    total = total if max_iters is None else min(total, max_iters)
    log: dict[str, list[float]] = {"d": [], "g": []}
    for itr in range(total):
        b = to_tensors(sample_windows(panel, cfg.batch_size, window, rng), dev)
        noise = torch.randn(b["y"].shape, device=dev)
        if itr % 2 == 0:
            with torch.no_grad():
                fake = g(noise, b["series"], b["tf"])
            loss, _ = ebgan_losses(d(b["y"], b["series"], b["tf"]), d(fake, b["series"], b["tf"]), margin)
            opt, key = opt_d, "d"
        else:
            d.requires_grad_(False)
            _, loss = ebgan_losses(
                b["y"].new_zeros(1), d(g(noise, b["series"], b["tf"]), b["series"], b["tf"]), margin
            )
            opt, key = opt_g, "g"
        log[key].append(optimizer_step(opt, loss, step=itr, what=f"EBGAN {key} loss"))
        d.requires_grad_(True)
    g.eval()
    return GanResult(
        variant=Variant("EBGAN", window, attention=False, fade=False, moment=False),
        seed=seed,
        generator=g,
        log=log,
    )
