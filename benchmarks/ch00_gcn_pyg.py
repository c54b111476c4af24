"""The GCNs of the prologue and of Cold Brew beside a hand-written layer, side by side in one process.

Two-layer GCNs of the same shape, each timed for one training epoch of the chapters (a training-mode
forward + backward, then an eval-mode forward) with ``torch.utils.benchmark.Timer`` (median of its
blocked runs), on Cora and CiteSeer with row-normalised features:

* ``GCNConv, sparse x``: :class:`iclr22lib.prologue.GCN`, two ``torch_geometric.nn.GCNConv`` layers
  with ``gcn_norm`` computed once, fed the sparse features with dropout on their entries;
* ``GCNConv, dense x``: the same layers on the dense features with ``F.dropout``, PyG's usual way;
* ``hand-written``: ``Â`` from ``gcn_norm`` as a sparse matrix
  (:func:`iclr22lib.core.graphs.gcn_adjacency`) and ``torch.sparse.mm``, the same dropout;
* ``SEGCN``: Cold Brew's teacher (:class:`iclr22lib.coldbrew.SEGCN`), which propagates the same way
  because its structural embedding enters before the propagation, ``Â (H W + E)``; "000" is without
  the embedding, "100" with it on the first layer.

Sizes: the prologue's (hidden 16, dropout 0.5) and Cold Brew's teacher (hidden 64, dropout 0.6).

    OMP_NUM_THREADS=1 python benchmarks/ch00_gcn_pyg.py   # needs the Planetoid files under the data root
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.benchmark import Timer

from iclr22lib.coldbrew.models import SEGCN
from iclr22lib.core.graphs import gcn_adjacency, load_planetoid, row_normalize, sparse_dropout
from iclr22lib.prologue.models import GCN


class HandGCN(nn.Module):
    """``Â relu(Â dropout(X) W1 + b1) W2 + b2`` with a sparse ``Â`` [N, N] and ``torch.sparse.mm``."""

    def __init__(self, in_dim: int, hidden: int, n_classes: int, dropout: float):
        super().__init__()
        self.w1 = nn.Parameter(nn.init.xavier_uniform_(torch.empty(in_dim, hidden)))
        self.w2 = nn.Parameter(nn.init.xavier_uniform_(torch.empty(hidden, n_classes)))
        self.b1, self.b2 = nn.Parameter(torch.zeros(hidden)), nn.Parameter(torch.zeros(n_classes))
        self.dropout = dropout

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        h = torch.sparse.mm(adj, torch.sparse.mm(sparse_dropout(x, self.dropout, self.training), self.w1))
        h = F.dropout(torch.relu(h + self.b1), self.dropout, self.training)
        return torch.sparse.mm(adj, h @ self.w2) + self.b2


def epoch_seconds(model: nn.Module, x: torch.Tensor, graph: torch.Tensor) -> float:
    """Median seconds of one training-mode forward + backward and one eval-mode forward."""

    def epoch() -> None:
        model.train()
        model.zero_grad(set_to_none=True)
        model(x, graph).sum().backward()
        model.eval()
        with torch.no_grad():
            model(x, graph)

    return Timer("epoch()", globals={"epoch": epoch}).blocked_autorange(min_run_time=2.0).median


def main() -> None:
    print(f"torch threads {torch.get_num_threads()}; milliseconds per epoch (median), ratio to GCNConv")
    for name in ("cora", "citeseer"):
        data = load_planetoid(name)
        x = row_normalize(data.x)
        xs, ei, n, c = x.to_sparse(), data.edge_index, data.num_nodes, int(data.y.max()) + 1
        adj = gcn_adjacency(ei, n)
        for hidden, p in ((16, 0.5), (64, 0.6)):
            torch.manual_seed(0)
            variants = {
                "GCNConv, sparse x": (GCN(x.shape[1], hidden, c, p), xs, ei),
                "GCNConv, dense x": (GCN(x.shape[1], hidden, c, p), x, ei),
                "hand-written": (HandGCN(x.shape[1], hidden, c, p), xs, adj),
                "SEGCN 000": (SEGCN(n, x.shape[1], hidden, c, se_layers="000", dropout=p), xs, adj),
                "SEGCN 100": (SEGCN(n, x.shape[1], hidden, c, se_layers="100", dropout=p), xs, adj),
            }
            times = {k: epoch_seconds(m, inp, graph) for k, (m, inp, graph) in variants.items()}
            base = times["GCNConv, sparse x"]
            for k, t in times.items():
                print(f"{name:9s} hidden {hidden:3d}  {k:18s} {1e3 * t:8.2f} ms  {t / base:5.2f}x")


if __name__ == "__main__":
    main()
