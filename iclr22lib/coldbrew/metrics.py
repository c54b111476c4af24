"""The feature contribution ratio (FCR, paper eq. 5), homophily, and the label-propagation baseline."""

from __future__ import annotations

import torch
from torch_geometric.nn.models import LabelPropagation
from torch_geometric.utils import homophily as _pyg_homophily


def fcr(z_gnn: float, z_mlp: float, z_lp: float) -> float:
    """Feature contribution ratio in % from the accuracies of the best GNN, MLP and label propagation.

    With ``d_mlp = z_gnn - z_mlp`` and ``d_lp = z_gnn - z_lp``: ``100 · d_lp / (d_mlp + d_lp)`` when the
    GNN is at least as good as the MLP, else ``100 + 100 · |d_mlp| / (|d_mlp| + d_lp)`` (the MLP wins:
    heterophily). Below 50 % structure dominates, 50-100 % features dominate.
    """
    d_mlp, d_lp = z_gnn - z_mlp, z_gnn - z_lp
    if z_mlp <= z_gnn:
        if d_mlp + d_lp <= 0:
            raise ValueError(f"FCR undefined: GNN {z_gnn} equals both MLP {z_mlp} and LP {z_lp}")
        return 100.0 * d_lp / (d_mlp + d_lp)
    if abs(d_mlp) + d_lp <= 0:
        raise ValueError(f"FCR undefined: LP {z_lp} beats the GNN {z_gnn} by as much as the MLP {z_mlp}")
    return 100.0 + 100.0 * abs(d_mlp) / (abs(d_mlp) + d_lp)


def node_homophily(edge_index: torch.Tensor, y: torch.Tensor) -> float:
    """Mean over nodes with neighbours of the share of neighbours with the same label (paper eq. 6), in [0, 1]."""
    return float(_pyg_homophily(edge_index, y, method="node"))


@torch.no_grad()
def label_propagation(
    y: torch.Tensor,
    edge_index: torch.Tensor,
    train: torch.Tensor,
    val: torch.Tensor,
    evaluate: torch.Tensor,
    alphas: tuple[float, ...] = (0.5, 0.9, 0.99),
    n_steps: int = 50,
) -> tuple[float, float]:
    """Label propagation (PyG) from the training labels; α chosen on validation accuracy.

    Returns (accuracy on the ``evaluate`` mask, chosen α). y [N], masks [N] boolean.
    """
    best = (-1.0, 0.0, 0.0)
    for alpha in alphas:
        out = LabelPropagation(num_layers=n_steps, alpha=alpha)(y, edge_index, mask=train)
        pred = out.argmax(dim=1)
        val_acc = float((pred[val] == y[val]).float().mean())
        if val_acc > best[0]:
            best = (val_acc, float((pred[evaluate] == y[evaluate]).float().mean()), alpha)
    return best[1], best[2]
