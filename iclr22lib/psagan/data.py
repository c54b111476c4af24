"""Loading, per-series scaling and windowing of the PSA-GAN data sets (M4 hourly, exchange rates).

A :class:`Panel` holds N series padded with NaN to a common length. Each series is split in time:
values before ``split[i]`` are the *training* region (the GAN and the Context-FID embedder see only
windows that lie entirely inside it); the rest is the *held-out* region, whose windows serve as the
"real vs real" reference of Context-FID. Every series is min-max scaled to [0, 1] with the minimum and
maximum of its training region only (the official code trains on pre-scaled series, ``NoScale``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from iclr22lib.core.data import DataError, fetch

#: Calendar periods (in steps) of the periodic time features per data set, and the M4 test horizon.
PERIODS = {"m4_hourly": (24, 168), "exchange_rate": (7, 365)}
HORIZON = 48


@dataclass
class Panel:
    """Scaled series ``values`` [N, T_max] (NaN after ``lengths[i]``), with split points and scaling.

    ``lo``/``hi`` [N] are each series' training-region min and max (value = lo + scaled * (hi - lo));
    ``test`` [N, H] holds the official test horizon (scaled the same way) where the data set has one.
    """

    name: str
    values: np.ndarray
    lengths: np.ndarray
    split: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    periods: tuple[int, ...]
    test: np.ndarray | None = None

    @property
    def n_series(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_time_features(self) -> int:
        """Periodic features (one per period) plus the log-age feature."""
        return len(self.periods) + 1

    def unscale(self, x: np.ndarray, series: np.ndarray) -> np.ndarray:
        """Map scaled values ``x`` [n, ...] of ``series`` [n] back to the original units."""
        span = (self.hi - self.lo)[series]
        return self.lo[series].reshape(-1, *([1] * (x.ndim - 1))) + x * span.reshape(
            -1, *([1] * (x.ndim - 1))
        )


def _read_m4(folder) -> tuple[list[np.ndarray], np.ndarray]:
    train = pd.read_csv(folder / "Hourly-train.csv", index_col=0).to_numpy(dtype=np.float64)
    test = pd.read_csv(folder / "Hourly-test.csv", index_col=0).to_numpy(dtype=np.float64)
    series = [row[~np.isnan(row)] for row in train]
    return series, test


def load_panel(
    name: str,
    *,
    n_series: int | None = None,
    holdout_frac: float = 0.2,
    root: str | os.PathLike | None = None,
) -> Panel:
    """Load data set ``name`` (``"m4_hourly"`` or ``"exchange_rate"``), scale it and split it in time.

    ``n_series`` keeps the first series only; ``holdout_frac`` is the held-out tail of each series.
    """
    if name not in PERIODS:
        raise DataError(f"unknown data set {name!r} for PSA-GAN; choose one of {', '.join(PERIODS)}")
    folder = fetch(name, root)
    if name == "m4_hourly":
        series, test = _read_m4(folder)
        if len(series) != 414 or test.shape != (414, HORIZON):
            raise DataError(
                f"m4_hourly: expected 414 series and a 48-step test set, got {len(series)}, {test.shape}"
            )
    else:
        mat = np.loadtxt(folder / "exchange_rate.txt.gz", delimiter=",")
        series, test = [mat[:, j] for j in range(mat.shape[1])], None
    if n_series is not None:
        series = series[:n_series]
        test = None if test is None else test[:n_series]
    lengths = np.array([len(s) for s in series])
    split = np.floor(lengths * (1.0 - holdout_frac)).astype(np.int64)
    values = np.full((len(series), lengths.max()), np.nan)
    for i, s in enumerate(series):
        values[i, : len(s)] = s
    train_part = np.where(np.arange(values.shape[1]) < split[:, None], values, np.nan)
    lo, hi = np.nanmin(train_part, axis=1), np.nanmax(train_part, axis=1)
    hi = np.where(hi > lo, hi, lo + 1.0)
    scaled = (values - lo[:, None]) / (hi - lo)[:, None]
    test_scaled = None if test is None else (test - lo[:, None]) / (hi - lo)[:, None]
    return Panel(
        name=name,
        values=scaled.astype(np.float32),
        lengths=lengths,
        split=split,
        lo=lo,
        hi=hi,
        periods=PERIODS[name],
        test=None if test_scaled is None else test_scaled.astype(np.float32),
    )


@dataclass
class Windows:
    """A batch of windows: ``series`` [n], ``start`` [n], target ``y`` [n, tau], ``context`` [n, L]
    (the L values just before the window; [n, 0] when L = 0) and ``time_features`` [n, F_t, tau]."""

    series: np.ndarray
    start: np.ndarray
    y: np.ndarray
    context: np.ndarray
    time_features: np.ndarray


def time_features(t: np.ndarray, periods: tuple[int, ...], max_len: int) -> np.ndarray:
    """Features of absolute time indices ``t`` [n, tau] -> [n, F_t, tau], each in [-0.5, 0.5].

    One feature per calendar period p, ``(t mod p) / (p - 1) - 0.5``, and the log-age
    ``log1p(t) / log1p(max_len) - 0.5``. (The M4 files carry no timestamps, so "hour of day" is only
    relative to an arbitrary common start, as in GluonTS' ``m4_hourly``.)
    """
    feats = [(t % p) / (p - 1) - 0.5 for p in periods]
    feats.append(np.log1p(t) / np.log1p(max_len) - 0.5)
    return np.stack(feats, axis=1).astype(np.float32)


def eligible(panel: Panel, window: int, context: int, region: str) -> np.ndarray:
    """Indices of the series with room for a window (+ context) in ``region`` ("train" or "holdout")."""
    if region == "train":
        room = panel.split - window - context
    elif region == "holdout":
        room = np.minimum(panel.lengths - panel.split - window, panel.split - context)
    else:
        raise ValueError(f"region={region!r}; choose 'train' or 'holdout'")
    return np.flatnonzero(room >= 0)


def sample_windows(
    panel: Panel, n: int, window: int, rng: np.random.Generator, *, context: int = 0, region: str = "train"
) -> Windows:
    """Draw ``n`` windows: a series uniformly among the eligible ones, then a start uniformly.

    Training windows lie in ``[context, split)``; held-out windows in ``[split, length)`` (their
    context may reach back into the training region).
    """
    ok = eligible(panel, window, context, region)
    if len(ok) == 0:
        raise DataError(
            f"{panel.name}: no series has room for a window of {window} (+ context {context}) in {region}"
        )
    s = ok[rng.integers(0, len(ok), size=n)]
    if region == "train":
        lo, hi = np.full(n, context), panel.split[s] - window
    else:
        lo, hi = panel.split[s], panel.lengths[s] - window
    start = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    idx = start[:, None] + np.arange(window)
    y = panel.values[s[:, None], idx]
    cidx = start[:, None] - context + np.arange(context)
    ctx = panel.values[s[:, None], cidx] if context else np.zeros((n, 0), np.float32)
    tf = time_features(idx, panel.periods, panel.values.shape[1] + HORIZON)
    return Windows(series=s, start=start, y=y, context=ctx, time_features=tf)
