"""DIVA's procedures, baselines, features and config: hand-computed values and planted problems."""

import itertools

import numpy as np
import pytest
import torch

from iclr22lib import diva
from iclr22lib.core.config import ConfigError
from iclr22lib.diva import experiments, ridge
from iclr22lib.diva.linearised import ntk_noise_run


def blobs(n_per=40, c=3, p=6, noise=0.25, seed=0):
    """Well separated Gaussian classes with a planted fraction of flipped labels."""
    g = torch.Generator().manual_seed(seed)
    centres = 3 * torch.randn(c, p, generator=g, dtype=torch.float64)
    y = torch.arange(c).repeat_interleave(n_per)
    Z = centres[y] + torch.randn(len(y), p, generator=g, dtype=torch.float64)
    y_noisy, flipped = diva.corrupt_labels(y, noise, c, seed=seed)
    return Z, y, y_noisy, flipped


def test_auc_and_f1_match_their_definitions():
    scores = torch.tensor([0.1, 0.4, 0.35, 0.8, 0.4, 0.2])
    pos = torch.tensor([False, True, False, True, False, True])
    pairs = [(a, b) for a, b in itertools.product(scores[pos], scores[~pos])]
    expected = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs) / len(pairs)
    assert diva.auc(scores, pos) == pytest.approx(expected)  # 7.5 / 9
    sel = torch.tensor([True, True, False, False, False, True])
    assert diva.f1(sel, pos) == pytest.approx(2 * (2 / 3) * (2 / 3) / (4 / 3))
    assert diva.f1(torch.zeros(6, dtype=torch.bool), pos) == 0.0


def test_corrupt_labels_changes_exactly_the_asked_fraction():
    y = torch.arange(10).repeat(50)
    noisy, mask = diva.corrupt_labels(y, 0.2, 10, seed=3)
    assert (
        int(mask.sum()) == 100
        and bool((noisy[mask] != y[mask]).all())
        and bool((noisy[~mask] == y[~mask]).all())
    )
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        diva.corrupt_labels(y, 1.5, 10)


def test_derivative_flags_planted_label_noise_and_reweight_downweights_it():
    Z, _, y_noisy, flipped = blobs()
    Y = ridge.one_hot(y_noisy, 3)
    rw = diva.reweight(Z, Y, 1.0, steps=3, lr=0.2)
    assert diva.auc(rw.grads[0], flipped) > 0.95
    assert rw.alpha[flipped].mean() < 0.8 * rw.alpha[~flipped].mean()
    assert rw.alpha.min() >= 0 and rw.alpha.sum().item() == pytest.approx(len(Y))
    assert rw.alphas.shape == (4, len(Y)) and bool((rw.alphas[0] == 1).all())


def test_extend_prefers_clean_pool_samples_and_stops_when_nothing_helps():
    Z, y, y_noisy, flipped = blobs(n_per=60, noise=0.4, seed=1)
    core = torch.arange(len(y)) % 60 < 10
    Yc, Yp = ridge.one_hot(y[core], 3), ridge.one_hot(y_noisy[~core], 3)
    res = diva.extend(Z[core], Yc, Z[~core], Yp, 1.0, k=10, max_rounds=50)
    picked = torch.as_tensor(res.order)
    assert len(set(res.order)) == len(res.order) == sum(res.round_sizes)
    assert flipped[~core][picked].double().mean() < 0.5 * flipped[~core].double().mean()
    assert len(res.round_sizes) < 50  # ran out of helpful samples before the round limit


def test_augmentation_probabilities_and_baselines():
    probs = diva.augmentation_probabilities(torch.tensor([1.0, 3.0, 0.0, 4.0]), torch.tensor([0, 0, 1, 2]), 3)
    assert probs.tolist() == [0.5, 0.0, 0.5]
    Z, _, y_noisy, flipped = blobs()
    Y = ridge.one_hot(y_noisy, 3)
    assert diva.auc(diva.loss_ranking_scores(Z, Y, 1.0), flipped) > 0.9
    w, held = diva.ren_weights(Z, Y, 1.0, val_fraction=0.25, seed=0)
    assert (
        int(held.sum()) == 30 and bool((w[held] == 0).all()) and w[~held].mean().item() == pytest.approx(1.0)
    )
    cw = diva.chang_weights(Z, Y, 1.0)
    assert cw.mean().item() == pytest.approx(1.0) and bool((cw > 0).all())


def test_flips_and_feature_map():
    x = np.arange(2 * 32 * 32 * 3, dtype=np.uint8).reshape(2, 32, 32, 3)
    assert np.array_equal(diva.flip(x, "h")[:, :, 0], x[:, :, 31])
    assert np.array_equal(diva.flip(x, "v")[:, 0], x[:, 31])
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (12, 32, 32, 3), dtype=np.uint8)
    fmap = diva.fit_patch_features(imgs, n_filters=4, patch=5, seed=0)
    feats = diva.extract_features(fmap, imgs)
    assert feats.shape == (12, 32) == (12, fmap.dim) and feats.dtype == torch.float64
    assert torch.allclose(feats.mean(0), torch.zeros(32, dtype=torch.float64), atol=1e-5)
    with pytest.raises(ValueError, match="choose one of 'none', 'h', 'v'"):
        diva.flip(x, "d")


def test_bad_parameters_are_refused_with_what_is_allowed():
    with pytest.raises(ConfigError, match="loo_loss='hinge' is not allowed; choose one of 'mse', 'ce'"):
        diva.config("smoke", loo_loss="hinge")
    with pytest.raises(ConfigError, match="unknown parameter 'n_train'"):
        diva.config("smoke", n_train=10)
    with pytest.raises(ConfigError, match="must be below n_train_per_class"):
        diva.config("smoke", extend_core_per_class=300)
    with pytest.raises(ConfigError, match="fractions in"):
        diva.config("smoke", noise_levels=(0.95,))


def test_full_config_builds_and_runs_one_step_on_cpu(real_data_root):
    cfg = diva.config(
        "full",
        allow_cpu_full=True,
        n_train_per_class=20,
        n_test_per_class=10,
        image_size=64,
        extend_core_per_class=5,
        extend_k=10,
        extend_rounds=1,
        aug_per_class=5,
        reweight_steps=1,
        ntk_per_class=6,
        ntk_pretrain_per_class=10,
        ntk_test_per_class=5,
        ntk_epochs=1,
    )
    assert diva.FULL.n_seeds == 5 and diva.FULL.noise_levels == (0.1, 0.2, 0.4) and cfg.scale == "full"
    f = experiments.load_features(cfg, root=real_data_root)
    assert f.Z_train.shape == (200, 1280) and f.Z_test.shape == (100, 1280)
    run = experiments.noise_run(f, cfg, cfg.noise_levels[0], seed=0)
    assert 0 <= run["err_diva"] <= 1 and 0 <= run["auc_diva"] <= 1 and int(run["is_noisy"].sum()) == 20
    ext = experiments.extend_run(f, cfg, n_uniform_draws=1)
    assert len(ext["err_diva"]) == len(ext["sizes"]) <= 2
    flips = experiments.flip_run(f, cfg)
    assert flips["probs"].shape == (2, 3) and flips["probs"][-1].sum().item() == pytest.approx(1.0)
    lin = ntk_noise_run(cfg, cfg.noise_levels[1], seed=0, root=real_data_root)
    assert lin["n_task"] == 60 and 0 <= lin["auc_diva"] <= 1 and 0 <= lin["err_drop"] <= 1
