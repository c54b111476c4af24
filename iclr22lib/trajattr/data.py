"""Trajectory samples: the :class:`TrajBatch` container, windowing of dense tracks, and ETH/UCY.

A *sample* is one target agent at one time: its 8 observed positions, its 12 future positions and
the observed pasts of up to ``N`` neighbours (agents within ``radius`` metres of the target at the
last observed step, nearest first). All coordinates are relative to the target's last observed
position, so ``past[:, -1] == 0``. Neighbour slots that hold no agent are zero with mask ``False``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch

from iclr22lib.core.data import fetch
from iclr22lib.trajattr.config import ETH_SCENES

OBS, PRED = 8, 12
WINDOW = OBS + PRED
DATASET = "eth_ucy"


@dataclass
class TrajBatch:
    """Samples of target agents. Shapes: ``past`` [B, 8, 2], ``future`` [B, 12, 2],
    ``nbrs`` [B, N, 8, 2], ``nbr_mask`` [B, N] (bool), ``group`` [B] (scene/file id, int64)."""

    past: torch.Tensor
    future: torch.Tensor
    nbrs: torch.Tensor
    nbr_mask: torch.Tensor
    group: torch.Tensor

    def __len__(self) -> int:
        return self.past.shape[0]

    @property
    def n_slots(self) -> int:
        """Neighbour slots N (real or empty)."""
        return self.nbrs.shape[1]

    def index(self, idx: slice | torch.Tensor) -> TrajBatch:
        """The samples at ``idx`` (a slice, index tensor or boolean mask)."""
        return TrajBatch(*(getattr(self, f.name)[idx] for f in fields(self)))

    def to(self, device: torch.device | str) -> TrajBatch:
        return TrajBatch(*(getattr(self, f.name).to(device) for f in fields(self)))

    @staticmethod
    def cat(parts: list[TrajBatch]) -> TrajBatch:
        """Concatenate batches with the same number of neighbour slots."""
        return TrajBatch(*(torch.cat([getattr(p, f.name) for p in parts]) for f in fields(TrajBatch)))


def windows(
    dense: np.ndarray, *, radius: float, max_nbrs: int, stride: int = 1, chunk: int = 4096
) -> TrajBatch:
    """Cut dense tracks into samples.

    ``dense`` [S, F, A, 2] holds the position of agent ``a`` of scene ``s`` at frame ``f`` (NaN when
    absent). Every (scene, start frame, agent) whose 20 frames are all present becomes a target; its
    neighbours are the other agents present at all 8 observed frames and within ``radius`` of it at
    the last observed frame (nearest ``max_nbrs`` kept).
    """
    dense = np.asarray(dense, dtype=np.float64)
    S, F, A, _ = dense.shape
    if A < max_nbrs + 1:  # pad with absent agents so that every target has max_nbrs candidate slots
        dense = np.concatenate([dense, np.full((S, F, max_nbrs + 1 - A, 2), np.nan)], axis=2)
        A = dense.shape[2]
    starts = np.arange(0, F - WINDOW + 1, stride)
    present = np.isfinite(dense).all(-1)  # [S, F, A]
    csum = np.concatenate([np.zeros((S, 1, A), np.int64), np.cumsum(present, axis=1)], axis=1)
    full = (csum[:, starts + WINDOW] - csum[:, starts]) == WINDOW  # [S, W, A]
    observed = (csum[:, starts + OBS] - csum[:, starts]) == OBS
    s_idx, w_idx, a_idx = np.nonzero(full)
    parts = []
    for lo in range(0, len(s_idx), chunk):
        s, w, a = s_idx[lo : lo + chunk], w_idx[lo : lo + chunk], a_idx[lo : lo + chunk]
        f0 = starts[w]
        traj = dense[s[:, None], f0[:, None] + np.arange(WINDOW), a[:, None]]  # [n, 20, 2]
        origin = traj[:, OBS - 1]  # [n, 2]
        here = dense[s, f0 + OBS - 1]  # [n, A, 2]
        dist = np.linalg.norm(here - origin[:, None], axis=-1)
        ok = observed[s, w] & (dist < radius)
        ok[np.arange(len(a)), a] = False
        dist = np.where(ok, dist, np.inf)
        order = np.argsort(dist, axis=1, kind="stable")[:, :max_nbrs]  # [n, N]
        mask = np.take_along_axis(ok, order, axis=1)
        nb = dense[s[:, None, None], (f0[:, None] + np.arange(OBS))[:, None, :], order[:, :, None]]
        nb = np.where(mask[..., None, None], nb - origin[:, None, None], 0.0)  # [n, N, 8, 2]
        parts.append((traj - origin[:, None], nb, mask, s))
    if not parts:
        empty = torch.zeros
        return TrajBatch(
            empty(0, OBS, 2),
            empty(0, PRED, 2),
            empty(0, max_nbrs, OBS, 2),
            torch.zeros(0, max_nbrs, dtype=torch.bool),
            torch.zeros(0, dtype=torch.int64),
        )
    traj, nb, mask, s = (np.concatenate(x) for x in zip(*parts, strict=True))
    return TrajBatch(
        past=torch.tensor(traj[:, :OBS], dtype=torch.float32),
        future=torch.tensor(traj[:, OBS:], dtype=torch.float32),
        nbrs=torch.tensor(nb, dtype=torch.float32),
        nbr_mask=torch.tensor(mask),
        group=torch.tensor(s, dtype=torch.int64),
    )


def read_tracks(path: str | Path) -> np.ndarray:
    """One ETH/UCY file as an array [rows, 4] of (frame, pedestrian id, x, y), in file order."""
    arr = np.loadtxt(path, dtype=np.float64, ndmin=2)
    if arr.shape[1] != 4:
        raise ValueError(f"{path}: expected 4 tab-separated columns (frame, id, x, y), got {arr.shape[1]}")
    return arr


def dense_tracks(rows: np.ndarray) -> np.ndarray:
    """Rows (frame, id, x, y) → dense positions [1, F, A, 2] on the file's frame grid (NaN = absent)."""
    frames = rows[:, 0]
    uniq = np.unique(frames)
    step = int(np.gcd.reduce(np.diff(uniq).astype(np.int64))) if len(uniq) > 1 else 1
    f_idx = np.rint((frames - uniq[0]) / step).astype(np.int64)
    ids, a_idx = np.unique(rows[:, 1], return_inverse=True)
    dense = np.full((1, f_idx.max() + 1, len(ids), 2), np.nan)
    dense[0, f_idx, a_idx] = rows[:, 2:4]
    return dense


def split_files(scene: str, split: str, root: str | Path | None = None) -> list[Path]:
    """Staged files forming ``split`` ("train" | "val" | "test") of leave-one-out ``scene``."""
    if scene not in ETH_SCENES:
        raise ValueError(f"unknown ETH/UCY scene {scene!r}; choose one of {', '.join(ETH_SCENES)}")
    if split not in ("train", "val", "test"):
        raise ValueError(f"unknown split {split!r}; choose one of train, val, test")
    folder = fetch(DATASET, root)
    with open(folder / "splits.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [folder / r["staged_file"] for r in rows if r["scene"] == scene and r["split"] == split]


def load_split(
    scene: str,
    split: str,
    *,
    radius: float = 3.0,
    max_nbrs: int = 4,
    stride: int = 1,
    root: str | Path | None = None,
) -> TrajBatch:
    """All samples of one part of a leave-one-out split; ``group`` numbers the files in ``split_files`` order."""
    parts = []
    for g, path in enumerate(split_files(scene, split, root)):
        b = windows(dense_tracks(read_tracks(path)), radius=radius, max_nbrs=max_nbrs, stride=stride)
        b.group[:] = g
        parts.append(b)
    return TrajBatch.cat(parts)


def subsample(batch: TrajBatch, n: int, seed: int) -> TrajBatch:
    """At most ``n`` samples drawn without replacement (seeded), in their original order."""
    if len(batch) <= n:
        return batch
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(batch), generator=gen)[:n].sort().values
    return batch.index(idx)
