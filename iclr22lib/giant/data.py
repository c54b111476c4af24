"""CiteSeer with raw text: parsing the staged files into a text-attributed graph, and node splits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch_geometric.utils import remove_self_loops, to_undirected

from iclr22lib.core.data import DataError, fetch

#: The six CiteSeer classes in the order used for the integer labels.
CLASSES = ("Agents", "AI", "DB", "IR", "ML", "HCI")
#: Published statistics of the staged data (its SOURCE.md): papers, undirected edges, isolated papers.
CITESEER_TEXT_STATS = {"nodes": 3186, "edges": 4225, "isolated": 86, "classes": 6}


@dataclass(frozen=True)
class TextGraph:
    """A text-attributed graph.

    ``texts``: n strings; ``y``: (n,) int64 class ids; ``edge_index``: (2, 2|E|) int64, undirected
    (both directions stored), no self-loops, no duplicates; ``ids``: the n paper ids.
    """

    texts: tuple[str, ...]
    y: torch.Tensor
    edge_index: torch.Tensor
    ids: tuple[str, ...]
    class_names: tuple[str, ...]

    @property
    def num_nodes(self) -> int:
        return len(self.texts)

    @property
    def num_edges(self) -> int:
        """Undirected edges."""
        return int(self.edge_index.shape[1]) // 2


def undirected_edges(src: np.ndarray, dst: np.ndarray, n: int) -> torch.Tensor:
    """Symmetrise, drop self-loops and duplicates: (2, 2|E|) int64 sorted by (source, target)."""
    edge_index = torch.from_numpy(np.stack([np.asarray(src), np.asarray(dst)]).astype(np.int64))
    return to_undirected(remove_self_loops(edge_index)[0], num_nodes=n)


def load_citeseer_text(root: str | Path | None = None) -> TextGraph:
    """Read ``citeseer_text`` (sha256-checked) into a :class:`TextGraph` of 3,186 papers.

    Edges to papers without text are dropped; the graph is made undirected.
    """
    folder = fetch("citeseer_text", root)
    lines = (folder / "citeseer_texts.txt").read_text(encoding="utf-8", errors="replace").split("\n")
    while lines and lines[-1].strip() == "":
        lines.pop()
    if len(lines) % 3:
        raise DataError(f"{folder / 'citeseer_texts.txt'}: {len(lines)} lines is not a multiple of 3 records")
    ids = [s.strip() for s in lines[0::3]]
    texts = tuple(s.strip() for s in lines[1::3])
    names = [s.strip() for s in lines[2::3]]
    unknown = sorted(set(names) - set(CLASSES))
    if unknown:
        raise DataError(f"citeseer_text: unknown class names {unknown}; expected {CLASSES}")
    if len(set(ids)) != len(ids):
        raise DataError("citeseer_text: duplicate paper ids in citeseer_texts.txt")
    index = {p: i for i, p in enumerate(ids)}
    y = torch.tensor([CLASSES.index(c) for c in names], dtype=torch.long)
    pairs = [ln.split("\t") for ln in (folder / "citeseer.cites").read_text().splitlines() if ln.strip()]
    src = np.array([index.get(p[0].strip(), -1) for p in pairs])
    dst = np.array([index.get(p[-1].strip(), -1) for p in pairs])
    ok = (src >= 0) & (dst >= 0)
    edge_index = undirected_edges(src[ok], dst[ok], len(ids))
    return TextGraph(texts, y, edge_index, tuple(ids), CLASSES)


def random_split(
    y: torch.Tensor, seed: int, frac: tuple[float, float] = (0.6, 0.2)
) -> dict[str, torch.Tensor]:
    """Stratified random train/val/test node split (fractions of each class): boolean masks of shape (n,)."""
    g = torch.Generator().manual_seed(seed)
    n = y.numel()
    perm = torch.randperm(n, generator=g)
    ys = y[perm]
    order = perm[torch.argsort(ys, stable=True)]  # grouped by class, random within class
    counts = torch.bincount(y)
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.empty(n, dtype=torch.long)
    rank[order] = torch.arange(n) - torch.repeat_interleave(starts, counts)
    pos = rank.float() / counts[y].float()
    return {
        "train": pos < frac[0],
        "val": (pos >= frac[0]) & (pos < frac[0] + frac[1]),
        "test": pos >= frac[0] + frac[1],
    }
