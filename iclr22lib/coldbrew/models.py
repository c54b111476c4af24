"""Models of the chapter: the SE-GCN teacher, the Cold Brew student, and the baselines.

Node features enter every model as a sparse [N, F] matrix (bag-of-words is ~1 % dense), so the
first layer is a sparse-dense product; ``adj`` is always the sparse GCN matrix ``D^-1/2 (A+I) D^-1/2``
[N, N] of the *cut* graph (PyG's ``gcn_norm`` weights, :func:`iclr22lib.core.graphs.gcn_adjacency`).

The GCN layers propagate by hand, ``Â (H W + E) + b`` with ``torch.sparse.mm``, not with PyG's
``GCNConv``: the structural embedding ``E`` enters *before* the propagation, which ``GCNConv``
(``Â (H W) + b``) cannot express without a second propagation, and at this chapter's width the
hand-written layer is faster. ``benchmarks/ch00_gcn_pyg.py`` (one training epoch, one CPU thread,
``torch.utils.benchmark.Timer`` medians, two runs on a shared 2-core machine), hidden 64: ``GCNConv``
on the sparse input 15.3-15.8 ms on Cora and 25.8-36.0 ms on CiteSeer; the same GCN by hand
0.79-0.81x and 0.73-0.75x that, :class:`SEGCN` with the embedding ("100") 0.78-0.91x and 0.73-0.76x.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import PairNorm, SAGEConv

from iclr22lib.core.graphs import sparse_dropout
from iclr22lib.core.training import eval_mode


class SparseLinear(nn.Module):
    """``x @ W + b`` for a sparse COO or dense input [N, F] → [N, out], with dropout on the input's entries."""

    def __init__(self, in_dim: int, out_dim: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_dim, out_dim))
        nn.init.xavier_uniform_(self.weight)
        self.bias = nn.Parameter(torch.zeros(out_dim)) if bias else None
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = sparse_dropout(x, self.dropout, self.training)
        out = torch.sparse.mm(x, self.weight) if x.is_sparse else x @ self.weight
        return out if self.bias is None else out + self.bias


def se_penalty(embeddings: list[torch.Tensor], form: str = "paper") -> torch.Tensor:
    """The structural-embedding regulariser (without its weight eta), a scalar.

    ``"paper"`` (eq. 3): ``sum_l ||E_l||_F^2``. ``"official_code"``: ``sum_l ||E_l||_F`` (not squared).
    Each ``E_l`` is [N, d_l]; an empty list gives 0.
    """
    if form not in ("paper", "official_code"):
        raise ValueError(f"unknown SE penalty form {form!r}; allowed: 'paper', 'official_code'")
    if not embeddings:
        return torch.zeros(())
    if form == "paper":
        return sum((e * e).sum() for e in embeddings)
    return sum(torch.linalg.norm(e) for e in embeddings)


class SEGCN(nn.Module):
    """A GCN whose layers may carry a structural embedding: ``H' = Â (H W + E) + b`` (paper eq. 2).

    ``E`` [N, d_out] is a free per-node offset, initialised N(0, se_init_std²) (the official code uses
    std 1) and pulled to zero by :func:`se_penalty`. ``se_layers`` is three 0/1 digits for the first, middle and last
    layers ("000" is a plain GCN). After every layer but the last: optional norm, ReLU, dropout, and
    with ``residual="initial"`` a mix ``(1 - alpha) H' + alpha H_1`` with the first hidden layer.
    Forward: x [N, F] (sparse), adj [N, N] → logits [N, C].
    """

    def __init__(
        self,
        num_nodes: int,
        in_dim: int,
        hidden: int,
        n_classes: int,
        n_layers: int = 2,
        se_layers: str = "100",
        dropout: float = 0.6,
        norm: str = "none",
        residual: str = "none",
        alpha: float = 0.1,
        se_init_std: float = 1.0,
    ):
        super().__init__()
        if n_layers < 2:
            raise ValueError(f"n_layers={n_layers}: a GCN here has at least 2 layers")
        if norm not in ("none", "pair", "batch"):
            raise ValueError(f"unknown norm {norm!r}; allowed: 'none', 'pair', 'batch'")
        if residual not in ("none", "initial"):
            raise ValueError(f"unknown residual {residual!r}; allowed: 'none', 'initial'")
        dims = [in_dim] + [hidden] * (n_layers - 1) + [n_classes]
        self.lins = nn.ModuleList(
            [SparseLinear(dims[0], dims[1], dropout, bias=False)]
            + [SparseLinear(dims[i], dims[i + 1], dropout, bias=False) for i in range(1, n_layers)]
        )
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(d)) for d in dims[1:]])
        has_se = [se_layers[0] == "1"] + [se_layers[1] == "1"] * (n_layers - 2) + [se_layers[2] == "1"]
        self.se = nn.ParameterDict(
            {
                str(i): nn.Parameter(se_init_std * torch.randn(num_nodes, dims[i + 1]))
                for i in range(n_layers)
                if has_se[i]
            }
        )
        if norm == "pair":
            self.norms = nn.ModuleList([PairNorm() for _ in range(n_layers - 1)])
        elif norm == "batch":
            self.norms = nn.ModuleList([nn.BatchNorm1d(hidden) for _ in range(n_layers - 1)])
        else:
            self.norms = nn.ModuleList([nn.Identity() for _ in range(n_layers - 1)])
        self.residual, self.alpha, self.dropout = residual, alpha, dropout

    def se_parameters(self) -> list[torch.Tensor]:
        """The structural embeddings ``E_l`` of the layers that have one."""
        return list(self.se.values())

    def layers(self, x: torch.Tensor, adj: torch.Tensor) -> list[torch.Tensor]:
        """Each layer's output after its norm and before the ReLU: [N, hidden] × (L-1), then [N, C]."""
        outs, h, first = [], x, None
        for i, lin in enumerate(self.lins):
            z = lin(h)
            if str(i) in self.se:
                z = z + self.se[str(i)]
            z = torch.sparse.mm(adj, z) + self.biases[i]
            if i == len(self.lins) - 1:
                outs.append(z)
                break
            z = self.norms[i](z)
            if self.residual == "initial" and first is not None:
                z = (1 - self.alpha) * z + self.alpha * first
            outs.append(z)
            h = torch.relu(z)
            first = h if first is None else first
        return outs

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        return self.layers(x, adj)[-1]

    @torch.no_grad()
    def embedding_bank(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        """The distillation target Ē [N, hidden·(L-1) + C]: all layer outputs concatenated, in eval mode."""
        with eval_mode(self):
            return torch.cat(self.layers(x, adj), dim=1)


class MLP(nn.Module):
    """``Linear → LayerNorm → GELU → Dropout → Linear``: [N, F] (sparse or dense) → [N, out].

    With ``extra_dim > 0`` the forward also takes a dense [N, extra_dim] input concatenated to x
    (used by the student's second MLP).
    """

    def __init__(self, in_dim: int, hidden: int, out_dim: int, dropout: float = 0.5, extra_dim: int = 0):
        super().__init__()
        self.lin_x = SparseLinear(in_dim, hidden)
        self.lin_extra = nn.Linear(extra_dim, hidden, bias=False) if extra_dim else None
        self.norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, out_dim)
        self.dropout = dropout

    def hidden(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        """The hidden layer [N, hidden] (after norm, GELU and dropout) of x [N, F] and ``extra``."""
        h = self.lin_x(x)
        if self.lin_extra is not None:
            if extra is None:
                raise ValueError("this MLP needs its extra input")
            h = h + self.lin_extra(extra)
        return F.dropout(F.gelu(self.norm(h)), self.dropout, self.training)

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.hidden(x, extra))


@torch.no_grad()
def virtual_neighbours(
    query: torch.Tensor, bank: torch.Tensor, k: int, chunk: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Top-``k`` rows of ``bank`` [M, D] by dot product with each row of ``query`` [N, D] (paper eq. 4).

    Returns the softmax-weighted sum of the chosen rows [N, D], their indices [N, k] (best first) and
    weights [N, k]. Queries are processed ``chunk`` rows at a time, so memory is O(chunk · M); by
    default the chunk keeps each score block at about 2^25 entries (128 MB in float32).
    """
    if chunk is None:
        chunk = max(1, 2**25 // max(1, bank.shape[0]))
    if not 1 <= k <= bank.shape[0]:
        raise ValueError(f"k={k} must be between 1 and the bank's {bank.shape[0]} rows")
    if query.shape[1] != bank.shape[1]:
        raise ValueError(f"query width {query.shape[1]} differs from bank width {bank.shape[1]}")
    idx_parts, w_parts = [], []
    for start in range(0, query.shape[0], chunk):
        scores = query[start : start + chunk] @ bank.T
        top, idx = scores.topk(k, dim=1)
        idx_parts.append(idx)
        w_parts.append(torch.softmax(top, dim=1))
    idx, w = torch.cat(idx_parts), torch.cat(w_parts)
    mixed = (w.unsqueeze(-1) * bank[idx]).sum(dim=1)
    return mixed, idx, w


class ColdBrewStudent(nn.Module):
    """The student: MLP1 maps features to the teacher's embedding space; MLP2 classifies from
    ``[x, a1·ẽ, a0·ê]`` where ê = MLP1(x) and ẽ the virtual-neighbour mix of ê in the bank.

    ``a0`` and ``a1`` are learnable scalars starting at 1e-4, so MLP2 starts as a feature-only MLP.
    """

    def __init__(self, in_dim: int, bank_dim: int, n_classes: int, hidden: int = 256, dropout: float = 0.5):
        super().__init__()
        self.mlp1 = MLP(in_dim, hidden, bank_dim, dropout)
        self.mlp2 = MLP(in_dim, hidden, n_classes, dropout, extra_dim=2 * bank_dim)
        self.a0 = nn.Parameter(torch.tensor(1e-4))
        self.a1 = nn.Parameter(torch.tensor(1e-4))

    def classifier_parameters(self) -> list[nn.Parameter]:
        """What stage 2 trains: MLP2, ``a0`` and ``a1`` (every parameter but MLP1's)."""
        return [p for n, p in self.named_parameters() if not n.startswith("mlp1.")]

    def classify(self, x: torch.Tensor, mixed: torch.Tensor, ehat: torch.Tensor) -> torch.Tensor:
        """Logits [N, C] of MLP2 from x [N, F], ẽ [N, D] and ê [N, D]."""
        return self.mlp2(x, torch.cat([self.a1 * mixed, self.a0 * ehat], dim=1))

    @torch.no_grad()
    def predict(self, x: torch.Tensor, bank: torch.Tensor, k: int) -> torch.Tensor:
        """Logits [N, C] for nodes given only their features x [N, F] and the stored bank [M, D]."""
        ehat = self.mlp1(x)
        mixed, _, _ = virtual_neighbours(ehat, bank, k)
        return self.classify(x, mixed, ehat)


class GraphMLP(nn.Module):
    """GraphMLP (Hu et al., 2021): an MLP trained with a neighbour-contrastive loss; no graph at inference.

    ``forward(x)`` → (logits [N, C], projections [N, hidden]) for the contrastive term.
    """

    def __init__(self, in_dim: int, hidden: int, n_classes: int, dropout: float = 0.5):
        super().__init__()
        self.lin1 = SparseLinear(in_dim, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.proj = nn.Linear(hidden, hidden)
        self.cls = nn.Linear(hidden, n_classes)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.dropout(self.norm(F.gelu(self.lin1(x))), self.dropout, self.training)
        return self.cls(h), self.proj(h)


def neighbour_contrastive_loss(z: torch.Tensor, adj_power: torch.Tensor, tau: float) -> torch.Tensor:
    """GraphMLP's loss on a batch: z [B, H], adj_power [B, B] (r-hop weights, diagonal ignored).

    ``mean_i -log( sum_j a_ij exp(cos_ij/τ) / sum_{k≠i} exp(cos_ik/τ) )`` over rows with a neighbour.
    """
    z = F.normalize(z, dim=1)
    sim = torch.exp(z @ z.T / tau)
    off = 1 - torch.eye(z.shape[0], device=z.device)
    pos = (sim * adj_power * off).sum(dim=1)
    has = pos > 0
    if not has.any():
        return z.sum() * 0
    return -(torch.log(pos[has]) - torch.log((sim * off).sum(dim=1)[has])).mean()


class GraphSAGE(nn.Module):
    """Two-layer GraphSAGE (mean aggregator, PyG ``SAGEConv``): x [N, F] dense, edge_index → [N, C]."""

    def __init__(self, in_dim: int, hidden: int, n_classes: int, dropout: float = 0.5):
        super().__init__()
        self.conv1, self.conv2 = SAGEConv(in_dim, hidden), SAGEConv(hidden, n_classes)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        h = F.dropout(x, self.dropout, self.training)
        h = F.dropout(torch.relu(self.conv1(h, edge_index)), self.dropout, self.training)
        return self.conv2(h, edge_index)
