"""Training a network from scratch with an augmentation policy, and evaluating it (one trainer for all)."""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from iclr22lib.core.training import optimizer_step
from iclr22lib.deepaa.policy import Policy


def train_model(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    policy: Policy,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    seed: int,
    max_steps: int | None = None,
) -> list[float]:
    """SGD (Nesterov, momentum 0.9), cosine learning rate, gradient-norm clip 5; images augmented per batch.

    ``x`` (N,3,H,W) uint8 on the model's device, ``y`` (N,). Returns the mean loss per epoch.
    """
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    n = len(x)
    per_epoch = max(1, math.ceil(n / batch_size))
    total = per_epoch * epochs if max_steps is None else min(max_steps, per_epoch * epochs)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)  # lr (1 + cos(pi s / total)) / 2
    model.train()
    losses, step = [], 0
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen).to(x.device)
        run = 0.0
        for i in range(per_epoch):
            idx = perm[i * batch_size : (i + 1) * batch_size]
            xb = policy.apply(x[idx], gen)
            loss = F.cross_entropy(model(xb.float()), y[idx])
            run += optimizer_step(opt, loss, clip=5.0, scheduler=sched, step=step)
            step += 1
            if step >= total:
                break
        losses.append(run / (i + 1))
        if step >= total:
            break
    model.eval()
    return losses


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    """Top-1 accuracy (fraction) on clean images ``x`` (N,3,H,W) uint8."""
    model.eval()
    hits = 0
    for i in range(0, len(x), batch_size):
        hits += int((model(x[i : i + batch_size].float()).argmax(1) == y[i : i + batch_size]).sum())
    return hits / len(x)
