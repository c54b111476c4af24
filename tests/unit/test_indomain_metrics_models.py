import numpy as np
import pytest
import torch

from iclr22lib import indomain as ch
from iclr22lib.core.config import ConfigError


def test_grid_variance_closed_form():
    assert ch.grid_variance(2) == pytest.approx(0.25)
    assert ch.grid_variance(3) == pytest.approx(np.var([0, 0.5, 1]))
    assert ch.grid_variance(40) == pytest.approx(np.var(np.arange(40) / 39))


def test_r2_perfect_mean_and_hand_computed():
    g = ch.Grid((3, 2), ("a", "b"))
    y = g.targets(g.indices())  # a in {0, .5, 1}, b in {0, 1}
    np.testing.assert_allclose(ch.r2_per_factor(y, y, g.sizes), [1.0, 1.0])
    np.testing.assert_allclose(ch.r2_per_factor(np.full_like(y, 0.5), y, g.sizes), [0.0, 0.0], atol=1e-12)
    # hand-computed: predict 0 everywhere -> mse_a = (0 + .25 + 1)/3, var_a = 1/6 -> 1 - 2.5 = -1.5
    r2 = ch.r2_per_factor(np.zeros_like(y), y, g.sizes)
    np.testing.assert_allclose(r2, [1 - (1.25 / 3) / (1 / 6), 1 - 0.5 / 0.25])
    assert r2[0] == pytest.approx(-1.5)
    with pytest.raises(ValueError, match=r"must both be \[N, 2\]"):
        ch.r2_per_factor(y[:, :1], y, g.sizes)


@pytest.mark.parametrize("name", ch.SUPERVISED)
@pytest.mark.parametrize("res", [32, 64])
def test_models_map_images_to_factors(name, res):
    m = ch.build_model(name, 5, res)
    assert m(torch.zeros(2, 1, res, res)).shape == (2, 5)


def test_full_config_builds_and_runs_one_step():
    assert ch.FULL.models == ch.MODELS and len(ch.MODELS) == 7  # all seven families at full scale
    cfg = ch.config("full", allow_cpu_full=True, max_test=64, n_seeds=1, splits=("extrapolation",),
                    models=("resnet18", "slow_vae"), batch_size=16)  # fmt: skip
    assert ch.FULL.resolution == 64 and ch.FULL.grid_sizes == (3, 6, 40, 32, 32) and len(ch.FULL.splits) == 4
    runs = ch.run_experiment(cfg, max_steps=1)
    assert len(runs) == 2 and all(r.r2.shape == (5,) and len(r.loss_curve) == 1 for r in runs)
    assert set(runs[0].ood_r2) == {"scale", "orientation", "x", "y"}


def test_bad_parameters_are_refused():
    with pytest.raises(ConfigError, match="unknown split/model names"):
        ch.config("smoke", models=("vit",))
    with pytest.raises(ConfigError):
        ch.config("smoke", resolution=48)
