import math

import numpy as np
import pytest
import torch

from iclr22lib import grda
from iclr22lib.core.config import ConfigError


def test_full_config_builds_and_runs_one_step():
    with pytest.raises(ConfigError, match="needs a GPU"):
        grda.config("full", device="cpu")
    cfg = grda.config("full", device="cpu", allow_cpu_full=True)
    assert cfg.hidden == 512 and cfg.epochs == 500 and cfg.n_seeds == 5 and cfg.lambda_d == 0.5
    assert cfg.method_list == grda.METHODS and len(grda.METHODS) == 6
    assert cfg.second_toy and cfg.other_toy == "dg60" and cfg.tpt48_task_list == ("EW", "NS")
    r60 = grda.train(grda.load_dg(cfg.other_toy), "grda", cfg, seed=0, max_steps=1)
    assert r60.domain_score.shape == (60,) and math.isfinite(r60.d_loss[0])
    assert grda.config("full", device="cpu", allow_cpu_full=True, methods=None).method_list == grda.METHODS
    assert grda.config("smoke", methods=None).method_list == ("source_only", "dann", "grda")
    data = grda.load_dg(cfg.dataset)
    for method in cfg.method_list:
        r = grda.train(data, method, cfg, seed=0, max_steps=1)
        assert r.domain_score.shape == (15,) and len(r.f_loss) == 1 and 0 <= r.target_score <= 1
        assert math.isfinite(r.f_loss[0]) and (method == "source_only" or math.isfinite(r.d_loss[0]))


def test_runs_are_reproducible():
    data = grda.load_dg("dg15")
    cfg = grda.config("smoke", hidden=16, epochs=2)
    a, b = (grda.train(data, "grda", cfg, seed=3) for _ in range(2))
    np.testing.assert_array_equal(a.d_loss, b.d_loss)
    np.testing.assert_array_equal(a.domain_score, b.domain_score)


def test_fixed_coupling_trains_the_discriminator_and_official_lambda_one_freezes_it():
    data = grda.load_dg("dg15")
    cfg = grda.config("smoke", hidden=32, epochs=20)
    fixed = grda.train(data, "grda", cfg, seed=0)
    assert fixed.d_loss.min() < 15 * math.log(2) - 0.02, fixed.d_loss.min()
    # official coupling at lambda = 1: D's parameters never change
    nets = grda.build("grda", data, cfg)
    before = [p.detach().clone() for p in nets.disc.parameters()]
    opts = (
        torch.optim.Adam([*nets.encoder.parameters(), *nets.predictor.parameters()], lr=1e-3),
        torch.optim.Adam(nets.disc.parameters(), lr=1e-3),
    )
    for s in range(5):
        nodes = grda.sample_subgraph(data.adj, 10)
        grda.train_step(
            nets,
            opts,
            "grda",
            data.x[:, s * 10 : (s + 1) * 10],
            data.y[:, s * 10 : (s + 1) * 10],
            data,
            nodes,
            lambda_d=1.0,
            coupling="official",
        )
    for p, q in zip(nets.disc.parameters(), before, strict=True):
        torch.testing.assert_close(p.detach(), q, rtol=0, atol=0)


def test_unknown_method():
    with pytest.raises(
        ValueError, match="unknown method 'mmd'; allowed: source_only, dann, adda, cdann, mdd, grda"
    ):
        grda.build("mmd", grda.load_dg("dg15"), grda.config("smoke"))
