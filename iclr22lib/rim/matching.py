"""Capacity-constrained matching of states and items: greedy with bounds, the entropic dual with
annealing, and the online dual.

Constraints (the paper's sweep with multiplier ``mult``): ``mult < 1`` -> every state gets ``k`` items
and every item *at least* ``mult * C`` states (``"lb"``, minimum exposure); ``mult >= 1`` -> every state
gets *up to* ``mult * k`` items and every item *at most* ``C`` states (``"ub"``).

The entropic dual relaxes the 0/1 assignment to ``pi in [0, 1]`` and maximises
``sum s pi + eps sum H(pi)`` (``H`` = binary entropy) subject to the constraints; stationarity gives
``pi(x, y) = sigmoid((s(x, y) - u(x) - v(y)) / eps)`` with ``u >= 0`` the state prices and ``v`` the item
prices (``v <= 0`` for a lower bound, ``v >= 0`` for an upper bound). Like Sinkhorn it alternates exact
block updates: every ``u(x)`` by bisection so that its row meets its capacity, then every ``v(y)`` by
bisection so that its column meets its bound, while ``eps`` anneals geometrically towards 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from iclr22lib.rim.scores import Score


def constraints(mult: float, k: int, C: int) -> tuple[str, int, float]:
    """``(kind, row capacity, item bound)`` of the sweep point ``mult``."""
    if mult < 1:
        return "lb", k, mult * C
    return "ub", math.ceil(mult * k), float(C)


def _exclusive_rank(groups: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """For each position, how many earlier positions of the same group have ``flags`` set."""
    idx = np.argsort(groups, kind="stable")
    g, f = groups[idx], flags[idx].astype(np.int64)
    cs = np.cumsum(f) - f
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    seg = np.repeat(start, np.diff(np.r_[start, len(g)]))
    out = np.empty(len(g), dtype=np.int64)
    out[idx] = cs - cs[seg]
    return out


def greedy(
    scores: np.ndarray, row_cap: int | np.ndarray, col_cap: int | np.ndarray, chunk: int = 16384
) -> tuple[np.ndarray, np.ndarray]:
    """Walk all pairs by decreasing score and accept a pair while its row and column have capacity.

    ``scores`` [n, m] (``-inf`` = forbidden); capacities are ints or arrays. Exact sequential semantics,
    computed chunk by chunk: inside a chunk the accept flags are the fixed point of
    ``accept_p = (earlier accepted in row < row left) & (earlier accepted in column < column left)``,
    which is triangular and so reached exactly. Returns the accepted ``(rows, cols)``.
    """
    n, m = scores.shape
    row_left = np.broadcast_to(np.asarray(row_cap, dtype=np.int64), (n,)).copy()
    col_left = np.broadcast_to(np.asarray(col_cap, dtype=np.int64), (m,)).copy()
    flat = scores.ravel()
    order = np.argsort(-flat, kind="stable")
    order = order[np.isfinite(flat[order])]
    out_r, out_c = [], []
    for s in range(0, len(order), chunk):
        if row_left.sum() == 0 or col_left.sum() == 0:
            break
        r, c = order[s : s + chunk] // m, order[s : s + chunk] % m
        live = (row_left[r] > 0) & (col_left[c] > 0)
        r, c = r[live], c[live]
        acc = np.ones(len(r), dtype=bool)
        for _ in range(len(r) + 1):
            new = (_exclusive_rank(r, acc) < row_left[r]) & (_exclusive_rank(c, acc) < col_left[c])
            if (new == acc).all():
                break
            acc = new
        out_r.append(r[acc])
        out_c.append(c[acc])
        row_left -= np.bincount(r[acc], minlength=n)
        col_left -= np.bincount(c[acc], minlength=m)
    if not out_r:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_r), np.concatenate(out_c)


def greedy_match(scores: np.ndarray, mult: float, k: int, C: int) -> tuple[np.ndarray, np.ndarray]:
    """Greedy matching at sweep point ``mult``. For a lower bound it first runs greedy with reduced
    capacities (to spread exposure), then fills the states' remaining slots without item limits."""
    n, m = scores.shape
    kind, kr, cb = constraints(mult, k, C)
    if kind == "ub":
        return greedy(scores, kr, int(cb))
    total = min(n * k, math.ceil(cb) * m)
    k1, c1 = min(k, math.ceil(total / n)), min(math.ceil(cb), math.ceil(total / m))
    r1, c1_ = greedy(scores, k1, c1) if c1 > 0 else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    rest = scores.copy()
    rest[r1, c1_] = -np.inf
    left = k - np.bincount(r1, minlength=n)
    r2, c2 = greedy(rest, left, n)
    return np.concatenate([r1, r2]), np.concatenate([c1_, c2])


def _scaled(log_scores: torch.Tensor, scale: float) -> torch.Tensor:
    """Scores divided by ``scale``; excluded pairs (log-score -inf) become -inf, never assigned."""
    return torch.where(torch.isfinite(log_scores), torch.exp(log_scores) / scale, -torch.inf)


def _bisect(f, lo: torch.Tensor, hi: torch.Tensor, target: torch.Tensor, iters: int) -> torch.Tensor:
    """Solve the decreasing ``f(z) = target`` elementwise on ``[lo, hi]``."""
    for _ in range(iters):
        mid = (lo + hi) / 2
        above = f(mid) > target
        lo = torch.where(above, mid, lo)
        hi = torch.where(above, hi, mid)
    return (lo + hi) / 2


@dataclass
class DualSolution:
    """Item prices ``v`` [m] (on scores divided by ``scale``), the final temperature, the constraint."""

    v: torch.Tensor
    eps: float
    scale: float
    kind: str
    row_cap: int
    bound: float
    iters: int = 30

    def row_prices(self, s: torch.Tensor) -> torch.Tensor:
        """Each row's ``u >= 0`` so that its expected assignments meet the row capacity, [b]."""
        z = s - self.v[None, :]
        z = torch.where(torch.isfinite(z), z, torch.full_like(z, -1e30))

        def f(u):
            return torch.sigmoid((z - u[:, None]) / self.eps).sum(1)

        hi = z.max(1).values.clamp(0, 1e30) + 40 * self.eps
        u = _bisect(f, torch.zeros(len(s)), hi, torch.full((len(s),), float(self.row_cap)), self.iters)
        return torch.where(f(torch.zeros(len(s))) > self.row_cap, u, torch.zeros_like(u))

    def policy(self, s: torch.Tensor) -> torch.Tensor:
        """The randomised decisions ``pi`` [b, m] for a block of scaled scores (each row on its own)."""
        u = self.row_prices(s)
        return torch.sigmoid((s - u[:, None] - self.v[None, :]) / self.eps).nan_to_num(0.0)

    def expected(
        self, score: Score, targets: tuple[np.ndarray, np.ndarray], batch: int = 2048
    ) -> dict[str, np.ndarray]:
        """Expected outcomes of the policy ``pi`` on ``score``'s states, batch by batch: item exposure
        [m], state exposure [n] and expected hits per state [n] (targets = (rows, cols) pairs)."""
        n, m = score.shape
        tr, tc = (np.asarray(t) for t in targets)
        order = np.argsort(tr, kind="stable")
        tr, tc = tr[order], tc[order]
        item, user, hits = torch.zeros(m, dtype=torch.float64), [], []
        for r in range(0, n, batch):
            r1 = min(r + batch, n)
            pi = self.policy(_scaled(score.log_block(r, r1), self.scale))
            lo, hi = np.searchsorted(tr, [r, r1])
            y = torch.zeros_like(pi)
            y[torch.as_tensor(tr[lo:hi] - r), torch.as_tensor(tc[lo:hi])] = 1.0
            item += pi.sum(0).double()
            user.append(pi.sum(1))
            hits.append((pi * y).sum(1))
        return {
            "item_exposure": item.numpy(),
            "user_exposure": torch.cat(user).double().numpy(),
            "hits": torch.cat(hits).double().numpy(),
        }

    def assign(self, score: Score, batch: int = 2048) -> tuple[np.ndarray, np.ndarray]:
        """Decisions for the states of ``score``, each state alone (online): its top-``row_cap`` items of
        ``s - v``, keeping (for an upper bound) only pairs with ``pi >= 1/2``."""
        rows, cols = [], []
        for r in range(0, score.shape[0], batch):
            s = _scaled(score.log_block(r, min(r + batch, score.shape[0])), self.scale)
            z = s - self.v[None, :]
            k = min(self.row_cap, s.shape[1])
            top = z.topk(k, dim=1)
            ok = torch.isfinite(s.gather(1, top.indices))
            if self.kind == "ub":
                u = self.row_prices(s)
                ok &= top.values - u[:, None] >= 0
            rr = torch.arange(r, r + s.shape[0])[:, None].expand(-1, k)
            rows.append(rr[ok].numpy())
            cols.append(top.indices[ok].numpy())
        return np.concatenate(rows), np.concatenate(cols)


def solve_dual(
    score: Score,
    mult: float,
    k: int,
    C: int,
    *,
    epochs: int = 20,
    eps_start: float = 1e-2,
    eps_final: float = 1e-3,
    batch: int = 4096,
    iters: int = 24,
    n_ref: int | None = None,
    relax: float = 1.0,
    momentum: float = 0.7,
) -> DualSolution:
    """Entropic dual of the matching at sweep point ``mult`` with annealed ``eps``.

    Scores are divided by their maximum, so ``eps`` is relative to the best pair. Each epoch visits
    the states in batches of ``batch`` rows: row prices by bisection, then each batch's item prices
    by bisection against its share of the item bound; the epoch's proposal is the mean of the
    batches', and ``v`` moves to it with heavy-ball ``momentum`` (plain alternation zig-zags: when most
    items are below their bound, every ``v`` and every ``u`` want to shift together). ``n_ref`` states the bound refers to (default: this score's states): fitting
    on validation states for the online dual rescales the bound to ``C * n / n_ref``.
    """
    n, m = score.shape
    kind, kr, cb = constraints(mult, k, C)
    scale = max(float(torch.exp(score.log_block(r, min(r + batch, n))).max()) for r in range(0, n, batch))
    bound = cb * n / (n_ref or n)
    v = torch.zeros(m)
    prev_step = torch.zeros(m)
    gamma = (eps_final / eps_start) ** (1.0 / max(epochs - 1, 1))
    eps = eps_start
    if kind == "lb" and bound <= 0:
        epochs = 0  # no item bound: every item price is 0
    for _ in range(epochs):
        sol = DualSolution(v, eps, scale, kind, kr, bound, iters)
        acc = torch.zeros(m)
        for r in range(0, n, batch):
            s = _scaled(score.log_block(r, min(r + batch, n)), scale)
            u = sol.row_prices(s)
            z = s - u[:, None]
            fin = torch.isfinite(z)
            z = torch.where(fin, z, torch.full_like(z, -1e30))

            def f(vv, z=z, e=eps):
                return torch.sigmoid((z - vv[None, :]) / e).sum(0)

            share = torch.full((m,), bound * s.shape[0] / n)
            zmin = torch.where(fin, z, torch.full_like(z, 1e30)).min(0).values.clamp(-2.0, 0.0)
            lo = zmin - 40 * eps if kind == "lb" else torch.zeros(m)
            hi = torch.zeros(m) if kind == "lb" else z.max(0).values.clamp(0, 1e30) + 40 * eps
            vb = _bisect(f, lo, hi, share, iters)
            at0 = f(torch.zeros(m))
            vb = torch.where(at0 < share, vb, 0.0) if kind == "lb" else torch.where(at0 > share, vb, 0.0)
            acc += vb * s.shape[0] / n
        step = relax * (acc - v) + momentum * prev_step
        prev_step = step
        v = v + step
        v = v.clamp_max(0.0) if kind == "lb" else v.clamp_min(0.0)
        eps *= gamma
    return DualSolution(v, eps / gamma if epochs else eps_final, scale, kind, kr, bound, iters)
