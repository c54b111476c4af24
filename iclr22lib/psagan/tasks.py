"""The paper's downstream tasks beyond augmentation: missing-value stretches and far-forecasting.

Both keep every value a generator fills out of its training data: the GANs train on windows of each
series' *training region* only (``t < split``), and both tasks hide values of the *held-out region*.

- **Missing values.** ``per_series`` stretches of ``stretch`` consecutive values are removed from the
  held-out region of every series (one stretch, at a uniform position, in each of ``per_series``
  equal segments, so they never overlap). They are filled with generated windows that start where
  the stretch starts (:func:`fill_spans`), or by linear interpolation as a reference. Scored (a) by
  the NRMSE of the filled values against the removed ones and (b) by DeepAR's NRMSE on the 48-step
  test horizon when trained on the filled series, against DeepAR trained on the series with the
  stretches left missing (GluonTS masks NaN targets out of the likelihood).
- **Far-forecasting.** The last G observed values of every series are hidden, G = the shortest
  held-out region (so the gap never reaches into any GAN's training data); the forecast target is
  the official test horizon, G steps after the last visible value. Baseline: DeepAR forecasts
  G + 48 steps and is scored on the last 48. With a generator: the gap is filled with consecutive
  generated windows (PSA-GAN-C reads the last real values, then its own output, as context) and DeepAR
  forecasts 48 steps from the filled series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from torch import nn

from iclr22lib.psagan.config import PsaganConfig
from iclr22lib.psagan.data import HORIZON, Panel, Windows, time_features
from iclr22lib.psagan.forecast import deepar_forecast, nrmse
from iclr22lib.psagan.train import generate


def stretch_starts(panel: Panel, stretch: int, per_series: int, rng: np.random.Generator) -> np.ndarray:
    """Start indices [N, per_series] of non-overlapping missing stretches in each held-out region."""
    seg = (panel.lengths - panel.split) // per_series
    if (seg < stretch).any():
        raise ValueError(
            f"{panel.name}: {per_series} stretches of {stretch} do not fit in the shortest held-out region "
            f"({int((panel.lengths - panel.split).min())} values); lower mv_stretch or mv_stretches"
        )
    offset = np.floor(rng.random((panel.n_series, per_series)) * (seg - stretch + 1)[:, None]).astype(
        np.int64
    )
    return panel.split[:, None] + np.arange(per_series) * seg[:, None] + offset


def stretch_mask(shape: tuple[int, int], starts: np.ndarray, stretch: int) -> np.ndarray:
    """Boolean mask [N, T] that is True on ``[starts[i, j], starts[i, j] + stretch)`` for all i, j."""
    mask = np.zeros(shape, dtype=bool)
    cols = starts[..., None] + np.arange(stretch)
    rows = np.broadcast_to(np.arange(shape[0]).reshape(-1, *([1] * (cols.ndim - 1))), cols.shape)
    mask[rows, cols] = True
    return mask


def fill_spans(
    panel: Panel,
    values: np.ndarray,
    g: nn.Module,
    series: np.ndarray,
    start: np.ndarray,
    length: int,
    *,
    seed: int = 0,
) -> np.ndarray:
    """Copy of ``values`` [N, T] (scaled) with ``values[series[i], start[i] : start[i] + length]`` replaced
    by generated values: ``ceil(length / tau)`` consecutive windows of generator ``g`` for that series
    and time span, truncated to ``length``. A context generator reads its context from the copy as it
    is being filled (real values before the span, then its own output)."""
    out = values.copy()
    tau, L = g.window, g.context_length
    n = len(series)
    end = start + length
    for k in range(-(-length // tau)):  # loop over chained windows; each call is batched over spans
        st = start + k * tau
        idx = st[:, None] + np.arange(tau)
        ctx = out[series[:, None], st[:, None] - L + np.arange(L)] if L else np.zeros((n, 0), np.float32)
        if not np.isfinite(ctx).all():
            raise ValueError("the context before a span to fill has missing values; fill earlier spans first")
        tf = time_features(idx, panel.periods, panel.values.shape[1] + HORIZON)
        fake = generate(g, Windows(series, st, np.zeros((n, tau), np.float32), ctx, tf), seed=seed + k)
        keep = idx < end[:, None]
        out[np.broadcast_to(series[:, None], idx.shape)[keep], idx[keep]] = fake[keep]
    return out


def interpolate(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Linear interpolation of the NaNs inside each series [N, T] (a trailing gap repeats the last value);
    the padding after ``lengths[i]`` stays NaN."""
    out = pd.DataFrame(values).interpolate(axis=1).to_numpy(dtype=values.dtype)
    out[np.arange(values.shape[1]) >= lengths[:, None]] = np.nan
    return out


def masked_nrmse(panel: Panel, filled: np.ndarray, mask: np.ndarray) -> float:
    """NRMSE (original units) of ``filled`` [N, T] against the panel's true values where ``mask`` is True."""
    rows, cols = np.nonzero(mask)
    span = (panel.hi - panel.lo)[rows]
    true = panel.lo[rows] + panel.values[rows, cols] * span
    return nrmse(panel.lo[rows] + filled[rows, cols] * span, true)


def _series(values: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    return [values[i, : lengths[i]] for i in range(len(lengths))]


def _score(panel: Panel, fc: np.ndarray) -> float:
    s = np.arange(panel.n_series)
    return nrmse(panel.unscale(fc, s), panel.unscale(panel.test, s))


def missing_value_task(
    cfg: PsaganConfig,
    panel: Panel,
    gens: list[tuple[str, nn.Module]],
    *,
    seed: int = 0,
    deepar: tuple[str, ...] | None = None,
) -> list[dict]:
    """Rows ``{task, model, seed, nrmse}`` of the missing-value task: the imputation NRMSE of every named
    generator and of linear interpolation; then DeepAR's test NRMSE trained on the series filled by the
    generators named in ``deepar`` (None: all; (): no DeepAR), by interpolation, and left missing."""
    rng = np.random.default_rng(20_000 + seed)
    starts = stretch_starts(panel, cfg.mv_stretch, cfg.mv_stretches, rng)
    mask = stretch_mask(panel.values.shape, starts, cfg.mv_stretch)
    holed = np.where(mask, np.nan, panel.values)
    filled = {"linear interpolation": interpolate(holed, panel.lengths)}
    s_all = np.arange(panel.n_series)
    for name, g in gens:
        out = holed
        for j in range(starts.shape[1]):  # earlier stretches first: a later one's context may cover them
            out = fill_spans(panel, out, g, s_all, starts[:, j], cfg.mv_stretch, seed=seed + 101 * j)
        filled[name] = out
    rows = [
        dict(task="imputation", model=name, seed=seed, nrmse=masked_nrmse(panel, v, mask))
        for name, v in filled.items()
    ]
    if deepar is None or deepar:
        kw = dict(epochs=cfg.deepar_epochs, batches=cfg.deepar_batches, seed=seed, device=cfg.device)
        arms = {"missing left as NaN": holed, **filled}
        for name, v in arms.items():
            if deepar is not None and name not in (*deepar, "missing left as NaN", "linear interpolation"):
                continue
            ser = _series(v, panel.lengths)
            rows.append(
                dict(
                    task="missing values",
                    model=name,
                    seed=seed,
                    nrmse=_score(panel, deepar_forecast(ser, ser, **kw)),
                )
            )
    return rows


def far_gap(panel: Panel) -> int:
    """The far-forecasting gap G: the shortest held-out region of the panel."""
    return int((panel.lengths - panel.split).min())


def far_forecast_task(
    cfg: PsaganConfig, panel: Panel, gens: list[tuple[str, nn.Module]], *, seed: int = 0
) -> list[dict]:
    """Rows ``{task, model, seed, nrmse}`` of the far-forecasting task: DeepAR across the gap, and
    DeepAR from the series whose gap each named generator filled."""
    gap = far_gap(panel)
    cut = panel.lengths - gap
    hidden = np.where(np.arange(panel.values.shape[1]) < cut[:, None], panel.values, np.nan)
    kw = dict(epochs=cfg.deepar_epochs, batches=cfg.deepar_batches, seed=seed, device=cfg.device)
    short = _series(hidden, cut)
    fc = deepar_forecast(short, short, prediction_length=gap + HORIZON, **kw)[:, gap:]
    rows = [dict(task="far forecast", model="DeepAR across the gap", seed=seed, nrmse=_score(panel, fc))]
    for name, g in gens:
        filled = _series(
            fill_spans(panel, hidden, g, np.arange(panel.n_series), cut, gap, seed=seed), panel.lengths
        )
        fc = deepar_forecast(filled, filled, **kw)
        rows.append(dict(task="far forecast", model=name, seed=seed, nrmse=_score(panel, fc)))
    return rows
