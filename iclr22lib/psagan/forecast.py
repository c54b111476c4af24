"""Downstream forecasting: GluonTS' torch DeepAR trained on real vs real + synthetic series, NRMSE.

Data sets are built from local arrays (``ListDataset``); nothing is downloaded. GluonTS is imported
lazily, so the rest of the package works without it.
"""

from __future__ import annotations

import logging
import math
import tempfile
import warnings

import numpy as np
import torch

from iclr22lib.psagan.data import HORIZON, Panel, Windows, time_features
from iclr22lib.psagan.models import Generator
from iclr22lib.psagan.train import generate

START = "1750-01-01 00:00"


def nrmse(forecast: np.ndarray, target: np.ndarray) -> float:
    """Normalised RMSE ``sqrt(mean((f - y)^2)) / mean(|y|)`` over all series and steps (GluonTS' NRMSE)."""
    f, y = np.asarray(forecast, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if f.shape != y.shape:
        raise ValueError(f"forecast {f.shape} and target {y.shape} differ in shape")
    return float(math.sqrt(np.mean((f - y) ** 2)) / np.mean(np.abs(y)))


def synthetic_series(
    panel: Panel, g: Generator, n_windows: int, *, copies: int = 1, seed: int = 0
) -> list[np.ndarray]:
    """For every series, ``copies`` synthetic series of ``n_windows`` consecutive generated windows that
    end where the series' observed history ends (scaled units). PSA-GAN-C models get the real values
    before each window as context."""
    tau, L = g.window, g.context_length
    out: list[np.ndarray] = []
    s = np.repeat(np.arange(panel.n_series), copies * n_windows)
    k = np.tile(np.arange(n_windows), panel.n_series * copies)
    start = np.repeat(panel.lengths, copies * n_windows) - (n_windows - k) * tau
    ok = start - L >= 0
    s, k, start = s[ok], k[ok], start[ok]
    idx = start[:, None] + np.arange(tau)
    y = panel.values[s[:, None], idx]
    ctx = (
        panel.values[s[:, None], start[:, None] - L + np.arange(L)]
        if L
        else np.zeros((len(s), 0), np.float32)
    )
    tf = time_features(idx, panel.periods, panel.values.shape[1] + HORIZON)
    fake = generate(g, Windows(s, start, y, ctx, tf), seed=seed)
    bounds = np.flatnonzero(np.diff(np.r_[-1, k]) <= 0)
    for a, b in zip(bounds, np.r_[bounds[1:], len(k)], strict=True):
        out.append(fake[a:b].reshape(-1))
    return out


def deepar_forecast(
    train: list[np.ndarray],
    history: list[np.ndarray],
    *,
    prediction_length: int = HORIZON,
    epochs: int = 5,
    batches: int = 50,
    context_length: int = 96,
    hidden: int = 40,
    seed: int = 0,
    device: str = "cpu",
) -> np.ndarray:
    """Train DeepAR on the ``train`` series (NaN = missing, handled by DeepAR's observed-value mask)
    and return its mean forecast [len(history), prediction_length] of the steps after each ``history``
    series."""
    with warnings.catch_warnings():  # gluonts advises installing a faster JSON library on import
        warnings.filterwarnings("ignore", message="Using `json`-module", category=UserWarning)
        from gluonts.dataset.common import ListDataset
        from gluonts.torch.model.deepar import DeepAREstimator

    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    logging.getLogger("lightning.fabric").setLevel(logging.ERROR)
    torch.manual_seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - GluonTS' instance samplers draw from NumPy's global state
    data = ListDataset([{"start": START, "target": t} for t in train], freq="h")
    est = DeepAREstimator(
        freq="h",
        prediction_length=prediction_length,
        context_length=context_length,
        hidden_size=hidden,
        num_layers=2,
        batch_size=32,
        num_batches_per_epoch=batches,
        trainer_kwargs=dict(
            max_epochs=epochs,
            accelerator="gpu" if str(device).startswith("cuda") else "cpu",
            enable_progress_bar=False,
            enable_model_summary=False,
            logger=False,
        ),
    )
    with warnings.catch_warnings(), tempfile.TemporaryDirectory(prefix="iclr22lib-deepar-") as tmp:
        warnings.simplefilter("ignore")
        est.trainer_kwargs["default_root_dir"] = tmp  # Lightning's best-model checkpoint goes here, then away
        predictor = est.train(data)
        test_in = ListDataset([{"start": START, "target": t} for t in history], freq="h")
        return np.stack([f.mean for f in predictor.predict(test_in, num_samples=100)])


def observed(panel: Panel) -> list[np.ndarray]:
    """Each series' observed history (scaled), without the NaN padding."""
    return [panel.values[i, : panel.lengths[i]] for i in range(panel.n_series)]


def deepar_nrmse(
    panel: Panel,
    extra: list[np.ndarray] | None = None,
    *,
    epochs: int = 5,
    batches: int = 50,
    context_length: int = 96,
    hidden: int = 40,
    seed: int = 0,
    device: str = "cpu",
) -> float:
    """Train DeepAR on the panel's observed series (+ ``extra`` scaled series) and return the NRMSE of
    its mean forecast over the official 48-step test horizon, in the original units."""
    if panel.test is None:
        raise ValueError(f"{panel.name} has no test horizon; downstream forecasting needs m4_hourly")
    real = observed(panel)
    fc = deepar_forecast(
        real + list(extra or []),
        real,
        epochs=epochs,
        batches=batches,
        context_length=context_length,
        hidden=hidden,
        seed=seed,
        device=device,
    )
    series = np.arange(panel.n_series)
    return nrmse(panel.unscale(fc, series), panel.unscale(panel.test, series))
