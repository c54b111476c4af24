"""Losses by hand, the models on the attribution game, and the configuration (SMOKE and FULL)."""

import dataclasses
import math

import pytest
import torch

from iclr22lib import trajattr as ta
from iclr22lib.core.config import ConfigError


def straight_batch(n=4, n_nbrs=2):
    t = torch.arange(-7, 13, dtype=torch.float32)  # 8 observed (ending at 0) + 12 future steps
    vel = torch.randn(n, 2, generator=torch.Generator().manual_seed(0))
    path = t[None, :, None] * vel[:, None] * 0.4
    nbrs = torch.randn(n, n_nbrs, 8, 2, generator=torch.Generator().manual_seed(1))
    mask = torch.ones(n, n_nbrs, dtype=torch.bool)
    mask[0] = False
    return ta.TrajBatch(path[:, :8], path[:, 8:], nbrs, mask, torch.zeros(n, dtype=torch.int64))


def test_nll_by_hand():
    y = torch.tensor([[[3.0, 4.0]] * 12])  # |y|^2 = 25 at every step
    mix = ta.Mixture(torch.zeros(1, 1, 12, 2), torch.zeros(1, 1, 12), torch.zeros(1, 1))
    assert ta.nll(mix, y).item() == pytest.approx(12.5 + math.log(2 * math.pi), rel=1e-6)
    # two identical modes: the same density
    mix2 = ta.Mixture(torch.zeros(1, 2, 12, 2), torch.zeros(1, 2, 12), torch.tensor([[0.3, -1.0]]))
    assert ta.nll(mix2, y).item() == pytest.approx(12.5 + math.log(2 * math.pi), rel=1e-6)


def test_clipped_nll_by_hand():
    y = torch.zeros(1, 12, 2)
    # one mode, exact mean, sigma = e^-4 at every step: log p = 8 - log(2 pi) ~ 6.16 > 6, so capped at 6
    sharp = ta.Mixture(torch.zeros(1, 1, 12, 2), torch.full((1, 1, 12), -4.0), torch.zeros(1, 1))
    assert ta.nll_clipped(sharp, y).item() == pytest.approx(-ta.models.LOG_P_MAX)
    assert ta.nll(sharp, y).item() == pytest.approx(-(8 - math.log(2 * math.pi)), rel=1e-6)
    # two modes that are each right on half the steps: the per-step mixture beats the per-path one
    means = torch.zeros(1, 2, 12, 2)
    means[0, 0, 6:, 0] = 3.0
    means[0, 1, :6, 0] = 3.0
    mix = ta.Mixture(means, torch.zeros(1, 2, 12), torch.zeros(1, 2))
    step = math.log(0.5 * (1 + math.exp(-4.5))) - math.log(2 * math.pi)  # per-step mixed log-density
    assert ta.nll_clipped(mix, y).item() == pytest.approx(-step, rel=1e-6)
    path = math.log(0.5) + 6 * (-4.5) - 12 * math.log(2 * math.pi)  # both paths alike: log(2 * 0.5 e^...)
    assert ta.nll(mix, y).item() == pytest.approx(-(path + math.log(2)) / 12, rel=1e-6)
    with pytest.raises(ValueError, match="nll_clipped"):
        ta.sample_loss(ta.ConstantVelocity(), straight_batch(), value="mse")


def test_nll_and_clipped_nll_match_torch_distributions():
    """Both losses are the Gaussian-mixture densities torch.distributions builds (per path, per step)."""
    from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

    g = torch.Generator().manual_seed(0)
    B, K = 64, 3
    mix = ta.Mixture(
        torch.randn(B, K, 12, 2, generator=g),
        torch.randn(B, K, 12, generator=g) - 1,
        torch.randn(B, K, generator=g),
    )
    y = torch.randn(B, 12, 2, generator=g)
    scale = mix.log_sigma.exp()[..., None].expand_as(mix.means)
    path = MixtureSameFamily(Categorical(logits=mix.logits), Independent(Normal(mix.means, scale), 2))
    torch.testing.assert_close(ta.nll(mix, y), -path.log_prob(y) / 12, rtol=1e-5, atol=1e-5)
    per_step = MixtureSameFamily(
        Categorical(logits=mix.logits[:, None].expand(B, 12, K)),
        Independent(Normal(mix.means.transpose(1, 2), scale.transpose(1, 2)), 1),
    )
    want = -per_step.log_prob(y).clamp(max=ta.models.LOG_P_MAX).mean(-1)
    torch.testing.assert_close(ta.nll_clipped(mix, y), want, rtol=1e-5, atol=1e-5)


def test_min_ade_fde_by_hand():
    y = torch.zeros(1, 12, 2)
    means = torch.zeros(1, 2, 12, 2)
    means[0, 0, :, 0] = 1.0  # 1 m off at every step
    means[0, 1, -1, 1] = 6.0  # exact until the last step, 6 m off there
    ade, fde = ta.displacement(ta.Mixture(means, torch.zeros(1, 2, 12), torch.zeros(1, 2)), y)
    assert ade.item() == pytest.approx(0.5) and fde.item() == pytest.approx(1.0)


def test_constant_velocity_is_exact_on_straight_lines_and_ignores_neighbours():
    b = straight_batch()
    cv = ta.ConstantVelocity()
    ade, fde = ta.displacement(cv(b.past), b.future)
    assert ade.max().item() < 1e-5 and fde.max().item() < 1e-5
    att = ta.attribute(cv, b, pool=b, estimator="exact")
    assert torch.equal(att.phi[:, 1:], torch.zeros_like(att.phi[:, 1:]))


@pytest.mark.parametrize("name", ["past only", "social attention"])
def test_model_game_efficiency_and_null_players(name):
    torch.manual_seed(0)
    model = ta.build_model(name, hidden=8, n_modes=2)
    b = straight_batch(n=5, n_nbrs=3)
    for baseline in ("zero", "random"):
        att = ta.attribute(model, b, pool=b, estimator="exact", baseline=baseline, n_draws=3)
        assert torch.allclose(att.phi.sum(1), att.v_all - att.v_none, atol=1e-4)
        assert torch.equal(att.phi[0, 1:4], torch.zeros(3, dtype=torch.float64))  # empty slots: null players
        if name == "past only":  # zero up to the model's float32 rounding: a row's output may depend on
            # its position in the batch in some CPU kernels (MKL's AVX2 path), so v(S + i) - v(S) is ~1e-8
            assert torch.allclose(att.phi[:, 1:], torch.zeros_like(att.phi[:, 1:]), atol=1e-6)


def test_estimators_agree_on_a_model():
    torch.manual_seed(0)
    model = ta.build_model("social attention", hidden=8, n_modes=2)
    b = straight_batch(n=6, n_nbrs=3)
    exact = ta.attribute(model, b, pool=b, estimator="exact").phi
    perm = ta.attribute(model, b, pool=b, estimator="permutation", n_permutations=800)
    assert ((perm.phi - exact).abs() <= 4 * perm.se + 1e-4).all()


def test_social_interaction_score_takes_the_best_real_neighbour():
    phi = torch.tensor([[5.0, 0.2, 0.7, -1.0, 9.0], [4.0, 0.0, 0.0, 0.0, 3.0]], dtype=torch.float64)
    mask = torch.tensor([[True, True, True, True], [False, False, False, True]])
    att = ta.Attribution(phi, phi * 0, phi[:, 0], phi[:, 0] * 0, mask, random_slot=4, estimator="exact")
    assert ta.social_interaction_score(att).tolist() == [0.7, 0.0]  # random agent (9.0, 3.0) excluded


def test_bad_parameters_are_refused_with_the_allowed_values():
    with pytest.raises(
        ConfigError, match="value='mse' is not allowed; choose one of 'nll', 'nll_clipped', 'minade'"
    ):
        ta.config("smoke", value="mse")
    with pytest.raises(ConfigError, match="unknown parameter 'lambda'"):
        ta.config("smoke", **{"lambda": 1.0})
    with pytest.raises(ConfigError, match="eval_every=500 is larger than train_steps=100"):
        ta.config("smoke", train_steps=100, eval_every=500)
    with pytest.raises(ConfigError, match="needs a GPU"):
        ta.config("full", device="cpu")
    with pytest.raises(ValueError, match="unknown estimator 'kernel'"):
        ta.attribute(ta.ConstantVelocity(), straight_batch(), estimator="kernel", random_agent=False)


def test_full_config_builds_and_runs_one_step_on_cpu():
    cfg = ta.config("full", device="cpu", allow_cpu_full=True)
    assert (
        cfg.eth_scenes == "all" and cfg.sweep and len(ta.sim_settings(cfg)) == 16
    )  # 15-point grid + the interacting setting
    assert ta.eth_scene_list(cfg) == ta.ETH_SCENES
    cfg = dataclasses.replace(cfg, train_steps=1, eval_every=1)
    data = ta.simulated_samples(6, cfg.sim_agents, 1.0, 0.5, seed=0, max_nbrs=cfg.max_neighbours)
    model, log = ta.train_model("social attention", data, data, cfg)
    assert log.steps == [1] and math.isfinite(log.val_nll[0])
    att = ta.attribute(model, data.index(slice(0, 2)), pool=data, estimator="exact", value=cfg.value)
    assert att.phi.shape == (2, cfg.max_neighbours + 2)


def test_model_game_chunking_does_not_change_values():
    torch.manual_seed(0)
    model = ta.build_model("social attention", hidden=8, n_modes=2).eval()
    b = ta.simulated_samples(8, 5, 1.0, 0.5, seed=0)
    coalitions = ta.all_coalitions(1 + b.n_slots)
    small = ta.model_game(model, b, baseline="random", pool=b, n_draws=3, max_rows=50)(coalitions)
    big = ta.model_game(model, b, baseline="random", pool=b, n_draws=3)(coalitions)
    assert small.shape == (len(b), len(coalitions))
    torch.testing.assert_close(small, big, atol=1e-5, rtol=1e-5)
