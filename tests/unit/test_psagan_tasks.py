"""Missing-value stretches, gap filling, interpolation and NRMSE of the downstream tasks on hand examples."""

import numpy as np
import pytest
import torch
from torch import nn

from iclr22lib.psagan.data import Panel
from iclr22lib.psagan.forecast import nrmse
from iclr22lib.psagan.tasks import (
    far_gap,
    fill_spans,
    interpolate,
    masked_nrmse,
    stretch_mask,
    stretch_starts,
)


def _panel():
    """Two series: lengths 20 and 18, training regions of 10; series 1 lives in [10, 12] (lo 10, hi 12)."""
    values = np.full((2, 20), np.nan, np.float32)
    values[0] = np.arange(20) / 19
    values[1, :18] = (np.arange(18) % 4) / 3
    return Panel(
        name="hand",
        values=values,
        lengths=np.array([20, 18]),
        split=np.array([10, 10]),
        lo=np.array([0.0, 10.0]),
        hi=np.array([1.0, 12.0]),
        periods=(4,),
    )


class _Counter(nn.Module):
    """Stand-in generator: continues counting from the last context value (or from the time index)."""

    def __init__(self, window: int, context_length: int) -> None:
        super().__init__()
        self.window, self.context_length = window, context_length
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, noise, series, tf, ctx=None, depth=None, alpha=1.0):
        step = torch.arange(1, self.window + 1, dtype=torch.float32)
        base = ctx[:, -1:] if self.context_length else -torch.ones(len(series), 1)
        return (base + step)[:, None, :] + 0 * noise


def test_stretch_mask_hand_example():
    m = stretch_mask((2, 8), np.array([[1], [4]]), 2)
    expected = np.zeros((2, 8), bool)
    expected[0, 1:3] = expected[1, 4:6] = True
    np.testing.assert_array_equal(m, expected)


def test_stretches_lie_in_held_out_segments_without_overlap():
    p = _panel()
    for seed in range(20):
        st = stretch_starts(p, 3, 2, np.random.default_rng(seed))
        # held-out regions [10, 20) and [10, 18) cut into 2 segments of 5 and 4: one stretch in each
        assert 10 <= st[0, 0] <= 12 and 15 <= st[0, 1] <= 17
        assert 10 <= st[1, 0] <= 11 and 14 <= st[1, 1] <= 15
        m = stretch_mask(p.values.shape, st, 3)
        assert m.sum(1).tolist() == [6, 6]  # non-overlapping
        assert not m[:, :10].any() and not m[1, 18:].any()
    with pytest.raises(ValueError, match="do not fit"):
        stretch_starts(p, 5, 2, np.random.default_rng(0))


def test_masked_nrmse_hand_example_in_original_units():
    p = _panel()
    mask = np.zeros((2, 20), bool)
    mask[0, 12] = mask[1, 15] = True
    filled = p.values.copy()
    filled[0, 12] += 0.3  # error 0.3 in original units (span 1)
    filled[1, 15] -= 0.5  # error -1.0 in original units (span 2)
    true = np.array([12 / 19, 10 + 2 * (15 % 4) / 3])
    expected = np.sqrt((0.3**2 + 1.0**2) / 2) / np.mean(np.abs(true))
    assert masked_nrmse(p, filled, mask) == pytest.approx(expected, rel=1e-5)
    assert masked_nrmse(p, p.values, mask) == 0.0
    assert nrmse(np.array([[1.0, 3.0]]), np.array([[2.0, 2.0]])) == pytest.approx(0.5)


def test_interpolate_fills_inside_and_keeps_padding():
    v = np.array([[0.0, np.nan, np.nan, 3.0, np.nan], [1.0, np.nan, 5.0, np.nan, np.nan]])
    out = interpolate(v, np.array([4, 4]))
    np.testing.assert_allclose(out[0, :4], [0, 1, 2, 3])
    np.testing.assert_allclose(out[1, :4], [1, 3, 5, 5])  # a trailing gap repeats the last value
    assert np.isnan(out[:, 4]).all()


@pytest.mark.parametrize("L", [0, 2])
def test_fill_spans_chains_windows_and_touches_only_the_spans(L):
    p = _panel()
    holed = p.values.copy()
    holed[0, 12:18] = np.nan
    out = fill_spans(p, holed, _Counter(4, L), np.array([0]), np.array([12]), 6)
    if L:  # context = last real value, then the generator's own output: counting continues 7 -> 12
        before = p.values[0, 11]
        np.testing.assert_allclose(out[0, 12:18], before + np.arange(1, 7))
    else:  # no context: each window counts 0..3 afresh, the second one truncated to 2 values
        np.testing.assert_allclose(out[0, 12:18], [0, 1, 2, 3, 0, 1])
    keep = np.ones_like(out, bool)
    keep[0, 12:18] = False
    np.testing.assert_array_equal(out[keep], holed[keep])
    assert far_gap(p) == 8
