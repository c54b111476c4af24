"""Generator/discriminator shapes at every depth, fade-in ramp and mixing, self-attention, schedule."""

import numpy as np
import pytest
import torch

from iclr22lib import psagan as pg


def _batch(b, tau, L=0, n_tf=3):
    torch.manual_seed(0)
    return torch.randn(b, 1, tau), torch.arange(b) % 3, torch.rand(b, n_tf, tau) - 0.5, torch.randn(b, L)


@pytest.mark.parametrize("L", [0, 8])
def test_shapes_at_every_depth(L):
    tau = 64
    g = pg.Generator(tau, 3, 3, channels=8, emb_dim=2, context_length=L)
    d = pg.Discriminator(tau, 3, 3, channels=8, emb_dim=2)
    noise, s, tf, ctx = _batch(5, tau, L)
    assert pg.n_stages(tau) == 4
    for depth in range(4):
        for alpha in (0.0, 0.5, 1.0):
            y = g(noise, s, tf, ctx, depth, alpha)
            assert y.shape == (5, 1, 8 * 2**depth)
            assert d(y, s, tf, depth, alpha).shape == (5,)
    with pytest.raises(ValueError, match="depth"):
        g(noise, s, tf, ctx, 4)
    with pytest.raises(ValueError, match="does not match depth"):
        d(torch.randn(5, 1, 16), s, tf, 3)


def test_context_required_for_psagan_c():
    g = pg.Generator(32, 3, 3, channels=8, emb_dim=2, context_length=8)
    noise, s, tf, _ = _batch(2, 32)
    with pytest.raises(ValueError, match="PSA-GAN-C needs context"):
        g(noise, s, tf, None)


def test_fade_in_mixes_linearly_between_skip_and_new_stage():
    g = pg.Generator(32, 3, 3, channels=8, emb_dim=2).eval()  # eval: no power iteration between calls
    noise, s, tf, ctx = _batch(4, 32)
    with torch.no_grad():
        y0, y1, yh = (g(noise, s, tf, ctx, 2, a) for a in (0.0, 1.0, 0.25))
    torch.testing.assert_close(yh, 0.25 * y1 + 0.75 * y0)


def test_schedule_alpha_ramps_zero_to_one():
    sch = pg.Schedule(stages=3, epochs_per_stage=10, fade_epochs=4)
    assert sch.epochs == 30
    assert sch.at(0) == (0, 1.0) and sch.at(9.9) == (0, 1.0)
    alphas = [sch.at(10 + t)[1] for t in np.linspace(0, 4, 9)]
    assert alphas[0] == 0.0 and alphas[-1] == 1.0 and np.all(np.diff(alphas) > 0)
    assert sch.at(12) == (1, 0.5) and sch.at(15) == (1, 1.0) and sch.at(25)[0] == 2
    assert sch.at(100) == (2, 1.0)
    assert pg.Schedule(3, 10, 0).at(10) == (1, 1.0)  # no fade-in: the new stage is on at once


def test_self_attention_starts_as_identity_and_attends():
    sa = pg.SelfAttention(4, dim=2)
    x = torch.randn(3, 4, 10)
    assert sa.gamma.item() == 0.0
    torch.testing.assert_close(sa(x), x)
    a = sa.attention(x)
    assert a.shape == (3, 10, 10)
    torch.testing.assert_close(a.sum(-1), torch.ones(3, 10))


def test_spectral_norm_bounds_conv_weight():
    blk = pg.MainBlock(4, 6)
    for _ in range(20):
        blk(torch.randn(2, 4, 16))  # power iterations converge in training mode
    w = blk.conv.weight.reshape(6, -1)
    assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, rel=0.05)
