"""XR-style progressive fine-tuning of a text encoder on the multi-resolution neighbourhood targets.

Level t = 1..D of the label tree has a ranker head W^{(t)} (K_t x dim) and bias b^{(t)}; the score of
cluster k for node i is s_ik = <w_k, h_i / ||h_i||> + b_k. At level t the loss is computed only over a
shortlist: the children of the node's true level-(t-1) clusters (teacher-forced negatives, ``tfn``) and
the children of the previous level's top-k predicted clusters (matcher-aware negatives, ``man``).
The loss is the weighted squared hinge, mean over the shortlist of w_ik max(0, 1 - y~_ik s_ik)^2 with
y~ in {-1, +1}. Level t's head starts from its parent's row (inherit bootstrap); the encoder carries
over from level to level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from iclr22lib.core.training import check_finite, optimizer_step
from iclr22lib.giant.xmc import LabelTree


def squared_hinge(
    scores: torch.Tensor,
    targets: torch.Tensor,
    weights: torch.Tensor | None = None,
    valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """Weighted squared hinge: mean over valid entries of w max(0, 1 - y~ s)^2, y~ = 2 targets - 1.

    All inputs (B, S); ``targets`` in {0, 1}; ``weights`` >= 0 (default 1); ``valid`` bool (default all).
    """
    sign = 2.0 * targets.float() - 1.0
    loss = F.relu(1.0 - sign * scores).pow(2)
    if weights is not None:
        loss = loss * weights
    if valid is None:
        return loss.mean()
    v = valid.float()
    return (loss * v).sum() / v.sum().clamp_min(1.0)


class SparseRows:
    """Row access to a sparse (n, K) matrix in torch: padded positives and membership look-ups."""

    def __init__(self, m: sp.spmatrix):
        m = sp.csr_matrix(m)
        m.sort_indices()
        self.shape = m.shape
        self.indptr = torch.from_numpy(m.indptr.astype(np.int64))
        self.indices = torch.from_numpy(m.indices.astype(np.int64))
        self.data = torch.from_numpy(m.data.astype(np.float32))
        rows = torch.repeat_interleave(torch.arange(m.shape[0]), self.indptr.diff())
        self.keys = rows * m.shape[1] + self.indices  # sorted

    def padded(self, rows: torch.Tensor, cap: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, P) column ids of each row's nonzeros (first ``cap``), and a validity mask."""
        start, length = self.indptr[rows], self.indptr[rows + 1] - self.indptr[rows]
        p = max(int(length.max()) if len(rows) else 0, 1)
        if cap is not None:
            p = min(p, cap)
        ar = torch.arange(p)
        valid = ar[None, :] < length[:, None]
        pos = (start[:, None] + ar[None, :]).clamp_max(max(len(self.indices) - 1, 0))
        cols = self.indices[pos] if len(self.indices) else torch.zeros_like(pos)
        return torch.where(valid, cols, 0), valid

    def lookup(self, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        """Values M[rows[b], cols[b, s]] (0 where absent): (B, S) float32."""
        if len(self.keys) == 0:
            return torch.zeros(cols.shape)
        q = rows[:, None] * self.shape[1] + cols
        at = torch.searchsorted(self.keys, q).clamp_max(len(self.keys) - 1)
        return torch.where(self.keys[at] == q, self.data[at], torch.zeros(()))


def shortlist(
    pos_parents: torch.Tensor,
    pos_valid: torch.Tensor,
    top_parents: torch.Tensor | None,
    children: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Children of the union of the positive parents (B, P) and the predicted ones (B, k).

    ``children``: (K_prev, c) child table padded with -1. Returns (B, S) label ids and a validity mask;
    every valid id appears once per row.
    """
    par, ok = pos_parents, pos_valid
    if top_parents is not None:
        par = torch.cat([par, top_parents], 1)
        ok = torch.cat([ok, torch.ones_like(top_parents, dtype=torch.bool)], 1)
    big = children.shape[0]
    par = torch.where(ok, par, big)  # invalid -> sentinel that sorts last
    par, _ = torch.sort(par, 1)
    dup = torch.zeros_like(par, dtype=torch.bool)
    dup[:, 1:] = par[:, 1:] == par[:, :-1]
    ok = (par < big) & ~dup
    ch = children[par.clamp_max(big - 1)]  # (B, P, c)
    valid = ok[:, :, None] & (ch >= 0)
    b = ch.shape[0]
    return ch.clamp_min(0).reshape(b, -1), valid.reshape(b, -1)


class Head(nn.Module):
    """One level's ranker: (B, dim) embeddings, (B, S) label ids -> (B, S) scores."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        self.weight = nn.Parameter(weight.clone())
        self.bias = nn.Parameter(bias.clone())

    def forward(self, h: torch.Tensor, idx: torch.Tensor | None = None) -> torch.Tensor:
        h = F.normalize(h, dim=-1)
        if idx is None:
            return h @ self.weight.T + self.bias
        return torch.einsum("bd,bsd->bs", h, self.weight[idx]) + self.bias[idx]


@dataclass
class XRSchedule:
    """Optimisation settings of the progressive fine-tuning (per level)."""

    steps: int = 100
    batch: int = 64
    lr_encoder: float = 1e-3
    lr_head: float = 1e-2
    warmup: float = 0.1
    negatives: str = "tfn+man"
    topk: int = 4
    weighted: bool = True
    max_pos: int = 32
    clip: float = 1.0


@dataclass
class XRResult:
    """Trained heads per level and the training-loss curve of each level."""

    heads: list[Head]
    losses: list[list[float]] = field(default_factory=list)


def _schedule(opt: torch.optim.Optimizer, steps: int, warmup: float) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over the first ``warmup`` fraction of ``steps`` (from 0), then linear decay to 0."""
    from transformers.optimization import get_linear_schedule_with_warmup  # heavy: imported on first use

    return get_linear_schedule_with_warmup(opt, int(warmup * steps), steps)


def train_xr(
    encoder: nn.Module,
    tree: LabelTree,
    targets: list[sp.spmatrix],
    counts: list[sp.spmatrix] | None,
    instances: torch.Tensor,
    sched: XRSchedule,
    seed: int = 0,
    levels: int | None = None,
    progress: tqdm | None = None,
) -> XRResult:
    """Fine-tune ``encoder`` coarse to fine over the first ``levels`` levels of ``tree``.

    ``targets[t-1]``: (n, K_t) binary targets of level t (rows = all nodes); ``counts``: same shapes with
    neighbour counts (weights of the positives) or None; ``instances``: node ids used for training.
    """
    if sched.negatives not in ("tfn", "man", "tfn+man"):
        raise ValueError(f"negatives={sched.negatives!r}; choose 'tfn', 'man' or 'tfn+man'")
    g = torch.Generator().manual_seed(seed)
    depth = len(tree.parents) if levels is None else levels
    heads: list[Head] = []
    losses: list[list[float]] = []
    enc_params = [p for p in encoder.parameters() if p.requires_grad]
    dev = next(encoder.buffers()).device
    for t in range(1, depth + 1):
        k_t = targets[t - 1].shape[1]
        dim = encoder.dim
        if t == 1:
            head = Head(0.01 * torch.randn(k_t, dim, generator=g), torch.zeros(k_t))
            children = None
        else:
            par = torch.from_numpy(tree.parents[t - 1])
            head = Head(heads[-1].weight.detach()[par], heads[-1].bias.detach()[par])
            children = torch.from_numpy(tree.children_table(t))
            prev_rows = SparseRows(targets[t - 2])
            top = None
            if "man" in sched.negatives:
                with torch.no_grad():
                    scores = heads[-1](encoder.embed_all())
                    top = scores.topk(min(sched.topk, scores.shape[1]), dim=1).indices.cpu()
        head = head.to(dev)
        rows_t = SparseRows(targets[t - 1])
        w_rows = SparseRows(counts[t - 1]) if (counts is not None and sched.weighted) else None
        opt = torch.optim.AdamW(
            [
                {"params": enc_params, "lr": sched.lr_encoder},
                {"params": head.parameters(), "lr": sched.lr_head},
            ],
            weight_decay=0.0,
        )
        lr_sched = _schedule(opt, sched.steps, sched.warmup)
        curve = []
        encoder.train()
        for step in range(sched.steps):
            b = instances[torch.randint(len(instances), (sched.batch,), generator=g)]
            h = encoder(b)
            if children is None:
                s = head(h)
                idx = torch.arange(k_t).expand(len(b), k_t)
                valid = None
            else:
                pp, pv = prev_rows.padded(b, sched.max_pos)
                if "tfn" not in sched.negatives:
                    pv = torch.zeros_like(pv)
                idx, valid = shortlist(pp, pv, top[b] if top is not None else None, children)
                s = head(h, idx.to(dev))
                valid = valid.to(dev)
            y = rows_t.lookup(b, idx)
            w = None
            if w_rows is not None:
                w = torch.where(y > 0, w_rows.lookup(b, idx), torch.ones(()))
            loss = squared_hinge(s, (y > 0).to(dev), None if w is None else w.to(dev), valid)
            what = f"XR loss (level {t})"
            curve.append(optimizer_step(opt, loss, clip=sched.clip, scheduler=lr_sched, step=step, what=what))
            if progress is not None:
                progress.update(1)
        heads.append(head)
        losses.append(curve)
    encoder.eval()
    return XRResult(heads, losses)


def flat_tree(num_labels: int) -> LabelTree:
    """A one-level 'tree': every label is a child of the root (one-vs-all over all labels)."""
    order = np.arange(num_labels)
    return LabelTree((np.zeros(num_labels, np.int64),), order, order)


def train_link_prediction(
    encoder: nn.Module,
    edge_index: torch.Tensor,
    num_nodes: int,
    sched: XRSchedule,
    total_steps: int,
    seed: int = 0,
) -> list[float]:
    """Baseline: fine-tune ``encoder`` so that linked nodes have high cosine similarity.

    BCE on logits tau * cos(h_i, h_j) - c for sampled edges (positives) and random pairs (negatives).
    """
    g = torch.Generator().manual_seed(seed)
    enc_params = [p for p in encoder.parameters() if p.requires_grad]
    dev = next(encoder.buffers()).device
    tau = nn.Parameter(torch.tensor(5.0, device=dev))
    off = nn.Parameter(torch.tensor(0.0, device=dev))
    opt = torch.optim.AdamW(
        [{"params": enc_params, "lr": sched.lr_encoder}, {"params": [tau, off], "lr": sched.lr_head}],
        weight_decay=0.0,
    )
    lr_sched = _schedule(opt, total_steps, sched.warmup)
    curve = []
    encoder.train()
    half = max(1, sched.batch // 2)
    for _ in range(total_steps):
        e = edge_index[:, torch.randint(edge_index.shape[1], (half,), generator=g)]
        neg = torch.randint(num_nodes, (2, half), generator=g)
        src = torch.cat([e[0], neg[0]])
        dst = torch.cat([e[1], neg[1]])
        nodes, inv = torch.unique(torch.cat([src, dst]), return_inverse=True)
        h = F.normalize(encoder(nodes), dim=-1)
        hs_dev = h.device
        hs, hd = h[inv[: len(src)]], h[inv[len(src) :]]
        logit = tau * (hs * hd).sum(-1) + off
        lab = torch.cat([torch.ones(half), torch.zeros(half)]).to(hs_dev)
        loss = F.binary_cross_entropy_with_logits(logit, lab)
        check_finite(loss, what="link-prediction loss")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(enc_params, sched.clip)
        opt.step()
        lr_sched.step()
        curve.append(float(loss.detach()))
    encoder.eval()
    return curve


@torch.no_grad()
def path_scores(emb: torch.Tensor, heads: list[Head], tree: LabelTree) -> list[torch.Tensor]:
    """Exhaustive XR scores of every cluster of every trained level: (n, K_t) per level t.

    The score of a cluster is the product of sigmoid(ranker score) along its path from the root,
    p_t = sigmoid(s_t) * p_{t-1}[parent]; ``emb``: (n, dim) node embeddings.
    """
    out: list[torch.Tensor] = []
    for t, head in enumerate(heads, start=1):
        p = torch.sigmoid(head(emb))
        if t > 1:
            p = p * out[-1][:, torch.from_numpy(tree.parents[t - 1]).to(p.device)]
        out.append(p)
    return out


@torch.no_grad()
def beam_search(
    emb: torch.Tensor, heads: list[Head], tree: LabelTree, beam: int
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """XR inference down the tree, all nodes at once, with the path scores of :func:`path_scores`.

    Level 1 scores all its clusters; level t scores only the children of the ``beam`` best level-(t-1)
    clusters. Returns per level ``(ids, scores)``, each (n, m_t), sorted by score, best first; padding
    entries have id -1 and score -inf. With ``beam`` >= every K_t this ranks exactly as exhaustive scoring.
    """
    if beam < 1:
        raise ValueError(f"beam={beam} must be >= 1")
    out: list[tuple[torch.Tensor, torch.Tensor]] = []
    n = emb.shape[0]
    for t, head in enumerate(heads, start=1):
        if t == 1:
            score = torch.sigmoid(head(emb))
            ids = torch.arange(score.shape[1], device=emb.device).expand(n, -1)
        else:
            prev_ids, prev_score = out[-1]
            m = min(beam, prev_ids.shape[1])
            keep_ids, keep_score = prev_ids[:, :m], prev_score[:, :m]
            table = torch.from_numpy(tree.children_table(t)).to(emb.device)
            ch = table[keep_ids.clamp_min(0)]  # (n, m, c)
            ok = (ch >= 0) & (keep_ids >= 0)[:, :, None]
            ids = torch.where(ok, ch, -1).reshape(n, -1)
            s = torch.sigmoid(head(emb, ids.clamp_min(0)))
            score = torch.where(ids >= 0, s * keep_score.repeat_interleave(ch.shape[2], 1), -torch.inf)
        order = torch.argsort(score, dim=1, descending=True, stable=True)
        out.append((torch.gather(ids, 1, order), torch.gather(score, 1, order)))
    return out


def ranking_precision(
    ids: torch.Tensor, targets: sp.spmatrix, rows: torch.Tensor, ks: Sequence[int] = (1, 5)
) -> dict[int, float]:
    """P@k of ranked label ``ids`` (len(rows), m), best first, -1 = no label, against ``targets`` rows."""
    if ids.shape[1] < max(ks):
        raise ValueError(f"ranking has {ids.shape[1]} entries, fewer than k={max(ks)}")
    top = ids[:, : max(ks)].cpu()
    hit = (SparseRows(targets).lookup(rows, top.clamp_min(0)) > 0) & (top >= 0)
    return {k: float(hit[:, :k].float().mean()) for k in ks}
