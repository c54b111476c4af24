"""Context-FID embedders trained on real windows: TS2Vec (default) and the official causal CNN.

Both map windows [N, T] (one channel) to one vector per window [N, D]. TS2Vec (Yue et al. 2022) is
trained with its hierarchical contrastive loss on two overlapping random crops of each window; the
causal CNN (Franceschi et al. 2019) with the time-based triplet loss. Context-FID is the Frechet
distance between the embeddings of two sets of windows.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from iclr22lib.core.training import eval_mode, optimizer_step
from iclr22lib.psagan.fid import fid_from_samples


class _DilatedBlock(nn.Module):
    """GELU -> conv(k=3, dilation) -> GELU -> conv(k=3, dilation), plus a (projected) residual."""

    def __init__(self, c_in: int, c_out: int, dilation: int, *, causal: bool = False) -> None:
        super().__init__()
        self.pad = (2 * dilation, 0) if causal else (dilation, dilation)
        self.c1 = nn.Conv1d(c_in, c_out, 3, dilation=dilation)
        self.c2 = nn.Conv1d(c_out, c_out, 3, dilation=dilation)
        self.proj = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c1(F.pad(F.gelu(x), self.pad))
        h = self.c2(F.pad(F.gelu(h), self.pad))
        return h + self.proj(x)


class TS2VecEncoder(nn.Module):
    """Linear(1 -> hidden) -> timestamp masking (training) -> ``depth`` dilated blocks -> out dims.

    forward(x [B, T], mask [B, T] bool or None) -> per-time-step representations [B, T, out].
    """

    def __init__(self, hidden: int = 64, out: int = 320, depth: int = 10) -> None:
        super().__init__()
        self.input_fc = nn.Linear(1, hidden)
        chans = [hidden] * depth + [out]
        self.blocks = nn.Sequential(*(_DilatedBlock(chans[i], chans[i + 1], 2**i) for i in range(depth)))
        self.dropout = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        h = self.input_fc(x[..., None])
        if mask is not None:
            h = h * mask[..., None]
        return self.dropout(self.blocks(h.transpose(1, 2))).transpose(1, 2)

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Instance embeddings [B, out]: max-pool over all time steps (eval mode, no mask)."""
        return self(x).amax(dim=1)


def instance_contrastive(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """TS2Vec instance loss: at each time step, the other view of the same window is the positive
    among the 2B - 1 others. z1, z2 [B, T, D]."""
    b = z1.shape[0]
    if b == 1:
        return z1.new_zeros(())
    z = torch.cat([z1, z2], dim=0).transpose(0, 1)  # T x 2B x D
    sim = z @ z.transpose(1, 2)
    logits = torch.tril(sim, diagonal=-1)[:, :, :-1] + torch.triu(sim, diagonal=1)[:, :, 1:]
    logits = -F.log_softmax(logits, dim=-1)
    i = torch.arange(b, device=z1.device)
    return (logits[:, i, b + i - 1].mean() + logits[:, b + i, i].mean()) / 2


def temporal_contrastive(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """TS2Vec temporal loss: for each window, the same time step of the other view is the positive
    among the 2T - 1 other time steps. z1, z2 [B, T, D]."""
    t = z1.shape[1]
    if t == 1:
        return z1.new_zeros(())
    z = torch.cat([z1, z2], dim=1)  # B x 2T x D
    sim = z @ z.transpose(1, 2)
    logits = torch.tril(sim, diagonal=-1)[:, :, :-1] + torch.triu(sim, diagonal=1)[:, :, 1:]
    logits = -F.log_softmax(logits, dim=-1)
    i = torch.arange(t, device=z1.device)
    return (logits[:, i, t + i - 1].mean() + logits[:, t + i, i].mean()) / 2


def hierarchical_contrastive(z1: torch.Tensor, z2: torch.Tensor, alpha: float = 0.5) -> torch.Tensor:
    """Average over time scales (max-pool x2 until length 1) of alpha * instance + (1 - alpha) * temporal."""
    loss, d = z1.new_zeros(()), 0
    while z1.shape[1] > 1:
        loss = loss + alpha * instance_contrastive(z1, z2) + (1 - alpha) * temporal_contrastive(z1, z2)
        d += 1
        z1 = F.max_pool1d(z1.transpose(1, 2), 2).transpose(1, 2)
        z2 = F.max_pool1d(z2.transpose(1, 2), 2).transpose(1, 2)
    if z1.shape[1] == 1:
        loss = loss + alpha * instance_contrastive(z1, z2)
        d += 1
    return loss / d


def train_ts2vec(
    windows: np.ndarray,
    *,
    hidden: int = 64,
    out: int = 320,
    depth: int = 10,
    steps: int = 600,
    batch: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> TS2VecEncoder:
    """Fit a TS2Vec encoder on real windows [N, T] (AdamW). Each step crops two overlapping segments
    ``[a1, b1)`` and ``[a2, b2)`` with ``a1 <= a2 < b1 <= b2`` per batch, masks half the time steps of
    each view and applies the hierarchical loss to their overlap ``[a2, b1)``."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    enc = TS2VecEncoder(hidden, out, depth).to(device)
    opt = torch.optim.AdamW(enc.parameters(), lr=lr)
    x_all = torch.as_tensor(np.asarray(windows, dtype=np.float32), device=device)
    n, t = x_all.shape
    enc.train()
    for step in range(steps):
        x = x_all[torch.as_tensor(rng.integers(0, n, size=min(batch, n)), device=device)]
        crop = int(rng.integers(2, t + 1))
        a2 = int(rng.integers(0, t - crop + 1))
        b1 = a2 + crop
        a1 = int(rng.integers(0, a2 + 1))
        b2 = int(rng.integers(b1, t + 1))
        v1, v2 = x[:, a1:b1], x[:, a2:b2]
        m1 = torch.rand(v1.shape, device=device) > 0.5
        m2 = torch.rand(v2.shape, device=device) > 0.5
        z1 = enc(v1, m1)[:, -crop:]
        z2 = enc(v2, m2)[:, :crop]
        loss = hierarchical_contrastive(z1, z2)
        optimizer_step(opt, loss, step=step, what="TS2Vec loss")
    return enc.eval()


class CausalCNNEncoder(nn.Module):
    """Franceschi et al. (2019) encoder, as in the official Context-FID code: causal dilated residual
    blocks -> max-pool over time -> linear. forward(x [B, T]) -> [B, out]."""

    def __init__(self, hidden: int = 40, out: int = 320, depth: int = 10, reduced: int = 160) -> None:
        super().__init__()
        chans = [1] + [hidden] * depth + [reduced]
        self.blocks = nn.Sequential(
            *(_DilatedBlock(chans[i], chans[i + 1], 2**i, causal=True) for i in range(depth + 1))
        )
        self.linear = nn.Linear(reduced, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.blocks(x[:, None, :]).amax(dim=-1))

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self(x)


def triplet_loss(
    enc: CausalCNNEncoder, x: torch.Tensor, rng: np.random.Generator, k_neg: int = 5
) -> torch.Tensor:
    """Time-based triplet loss: anchor = random sub-window, positive = a sub-window of the anchor,
    negatives = random sub-windows of other windows; ``-log s(z_a.z_p) - sum log s(-z_a.z_n)``."""
    b, t = x.shape
    la = int(rng.integers(2, t + 1))
    a0 = int(rng.integers(0, t - la + 1))
    lp = int(rng.integers(1, la + 1))
    p0 = a0 + int(rng.integers(0, la - lp + 1))
    ln = int(rng.integers(1, t + 1))
    n0 = int(rng.integers(0, t - ln + 1))
    za, zp = enc(x[:, a0 : a0 + la]), enc(x[:, p0 : p0 + lp])
    loss = -F.logsigmoid((za * zp).sum(-1)).mean()
    for _ in range(k_neg):
        perm = torch.as_tensor(rng.permutation(b), device=x.device)
        zn = enc(x[perm, n0 : n0 + ln])
        loss = loss - F.logsigmoid(-(za * zn).sum(-1)).mean() / k_neg
    return loss


def train_causalcnn(
    windows: np.ndarray,
    *,
    hidden: int = 40,
    out: int = 320,
    depth: int = 10,
    steps: int = 600,
    batch: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> CausalCNNEncoder:
    """Fit the causal-CNN encoder on real windows [N, T] with the triplet loss (Adam)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    enc = CausalCNNEncoder(hidden, out, depth, reduced=max(out // 2, 1)).to(device)
    opt = torch.optim.Adam(enc.parameters(), lr=lr)
    x_all = torch.as_tensor(np.asarray(windows, dtype=np.float32), device=device)
    for step in range(steps):
        x = x_all[torch.as_tensor(rng.integers(0, len(x_all), size=min(batch, len(x_all))), device=device)]
        loss = triplet_loss(enc, x, rng)
        optimizer_step(opt, loss, step=step, what="triplet loss")
    return enc.eval()


def train_embedder(kind: str, windows: np.ndarray, **kw: object) -> nn.Module:
    """``kind`` = "ts2vec" or "causalcnn"; keyword arguments go to the trainer."""
    if kind == "ts2vec":
        return train_ts2vec(windows, **kw)
    if kind == "causalcnn":
        return train_causalcnn(windows, **kw)
    raise ValueError(f"unknown embedder {kind!r}; choose 'ts2vec' or 'causalcnn'")


@torch.no_grad()
def embed(enc: nn.Module, windows: np.ndarray, *, batch: int = 1024) -> np.ndarray:
    """Embeddings [N, D] (float64) of windows [N, T]."""
    dev = next(enc.parameters()).device
    x = torch.as_tensor(np.asarray(windows, dtype=np.float32))
    with eval_mode(enc):
        return np.concatenate(
            [enc.embed(x[i : i + batch].to(dev)).double().cpu().numpy() for i in range(0, len(x), batch)]
        )


def context_fid(enc: nn.Module, real: np.ndarray, fake: np.ndarray) -> float:
    """Context-FID: Frechet distance between the embeddings of ``real`` and ``fake`` windows [N, T]."""
    return fid_from_samples(embed(enc, real), embed(enc, fake))
