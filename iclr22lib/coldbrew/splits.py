"""Head / tail / isolated node groups by degree, the cut graph, and the label split.

Two rules choose the groups (they give very different sizes):

- ``"paper"`` (Sec. 5.1 of the paper): rank nodes by degree; the lowest ``frac`` of them become
  *isolated*, the next lowest ``frac`` *tail*, the highest ``frac`` *head*. Ties in degree are broken
  by a fixed random permutation (``tie_seed``), so the groups do not depend on the order of node ids.
- ``"official_code"``: degree counts a self-loop; a low-degree pool is the nodes with degree at most
  the median, filtered that way four times over; the lower half of the pool (sorted by degree, then
  id) is *isolated* and the upper half *tail*. *Head* is the same filter upwards (degree at least the
  median), applied five times. Degree ties make the groups far larger than the nominal 3 %.

Every edge touching an isolated node is then removed: the teacher and every graph model train and
predict on that *cut* graph, so the isolated nodes are true cold-start nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch_geometric.data import Data
from torch_geometric.utils import remove_self_loops


@dataclass(frozen=True)
class DegreeGroups:
    """Boolean masks [N] of the three groups (pairwise disjoint) and the degree [N] they came from."""

    isolated: torch.Tensor
    tail: torch.Tensor
    head: torch.Tensor
    degree: torch.Tensor

    def sizes(self) -> tuple[int, int, int]:
        """(isolated, tail, head) node counts."""
        return int(self.isolated.sum()), int(self.tail.sum()), int(self.head.sum())


def node_degree(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Number of distinct neighbours [N] (int64) of an undirected graph given in both directions."""
    ei, _ = remove_self_loops(edge_index)
    return torch.bincount(ei[0], minlength=num_nodes)


def _mask(index: torch.Tensor, n: int) -> torch.Tensor:
    out = torch.zeros(n, dtype=torch.bool)
    out[index] = True
    return out


def degree_groups(
    edge_index: torch.Tensor,
    num_nodes: int,
    rule: str = "paper",
    frac: float = 0.1,
    tie_seed: int = 0,
) -> DegreeGroups:
    """Choose the isolated / tail / head groups of a graph by degree.

    ``edge_index`` [2, E] lists both directions of each undirected edge. ``frac`` (paper rule only)
    is each group's share of the nodes, rounded to the nearest integer.
    """
    deg = node_degree(edge_index.cpu(), num_nodes)
    if rule == "paper":
        if not 0 < frac <= 1 / 3:
            raise ValueError(f"frac={frac} must be in (0, 1/3] so that three groups fit")
        n = round(frac * num_nodes)
        if n < 1:
            raise ValueError(f"frac={frac} of {num_nodes} nodes leaves an empty group")
        gen = torch.Generator().manual_seed(tie_seed)
        perm = torch.randperm(num_nodes, generator=gen)
        order = perm[torch.argsort(deg[perm], stable=True)]  # by degree, ties in random order
        iso, tail, head = order[:n], order[n : 2 * n], order[-n:]
    elif rule == "official_code":
        deg1 = deg + 1  # the official code counts the self-loop
        low = torch.arange(num_nodes)
        for _ in range(4):
            low = low[deg1[low] <= deg1[low].double().median()]
        high = torch.arange(num_nodes)
        for _ in range(5):
            high = high[deg1[high] >= deg1[high].double().median()]
        low = low[torch.argsort(deg1[low], stable=True)]
        half = len(low) // 2
        iso, tail, head = low[:half], low[half:], high
        if len(torch.cat([iso, tail, head]).unique()) != len(iso) + len(tail) + len(head):
            raise ValueError("official_code rule: head and low-degree pool overlap on this graph")
    else:
        raise ValueError(f"unknown group rule {rule!r}; allowed: 'paper', 'official_code'")
    return DegreeGroups(
        isolated=_mask(iso, num_nodes), tail=_mask(tail, num_nodes), head=_mask(head, num_nodes), degree=deg
    )


def cut_isolated_edges(edge_index: torch.Tensor, isolated: torch.Tensor) -> torch.Tensor:
    """Remove every edge [2, E] with an endpoint in the ``isolated`` mask [N]; self-loops of any node stay."""
    src, dst = edge_index
    keep = ~(isolated[src] | isolated[dst]) | (src == dst)
    return edge_index[:, keep]


@dataclass(frozen=True)
class LabelSplit:
    """Boolean masks [N]: training labels, validation (model selection) and evaluation nodes (the rest)."""

    train: torch.Tensor
    val: torch.Tensor
    evaluate: torch.Tensor


def label_split(data: Data, rule: str = "official_code") -> LabelSplit:
    """Train / validation / evaluation nodes; every node outside train and val is evaluated.

    ``"planetoid"``: the standard masks (20 labels per class, 500 validation nodes).
    ``"official_code"``: on Cora, as the official code does, node ids 0-599 are the training set;
    we add ids 600-1099 as validation (the official code has none and selects on test accuracy).
    Other graphs use the Planetoid masks. CiteSeer's 15 empty placeholder nodes are never evaluated.
    """
    n = data.num_nodes
    if rule == "official_code" and data.name == "cora":
        train, val = _mask(torch.arange(600), n), _mask(torch.arange(600, 1100), n)
    elif rule in ("planetoid", "official_code"):
        train, val = data.train_mask.cpu().clone(), data.val_mask.cpu().clone()
    else:
        raise ValueError(f"unknown label split {rule!r}; allowed: 'official_code', 'planetoid'")
    real = data.x.cpu().abs().sum(dim=1) > 0  # CiteSeer placeholders have all-zero features
    return LabelSplit(train=train, val=val, evaluate=~(train | val) & real)
