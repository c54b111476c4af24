"""The two models of the prologue: a two-layer GCN and a two-layer MLP of the same width.

Both read the bag-of-words features as a sparse matrix and apply dropout to its non-zero
entries only (:func:`iclr22lib.core.graphs.sparse_dropout`), as Kipf & Welling's implementation
does: on Cora, dropout and the first layer's product take about a tenth of the time of dropout on
the dense [2708, 1433] matrix on one CPU thread (``benchmarks/ch00_sparse_dropout.py``: 6 against
68 ms a step), with the same distribution over the (zero-preserving) outputs.

The GCN is two PyG ``GCNConv`` layers (``gcn_norm`` computed once per graph and passed in). A
hand-written layer (``Â`` as a sparse matrix, ``torch.sparse.mm``) was measured beside it in
``benchmarks/ch00_gcn_pyg.py`` (one training epoch: forward + backward + an eval forward, one CPU
thread, ``torch.utils.benchmark.Timer`` medians, two runs on a shared 2-core machine): at this
chapter's width (hidden 16) ``GCNConv`` on the sparse input takes 8.4-9.2 ms on Cora and 15.7-19.5 ms
on CiteSeer, the hand-written layer 1.02x and 0.95-1.08x that, so it is not worth keeping here;
``GCNConv`` on the dense features (PyG's usual way) is 8x and 14x slower, which is why the input
stays sparse. (Cold Brew's wider teacher keeps the hand-written propagation: see
:mod:`iclr22lib.coldbrew.models`.)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GCNConv
from torch_geometric.nn.conv.gcn_conv import gcn_norm

from iclr22lib.core.graphs import sparse_dropout


class SparseDropoutLinear(nn.Module):
    """``dropout(x) @ W`` for a sparse COO input [N, F] (or a dense one) → dense [N, out]."""

    def __init__(self, in_dim: int, out_dim: int, dropout: float):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_dim, out_dim))
        nn.init.xavier_uniform_(self.weight)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = sparse_dropout(x, self.dropout, self.training)
        return torch.sparse.mm(x, self.weight) if x.is_sparse else x @ self.weight


class GCN(nn.Module):
    """Kipf & Welling's two-layer GCN, ``Â relu(Â X W1 + b1) W2 + b2``: [N, F] → [N, C] logits, with
    PyG's ``GCNConv``. ``Â = D^-1/2 (A + I) D^-1/2`` (PyG's ``gcn_norm``) is computed once per graph
    and cached while the same ``edge_index`` tensor is passed.
    """

    def __init__(self, in_dim: int, hidden: int, n_classes: int, dropout: float = 0.5):
        super().__init__()
        self.conv1 = GCNConv(in_dim, hidden, normalize=False)
        self.conv2 = GCNConv(hidden, n_classes, normalize=False)
        self.dropout = dropout
        self._norm: tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]] | None = None

    def normalised(self, edge_index: torch.Tensor, num_nodes: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``gcn_norm`` of ``edge_index`` [2, E]: the edges with self-loops [2, E + N] and their weights."""
        if self._norm is None or self._norm[0] is not edge_index:
            self._norm = (edge_index, gcn_norm(edge_index, None, num_nodes))
        return self._norm[1]

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        index, weight = self.normalised(edge_index, x.shape[0])
        h = torch.relu(self.conv1(sparse_dropout(x, self.dropout, self.training), index, weight))
        return self.conv2(F.dropout(h, self.dropout, self.training), index, weight)


class MLP(nn.Module):
    """The same network without the graph: each node is classified from its own features only."""

    def __init__(self, in_dim: int, hidden: int, n_classes: int, dropout: float = 0.5):
        super().__init__()
        self.lin1 = SparseDropoutLinear(in_dim, hidden, dropout)
        self.bias1 = nn.Parameter(torch.zeros(hidden))
        self.lin2 = nn.Linear(hidden, n_classes)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor | None = None) -> torch.Tensor:
        h = torch.relu(self.lin1(x) + self.bias1)
        return self.lin2(F.dropout(h, self.dropout, self.training))
