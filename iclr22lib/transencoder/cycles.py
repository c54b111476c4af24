"""Self-distillation and mutual distillation cycles of Trans-Encoder.

A :class:`Member` is one model family: its starting bi-encoder (the contrastive start) and the
encoder a fresh cross-encoder is built from (the PLM). One cycle, for members m = 1..M:

1. bi-encoder pseudo-labels ``y_m = cos(f_m(a), f_m(b))`` on the pool; ``y = mean_m y_m``,
   rescaled to [0, 1];
2. each member trains a fresh cross-encoder with BCE on ``y`` (both orders of each pair);
3. cross-encoder pseudo-labels ``z_m`` (sigmoid, averaged over both orders); ``z = mean_m z_m``;
4. each member's bi-encoder (re-initialised from its start, or continued) trains with MSE on ``z``.

M = 1 is self-distillation, M = 2 mutual distillation. After the last cycle the bi- and the
cross-encoder of the cycle with the best *dev* Spearman are kept, separately, as in the official code.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from iclr22lib.core.training import BestState
from iclr22lib.transencoder.config import CycleSettings
from iclr22lib.transencoder.models import BiEncoder, CrossEncoder
from iclr22lib.transencoder.train import (
    EncodedPairs,
    evaluate_bi,
    evaluate_cross,
    rescale_targets,
    train_bi_mse,
    train_cross_bce,
)


@dataclass
class Member:
    """One model of a run: ``bi_start`` (bi-encoder at cycle 0) and ``plm`` (a cross-encoder's encoder
    at initialisation). Trained models of the best dev cycle land in ``best_bi`` / ``best_cross``."""

    name: str
    bi_start: BiEncoder
    plm: nn.Module
    best_bi: BiEncoder | None = None
    best_cross: CrossEncoder | None = None


@dataclass
class CycleLog:
    """What one cycle did: dev Spearman x 100 per member (``None`` key = ensemble), losses, labels."""

    cycle: int
    dev_bi: dict[str, float] = field(default_factory=dict)
    dev_cross: dict[str, float] = field(default_factory=dict)
    cross_losses: dict[str, list[float]] = field(default_factory=dict)
    bi_losses: dict[str, list[float]] = field(default_factory=dict)
    bi_labels: torch.Tensor | None = None  # [N] averaged bi-encoder cosines (before rescaling)
    cross_labels: torch.Tensor | None = None  # [N] averaged cross-encoder scores


def bi_pseudo_labels(bis: list[BiEncoder], pool: EncodedPairs) -> torch.Tensor:
    """Average over models of the cosine of each pool pair [N] (symmetric in a, b)."""
    return torch.stack([bi.similarity(pool.a, pool.b) for bi in bis]).mean(0)


def cross_pseudo_labels(crosses: list[CrossEncoder], pool: EncodedPairs) -> torch.Tensor:
    """Average over models of the cross-encoder score of each pool pair [N], both orders averaged."""
    return torch.stack([c.score(pool.ab, pool.ba) for c in crosses]).mean(0)


def new_cross(member: Member, current_bi: BiEncoder, how: str) -> CrossEncoder:
    """A fresh cross-encoder: a copy of the PLM (``"plm"``) or of the current bi-encoder's encoder (``"bi"``)."""
    if how not in ("plm", "bi"):
        raise ValueError(f"cross_init={how!r}; choose 'plm' or 'bi'")
    src = member.plm if how == "plm" else current_bi.encoder
    return CrossEncoder(copy.deepcopy(src))


def run_cycles(
    members: list[Member], pool: EncodedPairs, dev: EncodedPairs, s: CycleSettings
) -> list[CycleLog]:
    """Run ``s.cycles`` cycles (self-distillation for one member, mutual for two); returns one log per
    cycle and stores each member's best-dev bi- and cross-encoder in ``member.best_bi`` / ``best_cross``."""
    if not members:
        raise ValueError("run_cycles needs at least one member")
    if len(pool) < 2:
        raise ValueError("the pair pool is empty")
    bis = [copy.deepcopy(m.bi_start) for m in members]
    best_b = [BestState("max") for _ in members]
    best_c = [BestState("max") for _ in members]
    logs = []
    for t in range(1, s.cycles + 1):
        log = CycleLog(t)
        y = bi_pseudo_labels(bis, pool)
        targets = rescale_targets(y, s.target_scale)
        crosses = []
        for k, (m, bi) in enumerate(zip(members, bis, strict=True)):
            cross = new_cross(m, bi, s.cross_init)
            log.cross_losses[m.name] = train_cross_bce(
                cross,
                pool,
                targets,
                epochs=s.cross_epochs,
                batch_size=s.cross_batch,
                lr=s.cross_lr,
                warmup=s.warmup,
                seed=s.seed + 100 * t + k,
                loss=s.cross_loss,
                head_lr_mult=s.head_lr_mult,
            )
            crosses.append(cross)
        z = cross_pseudo_labels(crosses, pool)
        for k, m in enumerate(members):
            if s.reinit_bi:
                bis[k] = copy.deepcopy(m.bi_start)
            log.bi_losses[m.name] = train_bi_mse(
                bis[k],
                pool,
                z,
                epochs=s.bi_epochs,
                batch_size=s.bi_batch,
                lr=s.bi_lr,
                seed=s.seed + 100 * t + 50 + k,
            )
        for k, (m, bi, cross) in enumerate(zip(members, bis, crosses, strict=True)):
            log.dev_bi[m.name] = evaluate_bi(bi, dev)
            log.dev_cross[m.name] = evaluate_cross(cross, dev)
            best_b[k].update(bi, log.dev_bi[m.name], t)
            best_c[k].update(cross, log.dev_cross[m.name], t)
        log.bi_labels, log.cross_labels = y, z
        logs.append(log)
    for k, m in enumerate(members):  # the last cycle's models, given the weights of their best cycle
        m.best_bi, m.best_cross = best_b[k].restore(bis[k]), best_c[k].restore(crosses[k])
    return logs
