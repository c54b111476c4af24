"""seconds_per_call: the Timer's two warm-up calls, the mean over repeats, and the clock asked for."""

import time

import pytest

from iclr22lib.core.timing import seconds_per_call


def test_counts_calls_and_separates_wall_from_cpu():
    calls = []

    def nap():
        calls.append(1)
        time.sleep(0.02)

    wall = seconds_per_call(nap, 3, clock="wall")
    assert len(calls) == 5  # the Timer's 2 warm-up calls + 3
    assert 0.019 <= wall < 0.2
    assert seconds_per_call(nap, 2, clock="cpu") < 0.01  # sleeping costs no CPU
    assert len(calls) == 9


def test_bad_arguments_say_what_is_allowed():
    with pytest.raises(ValueError, match="cpu, wall"):
        seconds_per_call(lambda: None, clock="gpu")
    with pytest.raises(ValueError, match="at least 1"):
        seconds_per_call(lambda: None, 0)
