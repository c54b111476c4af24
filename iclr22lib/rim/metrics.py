"""Evaluation of recommendation lists and matchings: precision, recall, coverage, perplexity.

An *assignment* is a pair of index arrays ``(rows, cols)`` (state x, test-item column y), one entry per
recommendation; *targets* are the (state, column) pairs consumed in the window (binary).
"""

from __future__ import annotations

import numpy as np
import torch


def _keys(rows, cols, m: int) -> np.ndarray:
    return np.asarray(rows, dtype=np.int64) * m + np.asarray(cols, dtype=np.int64)


def hits(assign: tuple[np.ndarray, np.ndarray], targets: tuple[np.ndarray, np.ndarray], m: int) -> np.ndarray:
    """Bool [len(assign)]: whether each recommended pair is a target pair."""
    return np.isin(_keys(*assign, m), np.unique(_keys(*targets, m)))


def rows_to_pairs(idx: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-k indices per row [n, k] -> assignment pairs."""
    idx = np.asarray(idx)
    return np.repeat(np.arange(idx.shape[0]), idx.shape[1]), idx.reshape(-1)


def cols_to_pairs(idx: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-c rows per column [m, c] -> assignment pairs (rows, cols)."""
    idx = np.asarray(idx)
    return idx.reshape(-1), np.repeat(np.arange(idx.shape[0]), idx.shape[1])


def perplexity(counts: np.ndarray) -> float:
    """``exp(entropy)`` of the distribution proportional to ``counts`` (1 when empty)."""
    counts = np.asarray(counts, dtype=np.float64)
    tot = counts.sum()
    if tot <= 0:
        return 1.0
    p = counts[counts > 0] / tot
    return float(np.exp(-(p * np.log(p)).sum()))


def evaluate(
    assign: tuple[np.ndarray, np.ndarray],
    targets: tuple[np.ndarray, np.ndarray],
    shape: tuple[int, int],
    min_total: int = 0,
) -> dict[str, float]:
    """Precision (hits per recommendation, denominator at least ``min_total``), recall per row and per
    column (hits over targets, rows/columns with targets only), coverage and perplexity of the exposure."""
    n, m = shape
    h = hits(assign, targets, m)
    t_keys = np.unique(_keys(*targets, m))
    t_rows, t_cols = t_keys // m, t_keys % m
    r, c = np.asarray(assign[0]), np.asarray(assign[1])
    row_t = np.bincount(t_rows, minlength=n)
    col_t = np.bincount(t_cols, minlength=m)
    row_h = np.bincount(r[h], minlength=n)
    col_h = np.bincount(c[h], minlength=m)
    item_exp = np.bincount(c, minlength=m)
    user_exp = np.bincount(r, minlength=n)
    return {
        "prec": float(h.sum() / max(len(r), min_total, 1)),
        "hits": int(h.sum()),
        "recs": len(r),
        "recall_rows": float((row_h[row_t > 0] / row_t[row_t > 0]).mean()) if (row_t > 0).any() else 0.0,
        "recall_cols": float((col_h[col_t > 0] / col_t[col_t > 0]).mean()) if (col_t > 0).any() else 0.0,
        "item_cov": float((item_exp > 0).mean()),
        "user_cov": float((user_exp > 0).mean()),
        "item_ppl": perplexity(item_exp),
        "user_ppl": perplexity(user_exp),
    }


def evaluate_expected(
    item_exposure: np.ndarray,
    user_exposure: np.ndarray,
    hits: np.ndarray,
    n_targets_rows: np.ndarray,
    min_total: int = 0,
) -> dict[str, float]:
    """The metrics of :func:`evaluate` in expectation for a randomised policy ``pi``: exposures are
    ``sum pi`` per item [m] / per state [n], ``hits`` the expected hits per state [n]."""
    tot = float(item_exposure.sum())
    has = n_targets_rows > 0
    return {
        "prec": float(hits.sum() / max(tot, min_total, 1)),
        "hits": float(hits.sum()),
        "recs": tot,
        "recall_rows": float((hits[has] / n_targets_rows[has]).mean()) if has.any() else 0.0,
        "recall_cols": float("nan"),
        "item_cov": float((item_exposure >= 0.5).mean()),
        "user_cov": float((user_exposure >= 0.5).mean()),
        "item_ppl": perplexity(item_exposure),
        "user_ppl": perplexity(user_exposure),
    }
