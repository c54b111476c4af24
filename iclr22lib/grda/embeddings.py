"""Node embeddings of a domain graph for the encoder's domain input (the official toy data ship theirs).

Each domain ``u`` gets ``z_u`` in R^k with ``sigmoid(<z_u, z_v>)`` fitted to the adjacency ``A_uv`` by
class-balanced binary cross-entropy over all pairs ``u != v``, the same reconstruction the GRDA
discriminator plays against, full batch with Adam.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from iclr22lib.core.training import optimizer_step


def embedding_loss(z: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
    """Mean BCE over linked pairs averaged with the mean over unlinked pairs; ``z`` [N, k], ``adj`` [N, N]."""
    logits = z @ z.T
    pair = F.binary_cross_entropy_with_logits(logits, adj, reduction="none")
    off = ~torch.eye(len(adj), dtype=torch.bool, device=adj.device)
    linked, unlinked = off & (adj > 0.5), off & (adj <= 0.5)
    return 0.5 * (pair[linked].mean() + pair[unlinked].mean())


def fit_embeddings(
    adj: torch.Tensor, dim: int = 8, steps: int = 2000, lr: float = 0.05, seed: int = 0
) -> torch.Tensor:
    """Embeddings [N, dim] of the graph ``adj`` [N, N] (0/1, symmetric), seeded and deterministic."""
    if adj.dim() != 2 or adj.shape[0] != adj.shape[1] or not torch.equal(adj, adj.T):
        raise ValueError(f"adj must be a symmetric square matrix, got shape {tuple(adj.shape)}")
    g = torch.Generator().manual_seed(seed)
    adj = adj.float()
    z = (0.1 * torch.randn(len(adj), dim, generator=g)).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    for step in range(steps):
        optimizer_step(opt, embedding_loss(z, adj), step=step, what="embedding loss")
    return z.detach()
