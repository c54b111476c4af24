"""Point-process intensities: EM against closed forms, Hawkes recovery of planted parameters."""

import numpy as np
import pytest

from iclr22lib import rim


def test_poisson_em_matches_closed_form():
    # constant rate: MLE = events / exposure time
    phi = np.ones((30, 1))
    assert rim.poisson_em(phi, np.array([12.0]), iters=5)[0] == pytest.approx(2.5)
    # two disjoint groups with their own rate: MLE = count_g / exposure_g
    phi = np.array([[1.0, 0.0]] * 6 + [[0.0, 1.0]] * 4)
    th = rim.poisson_em(phi, np.array([3.0, 8.0]), iters=50)
    assert th == pytest.approx([2.0, 0.5])


def test_hawkes_design_on_a_hand_made_history():
    # one user: origin at t=0, events at 1 and 3, state time T = 4 (horizon 1), one decay beta = 1
    log = rim.make_log(np.zeros(3, int), np.zeros(3, int), np.array([0.0, 1.0, 3.0]))
    st = rim.make_states(log, np.array([4.0]), 1.0)
    phi, psi = rim.hawkes_design(st, np.array([1.0]))
    # events 1 and 3 are data; excitation from earlier data events (not the origin); control = e^{-tau}
    assert phi == pytest.approx(np.array([[1, 0, np.exp(-1)], [1, np.exp(-2), np.exp(-3)]]))
    assert psi == pytest.approx([4.0, (1 - np.exp(-3)) + (1 - np.exp(-1)), 1 - np.exp(-4)])
    exc, ctrl = rim.state_features(st, np.array([1.0]))
    assert exc[0, 0] == pytest.approx(np.exp(-3) + np.exp(-1)) and ctrl[0, 0] == pytest.approx(np.exp(-4))


def test_hawkes_fit_recovers_planted_parameters():
    log, planted = rim.generate(n_users=1500, n_items=5, periods=20.0, seed=1, mu_shape=1e6)
    st = rim.make_states(log, np.full(log.n_users, 20.0), 1.0)
    st = st.subset(st.hist_len > 1)
    fit = rim.fit_hawkes(st, planted.decays, iters=800)
    assert fit.mu == pytest.approx(0.6, abs=0.08)
    assert fit.a == pytest.approx(planted.a, abs=0.06)
    assert fit.b == pytest.approx(planted.a, abs=0.15)  # the origin's excitation, via the control channel
    assert fit.log_likelihood(st) >= rim.Hawkes(planted.decays, 0.6, planted.a, planted.a).log_likelihood(st)


def test_branching_simulation_has_the_stationary_rate():
    mu, a = np.full(400, 0.5), np.array([0.3, 0.2])
    _users, times = rim.simulate_hawkes(mu, a, np.array([4.0, 1.0]), 50.0, np.random.default_rng(0))
    rate = len(times) / (400 * 50.0)
    assert rate == pytest.approx(0.5 / (1 - 0.5), rel=0.06)  # mu / (1 - branching ratio)
    with pytest.raises(ValueError, match="branching ratio"):
        rim.simulate_hawkes(mu, np.array([0.7, 0.4]), np.array([1.0, 1.0]), 1.0, np.random.default_rng(0))


def test_hawkes_poisson_predicts_window_counts():
    log, planted = rim.generate(n_users=600, n_items=5, periods=12.0, seed=2)
    data = rim.temporal_split(log, 11.0, 1.0)
    hp = rim.fit_hawkes_poisson(data.valid, rim.default_decays(8))
    pred, y = hp.window_count(data.test), data.test.target_counts()
    assert (hp.w >= 0).all()
    assert pred.mean() == pytest.approx(y.mean(), rel=0.25)
    assert np.corrcoef(pred, planted.window_count(data.test))[0, 1] > 0.7
