"""A chapter's claim as data, and the one function that decides it over seeds.

A :class:`Claim` is declared in the chapter's package before anything runs: which metric is claimed
better (``ours``), against which (``baseline``, or ``None`` for a one-sample claim), the direction,
the paper's threshold and the statistic. :func:`evaluate` takes the run's per-seed values, forms the
paired differences ``d = ours − baseline`` (or ``d = ours``), a two-sided interval for their mean at
``level``, and returns a :class:`Verdict`:

- ``direction="greater"`` (the claim is ``mean d > threshold``): *held* when the interval lies
  entirely above the threshold, *not held* when it lies entirely below, else *inconclusive*;
- ``direction="less"`` (``mean d < threshold``): the mirror image.

The threshold is signed, in the units of ``d``: "ours lower by at least 2" is ``direction="less"``,
``threshold=-2.0``. With fewer seeds than ``min_seeds`` no interval is formed and the verdict is
*inconclusive* (a one-seed smoke run never decides a claim). :func:`record_fields` gives what the
chapter puts into its result record's ``extra``, where the scoreboard reads ``extra["verdict"]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

DIRECTIONS = ("greater", "less")
STATISTICS = ("t", "bootstrap")
OUTCOMES = ("held", "not held", "inconclusive")
#: percentile bootstrap of the mean: resamples and the seed of its ``numpy`` Generator (fixed, so a
#: verdict is reproducible).
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class Claim:
    """One claim: ``mean(ours − baseline)`` (or ``mean(ours)``) is ``direction`` than ``threshold``.

    ``threshold_source`` says where the threshold comes from ("paper Table 3"); ``"sign only"``
    (the paper gives no margin) requires ``threshold == 0.0``. ``level`` is the two-sided confidence
    of the interval, ``min_seeds`` (≥ 2) the fewest seeds that can decide the claim.
    """

    text: str
    ours: str
    baseline: str | None
    direction: str
    threshold: float
    threshold_source: str
    statistic: str = "t"
    level: float = 0.95
    min_seeds: int = 3

    def __post_init__(self) -> None:
        for name in ("text", "ours", "threshold_source"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ValueError(f"Claim.{name} must be a non-empty string")
        if self.baseline is not None and (not isinstance(self.baseline, str) or not self.baseline.strip()):
            raise ValueError("Claim.baseline must be a metric name or None (one-sample claim)")
        if self.baseline == self.ours:
            raise ValueError(f"Claim.baseline must differ from ours ({self.ours!r})")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"Claim.direction={self.direction!r}; allowed: {', '.join(DIRECTIONS)}")
        if self.statistic not in STATISTICS:
            raise ValueError(f"Claim.statistic={self.statistic!r}; allowed: {', '.join(STATISTICS)}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)) \
                or not math.isfinite(self.threshold):  # fmt: skip
            raise ValueError(f"Claim.threshold={self.threshold!r}; allowed: a finite number")
        if self.threshold_source == "sign only" and self.threshold != 0:
            raise ValueError(f"threshold_source 'sign only' needs threshold 0.0, got {self.threshold!r}")
        if isinstance(self.level, bool) or not isinstance(self.level, float) or not 0 < self.level < 1:
            raise ValueError(f"Claim.level={self.level!r}; allowed: a float strictly between 0 and 1")
        if isinstance(self.min_seeds, bool) or not isinstance(self.min_seeds, int) or self.min_seeds < 2:
            raise ValueError(f"Claim.min_seeds={self.min_seeds!r}; allowed: an integer ≥ 2")


@dataclass(frozen=True)
class Verdict:
    """The decision on a claim: ``estimate`` = mean of ``d``, ``[low, high]`` its interval.

    ``low, high`` are ``-inf, inf`` when there were fewer than ``claim.min_seeds`` seeds.
    """

    claim_text: str
    outcome: str
    estimate: float
    low: float
    high: float
    n: int
    statistic: str
    level: float
    claim: Claim

    def describe(self) -> str:
        """One line for a chapter: ``held: a − b = +2.1 [0.8, 3.4] (95 % t interval, 5 seeds; needs > 0)``."""
        c = self.claim
        lhs = c.ours if c.baseline is None else f"{c.ours} − {c.baseline}"
        need = f"needs {'>' if c.direction == 'greater' else '<'} {c.threshold:g}"
        seeds = f"{self.n} seed{'s' if self.n != 1 else ''}"
        if not math.isfinite(self.low):
            return f"{self.outcome}: {lhs} = {self.estimate:+.4g} ({seeds}, a verdict needs ≥ {c.min_seeds}; {need})"
        kind = "t" if self.statistic == "t" else "percentile bootstrap"
        return (f"{self.outcome}: {lhs} = {self.estimate:+.4g} [{self.low:.4g}, {self.high:.4g}] "
                f"({self.level * 100:g} % {kind} interval, {seeds}; {need})")  # fmt: skip


def _series(values: Mapping[str, Sequence[float]], name: str) -> np.ndarray:
    if name not in values:
        raise ValueError(f"no per-seed values for metric {name!r}; given: {', '.join(map(str, values))}")
    x = np.asarray(values[name], dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(
            f"metric {name!r}: need a non-empty 1-D sequence of per-seed values, got shape {x.shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError(f"metric {name!r} has non-finite per-seed values: {x.tolist()}")
    return x


def _interval(d: np.ndarray, statistic: str, level: float) -> tuple[float, float]:
    """Two-sided ``level`` interval for ``mean(d)``; ``d`` has shape (n,), n ≥ 2, not all equal."""
    if statistic == "t":
        from scipy import stats  # imported here: chapters' config modules import this module

        half = stats.t.ppf((1 + level) / 2, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
        return float(d.mean() - half), float(d.mean() + half)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    means = d[rng.integers(0, d.size, size=(BOOTSTRAP_RESAMPLES, d.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def evaluate(claim: Claim, values: Mapping[str, Sequence[float]]) -> Verdict:
    """Decide ``claim`` on ``values[name]``: per-seed values of each metric, aligned by seed.

    Raises ValueError on a missing metric, empty or mismatched lengths, or non-finite values.
    Fewer seeds than ``claim.min_seeds`` give *inconclusive* with interval ``(-inf, inf)``. All
    differences equal (sd 0) give the point interval ``[d, d]``.
    """
    d = _series(values, claim.ours)
    if claim.baseline is not None:
        b = _series(values, claim.baseline)
        if b.shape != d.shape:
            raise ValueError(f"{claim.ours!r} has {d.size} seeds but {claim.baseline!r} has {b.size}; "
                             "per-seed values must be aligned by seed")  # fmt: skip
        d = d - b
    est = float(d.mean())
    if d.size < claim.min_seeds:
        low, high = -math.inf, math.inf
    elif np.all(d == d[0]):
        low = high = est = float(d[0])
    else:
        low, high = _interval(d, claim.statistic, claim.level)
    t = claim.threshold
    above, below = low > t, high < t
    good, bad = (above, below) if claim.direction == "greater" else (below, above)
    outcome = "held" if good else "not held" if bad else "inconclusive"
    return Verdict(claim.text, outcome, est, low, high, int(d.size), claim.statistic, claim.level, claim)


def record_fields(verdict: Verdict) -> dict[str, Any]:
    """What a chapter puts into its record's ``extra``; ``interval`` is None when none was formed."""
    finite = math.isfinite(verdict.low) and math.isfinite(verdict.high)
    return {
        "verdict": verdict.outcome,
        "claim_rule": asdict(verdict.claim),
        "interval": [verdict.low, verdict.high] if finite else None,
        "estimate": verdict.estimate,
        "n_seeds": verdict.n,
    }


def claim_held(verdict: Verdict) -> bool:
    """True only when the verdict is *held* (for ``save_record(claim_held=...)``)."""
    return verdict.outcome == "held"
