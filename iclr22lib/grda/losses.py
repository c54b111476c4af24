"""The discriminators' losses and the sub-graph sampler, batched over domain pairs and samples."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def graph_discriminator_loss(
    d: torch.Tensor, adj: torch.Tensor, nodes: torch.Tensor | None = None
) -> torch.Tensor:
    """GRDA's class-balanced graph-reconstruction loss.

    ``d`` [N, B, m]: discriminator outputs, B samples per domain; ``adj`` [N, N] 0/1; ``nodes`` [k]
    the domains of the sampled sub-graph (default: all). The b-th sample of domain ``u`` is paired with
    the b-th sample of domain ``v`` for every pair ``u < v`` in ``nodes``; each pair's binary
    cross-entropy of ``sigmoid(<d_ub, d_vb>)`` against ``A_uv`` is averaged over ``b``; then the mean
    over linked pairs and the mean over unlinked pairs are averaged, and the result is scaled by ``N``
    (as in the official code, so that a discriminator that outputs zeros scores ``N ln 2``).
    A class without any pair contributes 0 (instead of dividing by zero).
    """
    n = d.shape[0]
    if nodes is not None:
        d, adj = d[nodes], adj[nodes][:, nodes]
    logits = torch.einsum("ibm,jbm->ijb", d, d)  # [k, k, B]
    target = adj[:, :, None].expand_as(logits)
    pair = F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(-1)  # [k, k]
    upper = torch.ones_like(adj, dtype=torch.bool).triu(1)
    linked, unlinked = upper & (adj > 0.5), upper & (adj <= 0.5)
    mean_l = (pair * linked).sum() / linked.sum().clamp(min=1)
    mean_u = (pair * unlinked).sum() / unlinked.sum().clamp(min=1)
    return n * 0.5 * (mean_l + mean_u)


def domain_classifier_loss(logits: torch.Tensor) -> torch.Tensor:
    """DANN's N-way domain cross-entropy; ``logits`` [N, B, N], the true domain is the first index."""
    n, b, _ = logits.shape
    domains = torch.arange(n, device=logits.device).repeat_interleave(b)
    return F.cross_entropy(logits.reshape(n * b, n), domains)


def sample_subgraph(adj: torch.Tensor, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``k`` distinct domains for one discriminator step, as the official code picks them.

    With probability 1/2 a uniform random subset; otherwise chains of random walks that never revisit a
    node (start at a random unvisited node, step to a random unvisited neighbour until stuck, repeat).
    Returns a sorted [k] int64 tensor (on the CPU).
    """
    n = adj.shape[0]
    if k > n:
        raise ValueError(f"cannot sample {k} distinct domains from a graph of {n}")
    if torch.rand((), generator=generator) < 0.5:
        return torch.randperm(n, generator=generator)[:k].sort().values
    a = adj.detach().cpu() > 0.5
    seen = torch.zeros(n, dtype=torch.bool)
    current = -1
    for _ in range(k):  # k steps of a walk: each adds one new node
        options = a[current] & ~seen if current >= 0 else torch.zeros(n, dtype=torch.bool)
        if not options.any():
            options = ~seen  # stuck (or first step): restart anywhere unvisited
        cand = options.nonzero().flatten()
        current = int(cand[torch.randint(len(cand), (), generator=generator)])
        seen[current] = True
    return seen.nonzero().flatten()


def source_target_loss(logits: torch.Tensor, source_mask: torch.Tensor) -> torch.Tensor:
    """ADDA-style binary source-vs-target loss; ``logits`` [N, B] (source = 1), ``source_mask`` [N] bool."""
    target = source_mask[:, None].to(logits.dtype).expand_as(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def mdd_loss(
    adv_logits: torch.Tensor, pred: torch.Tensor, source_mask: torch.Tensor, margin: float = 4.0
) -> torch.Tensor:
    """Margin disparity discrepancy (Zhang et al., 2019) as the auxiliary head's loss.

    ``adv_logits`` [N, B, C] of the auxiliary head, ``pred`` [N, B] the main predictor's labels. On the
    source domains the head should agree with the predictor (cross-entropy, weighted by ``margin``); on
    the targets it should disagree (``-log(1 - p_adv[pred])``). The head minimises this loss; the
    encoder, through gradient reversal, maximises it.
    """
    src, tgt = source_mask, ~source_mask
    agree = F.cross_entropy(adv_logits[src].flatten(0, 1), pred[src].flatten())
    prob = adv_logits[tgt].softmax(-1).gather(-1, pred[tgt][..., None]).squeeze(-1)
    disagree = -torch.log1p(-prob.clamp(max=1 - 1e-6)).mean()
    return margin * agree + disagree
