"""Data windows against brute force, alternation rule, a FULL step on CPU, config errors."""

import numpy as np
import pytest
import torch

from iclr22lib import psagan as pg
from iclr22lib.core.config import ConfigError
from iclr22lib.core.data import DataError
from iclr22lib.psagan.baselines import ebgan_losses, train_ebgan


@pytest.fixture(scope="module")
def m4(real_data_root):
    return pg.load_panel("m4_hourly", n_series=40, root=real_data_root)


def test_m4_sizes_and_scaling(real_data_root):
    p = pg.load_panel("m4_hourly", root=real_data_root)
    assert p.n_series == 414 and p.test.shape == (414, 48)
    assert p.lengths.min() == 700 and p.lengths.max() == 960 and p.lengths.sum() == 353_500
    for i in (0, 100, 413):  # training region scaled to exactly [0, 1]
        tr = p.values[i, : p.split[i]]
        assert tr.min() == pytest.approx(0.0, abs=1e-6) and tr.max() == pytest.approx(1.0, abs=1e-6)
    ex = pg.load_panel("exchange_rate", root=real_data_root)
    assert ex.values.shape == (8, 7588)


def test_windows_match_brute_force_slices(m4):
    rng = np.random.default_rng(0)
    w = pg.sample_windows(m4, 50, 32, rng, context=8)
    for s, st, y, c in zip(w.series, w.start, w.y, w.context, strict=True):
        np.testing.assert_array_equal(y, m4.values[s, st : st + 32])
        np.testing.assert_array_equal(c, m4.values[s, st - 8 : st])
        assert st >= 8 and st + 32 <= m4.split[s]
    h = pg.sample_windows(m4, 50, 32, rng, region="holdout")
    assert np.all(h.start >= m4.split[h.series]) and np.all(h.start + 32 <= m4.lengths[h.series])
    assert np.isfinite(h.y).all() and w.time_features.shape == (50, 3, 32)
    with pytest.raises(DataError, match="no series has room"):
        pg.sample_windows(m4, 5, 1024, rng)
    with pytest.raises(DataError, match="unknown data set"):
        pg.load_panel("electricity")


def test_alternation_with_warmup():
    cfg = pg.SMOKE
    cfg = type(cfg)(scale="smoke", n_critic=2, warmup_g_steps=2, warmup_n_critic=4)
    g_steps, kinds = 0, []
    for itr in range(30):
        gs = pg.is_generator_step(itr, g_steps, cfg)
        g_steps += gs
        kinds.append(gs)
    # warm-up: G at 0 and 5 (every 5th); then every 3rd iteration
    assert [i for i, k in enumerate(kinds) if k][:6] == [0, 5, 6, 9, 12, 15]


def test_full_config_runs_one_step_on_cpu(m4):
    cfg = pg.config("full", device="cpu", allow_cpu_full=True)
    assert cfg.windows == (64, 128, 256) and cfg.n_seeds == 3 and cfg.ablations and cfg.context_length == 64
    from iclr22lib.psagan.experiment import variants

    names = [v.name for v in variants(cfg, 256)]
    assert names == ["PSA-GAN", "PSA-GAN-C", "w/o SA", "w/o fade-in", "w/o ML"]
    assert [v.name for v in variants(cfg, 64)] == ["PSA-GAN", "PSA-GAN-C"]  # ablations at the longest window
    small = pg.config("full", device="cpu", allow_cpu_full=True, batch_size=8, warmup_g_steps=0)
    for v in variants(small, 256)[:2]:
        res = pg.train_gan(small, m4, v, seed=0, show=False, max_iters=2)
        assert len(res.log["g"]) == 1 and len(res.log["d"]) == 1
        out = pg.generate(res.generator, pg.sample_windows(m4, 3, 256, np.random.default_rng(0), context=64))
        assert out.shape == (3, 256) and np.isfinite(out).all()
    eb = train_ebgan(small, m4, 256, seed=0, max_iters=2)
    assert len(eb.log["d"]) == 1 and len(eb.log["g"]) == 1


def test_full_config_covers_timegan_tasks_and_second_dataset(m4, real_data_root):
    from iclr22lib.psagan.tasks import far_forecast_task, missing_value_task
    from iclr22lib.psagan.timegan import train_timegan

    cfg = pg.config(
        "full", device="cpu", allow_cpu_full=True, batch_size=8, deepar_epochs=1, deepar_batches=1
    )
    assert cfg.baselines and cfg.downstream and cfg.tasks and cfg.also_datasets == ()  # own job, see FULL
    assert pg.config("full", device="cpu", allow_cpu_full=True, dataset="exchange_rate").holdout_frac == 0.3
    assert cfg.task_models == ("PSA-GAN", "PSA-GAN-C", "EBGAN", "TimeGAN")
    # the notebook's None parameters keep each scale's preset (PSA-GAN-C and ablations in FULL)
    nb = pg.config("full", device="cpu", allow_cpu_full=True, context_length=None, ablations=None)
    assert nb.context_length == 64 and nb.ablations
    assert pg.config("smoke", device="cpu", context_length=None).context_length == 16
    rng = np.random.default_rng(0)
    tg = train_timegan(
        cfg, m4, 64, seed=0, max_iters=1
    )  # FULL's sizes at its shortest window (GRUs are slow)
    assert [len(tg.log[k]) for k in ("ae", "sup", "g", "d")] == [1, 1, 1, 1]
    out = pg.generate(tg.generator, pg.sample_windows(m4, 3, 64, rng))
    assert out.shape == (3, 64) and np.isfinite(out).all()
    ctx_gen = pg.untrained(cfg, m4, pg.Variant("PSA-GAN-C", 256, cfg.context_length), seed=0)
    gens = [("PSA-GAN-C", ctx_gen), ("TimeGAN", tg.generator)]
    rows = missing_value_task(cfg, m4, gens, deepar=())
    assert [r["model"] for r in rows] == ["linear interpolation", "PSA-GAN-C", "TimeGAN"]
    rows += far_forecast_task(cfg, m4, gens[:1])  # one DeepAR step across the gap, one from the filled gap
    assert [r["task"] for r in rows[3:]] == ["far forecast"] * 2
    assert all(np.isfinite(r["nrmse"]) and r["nrmse"] > 0 for r in rows)
    ex = pg.load_panel("exchange_rate", root=real_data_root)
    res = pg.train_gan(cfg, ex, pg.Variant("PSA-GAN", 256), seed=0, show=False, max_iters=2)
    assert len(res.log["g"]) == 1


def test_ebgan_losses_hand_values():
    e_real, e_fake = torch.tensor([0.1, 0.3]), torch.tensor([0.05, 0.5])
    d_loss, g_loss = ebgan_losses(e_real, e_fake, margin=0.2)
    assert d_loss.item() == pytest.approx(0.2 + (0.15 + 0.0) / 2)
    assert g_loss.item() == pytest.approx(0.275)


def test_config_errors():
    with pytest.raises(ConfigError, match="power of two"):
        pg.config("smoke", device="cpu", windows=(48,))
    with pytest.raises(ConfigError, match="choose one of"):
        pg.config("smoke", device="cpu", dataset="traffic")
    with pytest.raises(ConfigError, match="unknown parameter"):
        pg.config("smoke", device="cpu", epochs=3)
    with pytest.raises(ConfigError, match="needs a GPU"):
        pg.config("full", device="cpu")
    with pytest.raises(ConfigError, match="is not one of"):
        pg.config("smoke", device="cpu", also_datasets=("traffic",))
    with pytest.raises(ConfigError, match="is not one of"):
        pg.config("smoke", device="cpu", task_models=("DCGAN",))


def test_nrmse_hand_value():
    from iclr22lib.psagan.forecast import nrmse

    assert nrmse(np.array([[1.0, 3.0]]), np.array([[2.0, 2.0]])) == pytest.approx(0.5)
