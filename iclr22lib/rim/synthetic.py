"""A marked point process with planted ground truth: Hawkes activity per user, low-rank preferences.

User ``u`` produces events with intensity ``mu_u + sum_k a_k sum_{t_l < t} beta_k e^{-beta_k (t - t_l)}``
on ``[0, periods]`` (time unit = the horizon), simulated exactly through the branching (cluster)
representation: immigrants arrive as a Poisson process of rate ``mu_u``, and every event has
Poisson(``a_k``) children after Exp(``beta_k``) delays, generation by generation, all users at once.
Each event's item is drawn from ``p(y | u) = softmax(P_u . Q_y / sqrt(r) + c_y)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from iclr22lib.rim.events import EventLog, States, make_log

if TYPE_CHECKING:
    from iclr22lib.rim.scores import LowRankScore


@dataclass(frozen=True)
class Planted:
    """The ground truth: ``mu`` [U], kernel ``a`` [K] and ``decays`` [K], preference logits
    ``P`` [U, r], ``Q`` [I, r], item bias ``c`` [I]."""

    mu: np.ndarray
    a: np.ndarray
    decays: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    c: np.ndarray

    def log_mark(self, users: np.ndarray) -> np.ndarray:
        """Planted ``log p(y | u)`` for ``users`` [n] -> [n, I]."""
        z = self.P[users] @ self.Q.T / np.sqrt(self.P.shape[1]) + self.c[None, :]
        z = z - z.max(1, keepdims=True)
        return z - np.log(np.exp(z).sum(1, keepdims=True))

    def window_count(self, states: States) -> np.ndarray:
        """Planted expected events in ``[T, T + 1)`` from the intensity at ``T`` (history only), [n]."""
        age = np.where(np.isnan(states.hist_times), np.inf, states.T[:, None] - states.hist_times)
        frac = (1.0 - np.exp(-self.decays)) / self.decays
        exc = np.stack([b * np.exp(-b * age).sum(1) for b in self.decays], 1)
        return self.mu[states.user] + (exc * frac) @ self.a


def simulate_hawkes(
    mu: np.ndarray, a: np.ndarray, decays: np.ndarray, t_end: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Event times of independent Hawkes processes with baselines ``mu`` [U] and a shared kernel.

    Returns ``(user [E], time [E])`` (unsorted). Needs ``sum(a) < 1`` (a stationary process).
    """
    if a.sum() >= 1:
        raise ValueError(f"branching ratio sum(a) = {a.sum():.3f} must be < 1")
    n0 = rng.poisson(mu * t_end)
    users = [np.repeat(np.arange(len(mu)), n0)]
    times = [rng.uniform(0.0, t_end, n0.sum())]
    par_u, par_t = users[0], times[0]
    while len(par_t):
        kids = rng.poisson(a[None, :], size=(len(par_t), len(a)))  # [parents, K]
        rep = kids.sum(1)
        # the kernel component of each child: component ids repeated by their counts, row by row
        comp = np.repeat(np.tile(np.arange(len(a)), len(par_t)), kids.reshape(-1))
        cu = np.repeat(par_u, rep)
        ct = np.repeat(par_t, rep) + rng.exponential(1.0 / decays[comp])
        keep = ct < t_end
        par_u, par_t = cu[keep], ct[keep]
        users.append(par_u)
        times.append(par_t)
    return np.concatenate(users), np.concatenate(times)


def generate(
    n_users: int = 600,
    n_items: int = 300,
    rank: int = 4,
    periods: float = 12.0,
    seed: int = 0,
    mu_mean: float = 0.6,
    mu_shape: float = 0.5,
    a: tuple[float, ...] = (0.45, 0.25),
    decays: tuple[float, ...] = (8.0, 0.5),
    pref_scale: float = 2.5,
) -> tuple[EventLog, Planted]:
    """Simulate the planted process on ``[0, periods]`` (time unit = one horizon).

    ``mu_u ~ Gamma(mu_shape, mu_mean / mu_shape)`` so users differ in activity; ``a``/``decays`` set the
    self-excitation (bursts after each event); preferences have rank ``rank`` and scale ``pref_scale``.
    """
    rng = np.random.default_rng(seed)
    mu = rng.gamma(mu_shape, mu_mean / mu_shape, n_users)
    A, B = np.asarray(a, float), np.asarray(decays, float)
    P = rng.normal(size=(n_users, rank)) * pref_scale
    Q = rng.normal(size=(n_items, rank))
    c = rng.normal(size=n_items) * 0.5
    planted = Planted(mu, A, B, P, Q, c)
    user, time = simulate_hawkes(mu, A, B, periods, rng)
    item = np.empty(len(user), dtype=np.int64)
    for s in range(0, len(user), 8192):  # Gumbel-max sampling of the marks, in chunks of events
        lp = planted.log_mark(user[s : s + 8192])
        item[s : s + 8192] = (lp + rng.gumbel(size=lp.shape)).argmax(1)
    return make_log(user, item, time, n_users, n_items), planted


def oracle_score(
    planted: Planted,
    states: States,
    test_items: np.ndarray,
    exclude: tuple[np.ndarray, np.ndarray] | None = None,
) -> LowRankScore:
    """The planted ``lambda(x) p(y | x)`` on ``test_items`` as a low-rank score (the best any model can do)."""
    from iclr22lib.rim.scores import LowRankScore

    r = planted.P.shape[1]
    z = planted.P[states.user] @ planted.Q.T / np.sqrt(r) + planted.c[None, :]
    zmax = z.max(1, keepdims=True)
    lse = (zmax + np.log(np.exp(z - zmax).sum(1, keepdims=True)))[:, 0]
    lam = np.maximum(planted.window_count(states), 1e-9)
    return LowRankScore(
        planted.P[states.user] / np.sqrt(r),
        planted.Q[test_items],
        np.log(lam) - lse,
        planted.c[test_items],
        exclude,
    )
