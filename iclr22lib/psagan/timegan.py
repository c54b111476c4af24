"""TimeGAN baseline (Yoon, Jarrett and van der Schaar, NeurIPS 2019) on PSA-GAN's windows.

Five recurrent networks (multi-layer GRUs with a linear read-out), all over time steps of a window
of length tau (univariate series, so the data dimension is 1; H = ``hidden``):

- embedder ``e``: x [B, tau, 1] -> latent h [B, tau, H] (sigmoid),
- recovery ``r``: h -> x_tilde [B, tau, 1] (sigmoid; the training windows are scaled to [0, 1]),
- generator ``g``: [z ; conditioning] [B, tau, 1 + F] -> latent e_hat [B, tau, H] (sigmoid),
- supervisor ``s``: h -> next-step latent [B, tau, H] (sigmoid; ``s(h)[:, t]`` predicts ``h[:, t + 1]``),
- discriminator ``d``: [h ; conditioning] -> per-step logits [B, tau, 1].

Training has three phases: (1) the autoencoder ``e, r`` on the reconstruction error; (2) the supervisor
on the one-step-ahead latent loss on real latents; (3) joint training, each iteration two generator
steps (adversarial losses on ``s(g(z))`` and ``g(z)``, 100 x sqrt supervised loss, 100 x the batch
moment loss), each followed by an embedder step (reconstruction + 0.1 x supervised loss), then one
discriminator step, skipped while its loss is below 0.15. A synthetic window is ``r(s(g(z)))``.

To compare like with like, the generator and discriminator read the same conditioning as PSA-GAN
(series embedding and time features at every step), so TimeGAN also generates a window *for a given
series and time span*; the original is unconditional (``conditional=False``). The noise z is uniform
on [0, 1] as in the original; :meth:`TimeGAN.forward` maps the Gaussian noise that
:func:`~iclr22lib.psagan.train.generate` draws through the normal CDF, so it is a drop-in generator.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal

from iclr22lib.core.progress import progress
from iclr22lib.core.training import optimizer_step
from iclr22lib.psagan.config import PsaganConfig
from iclr22lib.psagan.data import Panel, sample_windows
from iclr22lib.psagan.models import Conditioning
from iclr22lib.psagan.train import GanResult, Variant, to_tensors

#: Maps the Gaussian noise of :func:`~iclr22lib.psagan.train.generate` to TimeGAN's uniform noise.
_STANDARD_NORMAL = Normal(0.0, 1.0, validate_args=False)


class _Recurrent(nn.Module):
    """GRU (``layers`` layers, ``hidden`` units) -> Linear(hidden -> out) -> optional sigmoid, per step.

    forward(x [B, T, in]) -> [B, T, out].
    """

    def __init__(self, d_in: int, hidden: int, d_out: int, layers: int, *, sigmoid: bool = True) -> None:
        super().__init__()
        self.rnn = nn.GRU(d_in, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, d_out)
        self.sigmoid = sigmoid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.head(self.rnn(x)[0])
        return torch.sigmoid(y) if self.sigmoid else y


class TimeGAN(nn.Module):
    """The five TimeGAN networks; ``forward`` samples windows like PSA-GAN's generator.

    forward(noise [B, 1, tau], series [B], time_features [B, F_t, tau], context ignored) -> [B, 1, tau].
    """

    def __init__(
        self,
        window: int,
        n_series: int,
        n_time_features: int,
        *,
        hidden: int = 24,
        layers: int = 3,
        emb_dim: int = 10,
        conditional: bool = True,
    ) -> None:
        super().__init__()
        self.window, self.context_length, self.conditional = window, 0, conditional
        f = emb_dim + n_time_features if conditional else 0
        self.cond_g = Conditioning(n_series, emb_dim) if conditional else None
        self.cond_d = Conditioning(n_series, emb_dim) if conditional else None
        self.embedder = _Recurrent(1, hidden, hidden, layers)
        self.recovery = _Recurrent(hidden, hidden, 1, layers)
        self.generator = _Recurrent(1 + f, hidden, hidden, layers)
        self.supervisor = _Recurrent(hidden, hidden, hidden, max(layers - 1, 1))
        self.discriminator = _Recurrent(hidden + f, hidden, 1, layers, sigmoid=False)

    def _cond(
        self, which: Conditioning | None, series: torch.Tensor, time_features: torch.Tensor
    ) -> torch.Tensor | None:
        return None if which is None else which(series, time_features).transpose(1, 2)  # [B, tau, F]

    def generate_latent(
        self, z: torch.Tensor, series: torch.Tensor, time_features: torch.Tensor
    ) -> torch.Tensor:
        """e_hat [B, tau, H] from uniform noise z [B, tau, 1] (+ conditioning)."""
        c = self._cond(self.cond_g, series, time_features)
        return self.generator(z if c is None else torch.cat([z, c], dim=-1))

    def discriminate(
        self, h: torch.Tensor, series: torch.Tensor, time_features: torch.Tensor
    ) -> torch.Tensor:
        """Per-step logits [B, tau, 1] of latents h [B, tau, H] (+ conditioning)."""
        c = self._cond(self.cond_d, series, time_features)
        return self.discriminator(h if c is None else torch.cat([h, c], dim=-1))

    def forward(
        self,
        noise: torch.Tensor,
        series: torch.Tensor,
        time_features: torch.Tensor,
        context: torch.Tensor | None = None,
        depth: int | None = None,
        alpha: float = 1.0,
    ) -> torch.Tensor:
        z = _STANDARD_NORMAL.cdf(noise.transpose(1, 2))  # N(0, 1) -> U(0, 1)
        return self.recovery(self.supervisor(self.generate_latent(z, series, time_features))).transpose(1, 2)


def reconstruction_loss(x: torch.Tensor, x_tilde: torch.Tensor) -> torch.Tensor:
    """Mean squared reconstruction error of the autoencoder (any equal shapes)."""
    return F.mse_loss(x_tilde, x)


def supervised_loss(h: torch.Tensor, h_next: torch.Tensor) -> torch.Tensor:
    """One-step-ahead latent loss ``mean((h[:, 1:] - h_next[:, :-1])^2)``; h, h_next [B, T, H]."""
    return F.mse_loss(h_next[:, :-1], h[:, 1:])


def batch_moment_loss(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """TimeGAN's moment loss: moments over the *batch* per (time step, feature), [B, T, D] inputs,
    ``mean |sqrt(var(x_hat) + 1e-6) - sqrt(var(x) + 1e-6)| + mean |mean(x_hat) - mean(x)|``
    (population variances)."""
    sd = (x_hat.var(0, unbiased=False) + 1e-6).sqrt() - (x.var(0, unbiased=False) + 1e-6).sqrt()
    return sd.abs().mean() + (x_hat.mean(0) - x.mean(0)).abs().mean()


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def fit_timegan(
    model: TimeGAN,
    batches: Callable[[], dict[str, torch.Tensor]],
    *,
    iters: tuple[int, int, int],
    lr: float = 1e-3,
    gamma: float = 1.0,
    show: bool = False,
    desc: str = "TimeGAN",
) -> dict[str, list[float]]:
    """Train ``model`` in the three phases with ``iters`` = (autoencoder, supervised, joint) iterations.

    ``batches()`` returns a fresh batch ``{"y": [B, 1, tau], "series": [B], "tf": [B, F_t, tau]}``.
    Returns the log: reconstruction MSE per autoencoder step ("ae"), supervised loss per supervised
    step ("sup"), and per joint iteration the last generator, embedder and discriminator losses.
    """
    er = [*model.embedder.parameters(), *model.recovery.parameters()]
    gs = [*model.generator.parameters(), *model.supervisor.parameters()]
    gs += [] if model.cond_g is None else list(model.cond_g.parameters())
    dd = list(model.discriminator.parameters())
    dd += [] if model.cond_d is None else list(model.cond_d.parameters())
    opt_er, opt_gs, opt_d = (torch.optim.Adam(p, lr=lr) for p in (er, gs, dd))
    log: dict[str, list[float]] = {k: [] for k in ("ae", "sup", "g", "e", "d", "d_skipped")}
    model.train()

    def step(opt: torch.optim.Optimizer, loss: torch.Tensor, what: str, itr: int) -> None:
        optimizer_step(opt, loss, step=itr, what=f"TimeGAN {what} loss")

    def latent(b: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        x = b["y"].transpose(1, 2)
        return x, model.embedder(x)

    total = sum(iters)
    bar = progress(None, desc=desc, total=total) if show else None

    def tick() -> None:
        if bar is not None:
            bar.update()

    for itr in range(iters[0]):  # phase 1: autoencoder
        x, h = latent(batches())
        rec = reconstruction_loss(x, model.recovery(h))
        step(opt_er, 10 * rec.sqrt(), "autoencoder", itr)
        log["ae"].append(rec.item())
        tick()
    for itr in range(iters[1]):  # phase 2: supervisor on real latents
        x, h = latent(batches())
        sup = supervised_loss(h.detach(), model.supervisor(h.detach()))
        step(opt_gs, sup, "supervised", itr)
        log["sup"].append(sup.item())
        tick()
    for itr in range(iters[2]):  # phase 3: joint
        for _ in range(2):
            b = batches()
            x, h = latent(b)
            s, tf = b["series"], b["tf"]
            z = torch.rand_like(x)
            e_hat = model.generate_latent(z, s, tf)
            h_hat = model.supervisor(e_hat)
            x_hat = model.recovery(h_hat)
            model.discriminator.requires_grad_(False)
            adv = _bce(model.discriminate(h_hat, s, tf), 1.0) + gamma * _bce(
                model.discriminate(e_hat, s, tf), 1.0
            )
            model.discriminator.requires_grad_(True)
            sup = supervised_loss(h.detach(), model.supervisor(h.detach()))
            g_loss = adv + 100 * (sup + 1e-12).sqrt() + 100 * batch_moment_loss(x_hat, x)
            step(opt_gs, g_loss, "generator", itr)
            x, h = latent(b)
            rec = reconstruction_loss(x, model.recovery(h))
            e_loss = 10 * rec.sqrt() + 0.1 * supervised_loss(h, model.supervisor(h))
            step(opt_er, e_loss, "embedder", itr)
        b = batches()
        x, h = latent(b)
        with torch.no_grad():
            e_hat = model.generate_latent(torch.rand_like(x), b["series"], b["tf"])
            h_hat = model.supervisor(e_hat)
        d_loss = (
            _bce(model.discriminate(h.detach(), b["series"], b["tf"]), 1.0)
            + _bce(model.discriminate(h_hat, b["series"], b["tf"]), 0.0)
            + gamma * _bce(model.discriminate(e_hat, b["series"], b["tf"]), 0.0)
        )
        skipped = d_loss.item() <= 0.15
        if not skipped:  # the original trains D only while it is not already winning
            step(opt_d, d_loss, "discriminator", itr)
        log["g"].append(g_loss.item())
        log["e"].append(e_loss.item())
        log["d"].append(d_loss.item())
        log["d_skipped"].append(float(skipped))
        tick()
    if bar is not None:
        bar.close()
    model.eval()
    return log


def train_timegan(
    cfg: PsaganConfig,
    panel: Panel,
    window: int,
    *,
    seed: int = 0,
    show: bool = False,
    max_iters: int | None = None,
) -> GanResult:
    """Train a conditional TimeGAN on the same training windows as PSA-GAN (same sampler, batch size
    and conditioning): ``cfg.timegan_pre_iters`` autoencoder and supervisor iterations, then
    ``cfg.timegan_iters`` joint iterations (``max_iters`` caps each phase)."""
    dev = torch.device(cfg.device)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = TimeGAN(
        window,
        panel.n_series,
        panel.n_time_features,
        hidden=cfg.timegan_hidden,
        layers=cfg.timegan_layers,
        emb_dim=cfg.emb_dim,
    ).to(dev)
    cap = (lambda n: n) if max_iters is None else (lambda n: min(n, max_iters))
    log = fit_timegan(
        model,
        lambda: to_tensors(sample_windows(panel, cfg.batch_size, window, rng), dev),
        iters=(cap(cfg.timegan_pre_iters), cap(cfg.timegan_pre_iters), cap(cfg.timegan_iters)),
        lr=cfg.lr,
        show=show,
        desc=f"TimeGAN tau={window} seed={seed}",
    )
    return GanResult(
        variant=Variant("TimeGAN", window, attention=False, fade=False, moment=False),
        seed=seed,
        generator=model,
        log=log,
    )
