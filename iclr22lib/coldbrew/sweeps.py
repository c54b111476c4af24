"""The full-scale studies of the Cold Brew paper beyond its main table.

* :func:`depth_grid`: GCNs of several depths, with and without residual connections, normalisation and
  the structural embedding (SE); the 64-layer rows are the paper's Table 6 and the best row feeds the
  FCR of App. B (:func:`grid_fcr`).
* :func:`top_k_sweep` and :func:`se_reg_sweep`: the student's number of virtual neighbours K and the SE
  penalty weight η.
* :func:`cut_edge_mrr`: how well an embedding recovers the edges that were cut from the isolated nodes
  (mean reciprocal rank of the true neighbours among all nodes). This scores embeddings trained for node
  classification, as a side diagnostic; the paper's Table 4 trains every model with a link loss, which
  :mod:`iclr22lib.coldbrew.linkpred` does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from iclr22lib.coldbrew.config import ColdBrewConfig
from iclr22lib.coldbrew.metrics import fcr
from iclr22lib.coldbrew.train import Prepared, group_accuracy, prepare, train_gcn, train_mlp, train_student
from iclr22lib.core.graphs import load_planetoid
from iclr22lib.core.progress import progress
from iclr22lib.core.seeding import seed_everything


@dataclass(frozen=True)
class GridRow:
    """One GCN configuration and its accuracy in % per group (isolated / tail / head / overall)."""

    depth: int
    residual: str
    norm: str
    se: bool
    acc: dict[str, float]


def depth_grid(
    g: Prepared,
    cfg: ColdBrewConfig,
    depths: tuple[int, ...] = (2, 4, 8, 16, 32, 64),
    residuals: tuple[str, ...] = ("none", "initial"),
    norms: tuple[str, ...] = ("none", "pair"),
    se_options: tuple[bool, ...] = (False, True),
) -> list[GridRow]:
    """Train one GCN per combination (seed ``cfg.seed``); SE rows use ``cfg.se_layers``."""
    rows = []
    combos = [(d, r, n, s) for d in depths for r in residuals for n in norms for s in se_options]
    for d, r, n, s in progress(combos, desc=f"{g.name} depth grid"):
        seed_everything(cfg.seed)
        model = train_gcn(g, replace(cfg, n_layers=d, residual=r, norm=n), cfg.se_layers if s else "000")
        with torch.no_grad():
            rows.append(GridRow(d, r, n, s, group_accuracy(model(g.x, g.adj), g)))
    return rows


def grid_fcr(rows: list[GridRow], z_mlp: float, z_lp: float) -> tuple[float, GridRow]:
    """FCR (%) with the best overall GNN of the grid as ``z_gnn``, and that row."""
    best = max(rows, key=lambda r: r.acc["overall"])
    return fcr(best.acc["overall"], z_mlp, z_lp), best


def top_k_sweep(
    g: Prepared, cfg: ColdBrewConfig, bank: torch.Tensor, ks: tuple[int, ...] = (1, 3, 5, 10, 20)
) -> dict[int, dict[str, float]]:
    """The student's group accuracies for each number K of virtual neighbours, from the teacher's ``bank``."""
    out = {}
    for k in ks:
        seed_everything(cfg.seed)
        out[k] = group_accuracy(train_student(g, bank, replace(cfg, top_k=k))[1], g)
    return out


def se_reg_sweep(
    g: Prepared, cfg: ColdBrewConfig, etas: tuple[float, ...] = (0.0, 0.001, 0.01, 0.1, 1.0)
) -> dict[float, dict[str, float]]:
    """GCN+SE group accuracies for each SE penalty weight η."""
    out = {}
    for eta in etas:
        seed_everything(cfg.seed)
        model = train_gcn(g, replace(cfg, se_reg=eta), cfg.se_layers)
        with torch.no_grad():
            out[eta] = group_accuracy(model(g.x, g.adj), g)
    return out


def removed_edges(full_edge_index: torch.Tensor, isolated: torch.Tensor) -> torch.Tensor:
    """The directed edges ``[2, M]`` that leave an isolated node (source isolated, no self-loops)."""
    src, dst = full_edge_index
    keep = isolated[src] & (src != dst)
    return full_edge_index[:, keep]


def cut_edge_mrr(emb: torch.Tensor, edges: torch.Tensor, chunk: int = 4096) -> float:
    """Mean reciprocal rank of each cut edge ``(u, v)`` [2, M] when node ``u`` ranks every other node by
    cosine similarity of ``emb`` [N, D] (ties count against the true neighbour, the node itself excluded)."""
    if edges.shape[1] == 0:
        raise ValueError("no cut edges to rank")
    z = torch.nn.functional.normalize(emb.float(), dim=1)
    ranks = []
    for i in range(0, edges.shape[1], chunk):
        u, v = edges[0, i : i + chunk], edges[1, i : i + chunk]
        s = z[u] @ z.T  # [m, N]
        s[torch.arange(len(u)), u] = -float("inf")
        true = s[torch.arange(len(u)), v]
        ranks.append((s >= true[:, None]).sum(1).float())  # the true node itself counts once
    return float((1.0 / torch.cat(ranks)).mean())


@dataclass
class Extras:
    """Everything :func:`run_extras` measures on one graph (accuracies in %)."""

    grid: list[GridRow]
    top_k: dict[int, dict[str, float]]
    se_reg: dict[float, dict[str, float]]
    mrr: dict[str, float]  # embedding -> MRR of the cut edges


def run_extras(
    name: str, cfg: ColdBrewConfig, z_mlp: float, z_lp: float, depths: tuple[int, ...] = (2, 4, 8, 16, 32, 64)
) -> tuple[Extras, float]:
    """The depth grid, the K and η sweeps and the cut-edge MRR of the teacher's bank, the student's
    predicted bank, the MLP's hidden layer and the raw features; returns them and the grid's FCR."""
    data = load_planetoid(name)
    g = prepare(data, cfg)
    grid = depth_grid(g, cfg, depths)
    seed_everything(cfg.seed)
    teacher = train_gcn(g, cfg, cfg.se_layers)
    bank = teacher.embedding_bank(g.x, g.adj)
    student, _ = train_student(g, bank, cfg)
    mlp = train_mlp(g, cfg)
    edges = removed_edges(data.edge_index, g.groups.isolated).to(bank.device)
    with torch.no_grad():
        embeddings = {"GCN+SE bank": bank, "Cold Brew student": student.mlp1(g.x),
                      "MLP hidden": mlp.hidden(g.x), "features": g.x_dense}  # fmt: skip
    mrr = {k: cut_edge_mrr(e, edges) for k, e in embeddings.items()}
    extras = Extras(grid, top_k_sweep(g, cfg, bank), se_reg_sweep(g, cfg), mrr)
    return extras, grid_fcr(grid, z_mlp, z_lp)[0]
