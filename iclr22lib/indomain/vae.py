"""Unsupervised and weakly supervised representation learners with a supervised read-out.

Three variational auto-encoders share one convolutional encoder/decoder (the architecture of the
disentanglement_lib study: four 4x4 stride-2 convolutions, a 256-unit layer, Gaussian posterior):

* **β-VAE**: reconstruction (Bernoulli, summed over pixels) plus β times KL(q(z|x) || N(0, I)).
* **Ada-GVAE** (weak supervision): pairs of images that share some factors. Per latent dimension the
  KL between the two posteriors is computed; dimensions whose KL lies below the midpoint of its
  smallest and largest value are taken as shared, and there both posteriors are replaced by their
  average (mean of the means and of the variances) before the usual β-VAE loss on both images.
* **SlowVAE** (temporal sparsity): pairs ``(x_t, x_{t+1})`` whose factors move by sparse, Laplace-
  distributed steps. Besides the β-VAE term of ``x_t``, the posterior of ``x_{t+1}`` is pulled towards
  a Laplace prior centred on a sample of ``z_t`` (rate ``rate``), weighted by γ; that KL is estimated
  with one posterior sample.

Training uses only training-split images (pairs are drawn inside the split); afterwards the encoder's
posterior means are frozen and a small MLP read-out is fitted to the factors by regression, so that
every model family is scored the same way (:class:`ReadoutModel` maps images to factors).
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Laplace, Normal, kl_divergence

VAE_MODELS = ("beta_vae", "ada_gvae", "slow_vae")


class ConvVAE(nn.Module):
    """Encoder ``[B, 1, R, R] -> (mu, logvar)`` each ``[B, d]``; decoder ``[B, d] -> logits [B, 1, R, R]``."""

    def __init__(self, latent: int = 10, resolution: int = 64) -> None:
        super().__init__()
        if resolution not in (32, 64):
            raise ValueError(f"resolution must be 32 or 64; got {resolution}")
        n = 4 if resolution == 64 else 3
        chans = [1, 32, 32, 64, 64][: n + 1]
        enc: list[nn.Module] = []
        for a, b in itertools.pairwise(chans):
            enc += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.ReLU()]
        self.encoder = nn.Sequential(
            *enc, nn.Flatten(), nn.Linear(64 * 16, 256), nn.ReLU(), nn.Linear(256, 2 * latent)
        )
        dec: list[nn.Module] = [nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 64 * 16), nn.ReLU(),
                                nn.Unflatten(1, (64, 4, 4))]  # fmt: skip
        rev = chans[::-1]
        for i, (a, b) in enumerate(itertools.pairwise(rev)):
            dec.append(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1))
            if i < len(rev) - 2:
                dec.append(nn.ReLU())
        self.decoder = nn.Sequential(*dec)
        self.latent = latent

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


def _normal(mu: torch.Tensor, logvar: torch.Tensor) -> Normal:
    """The posterior ``N(mu, e^logvar)`` (unchecked: ``logvar`` is clamped by :meth:`ConvVAE.encode`)."""
    return Normal(mu, (0.5 * logvar).exp(), validate_args=False)


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, e^logvar) || N(0, 1)) per dimension, ``[B, d]`` (nats)."""
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu), validate_args=False)
    return kl_divergence(_normal(mu, logvar), prior)


def kl_between(mu1: torch.Tensor, lv1: torch.Tensor, mu2: torch.Tensor, lv2: torch.Tensor) -> torch.Tensor:
    """KL(N(mu1, e^lv1) || N(mu2, e^lv2)) per dimension, ``[B, d]``."""
    return kl_divergence(_normal(mu1, lv1), _normal(mu2, lv2))


def adaptive_average(
    mu1: torch.Tensor, lv1: torch.Tensor, mu2: torch.Tensor, lv2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Ada-GVAE's posterior sharing: per pair, dimensions with KL(q1 || q2) below
    ``(max + min) / 2`` are shared and get the averaged posterior. Returns the four new tensors and the
    boolean mask ``[B, d]`` of shared dimensions."""
    kl = kl_between(mu1, lv1, mu2, lv2)
    tau = 0.5 * (kl.max(1, keepdim=True).values + kl.min(1, keepdim=True).values)
    shared = kl < tau
    mu_avg, var_avg = 0.5 * (mu1 + mu2), 0.5 * (lv1.exp() + lv2.exp())
    lv_avg = var_avg.log()
    pick = torch.where
    return (pick(shared, mu_avg, mu1), pick(shared, lv_avg, lv1), pick(shared, mu_avg, mu2),
            pick(shared, lv_avg, lv2), shared)  # fmt: skip


def _recon(model: ConvVAE, x: torch.Tensor, mu: torch.Tensor, lv: torch.Tensor) -> torch.Tensor:
    z = mu + torch.randn_like(mu) * (0.5 * lv).exp()
    return F.binary_cross_entropy_with_logits(model.decode(z), x, reduction="none").flatten(1).sum(1)


def laplace_kl_mc(mu: torch.Tensor, lv: torch.Tensor, centre: torch.Tensor, rate: float) -> torch.Tensor:
    """One-sample estimate of KL(N(mu, e^lv) || Laplace(centre, 1/rate)) summed over dims, ``[B]``."""
    q = _normal(mu, lv)
    z = mu + torch.randn_like(mu) * q.scale
    prior = Laplace(centre, torch.full_like(centre, 1.0 / rate), validate_args=False)
    return (q.log_prob(z) - prior.log_prob(z)).sum(1)


def vae_loss(
    kind: str,
    model: ConvVAE,
    x1: torch.Tensor,
    x2: torch.Tensor | None,
    *,
    beta: float,
    gamma: float,
    rate: float,
) -> torch.Tensor:
    """Mean loss of a batch for ``kind`` in :data:`VAE_MODELS`; ``x2`` is the paired image (unused by β-VAE)."""
    if kind not in VAE_MODELS:
        raise ValueError(f"unknown VAE kind {kind!r}; choose from {VAE_MODELS}")
    mu1, lv1 = model.encode(x1)
    if kind == "beta_vae":
        return (_recon(model, x1, mu1, lv1) + beta * kl_normal(mu1, lv1).sum(1)).mean()
    mu2, lv2 = model.encode(x2)
    if kind == "ada_gvae":
        m1, l1, m2, l2, _ = adaptive_average(mu1, lv1, mu2, lv2)
        one = _recon(model, x1, m1, l1) + beta * kl_normal(m1, l1).sum(1)
        two = _recon(model, x2, m2, l2) + beta * kl_normal(m2, l2).sum(1)
        return (one + two).mean()
    z1 = mu1 + torch.randn_like(mu1) * (0.5 * lv1).exp()
    first = _recon(model, x1, mu1, lv1) + beta * kl_normal(mu1, lv1).sum(1)
    second = _recon(model, x2, mu2, lv2) + gamma * laplace_kl_mc(mu2, lv2, z1.detach(), rate)
    return (first + second).mean()


def sample_pairs(
    kind: str, idx: np.ndarray, sizes: tuple[int, ...], in_split: np.ndarray, rng: np.random.Generator,
    *, laplace_scale: float = 1.0, tries: int = 8,
) -> np.ndarray:  # fmt: skip
    """Partners ``[B, K]`` (factor indices) for the points ``idx`` ``[B, K]``, inside the split.

    ``ada_gvae``: resample a random non-empty subset of factors uniformly (weak supervision: the pair
    shares the other factors). ``slow_vae``: move every factor by a rounded Laplace step of scale
    ``laplace_scale`` (in grid steps, clipped to the grid), so most factors stay and a few move.
    ``in_split`` is a bool mask over flat grid positions; a draw outside the split is redrawn up to
    ``tries`` times, then the point is paired with itself.
    """
    sizes_a = np.asarray(sizes)
    out = idx.copy()
    todo = np.ones(len(idx), dtype=bool)
    for _ in range(tries):
        n = int(todo.sum())
        if n == 0:
            break
        cand = idx[todo].copy()
        if kind == "ada_gvae":
            change = rng.random((n, len(sizes))) < 0.5
            none = ~change.any(1)
            change[none, rng.integers(0, len(sizes), none.sum())] = True
            cand[change] = (rng.random((n, len(sizes))) * sizes_a).astype(np.int64)[change]
        elif kind == "slow_vae":
            step = np.rint(rng.laplace(0.0, laplace_scale, (n, len(sizes)))).astype(np.int64)
            cand = np.clip(cand + step, 0, sizes_a - 1)
        else:
            raise ValueError(f"pairs are for 'ada_gvae' and 'slow_vae', not {kind!r}")
        ok = in_split[np.ravel_multi_index(cand.T, sizes)]
        rows = np.flatnonzero(todo)[ok]
        out[rows] = cand[ok]
        todo[rows] = False
    return out


class ReadoutModel(nn.Module):
    """Frozen encoder means followed by an MLP read-out: images ``[B, 1, R, R]`` -> factors ``[B, K]``."""

    def __init__(self, vae: ConvVAE, n_factors: int, hidden: int = 256) -> None:
        super().__init__()
        self.vae = vae.requires_grad_(False)
        self.head = nn.Sequential(nn.Linear(vae.latent, hidden), nn.ReLU(), nn.Linear(hidden, n_factors))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            mu, _ = self.vae.encode(x)
        return self.head(mu)
