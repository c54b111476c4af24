"""TimeGAN baseline: shapes of every network, losses on hand examples, the autoencoder phase on sines."""

import numpy as np
import pytest
import torch

from iclr22lib.psagan.timegan import (
    TimeGAN,
    batch_moment_loss,
    fit_timegan,
    reconstruction_loss,
    supervised_loss,
)


@pytest.mark.parametrize("conditional", [True, False])
def test_shapes_at_every_stage(conditional):
    torch.manual_seed(0)
    b, tau, h = 5, 16, 8
    m = TimeGAN(tau, 3, 3, hidden=h, layers=2, emb_dim=2, conditional=conditional)
    x = torch.rand(b, tau, 1)
    s, tf = torch.arange(b) % 3, torch.rand(b, 3, tau) - 0.5
    lat = m.embedder(x)
    assert lat.shape == (b, tau, h) and (lat > 0).all() and (lat < 1).all()
    assert m.recovery(lat).shape == (b, tau, 1)
    e_hat = m.generate_latent(torch.rand(b, tau, 1), s, tf)
    assert e_hat.shape == (b, tau, h)
    assert m.supervisor(e_hat).shape == (b, tau, h)
    assert m.discriminate(e_hat, s, tf).shape == (b, tau, 1)
    y = m(torch.randn(b, 1, tau), s, tf)
    assert y.shape == (b, 1, tau) and ((y > 0) & (y < 1)).all()
    assert m.window == tau and m.context_length == 0


def test_supervised_loss_hand_example():
    h = torch.tensor([[[0.0], [1.0], [3.0]]])
    h_next = torch.tensor([[[1.5], [2.0], [9.0]]])  # predictions of h[1], h[2]; the last one has no target
    assert supervised_loss(h, h_next).item() == pytest.approx((0.5**2 + 1.0**2) / 2)
    assert reconstruction_loss(h, h_next).item() == pytest.approx((1.5**2 + 1.0 + 36.0) / 3)


def test_batch_moment_loss_hand_example():
    x = torch.tensor([0.0, 2.0]).reshape(2, 1, 1)  # batch mean 1, population variance 1
    x_hat = torch.tensor([1.0, 1.0]).reshape(2, 1, 1)  # mean 1, variance 0
    expected = abs(np.sqrt(1e-6) - np.sqrt(1 + 1e-6))
    assert batch_moment_loss(x_hat, x).item() == pytest.approx(expected, rel=1e-6)
    assert batch_moment_loss(x + 0.5, x).item() == pytest.approx(0.5, rel=1e-6)  # mean shift only


def test_autoencoder_phase_learns_sines_and_all_phases_run():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    tau = 16
    t = np.arange(tau)

    def batch():
        phase = rng.uniform(0, 2 * np.pi, size=(32, 1))
        y = 0.5 + 0.4 * np.sin(2 * np.pi * t / 8 + phase)
        return {
            "y": torch.as_tensor(y, dtype=torch.float32)[:, None, :],
            "series": torch.zeros(32, dtype=torch.long),
            "tf": torch.zeros(32, 3, tau),
        }

    m = TimeGAN(tau, 1, 3, hidden=8, layers=1, conditional=False)
    log = fit_timegan(m, batch, iters=(120, 3, 2), lr=1e-2)
    var = 0.4**2 / 2  # the data's variance: the error of predicting the mean
    assert np.mean(log["ae"][:5]) > 0.5 * var
    assert np.mean(log["ae"][-10:]) < 0.05 * var
    assert len(log["sup"]) == 3 and len(log["g"]) == len(log["d"]) == 2
    assert all(np.isfinite(v).all() for v in log.values())
