"""Seconds per call of a function, for benchmarks and planning estimates (``torch.utils.benchmark``)."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch.utils.benchmark import Timer

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def seconds_per_call(fn: Callable[[], object], repeats: int = 3, *, clock: str = "cpu") -> float:
    """Mean seconds of ``fn()`` over ``repeats`` calls, after the Timer's own two warm-up calls.

    A :class:`torch.utils.benchmark.Timer` with this process's torch thread count; it synchronises
    CUDA around the timed calls. ``clock="cpu"`` counts this process's CPU seconds (all its threads;
    robust on a shared machine), ``"wall"`` elapsed seconds.
    """
    if clock not in CLOCKS:
        raise ValueError(f"clock={clock!r}; choose one of {', '.join(CLOCKS)}")
    if repeats < 1:
        raise ValueError(f"repeats={repeats}; must be at least 1")
    timer = Timer("fn()", globals={"fn": fn}, timer=CLOCKS[clock], num_threads=torch.get_num_threads())
    return timer.timeit(repeats).mean
