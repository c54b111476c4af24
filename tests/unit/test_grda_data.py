import numpy as np
import pytest
import torch

from iclr22lib import grda
from iclr22lib.core.config import ConfigError
from iclr22lib.core.data import DataError


def radius_fit(d: grda.DomainGraphData) -> tuple[float, float]:
    """Least-squares ``(offset, slope)`` of the class-0 centre radius against the domain angle (raw units)."""
    raw = d.x.numpy() * d.raw_std + d.raw_mean  # [N, n, 2]
    centres = np.stack([raw[i][d.y[i].numpy() == 0].mean(0) for i in range(d.n_domains)])
    slope, offset = np.polyfit(d.angle, np.linalg.norm(centres, axis=1), 1)
    return float(offset), float(slope)


def test_dg15_matches_the_shipped_statistics():
    d = grda.load_dg("dg15")
    assert tuple(d.x.shape) == (15, 100, 2) and tuple(d.y.shape) == (15, 100)
    assert d.sources == (0, 12, 3, 4, 14, 8) and len(d.targets) == 9
    assert (d.y.sum(1) == 50).all()  # 50 points of each class in every domain
    assert int(d.adj.sum()) == 2 * 56 and grda.density(d.adj) == pytest.approx(56 / 105)
    torch.testing.assert_close(d.adj, d.adj.T)
    assert d.adj.diagonal().abs().sum() == 0
    # the official global z-scoring
    flat = d.x.reshape(-1, 2).double()
    torch.testing.assert_close(flat.mean(0), torch.zeros(2, dtype=torch.double), atol=1e-6, rtol=0)
    torch.testing.assert_close(
        flat.std(0, unbiased=False), torch.ones(2, dtype=torch.double), atol=1e-5, rtol=0
    )
    # sources are the inner end of the spiral: every source angle is below every target angle
    assert d.angle[list(d.sources)].max() < d.angle[list(d.targets)].min()
    assert d.angle[list(d.sources)].max() == pytest.approx(1.4389, abs=1e-4)
    assert tuple(d.embed.shape) == (15, 2)


def test_dg60_matches_the_shipped_statistics():
    d = grda.load_dg("dg60")
    assert tuple(d.x.shape) == (60, 100, 2) and int(d.adj.sum()) == 2 * 545
    assert grda.density(d.adj) == pytest.approx(0.3079, abs=1e-4)
    assert (d.y.sum(1) == 50).all() and d.sources == (2, 14, 41, 23, 59, 33)
    offset, slope = radius_fit(d)
    assert slope == pytest.approx(6 / (2 * np.pi), abs=0.03) and offset == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("seed", [0, 1])
def test_generator_reproduces_dg60_statistics(seed):
    shipped = grda.load_dg("dg60")
    made = grda.make_dg(60, seed=seed)
    assert tuple(made.x.shape) == (60, 100, 2) and (made.y.sum(1) == 50).all()
    assert radius_fit(made)[1] == pytest.approx(radius_fit(shipped)[1], abs=0.03)
    assert grda.density(made.adj) == pytest.approx(grda.density(shipped.adj), abs=0.03)
    # no edge between domains whose angles differ so much that cos < tau = 0.2
    cos = np.cos(made.angle[:, None] - made.angle[None, :])
    assert made.adj.numpy()[cos < 0.2].sum() == 0


def test_generator_points_lie_within_one_of_their_centre():
    made = grda.make_dg(15, seed=3, max_angle=np.pi, radius_slope=0.585, tau=0.2)
    raw = made.x.numpy() * made.raw_std + made.raw_mean
    r = 1 + 0.585 * made.angle
    centre = r[:, None] * np.stack([np.cos(made.angle), np.sin(made.angle)], 1)
    sign = np.where(made.y.numpy() == 0, 1.0, -1.0)[..., None]
    assert np.linalg.norm(raw - sign * centre[:, None, :], axis=-1).max() <= 1.0 + 1e-9


def test_tpt48_shape_graph_and_levels():
    ew, ns = grda.load_tpt48("EW"), grda.load_tpt48("NS")
    assert ew.temps.shape == (48, 144) and len(ew.states) == 48
    assert int(ew.adj.sum()) == 2 * 105 and (ew.adj == ew.adj.T).all()
    assert len(ew.sources) == 24 and len(ns.sources) == 24
    assert ew.level_sizes() == (8, 7, 9) and ns.level_sizes() == (10, 6, 8)
    level1 = {ew.states[i] for i in np.flatnonzero(ew.level == 1)}
    assert level1 == set("AR IA IL KS MS NE OK WI".split())
    assert -3 < ew.temps.min() < 0 and 89 < ew.temps.max() < 90


def test_bad_parameters_say_what_is_allowed(tmp_path):
    with pytest.raises(ConfigError, match="methods='grda\\+mmd' is not allowed; give a '\\+'-separated list"):
        grda.config("smoke", methods="grda+mmd")
    with pytest.raises(ConfigError, match="distinct names from source_only, dann, adda, cdann, mdd, grda"):
        grda.config("smoke", methods="grda+grda")
    with pytest.raises(ConfigError, match="dataset='dg30' is not allowed; choose one of 'dg15', 'dg60'"):
        grda.config("smoke", dataset="dg30")
    with pytest.raises(ConfigError, match="sample_v=20 is larger than the 15 domains of dg15"):
        grda.config("smoke", sample_v=20)
    with pytest.raises(ConfigError, match="coupling='paper' is not allowed"):
        grda.config("smoke", coupling="paper")
    with pytest.raises(ValueError, match="unknown toy data set 'dg30'; allowed: dg15, dg60"):
        grda.load_dg("dg30")
    with pytest.raises(ValueError, match="unknown TPT-48 task 'WE'; allowed: EW, NS"):
        grda.load_tpt48("WE")
    with pytest.raises(DataError, match=r"grda_dg15.*dg15_derived\.npz is missing"):
        grda.load_dg("dg15", root=tmp_path)
