"""Event logs -> user states, target windows and splits (the data abstraction of RIM).

An *event log* is three aligned arrays ``user [E]``, ``item [E]``, ``time [E]`` (ints, ints, float
seconds or any unit). A *state* is a user at a time ``T``: its history is the user's events with
``t < T``, its targets are the items it consumes in the window ``T <= t < T + horizon``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from iclr22lib.core.data import DataError, fetch


@dataclass(frozen=True)
class EventLog:
    """Events sorted by (user, time): ``user``/``item`` [E] int64 in ``0..n-1``, ``time`` [E] float64."""

    user: np.ndarray
    item: np.ndarray
    time: np.ndarray
    n_users: int
    n_items: int

    def __len__(self) -> int:
        return len(self.user)


def make_log(
    user: ArrayLike, item: ArrayLike, time: ArrayLike, n_users: int | None = None, n_items: int | None = None
) -> EventLog:
    """Build an :class:`EventLog`, sorting stably by (user, time) and checking the values."""
    user, item, time = (np.asarray(a) for a in (user, item, time))
    if not (user.shape == item.shape == time.shape) or user.ndim != 1:
        raise ValueError(
            f"user/item/time must be 1-D arrays of one length, got {user.shape}, {item.shape}, {time.shape}"
        )
    if len(user) and (user.min() < 0 or item.min() < 0):
        raise ValueError("user and item ids must be >= 0")
    if not np.isfinite(time).all():
        raise ValueError("event times must be finite")
    order = np.lexsort((time, user))
    n_u = int(user.max()) + 1 if n_users is None else n_users
    n_i = int(item.max()) + 1 if n_items is None else n_items
    return EventLog(
        user[order].astype(np.int64), item[order].astype(np.int64), time[order].astype(np.float64), n_u, n_i
    )


def load_ml100k(root: str | os.PathLike | None = None) -> EventLog:
    """MovieLens-100K (registry ``ml-100k``; 100,000 ratings, 943 users, 1,682 items), ids re-indexed
    from 0 in order of first appearance sorted by id; times in Unix seconds."""
    folder = fetch("ml-100k", root, files=["ml-100k.inter"])
    try:
        df = pd.read_csv(folder / "ml-100k.inter", sep="\t")
    except Exception as exc:  # pragma: no cover - corrupt files are caught by the sha256 check first
        raise DataError(f"data set 'ml-100k': cannot parse {folder / 'ml-100k.inter'}: {exc}") from exc
    df.columns = [c.split(":")[0] for c in df.columns]
    users = np.unique(df["user_id"].to_numpy())
    items = np.unique(df["item_id"].to_numpy())
    u = np.searchsorted(users, df["user_id"].to_numpy())
    i = np.searchsorted(items, df["item_id"].to_numpy())
    return make_log(u, i, df["timestamp"].to_numpy(dtype=np.float64), len(users), len(items))


def _group_starts(user: np.ndarray, n_users: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(user, minlength=n_users)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return starts, counts


def ml1m_recipe(log: EventLog, seed: int = 0) -> EventLog:
    """The official ML-1M preprocessing: shuffle, stable-sort by time, keep the second half of each
    user's events (percentile rank ``(rank + 1) / count >= 0.5``, i.e. the last ``floor(count / 2) + 1``)."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(log))
    order = perm[np.argsort(log.time[perm], kind="stable")]
    u = log.user[order]
    order = order[np.argsort(u, kind="stable")]  # by user, then time (shuffled ties)
    u = log.user[order]
    starts, counts = _group_starts(u, log.n_users)
    rank = np.arange(len(u)) - starts[u]
    keep = (rank + 1) >= counts[u] / 2.0
    idx = order[keep]
    return EventLog(log.user[idx], log.item[idx], log.time[idx], log.n_users, log.n_items)


@dataclass(frozen=True)
class States:
    """User states at times ``T`` with their histories and target windows.

    ``user`` [n]; ``T`` [n]; ``t0`` [n] time of the user's first event; ``hist_items`` / ``hist_times``
    [n, L] right-padded with -1 / nan, ``hist_len`` [n]; targets as COO pairs ``tgt_state``, ``tgt_item``
    (one entry per event in the window, repeats allowed); ``horizon`` the window length.
    """

    user: np.ndarray
    T: np.ndarray
    t0: np.ndarray
    hist_items: np.ndarray
    hist_times: np.ndarray
    hist_len: np.ndarray
    tgt_state: np.ndarray
    tgt_item: np.ndarray
    horizon: float
    n_items: int

    def __len__(self) -> int:
        return len(self.user)

    def target_counts(self) -> np.ndarray:
        """Events in each state's window, [n]."""
        return np.bincount(self.tgt_state, minlength=len(self)).astype(np.float64)

    def subset(self, keep: np.ndarray) -> States:
        """The states ``keep`` (bool [n] or indices), targets re-indexed."""
        idx = np.flatnonzero(keep) if np.asarray(keep).dtype == bool else np.asarray(keep)
        new = np.full(len(self), -1)
        new[idx] = np.arange(len(idx))
        m = new[self.tgt_state] >= 0
        L = max(int(self.hist_len[idx].max()) if len(idx) else 0, 1)
        return States(
            self.user[idx],
            self.T[idx],
            self.t0[idx],
            self.hist_items[idx, :L],
            self.hist_times[idx, :L],
            self.hist_len[idx],
            new[self.tgt_state[m]],
            self.tgt_item[m],
            self.horizon,
            self.n_items,
        )


def make_states(log: EventLog, T: np.ndarray, horizon: float, max_len: int | None = None) -> States:
    """One state per user at time ``T[user]`` (``inf`` = the whole log is history, no window).

    Histories keep the last ``max_len`` events (all when None); ``t0`` is the user's first event.
    """
    T = np.asarray(T, dtype=np.float64)
    if T.shape != (log.n_users,):
        raise ValueError(f"T must have one entry per user ({log.n_users}), got {T.shape}")
    starts, counts = _group_starts(log.user, log.n_users)
    t0 = np.full(log.n_users, np.nan)
    has = counts > 0
    t0[has] = log.time[starts[has]]
    Tu = T[log.user]
    hist = log.time < Tu
    in_win = (log.time >= Tu) & (log.time < Tu + horizon)
    hist_len_full = np.bincount(log.user[hist], minlength=log.n_users)
    hist_len = hist_len_full if max_len is None else np.minimum(hist_len_full, max_len)
    L = max(int(hist_len.max()) if len(hist_len) else 0, 1)
    rank = np.arange(len(log)) - starts[log.user]  # events of a user are contiguous, history first
    pos = rank - (hist_len_full - hist_len)[log.user]
    sel = hist & (pos >= 0)
    items = np.full((log.n_users, L), -1, dtype=np.int64)
    times = np.full((log.n_users, L), np.nan)
    items[log.user[sel], pos[sel]] = log.item[sel]
    times[log.user[sel], pos[sel]] = log.time[sel]
    return States(
        np.arange(log.n_users),
        T,
        t0,
        items,
        times,
        hist_len.astype(np.int64),
        log.user[in_win],
        log.item[in_win],
        float(horizon),
        log.n_items,
    )


@dataclass(frozen=True)
class RimData:
    """A test set D, a validation set V, the mark model's training sequences and the test items.

    ``test`` and ``valid`` hold only states with a non-empty history (``min_user_len = 1``);
    ``train`` holds every user's history as of the test split (``T = inf`` for training-only users);
    ``test_items`` [m_test] are the items seen in ``train`` (warm items). ``name`` labels the data.
    """

    name: str
    train: States
    test: States
    valid: States
    test_items: np.ndarray
    n_items: int
    horizon: float


def _finish(name: str, train: States, test: States, valid: States) -> RimData:
    test = test.subset((test.hist_len > 0) & np.isfinite(test.T))
    valid = valid.subset((valid.hist_len > 0) & np.isfinite(valid.T))
    seen = np.zeros(train.n_items, dtype=bool)
    seen[train.hist_items[train.hist_items >= 0]] = True
    return RimData(name, train, test, valid, np.flatnonzero(seen), train.n_items, train.horizon)


def user_split(log: EventLog, seed: int = 888, max_len: int | None = None, name: str = "") -> RimData:
    """The official user split: half the users (group A) are training-only in D and the validation
    states in V; every group-B user is a test state at ``T = first event + h`` with ``h`` = median
    over users of (last - first event time)."""
    starts, counts = _group_starts(log.user, log.n_users)
    has = counts > 0
    first = np.full(log.n_users, np.nan)
    last = np.full(log.n_users, np.nan)
    first[has] = log.time[starts[has]]
    last[has] = log.time[starts[has] + counts[has] - 1]
    h = float(np.median((last - first)[has]))
    if not h > 0:
        raise ValueError("the median user span is 0: every user has all events at one time")
    rng = np.random.default_rng(seed)
    group_a = np.zeros(log.n_users, dtype=bool)
    group_a[rng.permutation(log.n_users)[: log.n_users // 2]] = True
    T_test = np.where(group_a, np.inf, first + h)
    T_valid = np.where(group_a, first + h, -np.inf)
    train = make_states(log, T_test, h, max_len)
    return _finish(name, train, make_states(log, T_test, h, max_len), make_states(log, T_valid, h, max_len))


def temporal_split(
    log: EventLog, T: float, horizon: float, max_len: int | None = None, name: str = ""
) -> RimData:
    """A global split: test states at ``T`` with window ``[T, T + horizon)``; validation states at
    ``T - horizon`` with the window ``[T - horizon, T)``; the mark model trains on everything before ``T``."""
    T_test = np.full(log.n_users, float(T))
    T_valid = np.full(log.n_users, float(T) - horizon)
    train = make_states(log, T_test, horizon, max_len)
    return _finish(name, train, train, make_states(log, T_valid, horizon, max_len))
