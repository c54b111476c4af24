"""Downstream node classifiers on fixed node features (PyTorch Geometric), full batch."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GCNConv, SAGEConv, SGConv

from iclr22lib.core.training import check_finite

MODELS = ("mlp", "gcn", "sage", "sgc")


class Classifier(nn.Module):
    """2-layer MLP / GCN / GraphSAGE, or SGC (K=2 propagation + linear): (n, d) -> (n, classes) logits."""

    def __init__(self, kind: str, d_in: int, hidden: int, classes: int, dropout: float = 0.5):
        super().__init__()
        if kind not in MODELS:
            raise ValueError(f"model {kind!r} is not known; choose one of {MODELS}")
        self.kind, self.dropout = kind, dropout
        if kind == "sgc":
            self.conv = SGConv(d_in, classes, K=2, cached=True)
            return
        if kind == "gcn":  # transductive: the normalised adjacency is cached after the first call
            self.l1, self.l2 = GCNConv(d_in, hidden, cached=True), GCNConv(hidden, classes, cached=True)
        else:
            layer = {"mlp": nn.Linear, "sage": SAGEConv}[kind]
            self.l1, self.l2 = layer(d_in, hidden), layer(hidden, classes)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        if self.kind == "sgc":
            return self.conv(x, edge_index)
        x = F.dropout(x, self.dropout, self.training)
        h = self.l1(x) if self.kind == "mlp" else self.l1(x, edge_index)
        h = F.dropout(F.relu(h), self.dropout, self.training)
        return self.l2(h) if self.kind == "mlp" else self.l2(h, edge_index)


def standardise(x: torch.Tensor, train: torch.Tensor) -> torch.Tensor:
    """Centre and scale every feature by its training-node mean and standard deviation."""
    mu, sd = x[train].mean(0), x[train].std(0).clamp_min(1e-6)
    return (x - mu) / sd


def fit_classifier(
    kind: str,
    x: torch.Tensor,
    edge_index: torch.Tensor,
    y: torch.Tensor,
    split: dict[str, torch.Tensor],
    seed: int,
    epochs: int = 200,
    hidden: int = 128,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    dropout: float = 0.5,
) -> dict[str, float]:
    """Train full batch with Adam; return the test accuracy at the epoch of best validation accuracy."""
    torch.manual_seed(seed)
    x = standardise(x.float(), split["train"])
    model = Classifier(kind, x.shape[1], hidden, int(y.max()) + 1, dropout)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    best = (-1.0, 0.0, 0)
    for ep in range(epochs):
        model.train()
        opt.zero_grad(set_to_none=True)
        out = model(x, edge_index)
        loss = F.cross_entropy(out[split["train"]], y[split["train"]])
        check_finite(loss, step=ep, what=f"{kind} classifier loss")
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            pred = model(x, edge_index).argmax(1)
        va = float((pred[split["val"]] == y[split["val"]]).float().mean())
        if va > best[0]:
            best = (va, float((pred[split["test"]] == y[split["test"]]).float().mean()), ep)
    return {"val": best[0], "test": best[1], "epoch": best[2]}
