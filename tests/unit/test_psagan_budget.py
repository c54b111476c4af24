"""The planning estimate counts the steps the training code really takes, and FULL fits one GPU hour."""

from collections import Counter
from dataclasses import replace

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from iclr22lib.core.budget import budget_table
from iclr22lib.psagan import budget
from iclr22lib.psagan.config import FULL, PsaganConfig
from iclr22lib.psagan.experiment import downstream, downstream_tasks, run_experiment
from iclr22lib.psagan.models import Generator
from iclr22lib.psagan.timegan import TimeGAN
from iclr22lib.psagan.train import GanResult, Variant, train_gan, untrained

TINY = PsaganConfig(
    scale="smoke",
    n_series=414,
    windows=(16, 32),
    n_seeds=2,
    channels=4,
    emb_dim=2,
    batch_size=budget.MEASURE_BATCH,
    batches_per_epoch=6,
    epochs_per_stage=2,
    fade_epochs=1,
    n_critic=2,
    warmup_g_steps=2,
    warmup_n_critic=3,
    context_length=8,
    ablations=True,
    timegan_pre_iters=3,
    timegan_iters=2,
    timegan_hidden=4,
    timegan_layers=2,
    emb_hidden=4,
    emb_out=4,
    emb_depth=2,
    emb_steps=3,
    fid_windows=16,
    fid_runs=2,
    downstream=False,
    also_datasets=(),
    deepar_epochs=1,
    deepar_batches=1,
)


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """One torch / BLAS thread: the tiny models are dispatch-bound and threads only contend."""
    with budget.single_thread():
        yield


@pytest.fixture(scope="module")
def panel():
    return budget.fake_panel("m4_hourly", holdout_frac=TINY.holdout_frac)


def test_gan_step_counts_match_train_gan(panel, monkeypatch):
    """Per (G/D, depth, fading): the schedule the budget replays is the one train_gan runs."""
    for v in (Variant("PSA-GAN", 32), Variant("w/o fade-in", 32, fade=False), Variant("C", 16, 8)):
        seen: Counter = Counter()
        forward = Generator.forward

        def spy(self, noise, series, tf, ctx=None, depth=None, alpha=1.0, _seen=seen, _fwd=forward):
            _seen[("G" if torch.is_grad_enabled() else "D", depth, alpha < 1.0)] += 1
            return _fwd(self, noise, series, tf, ctx, depth, alpha)

        monkeypatch.setattr(Generator, "forward", spy)
        res = train_gan(TINY, panel, v, show=False)
        monkeypatch.setattr(Generator, "forward", forward)
        counts = budget.gan_step_counts(TINY, v)
        expected: Counter = Counter()
        for (kind, depth, fading, _warm), n in counts.items():
            expected[(kind, depth, fading)] += n
        assert seen == expected
        assert sum(n for k, n in counts.items() if k[0] == "G") == len(res.log["g"])
        # warm-up: every iteration up to and including the warmup_g_steps-th G step
        warm = sum(n for k, n in counts.items() if k[3])
        assert warm == (TINY.warmup_g_steps - 1) * (TINY.warmup_n_critic + 1) + 1
    assert not any(k[2] for k in budget.gan_step_counts(TINY, Variant("w/o fade-in", 32, fade=False)))


def test_optimizer_steps_and_fids_of_a_run_match_the_budget(panel):
    """Every optimizer step of run_experiment (GANs, ablations, EBGAN, TimeGAN, embedders) and every
    Context-FID is in the budget's rows, with each row's optimizer steps per counted step."""
    steps: Counter = Counter()
    cfg = replace(TINY, windows=(16,))
    handle = register_optimizer_step_post_hook(lambda opt, args, kwargs: steps.update([type(opt).__name__]))
    try:
        exp = run_experiment(cfg, panel, show=False)
    finally:
        handle.remove()
    items = {it.name: it.count for it in budget.full_workload(cfg)}
    per_step = {"EBGAN": 2, "joint": 5}  # EBGAN rows count D + G pairs; TimeGAN joint: 2 G, 2 E, 1 D
    expected = sum(
        n * next((k for s, k in per_step.items() if s in name), 1)
        for name, n in items.items()
        if not any(s in name for s in ("host", "Context-FID"))
    )
    skipped = sum(sum(r.log["d_skipped"]) for r in exp.gans if r.variant.name == "TimeGAN")
    assert sum(steps.values()) == expected - skipped  # the budget always charges TimeGAN's D step
    fids = next(n for name, n in items.items() if "Frechet" in name)
    assert fids == len(exp.fid)


def test_deepar_fits_match_downstream_and_tasks(panel, monkeypatch):
    """The prediction lengths of all DeepAR fits of downstream + downstream_tasks, one by one."""
    import iclr22lib.psagan.forecast as forecast
    import iclr22lib.psagan.tasks as tasks

    fits = []

    def fake(train, history, *, prediction_length=48, **kw):
        fits.append(prediction_length)
        return torch.zeros(len(history), prediction_length).numpy()

    monkeypatch.setattr(forecast, "deepar_forecast", fake)
    monkeypatch.setattr(tasks, "deepar_forecast", fake)
    cfg = replace(TINY, downstream=True, tasks=True, n_seeds=1)
    gans = []
    for seed in range(cfg.n_seeds):
        for tau in cfg.windows:
            for v in (Variant("PSA-GAN", tau), Variant("PSA-GAN-C", tau, cfg.context_length)):
                gans.append(GanResult(v, seed, untrained(cfg, panel, v, seed=seed)))
        tau = max(cfg.windows)
        gans.append(GanResult(Variant("EBGAN", tau), seed, untrained(cfg, panel, Variant("EBGAN", tau))))
        tg = TimeGAN(tau, panel.n_series, panel.n_time_features, hidden=4, layers=1, emb_dim=cfg.emb_dim)
        gans.append(GanResult(Variant("TimeGAN", tau), seed, tg.eval()))
    downstream(cfg, panel, gans)
    downstream_tasks(cfg, panel, gans)
    assert sorted(fits) == sorted(pl for pl, _ in budget.deepar_fits(cfg))
    assert len(fits) == cfg.n_seeds * (1 + 3 * len(cfg.windows) + 2 + 4 + 1 + 4)


def test_mirrored_gan_iteration_costs_what_train_gan_costs(panel):
    """The budget's G and D iterations dispatch what an iteration of the real train_gan dispatches."""
    cfg = replace(TINY, warmup_g_steps=0, epochs_per_stage=1)
    v = Variant("PSA-GAN", 32)
    costs = budget.gan_costs(cfg, budget.cost_variant(v, 32))

    def run(n):
        return budget.measure(lambda: train_gan(cfg, panel, v, show=False, max_iters=n))

    # bpe 6, one epoch per stage, fade over the first epoch of depth 1: G at 0, 3, 6, 9; itr 8 is a
    # steady-state D step and itr 9 a steady-state G step at depth 1 while fading
    c8, c10 = run(8), run(10)
    d_step, g_step = costs[(1, True, False)], costs[(1, True, True)]
    assert c10.flops - c8.flops == pytest.approx(d_step.flops + g_step.flops, rel=1e-6)
    assert abs(c10.ops - c8.ops + 2 * budget.H2D_COPIES - d_step.ops - g_step.ops) <= 4


def test_full_estimate_fits_one_gpu_hour():
    rows, minutes = budget_table(budget.full_workload(FULL))
    assert len(rows) <= 25
    assert 0 < minutes < 60
    names = " ".join(r["work"] for r in rows)
    for part in ("PSA-GAN-C", "ablations", "EBGAN", "TimeGAN", "TS2Vec", "Context-FID", "DeepAR"):
        assert part in names


def test_full_holdout_leaves_room_for_every_window(real_data_root):
    """FULL's held-out fraction leaves held-out windows (+ context) of every length in real M4 data, and
    the budget's far-forecasting gap is the tasks' one."""
    from iclr22lib.psagan.data import eligible, load_panel
    from iclr22lib.psagan.tasks import far_gap

    m4 = load_panel("m4_hourly", holdout_frac=FULL.holdout_frac, root=real_data_root)
    for tau in FULL.windows:
        assert len(eligible(m4, tau, FULL.context_length, "holdout")) > 0
    assert far_gap(m4) == budget.far_gap_of(FULL)
