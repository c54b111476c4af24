"""R² per factor with the variance of the complete factor grid, as the benchmark defines it."""

from __future__ import annotations

import numpy as np


def grid_variance(n: int) -> float:
    """Variance of ``i / (n - 1)`` for ``i`` uniform on ``0..n-1``: ``(n + 1) / (12 (n - 1))``."""
    if n < 2:
        raise ValueError(f"a factor needs at least 2 values; got {n}")
    return (n + 1) / (12 * (n - 1))


def r2_per_factor(pred: np.ndarray, target: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
    """``R²_k = 1 - mean((pred_k - target_k)^2) / Var_grid_k`` for ``[N, K]`` arrays; returns ``[K]``.

    The denominator is the variance over the full grid, not over the test set, so a constant
    prediction of 0.5 scores about 0 on a full-grid test set and below 0 on an extrapolation one.
    """
    pred, target = np.asarray(pred, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if pred.shape != target.shape or pred.ndim != 2 or pred.shape[1] != len(sizes):
        raise ValueError(f"pred {pred.shape} and target {target.shape} must both be [N, {len(sizes)}]")
    mse = ((pred - target) ** 2).mean(axis=0)
    return 1.0 - mse / np.array([grid_variance(n) for n in sizes])
