"""Seconds per call of a function, for benchmarks and planning estimates."""

from __future__ import annotations

import time
from collections.abc import Callable

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def seconds_per_call(
    fn: Callable[[], object], repeats: int = 3, *, clock: str = "cpu", warmup: bool = True
) -> float:
    """Mean seconds of ``fn()`` over ``repeats`` calls after one untimed warm-up call.

    ``clock="cpu"`` counts this process's CPU seconds (all its threads; robust on a shared machine),
    ``"wall"`` elapsed seconds.
    """
    if clock not in CLOCKS:
        raise ValueError(f"clock={clock!r}; choose one of {', '.join(CLOCKS)}")
    if repeats < 1:
        raise ValueError(f"repeats={repeats}; must be at least 1")
    tick = CLOCKS[clock]
    if warmup:
        fn()
    start = tick()
    for _ in range(repeats):
        fn()
    return (tick() - start) / repeats
