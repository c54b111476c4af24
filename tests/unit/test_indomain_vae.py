"""The VAE families: closed-form KLs, Ada-GVAE's posterior sharing, SlowVAE's Laplace KL, pair sampling."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from iclr22lib import indomain as ch


def test_kl_terms_match_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu1, mu2 = torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)
    lv1, lv2 = torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)
    n1 = torch.distributions.Normal(mu1, (0.5 * lv1).exp())
    n2 = torch.distributions.Normal(mu2, (0.5 * lv2).exp())
    std = torch.distributions.Normal(torch.zeros(4, 3), torch.ones(4, 3))
    torch.testing.assert_close(ch.kl_between(mu1, lv1, mu2, lv2), torch.distributions.kl_divergence(n1, n2))
    torch.testing.assert_close(ch.kl_normal(mu1, lv1), torch.distributions.kl_divergence(n1, std))
    # ... and the closed forms they replaced, within 1e-6, over the whole clamped log-variance range
    mu1, mu2 = 3 * torch.randn(64, 10, generator=g), 3 * torch.randn(64, 10, generator=g)
    lv1, lv2 = (torch.rand(2, 64, 10, generator=g) * 20 - 12).unbind()
    by_hand = 0.5 * (lv2 - lv1 + (lv1.exp() + (mu1 - mu2) ** 2) / lv2.exp() - 1.0)
    torch.testing.assert_close(ch.kl_between(mu1, lv1, mu2, lv2), by_hand, atol=1e-6, rtol=1e-6)
    by_hand = 0.5 * (mu1**2 + lv1.exp() - 1.0 - lv1)
    torch.testing.assert_close(ch.kl_normal(mu1, lv1), by_hand, atol=1e-6, rtol=1e-6)
    centre, rate = torch.randn(64, 10, generator=g), 6.0
    torch.manual_seed(1)
    est = ch.vae.laplace_kl_mc(mu1, lv1, centre, rate)
    torch.manual_seed(1)
    std = (0.5 * lv1).exp()
    z = mu1 + torch.randn_like(mu1) * std
    log_q = -0.5 * ((z - mu1) / std) ** 2 - 0.5 * lv1 - 0.5 * math.log(2 * math.pi)
    log_p = math.log(rate / 2) - rate * (z - centre).abs()
    torch.testing.assert_close(est, (log_q - log_p).sum(1), atol=1e-6, rtol=1e-6)


def test_ada_gvae_shares_exactly_the_dimensions_that_agree():
    mu1 = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    mu2 = torch.tensor([[0.0, 1.0, -4.0, 3.1]])  # dimension 2 differs a lot, 3 a little
    lv = torch.zeros(1, 4)
    m1, l1, m2, l2, shared = ch.adaptive_average(mu1, lv, mu2, lv)
    torch.testing.assert_close(l2, l1)
    assert shared.tolist() == [[True, True, False, True]]
    torch.testing.assert_close(m1[0, [0, 1, 3]], torch.tensor([0.0, 1.0, 3.05]))
    assert m1[0, 2].item() == 2.0 and m2[0, 2].item() == -4.0  # not shared: untouched
    torch.testing.assert_close(l1, torch.zeros(1, 4))  # equal variances average to themselves


def test_slow_vae_laplace_kl_matches_its_closed_form():
    """KL(N(m, s^2) || Laplace(c, 1/r)) = -H(N) - log(r/2) + r E|z - c| (folded-normal mean)."""
    m, s, c, r = 0.3, 0.7, -0.2, 2.0
    torch.manual_seed(0)
    n = 400_000
    est = ch.vae.laplace_kl_mc(
        torch.full((n, 1), m), torch.full((n, 1), 2 * math.log(s)), torch.full((n, 1), c), r
    )
    d = m - c
    e_abs = s * math.sqrt(2 / math.pi) * math.exp(-(d**2) / (2 * s**2)) + d * (1 - 2 * norm.cdf(-d / s))
    exact = -(0.5 * math.log(2 * math.pi * math.e * s**2)) - math.log(r / 2) + r * e_abs
    assert est.mean().item() == pytest.approx(exact, abs=0.01)


@pytest.mark.parametrize("kind", ["ada_gvae", "slow_vae"])
def test_pairs_stay_inside_the_split(kind):
    grid = ch.dsprites_grid((3, 6, 10, 16, 16))
    split = ch.make_split(grid, "extrapolation")
    in_split = np.zeros(grid.total, dtype=bool)
    in_split[split.train] = True
    rng = np.random.default_rng(0)
    idx = grid.indices()[split.train[:2000]]
    pairs = ch.sample_pairs(kind, idx, grid.sizes, in_split, rng)
    assert in_split[np.ravel_multi_index(pairs.T, grid.sizes)].all()
    moved = (pairs != idx).sum(1)
    if kind == "slow_vae":  # sparse transitions: most factors keep their value
        assert np.median(moved) <= 2 and (pairs != idx).mean() < 0.5
    else:  # weak supervision: a pair differs in some factors and shares the rest
        assert (moved > 0).mean() > 0.9 and (moved < 5).mean() > 0.9


def test_resnet18_has_the_resnet18_layout():
    m = ch.ResNet18(5, 64)
    # torchvision's resnet18 has 11,689,512 parameters; ours takes 1 channel through a 3x3 stem
    # (576 instead of 9,408 weights) and has a 5-output head (2,565 instead of 513,000)
    assert sum(p.numel() for p in m.parameters()) == 11_689_512 - 9_408 + 576 - 513_000 + 2_565


@pytest.mark.parametrize("kind", ch.VAE_MODELS)
def test_vae_families_train_and_read_out(kind):
    grid = ch.dsprites_grid((3, 2, 2, 8, 8))
    split = ch.make_split(grid, "random")
    model, curve = ch.train_regressor(kind, grid, split.train, resolution=32, epochs=1, batch_size=16, lr=1e-3,
                                      seed=0, device="cpu", max_steps=2)  # fmt: skip
    assert np.isfinite(curve).all() and len(curve) == 1
    assert all(not p.requires_grad for p in model.vae.parameters())  # the representation stays frozen
    assert model(torch.zeros(3, 1, 32, 32)).shape == (3, 5)
    with pytest.raises(ValueError, match="unknown VAE kind"):
        ch.vae_loss("vae", model.vae, torch.zeros(1, 1, 32, 32), None, beta=1.0, gamma=1.0, rate=1.0)
