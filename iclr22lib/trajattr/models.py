"""Three trajectory predictors with one interface, and their losses.

Every model maps ``(past [B, 8, 2], nbrs [B, N, 8, 2], nbr_mask [B, N])`` to a :class:`Mixture`
over the 12 future positions: ``K`` modes, each a mean path with an isotropic standard deviation
per step, and mode weights. A removed neighbour is a slot with mask ``False``; a removed past is a
past of zeros (the agent standing at its current position).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from iclr22lib.trajattr.data import OBS, PRED


@dataclass
class Mixture:
    """``means`` [B, K, 12, 2], ``log_sigma`` [B, K, 12], ``logits`` [B, K] (mode weights)."""

    means: torch.Tensor
    log_sigma: torch.Tensor
    logits: torch.Tensor


def _step_log_density(mix: Mixture, future: torch.Tensor) -> torch.Tensor:
    """Log-density [B, K, 12] of each future position [B, 12, 2] under each mode's isotropic normal.

    Written out rather than through ``torch.distributions`` (``MixtureSameFamily`` of ``Independent``
    ``Normal`` gives the same values to float rounding, ``tests/unit/test_trajattr_models.py``): the
    library expands the scale over (x, y) and takes ``log(exp(log_sigma))``, about 4.5x the loss's
    time and a fifth more per attribution pass of the social-attention model on a CPU.
    """
    sq = ((mix.means - future[:, None]) ** 2).sum(-1)  # [B, K, 12]
    return -0.5 * sq / torch.exp(2 * mix.log_sigma) - 2 * mix.log_sigma - math.log(2 * math.pi)


def nll(mix: Mixture, future: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of ``future`` [B, 12, 2] per step (nats), averaged over steps: [B]."""
    logp = _step_log_density(mix, future)
    logw = torch.log_softmax(mix.logits, dim=-1)
    return -torch.logsumexp(logw + logp.sum(-1), dim=-1) / future.shape[1]


#: Trajectron++'s cap on a step's log-density (``log_p_yt_xz_max``), used by the official attribution code.
LOG_P_MAX = 6.0


def nll_clipped(mix: Mixture, future: torch.Tensor, log_p_max: float = LOG_P_MAX) -> torch.Tensor:
    """The official code's NLL: per step, the log-density of the step's mixture (modes mixed at each
    step, as in Trajectron++'s per-step GMM), capped at ``log_p_max``, averaged over steps: [B] nats.

    It differs from :func:`nll` twice: modes are mixed per step instead of per path, and a step that is
    predicted very sharply cannot earn more than ``log_p_max``, which bounds how much any one player can
    be credited for sharpening a prediction.
    """
    logp = _step_log_density(mix, future)
    logw = torch.log_softmax(mix.logits, dim=-1)[..., None]  # [B, K, 1]
    step = torch.logsumexp(logw + logp, dim=1).clamp(max=log_p_max)  # [B, 12]
    return -step.mean(-1)


def displacement(mix: Mixture, future: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(minADE, minFDE) over the K modes' mean paths, metres: two tensors [B]."""
    err = (mix.means - future[:, None]).norm(dim=-1)  # [B, K, 12]
    return err.mean(-1).min(-1).values, err[..., -1].min(-1).values


def _velocities(x: torch.Tensor) -> torch.Tensor:
    """Per-step displacement of paths [..., T, 2], zero at the first step."""
    return torch.cat([torch.zeros_like(x[..., :1, :]), x[..., 1:, :] - x[..., :-1, :]], dim=-2)


class ConstantVelocity(nn.Module):
    """Extrapolates the last observed displacement; one mode whose spread grows linearly in time.

    ``sigma`` (metres per step of horizon) is a buffer, set from training data by :meth:`fit`.
    """

    def __init__(self, sigma: float = 0.1):
        super().__init__()
        self.register_buffer("sigma", torch.tensor(float(sigma)))

    def fit(self, past: torch.Tensor, future: torch.Tensor) -> ConstantVelocity:
        """Set ``sigma`` to the root-mean-square error per horizon step on training paths."""
        with torch.no_grad():
            mean = self._mean(past)
            steps = torch.arange(1, PRED + 1, device=past.device, dtype=past.dtype)
            err = ((mean - future) ** 2).sum(-1) / 2 / steps**2  # per-coordinate variance per step^2
            self.sigma.fill_(float(err.mean().sqrt().clamp_min(1e-3)))
        return self

    @staticmethod
    def _mean(past: torch.Tensor) -> torch.Tensor:
        v = past[:, -1] - past[:, -2]
        steps = torch.arange(1, PRED + 1, device=past.device, dtype=past.dtype)
        return past[:, -1, None] + steps[:, None] * v[:, None]

    def forward(
        self, past: torch.Tensor, nbrs: torch.Tensor | None = None, nbr_mask: torch.Tensor | None = None
    ) -> Mixture:
        mean = self._mean(past)[:, None]  # [B, 1, 12, 2]
        steps = torch.arange(1, PRED + 1, device=past.device, dtype=past.dtype)
        log_sigma = torch.log(self.sigma * steps).expand(past.shape[0], 1, PRED)
        return Mixture(mean, log_sigma, torch.zeros(past.shape[0], 1, device=past.device))


class _Decoder(nn.Module):
    """Context vector → K modes of per-step displacements added to constant-velocity motion."""

    def __init__(self, d_in: int, hidden: int, n_modes: int):
        super().__init__()
        self.k = n_modes
        self.net = nn.Sequential(
            nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, n_modes * (PRED * 3 + 1))
        )

    def forward(self, ctx: torch.Tensor, past: torch.Tensor) -> Mixture:
        out = self.net(ctx).view(-1, self.k, PRED * 3 + 1)
        delta = out[..., : PRED * 2].reshape(-1, self.k, PRED, 2)
        log_sigma = out[..., PRED * 2 : PRED * 3].clamp(-5.0, 3.0) - 1.0
        logits = out[..., -1]
        v = (past[:, -1] - past[:, -2])[:, None, None]  # [B, 1, 1, 2]
        means = torch.cumsum(v + delta, dim=2) + past[:, -1, None, None]
        return Mixture(means, log_sigma, logits)


def _features(past: torch.Tensor) -> torch.Tensor:
    """Positions and per-step displacements [..., 8, 4]."""
    return torch.cat([past, _velocities(past)], dim=-1)


class PastOnly(nn.Module):
    """A GRU over the target's own past, then the mixture decoder. Ignores neighbours by construction."""

    def __init__(self, hidden: int = 32, n_modes: int = 3):
        super().__init__()
        self.enc = nn.GRU(4, hidden, batch_first=True)
        self.dec = _Decoder(hidden, hidden * 2, n_modes)

    def forward(
        self, past: torch.Tensor, nbrs: torch.Tensor | None = None, nbr_mask: torch.Tensor | None = None
    ) -> Mixture:
        _, h = self.enc(_features(past))
        return self.dec(h[-1], past)


class SocialAttention(nn.Module):
    """Target GRU + one edge encoding per neighbour + additive attention over neighbours.

    Edge encoder: an MLP on the neighbour's 8 observed positions and displacements next to the
    target's (shared weights over neighbours). Attention: query = target encoding, keys = edge
    encodings, masked over empty slots; with no neighbour the social context is zero. Decoder input:
    ``[target encoding, social context]``.
    """

    def __init__(self, hidden: int = 32, n_modes: int = 3):
        super().__init__()
        self.enc = nn.GRU(4, hidden, batch_first=True)
        self.edge = nn.Sequential(
            nn.Linear(OBS * 8, hidden * 2), nn.ReLU(), nn.Linear(hidden * 2, hidden), nn.ReLU()
        )
        self.w_q = nn.Linear(hidden, hidden, bias=False)
        self.w_k = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)
        self.dec = _Decoder(hidden * 2, hidden * 2, n_modes)

    def forward(
        self, past: torch.Tensor, nbrs: torch.Tensor, nbr_mask: torch.Tensor, return_attention: bool = False
    ) -> Mixture | tuple[Mixture, torch.Tensor]:
        B, N = nbrs.shape[:2]
        _, h = self.enc(_features(past))
        h = h[-1]  # [B, H]
        tgt = _features(past)[:, None].expand(B, N, OBS, 4)
        edge_in = torch.cat([_features(nbrs), tgt], dim=-1).reshape(B, N, OBS * 8)
        e = self.edge(edge_in)  # [B, N, H]
        score = self.v(torch.tanh(self.w_q(h)[:, None] + self.w_k(e))).squeeze(-1)  # [B, N]
        score = score.masked_fill(~nbr_mask, -1e9)
        att = torch.softmax(score, dim=-1) * nbr_mask  # all-empty rows → all zeros
        ctx = (att[..., None] * e).sum(1)
        mix = self.dec(torch.cat([h, ctx], dim=-1), past)
        return (mix, att) if return_attention else mix


MODEL_NAMES = ("constant velocity", "past only", "social attention")


def build_model(name: str, hidden: int = 32, n_modes: int = 3) -> nn.Module:
    """One of :data:`MODEL_NAMES`."""
    if name == "constant velocity":
        return ConstantVelocity()
    if name == "past only":
        return PastOnly(hidden, n_modes)
    if name == "social attention":
        return SocialAttention(hidden, n_modes)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
