"""Progressive schedule (depth and fade-in weight), GAN training with discriminator warm-up, sampling."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from iclr22lib.core.progress import progress
from iclr22lib.core.training import optimizer_step
from iclr22lib.psagan.config import PsaganConfig, n_stages
from iclr22lib.psagan.data import Panel, Windows, sample_windows
from iclr22lib.psagan.losses import lsgan_d_loss, lsgan_g_loss, moment_loss
from iclr22lib.psagan.models import Discriminator, Generator, pool_to


@dataclass(frozen=True)
class Schedule:
    """Progressive growing: ``epochs_per_stage`` epochs at each depth 0..stages-1; each new stage is
    faded in over its first ``fade_epochs`` epochs (alpha ramps linearly 0 -> 1; 0 epochs: no fade)."""

    stages: int
    epochs_per_stage: int
    fade_epochs: int

    @property
    def epochs(self) -> int:
        return self.stages * self.epochs_per_stage

    def at(self, epoch: float) -> tuple[int, float]:
        """(depth, alpha) at a (fractional) epoch."""
        depth = min(int(epoch // self.epochs_per_stage), self.stages - 1)
        if depth == 0 or self.fade_epochs == 0:
            return depth, 1.0
        t = epoch - depth * self.epochs_per_stage
        return depth, float(min(1.0, t / self.fade_epochs))


@dataclass(frozen=True)
class Variant:
    """One trained model of the protocol: window length, context length and the ablation switches."""

    name: str
    window: int
    context_length: int = 0
    attention: bool = True
    fade: bool = True
    moment: bool = True


@dataclass
class GanResult:
    """A trained generator with its variant, seed and training log (losses per generator step)."""

    variant: Variant
    seed: int
    generator: Generator
    log: dict[str, list[float]] = field(default_factory=dict)


def build(cfg: PsaganConfig, panel: Panel, v: Variant) -> tuple[Generator, Discriminator]:
    """Generator and discriminator for variant ``v`` on ``panel`` with the config's sizes."""
    kw = dict(channels=cfg.channels, emb_dim=cfg.emb_dim, attention=v.attention, attn_dim=cfg.attn_dim)
    g = Generator(v.window, panel.n_series, panel.n_time_features, context_length=v.context_length, **kw)
    d = Discriminator(v.window, panel.n_series, panel.n_time_features, **kw)
    return g, d


def to_tensors(w: Windows, device: torch.device | str) -> dict[str, torch.Tensor]:
    """Windows as tensors on ``device``: y [B, 1, tau], series [B], tf [B, F_t, tau], ctx [B, L]."""
    return {
        "y": torch.as_tensor(w.y, device=device)[:, None, :],
        "series": torch.as_tensor(w.series, device=device),
        "tf": torch.as_tensor(w.time_features, device=device),
        "ctx": torch.as_tensor(w.context, device=device),
    }


def is_generator_step(itr: int, g_steps: int, cfg: PsaganConfig) -> bool:
    """Alternation rule: iteration ``itr`` is a G step if ``itr mod (n + 1) == 0``, where n is
    ``warmup_n_critic`` until ``warmup_g_steps`` G steps are done, then ``n_critic``."""
    n = cfg.warmup_n_critic if g_steps < cfg.warmup_g_steps else cfg.n_critic
    return itr % (n + 1) == 0


def gan_iteration(
    g: Generator,
    d: Discriminator,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    b: dict[str, torch.Tensor],
    depth: int,
    alpha: float,
    generator_step: bool,
    lam: float,
    *,
    step: int | str = "?",
) -> dict[str, float]:
    """One iteration of :func:`train_gan` on batch ``b`` (:func:`to_tensors`) at ``depth`` and fade-in
    weight ``alpha``: a G step on LSGAN + ``lam`` x moment loss (D frozen), or a D step on the LSGAN
    loss of real windows (pooled to ``8 * 2**depth``) against detached fakes. Returns the adversarial
    and moment losses ``{"g", "ml"}`` of a G step, or ``{"d"}`` of a D step."""
    real = pool_to(b["y"], 8 * 2**depth)
    noise = torch.randn(b["y"].shape, device=b["y"].device)
    if generator_step:
        d.requires_grad_(False)
        fake = g(noise, b["series"], b["tf"], b["ctx"], depth, alpha)
        adv = lsgan_g_loss(d(fake, b["series"], b["tf"], depth, alpha))
        ml = moment_loss(fake, real)
        optimizer_step(opt_g, adv + lam * ml, step=step, what="generator loss")
        d.requires_grad_(True)
        return {"g": adv.item(), "ml": ml.item()}
    with torch.no_grad():
        fake = g(noise, b["series"], b["tf"], b["ctx"], depth, alpha)
    loss = lsgan_d_loss(
        d(real, b["series"], b["tf"], depth, alpha), d(fake, b["series"], b["tf"], depth, alpha)
    )
    return {"d": optimizer_step(opt_d, loss, step=step, what="discriminator loss")}


def train_gan(
    cfg: PsaganConfig,
    panel: Panel,
    v: Variant,
    *,
    seed: int = 0,
    show: bool = True,
    max_iters: int | None = None,
) -> GanResult:
    """Train variant ``v`` (LSGAN + lambda_ml * moment loss, Adam, progressive with fade-in).

    One epoch is ``batches_per_epoch`` iterations; each iteration is one G or one D step. ``max_iters``
    stops early (tests). Raises :class:`~iclr22lib.core.training.NonFiniteLossError` on NaN losses.
    """
    dev = torch.device(cfg.device)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    g, d = build(cfg, panel, v)
    g, d = g.to(dev), d.to(dev)
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    sched = Schedule(n_stages(v.window), cfg.epochs_per_stage, cfg.fade_epochs if v.fade else 0)
    lam = cfg.lambda_ml if v.moment else 0.0
    total = sched.epochs * cfg.batches_per_epoch
    if max_iters is not None:
        total = min(total, max_iters)
    log: dict[str, list[float]] = {"d": [], "g": [], "ml": [], "alpha": [], "depth": []}
    g_steps = 0
    its = (
        progress(range(total), desc=f"{v.name} tau={v.window} seed={seed}", total=total)
        if show
        else range(total)
    )
    for itr in its:
        depth, alpha = sched.at(itr / cfg.batches_per_epoch)
        b = to_tensors(sample_windows(panel, cfg.batch_size, v.window, rng, context=v.context_length), dev)
        generator_step = is_generator_step(itr, g_steps, cfg)
        losses = gan_iteration(g, d, opt_g, opt_d, b, depth, alpha, generator_step, lam, step=itr)
        if generator_step:
            g_steps += 1
            log["g"].append(losses["g"])
            log["ml"].append(losses["ml"])
            log["alpha"].append(alpha)
            log["depth"].append(depth)
        else:
            log["d"].append(losses["d"])
    g.eval()
    return GanResult(variant=v, seed=seed, generator=g, log=log)


def untrained(cfg: PsaganConfig, panel: Panel, v: Variant, *, seed: int = 0) -> Generator:
    """A freshly initialised generator of variant ``v`` (the Context-FID upper reference)."""
    torch.manual_seed(seed)
    g, _ = build(cfg, panel, v)
    return g.to(torch.device(cfg.device)).eval()


@torch.no_grad()
def generate(g: Generator, w: Windows, *, seed: int = 0, batch: int = 1024) -> np.ndarray:
    """Synthetic windows [n, tau] for the series, time features and context of ``w`` (full depth)."""
    dev = next(g.parameters()).device
    gen = torch.Generator(device="cpu").manual_seed(seed)
    out = []
    for i in range(0, len(w.series), batch):
        sl = slice(i, i + batch)
        b = to_tensors(Windows(w.series[sl], w.start[sl], w.y[sl], w.context[sl], w.time_features[sl]), dev)
        noise = torch.randn(b["y"].shape, generator=gen).to(dev)
        out.append(g(noise, b["series"], b["tf"], b["ctx"]).float()[:, 0].cpu().numpy())
    return np.concatenate(out)
