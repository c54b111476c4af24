"""Frechet distance against closed forms; Context-FID embedders and losses on small inputs."""

import numpy as np
import pytest
import torch

from iclr22lib import psagan as pg


def _spd(d, seed):
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + 0.5 * np.eye(d)


def test_fd_of_a_gaussian_with_itself_is_zero():
    mu, s = np.arange(4.0), _spd(4, 0)
    assert pg.frechet_distance(mu, s, mu, s) == pytest.approx(0.0, abs=1e-8)
    assert pg.frechet_distance_torch(mu, s, mu, s) == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("c", [1.0, 0.5, 2.0])
def test_fd_shifted_and_scaled_equals_closed_form(c):
    # N(mu, S) vs N(mu + delta, c^2 S): |delta|^2 + (1 - c)^2 tr S
    mu, s, delta = np.zeros(5), _spd(5, 1), np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    want = delta @ delta + (1 - c) ** 2 * np.trace(s)
    assert pg.frechet_distance(mu, s, mu + delta, c**2 * s) == pytest.approx(want, rel=1e-8)
    assert pg.frechet_distance_torch(mu, s, mu + delta, c**2 * s) == pytest.approx(want, rel=1e-8)


def test_fd_diagonal_closed_form_and_torch_agree():
    # diagonal covariances: sum (sqrt(a) - sqrt(b))^2
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    assert pg.frechet_distance(np.zeros(3), np.diag(a), np.ones(3), np.diag(b)) == pytest.approx(3.0 + 2.0)
    s1, s2 = _spd(6, 2), _spd(6, 3)
    mu1, mu2 = np.ones(6), np.zeros(6)
    assert pg.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(
        pg.frechet_distance_torch(mu1, s1, mu2, s2), rel=1e-7
    )


def test_fid_from_samples_same_gaussian_small_shifted_large():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20000, 3)), rng.normal(size=(20000, 3))
    assert pg.fid_from_samples(x, y) < 0.01
    assert pg.fid_from_samples(x, y + 2.0) == pytest.approx(12.0, rel=0.02)
    with pytest.raises(ValueError, match="need samples"):
        pg.fid_from_samples(x[:1], y)


def test_moment_loss_hand_example():
    fake = torch.tensor([[[0.0, 2.0]], [[1.0, 1.0]]])  # means 1, 1; stds 1, 0
    real = torch.tensor([[[1.0, 1.0]], [[0.0, 4.0]]])  # means 1, 2; stds 0, 2
    # std part: (|1 - 0| + |0 - 2|) / 2 = 1.5 ; mean part: (0 + 1) / 2 = 0.5
    assert pg.moment_loss(fake, real).item() == pytest.approx(2.0)
    assert pg.moment_loss(real, real).item() == 0.0


def test_lsgan_losses_hand_values():
    d_real, d_fake = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    assert pg.lsgan_d_loss(d_real, d_fake).item() == pytest.approx(0.5 * 0.5 + 0.5 * 0.5)
    assert pg.lsgan_g_loss(d_fake).item() == pytest.approx(0.25)


def test_contrastive_losses_prefer_matching_views():
    torch.manual_seed(0)
    z = torch.randn(4, 8, 6) * 3
    same = pg.hierarchical_contrastive(z, z.clone())
    other = pg.hierarchical_contrastive(z, torch.randn(4, 8, 6) * 3)
    assert torch.isfinite(same) and same < other


@pytest.mark.parametrize("kind", ["ts2vec", "causalcnn"])
def test_embedders_train_and_embed(kind):
    rng = np.random.default_rng(0)
    w = np.sin(np.arange(16) / 3 + rng.uniform(0, 6, size=(64, 1))).astype(np.float32)
    enc = pg.train_embedder(kind, w, hidden=8, out=6, depth=2, steps=3, seed=0)
    e = pg.embed(enc, w)
    assert e.shape == (64, 6) and np.isfinite(e).all()
    assert pg.context_fid(enc, w, w) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="unknown embedder"):
        pg.train_embedder("vae", w)
