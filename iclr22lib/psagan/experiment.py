"""The chapter's protocol: train every variant, baseline and seed, Context-FID against held-out real data
and an untrained generator, optional DeepAR downstream (augmentation, missing values, far-forecasting)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from iclr22lib.psagan.baselines import train_ebgan
from iclr22lib.psagan.config import PsaganConfig
from iclr22lib.psagan.data import Panel, sample_windows
from iclr22lib.psagan.embed import context_fid, train_embedder
from iclr22lib.psagan.timegan import train_timegan
from iclr22lib.psagan.train import GanResult, Variant, generate, train_gan, untrained


def variants(cfg: PsaganConfig, window: int) -> list[Variant]:
    """PSA-GAN, PSA-GAN-C (if ``context_length`` > 0) and, at the longest window only, the ablations
    (if ``ablations``)."""
    out = [Variant("PSA-GAN", window, attention=cfg.self_attention)]
    if cfg.context_length:
        out.append(Variant("PSA-GAN-C", window, cfg.context_length, attention=cfg.self_attention))
    if cfg.ablations and window == max(cfg.windows):
        out += [
            Variant("w/o SA", window, attention=False),
            Variant("w/o fade-in", window, fade=False),
            Variant("w/o ML", window, moment=False),
        ]
    return out


@dataclass
class Experiment:
    """Context-FID per (window, model, seed, run) in ``fid`` (long format), the trained GANs, the
    embedders per window, the augmentation DeepAR NRMSE per (window, model, seed) in ``nrmse`` and the
    missing-value / far-forecasting NRMSE per (task, model, seed) in ``tasks``."""

    fid: pd.DataFrame
    gans: list[GanResult]
    embedders: dict
    nrmse: pd.DataFrame = field(default_factory=pd.DataFrame)
    tasks: pd.DataFrame = field(default_factory=pd.DataFrame)


def run_experiment(cfg: PsaganConfig, panel: Panel, *, show: bool = True) -> Experiment:
    """Run the protocol of ``cfg`` on ``panel``; DeepAR only when ``cfg.downstream``."""
    rows, gans, embedders = [], [], {}
    for tau in cfg.windows:
        vs = variants(cfg, tau)
        L = max(v.context_length for v in vs)
        rng = np.random.default_rng(cfg.seed)
        train_w = sample_windows(panel, max(2048, cfg.fid_windows), tau, rng).y
        emb = train_embedder(
            cfg.embedder,
            train_w,
            hidden=cfg.emb_hidden,
            out=cfg.emb_out,
            depth=cfg.emb_depth,
            steps=cfg.emb_steps,
            seed=cfg.seed,
            device=cfg.device,
        )
        embedders[tau] = emb
        runs = []
        for r in range(cfg.fid_runs):
            rr = np.random.default_rng(10_000 + 97 * cfg.seed + r)
            ref = sample_windows(panel, cfg.fid_windows, tau, rr, context=L)
            held = sample_windows(panel, cfg.fid_windows, tau, rr, context=L, region="holdout")
            runs.append((ref, held))
            rows.append(
                dict(
                    window=tau,
                    model="held-out real",
                    seed=cfg.seed,
                    run=r,
                    fid=context_fid(emb, ref.y, held.y),
                )
            )
        for k in range(cfg.n_seeds):
            seed = cfg.seed + k
            for v in vs:
                res = train_gan(cfg, panel, v, seed=seed, show=show)
                gans.append(res)
                for r, (ref, held) in enumerate(runs):
                    fake = generate(res.generator, held, seed=r)
                    rows.append(
                        dict(window=tau, model=v.name, seed=seed, run=r, fid=context_fid(emb, ref.y, fake))
                    )
            if cfg.baselines:
                for res in (
                    train_ebgan(cfg, panel, tau, seed=seed, margin=cfg.ebgan_margin),
                    train_timegan(cfg, panel, tau, seed=seed, show=show),
                ):
                    gans.append(res)
                    for r, (ref, held) in enumerate(runs):
                        fake = generate(res.generator, held, seed=r)
                        rows.append(
                            dict(
                                window=tau,
                                model=res.variant.name,
                                seed=seed,
                                run=r,
                                fid=context_fid(emb, ref.y, fake),
                            )
                        )
            u = untrained(cfg, panel, vs[0], seed=seed)
            for r, (ref, held) in enumerate(runs):
                rows.append(
                    dict(
                        window=tau,
                        model="untrained",
                        seed=seed,
                        run=r,
                        fid=context_fid(emb, ref.y, generate(u, held, seed=r)),
                    )
                )
    exp = Experiment(fid=pd.DataFrame(rows), gans=gans, embedders=embedders)
    if cfg.downstream:
        exp.nrmse = downstream(cfg, panel, gans)
        if cfg.tasks:
            exp.tasks = downstream_tasks(cfg, panel, gans)
    return exp


#: Generators that the missing-value and far-forecasting tasks compare (those trained in the run).
TASK_MODELS = ("PSA-GAN", "PSA-GAN-C", "EBGAN", "TimeGAN")


def downstream_tasks(cfg: PsaganConfig, panel: Panel, gans: list[GanResult]) -> pd.DataFrame:
    """Missing-value and far-forecasting NRMSE per (task, model, seed) with the longest window's
    PSA-GAN(-C), EBGAN and TimeGAN generators (see :mod:`iclr22lib.psagan.tasks`): imputation error
    for all of them, DeepAR trained on filled series for those in ``cfg.task_models`` (PSA-GAN if
    none of those was trained)."""
    from iclr22lib.psagan.tasks import far_forecast_task, missing_value_task

    tau, rows = max(cfg.windows), []
    for k in range(cfg.n_seeds):
        seed = cfg.seed + k
        gens = [
            (r.variant.name, r.generator)
            for r in gans
            if r.seed == seed and r.variant.window == tau and r.variant.name in TASK_MODELS
        ]
        chosen = tuple(n for n, _ in gens if n in cfg.task_models) or ("PSA-GAN",)
        rows += missing_value_task(cfg, panel, gens, seed=seed, deepar=chosen)
        rows += far_forecast_task(cfg, panel, [(n, g) for n, g in gens if n in chosen], seed=seed)
    return pd.DataFrame(rows)


def downstream(cfg: PsaganConfig, panel: Panel, gans: list[GanResult]) -> pd.DataFrame:
    """DeepAR NRMSE on the test horizon: real only vs real + synthetic series of each PSA-GAN(-C)."""
    from iclr22lib.psagan.forecast import deepar_nrmse, synthetic_series

    kw = dict(epochs=cfg.deepar_epochs, batches=cfg.deepar_batches, device=cfg.device)
    rows = []
    for k in range(cfg.n_seeds):
        seed = cfg.seed + k
        rows.append(dict(window=0, model="real only", seed=seed, nrmse=deepar_nrmse(panel, seed=seed, **kw)))
        for res in gans:
            if res.seed != seed or res.variant.name not in ("PSA-GAN", "PSA-GAN-C"):
                continue
            gens = [(res.variant.name, res.generator)]
            if res.variant.name == "PSA-GAN":  # control: as many series from an untrained generator
                gens.append(("untrained generator", untrained(cfg, panel, res.variant, seed=seed)))
            n_win = max(2, -(-2 * 96 // res.variant.window))
            for name, g in gens:
                extra = synthetic_series(panel, g, n_win, copies=cfg.n_synthetic, seed=seed)
                rows.append(
                    dict(
                        window=res.variant.window,
                        model=f"real + {name}",
                        seed=seed,
                        nrmse=deepar_nrmse(panel, extra, seed=seed, **kw),
                    )
                )
    return pd.DataFrame(rows)


def summarise(fid: pd.DataFrame) -> pd.DataFrame:
    """Context-FID mean and standard deviation over runs and seeds per (window, model)."""
    g = fid.groupby(["window", "model"], sort=False)["fid"]
    return pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1).fillna(0.0), "n": g.size()}).reset_index()
