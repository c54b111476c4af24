"""Summary statistics over seeds, shared by the chapters."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def mean_sd(values: Iterable[float], *, ddof: int = 0) -> tuple[float, float]:
    """Mean and standard deviation of ``values`` (``ddof=0``: the population sd that papers' "mean ± std"
    over seeds usually reports; ``ddof=1``: the sample sd). One value has sd 0; none is an error."""
    v = np.asarray(list(values), dtype=float)
    if v.size == 0:
        raise ValueError("mean_sd of no values")
    return float(v.mean()), float(v.std(ddof=ddof)) if v.size > ddof else 0.0
