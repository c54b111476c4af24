"""Score matrices that are never materialised: low-rank log-scores with batched top-k.

A :class:`LowRankScore` represents ``s(x, y) = exp(U[x] . V[y] + a[x] + b[y])`` for ``n`` states and
``m`` items, with optional *excluded* pairs (score 0, e.g. items already in the history). The RIM
score ``lambda(x) p(y | x)`` is the mark model's score with ``log lambda(x)`` added to ``a``, and the
product of two such scores concatenates their factors, so any product stays low-rank.

Top-k per row (ItemRec) streams row batches; top-k per column (UserRec) streams row batches and
keeps a running top-k for every column; memory is ``O(batch * m)``, never ``O(n * m)``. A per-row
offset ``a`` cannot change a row's ranking, so the row top-k ignores it: ItemRec lists of ``p(y|x)``
and of ``lambda(x) p(y|x)`` are identical by construction, not merely up to rounding.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike


class Score:
    """Common interface: ``shape``, ``log_block(r0, r1, row_offset)`` -> log-scores [r1 - r0, m]."""

    shape: tuple[int, int]

    def log_block(self, r0: int, r1: int, row_offset: bool = True) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def dense(self, log: bool = False) -> torch.Tensor:
        """The whole matrix [n, m] (small problems and tests only)."""
        z = self.log_block(0, self.shape[0])
        return z if log else torch.exp(z)

    def topk_rows(self, k: int, batch: int = 4096) -> torch.Tensor:
        """Indices [n, k] of each row's k best columns, best first."""
        k = min(k, self.shape[1])
        out = [
            self.log_block(r, min(r + batch, self.shape[0]), row_offset=False).topk(k, dim=1).indices
            for r in range(0, self.shape[0], batch)
        ]
        return torch.cat(out) if out else torch.zeros(0, k, dtype=torch.int64)

    def topk_cols(self, c: int, batch: int = 4096) -> torch.Tensor:
        """Indices [m, c] of each column's c best rows, best first (running top-c over row batches)."""
        n, m = self.shape
        c = min(c, n)
        best_v = torch.full((0, m), -torch.inf)
        best_i = torch.zeros((0, m), dtype=torch.int64)
        for r in range(0, n, batch):
            z = self.log_block(r, min(r + batch, n))
            v = torch.cat([best_v, z]) if best_v.numel() else z
            top = v.topk(min(c, v.shape[0]), dim=0)
            old = top.indices < best_v.shape[0]  # the winner was already in the running top-c
            kept = (
                best_i.gather(0, top.indices.clamp_max(max(best_i.shape[0] - 1, 0))) if best_i.numel() else 0
            )
            best_v, best_i = top.values, torch.where(old, kept, top.indices - best_v.shape[0] + r)
        return best_i.T.contiguous()


class LowRankScore(Score):
    """``exp(U[x] . V[y] + a[x] + b[y])`` with excluded pairs; ``U`` [n, d], ``V`` [m, d], ``a`` [n], ``b`` [m];
    ``exclude`` = (rows, cols) int arrays of pairs whose score is 0 (log-score ``-inf``)."""

    def __init__(
        self,
        U: ArrayLike,
        V: ArrayLike,
        a: ArrayLike | None = None,
        b: ArrayLike | None = None,
        exclude: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        self.U = torch.as_tensor(U, dtype=torch.float32)
        self.V = torch.as_tensor(V, dtype=torch.float32)
        n, m = self.U.shape[0], self.V.shape[0]
        if self.U.shape[1] != self.V.shape[1]:
            raise ValueError(f"factor widths differ: U {tuple(self.U.shape)}, V {tuple(self.V.shape)}")
        self.a = torch.zeros(n) if a is None else torch.as_tensor(a, dtype=torch.float32)
        self.b = torch.zeros(m) if b is None else torch.as_tensor(b, dtype=torch.float32)
        if self.a.shape != (n,) or self.b.shape != (m,):
            raise ValueError(
                f"offsets must be [n]={n} and [m]={m}, got {tuple(self.a.shape)}, {tuple(self.b.shape)}"
            )
        self.shape = (n, m)
        if exclude is None:
            exclude = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        er, ec = (np.asarray(e, dtype=np.int64) for e in exclude)
        order = np.argsort(er, kind="stable")
        self.ex_rows, self.ex_cols = er[order], ec[order]

    def log_block(self, r0: int, r1: int, row_offset: bool = True) -> torch.Tensor:
        z = self.U[r0:r1] @ self.V.T + self.b[None, :]
        if row_offset:
            z = z + self.a[r0:r1, None]
        lo, hi = np.searchsorted(self.ex_rows, [r0, r1])
        if hi > lo:
            z[torch.as_tensor(self.ex_rows[lo:hi] - r0), torch.as_tensor(self.ex_cols[lo:hi])] = -torch.inf
        return z

    def scale_rows(self, lam: ArrayLike) -> LowRankScore:
        """``lambda(x) * s(x, y)`` for a positive intensity ``lam`` [n]."""
        lam = torch.as_tensor(np.asarray(lam), dtype=torch.float32)
        if lam.shape != (self.shape[0],) or not bool((lam > 0).all()):
            raise ValueError("the intensity must be positive, one value per state")
        return LowRankScore(self.U, self.V, self.a + lam.log(), self.b, (self.ex_rows, self.ex_cols))

    def __mul__(self, other: LowRankScore) -> LowRankScore:
        """Elementwise product: concatenated factors, summed offsets, union of exclusions."""
        if self.shape != other.shape:
            raise ValueError(f"shapes differ: {self.shape} vs {other.shape}")
        return LowRankScore(
            torch.cat([self.U, other.U], 1),
            torch.cat([self.V, other.V], 1),
            self.a + other.a,
            self.b + other.b,
            (np.concatenate([self.ex_rows, other.ex_rows]), np.concatenate([self.ex_cols, other.ex_cols])),
        )


def _hash_uniform(rows: torch.Tensor, cols: torch.Tensor, seed: int) -> torch.Tensor:
    """A deterministic uniform(0, 1) value per (row, col) pair (splitmix-style integer mixing)."""
    x = rows.to(torch.int64) * 0x9E3779B1 + cols.to(torch.int64) * 0x85EBCA77 + seed * 0xC2B2AE3D
    x = (x ^ (x >> 15)) * 0x2C1B3C6D
    x = (x ^ (x >> 12)) * 0x297A2D39
    x = x ^ (x >> 15)
    return ((x & 0xFFFFFF).to(torch.float32) + 0.5) / float(1 << 24)


class RandomScore(Score):
    """Independent uniform scores, the same value for a pair whichever way the matrix is scanned."""

    def __init__(self, n: int, m: int, seed: int = 0, exclude: tuple[np.ndarray, np.ndarray] | None = None):
        self.shape = (n, m)
        self.seed = seed
        self._ex = LowRankScore(np.zeros((n, 0)), np.zeros((m, 0)), exclude=exclude)

    def log_block(self, r0: int, r1: int, row_offset: bool = True) -> torch.Tensor:
        rows = torch.arange(r0, r1)[:, None]
        cols = torch.arange(self.shape[1])[None, :]
        return _hash_uniform(rows, cols, self.seed).log() + self._ex.log_block(r0, r1)


class DenseScore(Score):
    """A materialised log-score matrix [n, m] (small problems), with the same interface."""

    def __init__(self, log_scores: ArrayLike, exclude: tuple[np.ndarray, np.ndarray] | None = None):
        self.z = torch.as_tensor(log_scores, dtype=torch.float32)
        self.shape = tuple(self.z.shape)
        self._ex = LowRankScore(np.zeros((self.shape[0], 0)), np.zeros((self.shape[1], 0)), exclude=exclude)

    def log_block(self, r0: int, r1: int, row_offset: bool = True) -> torch.Tensor:
        return self.z[r0:r1] + self._ex.log_block(r0, r1)

    def scale_rows(self, lam: ArrayLike) -> DenseScore:
        """``lambda(x) * s(x, y)``."""
        lam = torch.as_tensor(np.asarray(lam), dtype=torch.float32)
        return DenseScore(self.z + lam.log()[:, None], (self._ex.ex_rows, self._ex.ex_cols))
