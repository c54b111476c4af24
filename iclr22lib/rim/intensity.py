"""Intensity models lambda(x): how many events a user state will produce in its window.

Times are measured per state from the user's first event ``t0`` in units of the horizon ``h``:
``tau = (t - t0) / h`` and the state's time ``E = (T - t0) / h``. The first event is the origin.
With fixed decays ``beta_k`` the Hawkes intensity

    lambda(tau) = mu + sum_k a_k sum_{0 < tau_l < tau} beta_k exp(-beta_k (tau - tau_l))
                     + sum_k b_k beta_k exp(-beta_k tau)

(the last term: a control channel that lets activity decay with the time since the first event)
is *linear* in the non-negative parameters ``theta = (mu, a, b)``. Its log-likelihood
``sum_j log(phi_j . theta) - Psi . theta`` is concave, and the EM algorithm of a linear Poisson
intensity, ``theta_c <- theta_c * sum_j (phi_jc / phi_j . theta) / Psi_c``, climbs it monotonically
while keeping ``theta >= 0``: :func:`poisson_em` fits every user at once with a few matrix products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from iclr22lib.core.training import check_finite
from iclr22lib.rim.events import States


def default_decays(n: int, low: float = 1e-3, high: float = 30.0) -> np.ndarray:
    """``n`` decay rates ``beta = 1 / s`` for time scales ``s`` log-spaced in ``[low, high]`` horizons."""
    return 1.0 / np.logspace(np.log10(low), np.log10(high), n)


def _tau(states: States) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relative times [n, L] (nan pad), state times E [n] and the valid-event mask [n, L] (event 0 excluded)."""
    h = states.horizon
    tau = (states.hist_times - states.t0[:, None]) / h
    E = (states.T - states.t0) / h
    valid = np.arange(tau.shape[1])[None, :] < states.hist_len[:, None]
    valid[:, 0] = False  # the first event is the origin, not a data event
    return tau, E, valid


def state_features(states: States, decays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decayed sums at each state's time: ``exc`` [n, K] = sum_l beta_k e^{-beta_k (E - tau_l)} over the
    history (origin excluded) and ``ctrl`` [n, K] = beta_k e^{-beta_k E}."""
    tau, E, valid = _tau(states)
    age = np.where(valid, E[:, None] - tau, np.inf)  # [n, L]
    exc = np.zeros((len(states), len(decays)))
    for k, b in enumerate(decays):  # loop over the K decays only
        exc[:, k] = b * np.exp(-b * age).sum(1)
    ctrl = decays[None, :] * np.exp(-decays[None, :] * E[:, None])
    return exc, ctrl


def hawkes_design(states: States, decays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Hawkes likelihood's design: per-event features ``phi`` [N_events, 1 + 2K] (intensity at each
    event after the origin) and the summed compensator ``Psi`` [1 + 2K] over ``[0, E]`` of every state."""
    tau, E, valid = _tau(states)
    n, L = tau.shape
    K = len(decays)
    A = np.zeros((n, K))
    rows = []
    prev = tau[:, :1]
    for j in range(1, L):  # recursion along the sequence position, all states at once
        cur = tau[:, j : j + 1]
        gap = np.nan_to_num(cur - prev, nan=0.0)
        A = np.exp(-decays[None, :] * gap) * (A + decays[None, :] * (j - 1 >= 1))
        rows.append(A.copy())
        prev = cur
    if rows:
        exc = np.stack(rows, 1)  # [n, L-1, K] for events 1..L-1
    else:
        exc = np.zeros((n, 0, K))
    v = valid[:, 1:]
    ctrl = decays[None, None, :] * np.exp(-decays[None, None, :] * np.nan_to_num(tau[:, 1:, None], nan=0.0))
    phi = np.concatenate([np.ones((int(v.sum()), 1)), exc[v], ctrl[v]], 1)
    age = np.where(valid, E[:, None] - tau, np.inf)
    comp_a = (valid[:, :, None] * (1.0 - np.exp(-decays[None, None, :] * age[:, :, None]))).sum((0, 1))
    comp_b = (1.0 - np.exp(-decays[None, :] * E[:, None])).sum(0)
    psi = np.concatenate([[E.sum()], comp_a, comp_b])
    return phi, psi


def poisson_em(
    phi: np.ndarray, psi: np.ndarray, weights: np.ndarray | None = None, iters: int = 500, ridge: float = 0.0
) -> np.ndarray:
    """Maximise ``sum_j w_j log(phi_j . theta) - psi . theta`` over ``theta >= 0`` by EM (multiplicative
    updates; ``ridge`` adds ``ridge * theta`` to ``psi``). ``phi`` [N, P], ``psi`` [P] -> ``theta`` [P]."""
    F = torch.as_tensor(phi, dtype=torch.float64)
    G = torch.as_tensor(psi, dtype=torch.float64) + ridge
    w = (
        torch.ones(F.shape[0], dtype=torch.float64)
        if weights is None
        else torch.as_tensor(weights, dtype=torch.float64)
    )
    keep = (G > 0) & (F.abs().sum(0) > 0)
    theta = torch.where(keep, w.sum() / (F.shape[1] * G.clamp_min(1e-300)), torch.zeros_like(G))
    for _ in range(iters):
        rate = (F @ theta).clamp_min(1e-300)
        theta = torch.where(keep, theta * (F.T @ (w / rate)) / G.clamp_min(1e-300), theta * 0)
    check_finite(theta.sum(), what="EM parameters")
    return theta.numpy()


@dataclass(frozen=True)
class Hawkes:
    """A fitted sum-of-exponentials Hawkes process shared by all users: ``mu``, ``a`` [K], ``b`` [K]."""

    decays: np.ndarray
    mu: float
    a: np.ndarray
    b: np.ndarray

    @property
    def branching_ratio(self) -> float:
        """Expected direct offspring per event, ``sum_k a_k``."""
        return float(self.a.sum())

    def log_likelihood(self, states: States) -> float:
        """Log-likelihood of the histories of ``states`` (per event after the origin)."""
        phi, psi = hawkes_design(states, self.decays)
        th = np.concatenate([[self.mu], self.a, self.b])
        return float((np.log(phi @ th).sum() - psi @ th) / max(len(phi), 1))

    def window_count(self, states: States) -> np.ndarray:
        """Expected events in ``[T, T + h)`` from the intensity at ``T`` (no new events), [n]."""
        exc, ctrl = state_features(states, self.decays)
        frac = (1.0 - np.exp(-self.decays)) / self.decays
        return self.mu + (exc * frac) @ self.a + (ctrl * frac) @ self.b


def fit_hawkes(states: States, decays: np.ndarray, iters: int = 500) -> Hawkes:
    """Maximum-likelihood Hawkes fit over every state's history at once (EM on the concave likelihood)."""
    phi, psi = hawkes_design(states, decays)
    if len(phi) == 0:
        raise ValueError("no events after the first one in any history: cannot fit a Hawkes process")
    th = poisson_em(phi, psi, iters=iters)
    K = len(decays)
    return Hawkes(np.asarray(decays), float(th[0]), th[1 : 1 + K], th[1 + K :])


@dataclass(frozen=True)
class HawkesPoisson:
    """Poisson regression of window counts on Hawkes features: ``lambda(x) = phi(x) . w`` with ``w >= 0``
    and ``phi(x) = [1, exc(E), ctrl(E)]``, fitted on the validation states' target counts."""

    decays: np.ndarray
    w: np.ndarray

    @staticmethod
    def features(states: States, decays: np.ndarray) -> np.ndarray:
        exc, ctrl = state_features(states, decays)
        return np.concatenate([np.ones((len(states), 1)), exc, ctrl], 1)

    def window_count(self, states: States) -> np.ndarray:
        """Predicted events in each state's window, [n]."""
        return self.features(states, self.decays) @ self.w


def fit_hawkes_poisson(
    valid: States, decays: np.ndarray, iters: int = 1000, ridge: float = 1e-3
) -> HawkesPoisson:
    """Fit :class:`HawkesPoisson` by maximum Poisson likelihood on ``valid``'s target counts (EM)."""
    F = HawkesPoisson.features(valid, decays)
    y = valid.target_counts()
    scale = F.max(0).clip(1e-12)  # EM is scale-free; rescale only for the ridge to act evenly
    w = poisson_em(F / scale, (F / scale).sum(0), weights=y, iters=iters, ridge=ridge * len(y))
    return HawkesPoisson(np.asarray(decays), w / scale)


def ema_intensity(states: States) -> np.ndarray:
    """``sum_l exp(-(T - t_l) / h)`` over the history, [n]."""
    age = (states.T[:, None] - states.hist_times) / states.horizon
    return np.nansum(np.exp(-age), 1)


def user_pop_intensity(states: States) -> np.ndarray:
    """History length, floored at 0.01, [n]."""
    return np.maximum(states.hist_len.astype(np.float64), 0.01)


def constant_intensity(states: States) -> np.ndarray:
    """One for every state, [n]."""
    return np.ones(len(states))
