import math

import numpy as np
import pytest

from iclr22lib import indomain as ch


@pytest.mark.parametrize(
    "grid", [ch.dsprites_grid(), ch.SHAPES3D, ch.MPI3D, ch.dsprites_grid((3, 6, 10, 16, 16))]
)
@pytest.mark.parametrize("kind", ch.SPLITS)
def test_splits_are_disjoint_and_cover_the_grid(grid, kind):
    s = ch.make_split(grid, kind)
    assert len(np.intersect1d(s.train, s.test)) == 0
    assert len(s.train) + len(s.test) == grid.total
    assert np.array_equal(np.union1d(s.train, s.test), np.arange(grid.total))


@pytest.mark.parametrize(
    "grid, kind, frac",
    [
        (ch.dsprites_grid(), "extrapolation", 4 / 6 * 32 / 40 * (25 / 32) ** 2),  # 0.3255
        (ch.dsprites_grid(), "interpolation", 4 / 6 * 32 / 40 * (25 / 32) ** 2),
        (ch.dsprites_grid(), "composition", 1 - 36 / 40 * (29 / 32) ** 2),  # 0.261
        (ch.SHAPES3D, "extrapolation", 0.8**3 * 6 / 8 * 12 / 15),  # 0.3072
        (ch.MPI3D, "extrapolation", 5 / 6 * 2 / 3 * 2 / 3 * (36 / 40) ** 2),  # 0.3000
        (ch.dsprites_grid(), "random", 0.3),
    ],
)
def test_train_fractions_match_the_notes(grid, kind, frac):
    s = ch.make_split(grid, kind)
    assert len(s.train) / grid.total == pytest.approx(frac, abs=1e-6)
    assert round(len(s.test) / grid.total, 1) == 0.7 or kind == "composition"


def test_dsprites_heldout_values_are_the_papers():
    g = ch.dsprites_grid()
    ex = ch.heldout_values(g, "extrapolation")
    assert (
        ex[1].tolist() == [4, 5]
        and ex[2].tolist() == list(range(32, 40))
        and ex[3].tolist() == list(range(25, 32))
    )
    it = ch.heldout_values(g, "interpolation")
    assert it[1].tolist() == [1, 4] and it[2].tolist() == [2, 7, 12, 17, 22, 27, 32, 37]
    assert it[3].tolist() == [2, 7, 11, 15, 20, 24, 29]
    co = ch.heldout_values(g, "composition")
    assert co[1].tolist() == [] and co[2].tolist() == [0, 1, 2, 3] and co[4].tolist() == [0, 1, 2]
    assert 0 not in ex  # shape is never split


@pytest.mark.parametrize("grid", [ch.dsprites_grid(), ch.SHAPES3D, ch.MPI3D])
def test_interpolation_never_holds_out_an_end_value(grid):
    for k, held in ch.heldout_values(grid, "interpolation").items():
        assert len(held) == math.ceil(grid.ratio * grid.sizes[k])
        assert 0 not in held and grid.sizes[k] - 1 not in held


def test_extrapolation_test_values_lie_outside_the_training_range():
    g = ch.dsprites_grid((3, 6, 10, 16, 16))
    s = ch.make_split(g, "extrapolation")
    idx = g.indices()
    for k in g.split_factors:
        train_max = idx[s.train, k].max()
        ood = idx[s.ood[g.names[k]], k]
        assert ood.min() > train_max  # strictly beyond every training value
        # the other factors of a one-factor-OOD point are in distribution
        for j in g.split_factors:
            if j != k:
                assert idx[s.ood[g.names[k]], j].max() <= idx[s.train, j].max()


def test_composition_keeps_every_factors_axis():
    g = ch.dsprites_grid()
    s = ch.make_split(g, "composition")
    idx = g.indices()
    anchors = ch.heldout_values(g, "composition")
    train = idx[s.train]
    for k, a in anchors.items():
        if len(a):
            # every value of every other factor is seen in training together with this factor's anchor
            on_axis = train[train[:, k] == a[0]]
            for j in range(len(g.sizes)):
                assert len(np.unique(on_axis[:, j])) == (1 if j == k else g.sizes[j])
    # test points are new combinations of values that all occur in training
    for j in range(len(g.sizes)):
        assert set(idx[s.test, j]) <= set(train[:, j])


def test_bad_split_name_is_refused():
    with pytest.raises(ValueError, match="unknown split 'diagonal'"):
        ch.make_split(ch.dsprites_grid(), "diagonal")
