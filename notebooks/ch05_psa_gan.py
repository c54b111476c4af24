# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # PSA-GAN: growing a time-series GAN one resolution at a time
#
# Forecasting models need data, and real series are often short, gappy or new; realistic synthetic
# windows could fill the gaps or add training data. Jeha et al. {cite}`jeha2022psagan` bring two
# ideas from image GANs to time series: **progressive growing**, where generator and discriminator
# start at 8 time steps and double the resolution stage by stage, fading each new stage in; and
# **self-attention** in every block, so that any time step can look at any other. The resulting
# PSA-GAN generates windows of up to 256 steps. The paper also proposes **Context-FID**, a Fréchet
# distance between learned embeddings of real and synthetic windows, and reports that synthetic series
# lower the error of a DeepAR forecaster.
#
# We implement PSA-GAN, its context variant PSA-GAN-C and the ablations, train them on M4 hourly,
# compare their Context-FID with EBGAN and TimeGAN baselines, and run DeepAR on three downstream
# tasks.
#
# ```{admonition} How to run this chapter
# :class: tip
# - **Read**: this page shows the outputs of the run named in the configuration cell below.
# - **JupyterLab**: open `notebooks/ch05_psa_gan.py` (Jupytext opens it as a notebook).
# - **Re-run**: `iclr22 run ch05 -p EMBEDDER causalcnn -p CONTEXT_LENGTH 0` (no PSA-GAN-C), or
#   `--scale full` on a GPU machine; the exchange-rate protocol is a second full job
#   (`-p DATASET exchange_rate -p DOWNSTREAM False`). `iclr22 budget ch05` estimates the full run's GPU
#   time; it has not been run on a GPU yet.
# - **Source**: {download}`the chapter's .py source <../../notebooks/ch05_psa_gan.py>`.
# ```

# %% tags=["parameters"]
SCALE = "smoke"  # "smoke": 2 CPU cores, ~2.5 min | "full": tau 64-256, PSA-GAN-C, ablations, baselines, 3 seeds, GPU
SEED = 0
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "cuda:N"
# Chapter knobs: None = this scale's preset value (given after "None:"); any other value overrides it.
DATASET = None  # "m4_hourly" | "exchange_rate" (no test horizon: turn DOWNSTREAM off); None: "m4_hourly"
CONTEXT_LENGTH = None  # PSA-GAN-C context L; 0 trains PSA-GAN only; None: smoke 16, full 64
ABLATIONS = None  # w/o self-attention, w/o fade-in, w/o moment loss (longest window); None: smoke False, full True
BASELINES = None  # also train the EBGAN and TimeGAN baselines; None: True
EMBEDDER = None  # Context-FID embedder: "ts2vec" | "causalcnn" (the official code's); None: "ts2vec"
DOWNSTREAM = None  # DeepAR on real vs real + synthetic series; None: True
TASKS = None  # with DOWNSTREAM: the missing-value and far-forecasting tasks; None: True

# %% [markdown]
# The library checks every parameter, seeds Python, NumPy and torch, and prints what it resolved:

# %%
import dataclasses

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

from iclr22lib import psagan as pg
from iclr22lib.core.device import cpu_threads, hardware_summary
from iclr22lib.core.plotting import use_book_style
from iclr22lib.core.results import Metric, save_record
from iclr22lib.psagan.data import HORIZON
from iclr22lib.psagan.experiment import run_experiment, summarise
from iclr22lib.psagan.tasks import far_gap

cfg = pg.config(
    SCALE,
    seed=SEED,
    device=DEVICE,
    dataset=DATASET,
    context_length=CONTEXT_LENGTH,
    ablations=ABLATIONS,
    baselines=BASELINES,
    embedder=EMBEDDER,
    downstream=DOWNSTREAM,
    tasks=TASKS,
)
use_book_style()
print(cfg.describe())
print("hardware:", hardware_summary(cfg.device))

# %% [markdown]
# ## The method
#
# **What is generated.** A window $y \in \mathbb{R}^\tau$ of one series, $\tau$ a power of two. At
# every step the generator reads Gaussian noise, a learned embedding of the series' identity and time
# features, so it produces a window *for a given series and time span*; PSA-GAN-C also reads the $L$
# observed values before the window.
#
# **Blocks.** A spectral-normalised convolution (kernel 3), a leaky ReLU and residual self-attention,
#
# $$\begin{aligned}
# c(x) &= h + \gamma\, W_o\, \bigl(\operatorname{softmax}(Q^\top K/\sqrt{d})\, V^\top\bigr)^\top,\\
# h &= \mathrm{LReLU}(\mathrm{SN\text{-}Conv}(x)),\quad Q = W_q h,\; K = W_k h,\; V = W_v h,
# \end{aligned}$$
#
# with $\gamma$ initialised at 0, so that training switches attention on gradually. Spectral
# normalisation divides a weight by its largest singular value, keeping each layer 1-Lipschitz.
#
# **Progressive growing.** The generator starts from its inputs pooled to 8 steps. Stage $j$
# upsamples ×2, appends the conditioning at the new length and applies a block; a 1×1 convolution
# maps the last features to the series. A new stage is *faded in*,
#
# $$\hat y = \alpha\, \mathrm{out}(c_j(\uparrow h_{j-1})) + (1-\alpha)\, \mathrm{out}(\mathrm{skip}(\uparrow h_{j-1})),$$
#
# with $\alpha$ ramping from 0 to 1. The discriminator mirrors this and sees the real window pooled to
# the current resolution.
#
# **Losses.** Least-squares GAN losses plus a *moment loss* that ties each synthetic window's mean and
# standard deviation to those of the real window it was conditioned on:
#
# $$\begin{aligned}
# \mathcal L_D &= \tfrac12\,\mathbb E[(D(y)-1)^2] + \tfrac12\,\mathbb E[D(\hat y)^2],\\
# \mathcal L_G &= \tfrac12\,\mathbb E[(D(\hat y)-1)^2] + \lambda_{\mathrm{ML}}\,
# \tfrac1B\sum_i \bigl(|\sigma(\hat y_i)-\sigma(y_i)| + |\mu(\hat y_i)-\mu(y_i)|\bigr).
# \end{aligned}$$
#
# Each generator step is followed by `n_critic` discriminator steps (many more during a warm-up).
#
# **Context-FID.** Fit an encoder on real windows, embed two sets of windows, fit a Gaussian to each
# set of embeddings and compute
#
# $$\mathrm{FD} = \lVert\mu_r-\mu_s\rVert^2 + \operatorname{Tr}\bigl(\Sigma_r + \Sigma_s - 2(\Sigma_r\Sigma_s)^{1/2}\bigr).$$
#
# Our encoder is TS2Vec {cite}`yue2022ts2vec`, dilated convolutions trained by contrasting two
# overlapping crops of each window. Two checks of the distance on cases computable by hand:

# %%
# NBVAL_CHECK_OUTPUT
rng0 = np.random.default_rng(0)
A = rng0.normal(size=(4, 4))
S = A @ A.T + np.eye(4)
mu, delta, c = np.zeros(4), np.array([1.0, 2.0, 0.0, -1.0]), 0.5
closed = delta @ delta + (1 - c) ** 2 * np.trace(S)
fd_self = pg.frechet_distance(mu, S, mu, S)
fd_scipy = pg.frechet_distance(mu, S, mu + delta, c**2 * S)
fd_torch = pg.frechet_distance_torch(mu, S, mu + delta, c**2 * S)
print("N(mu, S) vs itself: FD within 1e-8 of 0:", abs(fd_self) < 1e-8)
print("N(mu, S) vs N(mu + d, c^2 S): FD within 1e-8 of the closed form |d|^2 + (1 - c)^2 tr S,")
print("  SciPy sqrtm version:", abs(fd_scipy - closed) < 1e-8, "| torch eigh version:", abs(fd_torch - closed) < 1e-8)

# %%
print(f"FD = {fd_scipy:.6f} (SciPy), {fd_torch:.6f} (torch), closed form {closed:.6f}")

# %% [markdown]
# The fade-in weight of the schedule used below, per epoch (each stage lasts
# {glue:text}`ch05_eps` epochs of {glue:text}`ch05_bpe` batches; a new stage fades in over
# {glue:text}`ch05_fade` epochs):

# %%
sched = pg.Schedule(pg.n_stages(cfg.windows[0]), cfg.epochs_per_stage, cfg.fade_epochs)
ep = np.linspace(0, sched.epochs, 400, endpoint=False)
depth_alpha = np.array([sched.at(e) for e in ep])
fig, ax = plt.subplots(figsize=(7, 2.6))
ax.plot(ep, depth_alpha[:, 0] - 1 + depth_alpha[:, 1], label="depth − 1 + fade-in weight α")
ax.set(xlabel="epoch", ylabel="output length", title=f"Progressive schedule for τ = {cfg.windows[0]}")
ax.set_yticks(range(sched.stages), [f"{8 * 2**d}" for d in range(sched.stages)])
ax.legend(loc="upper left")
fig.tight_layout()
plt.show()
glue("ch05_eps", cfg.epochs_per_stage, display=False)
glue("ch05_bpe", cfg.batches_per_epoch, display=False)
glue("ch05_fade", cfg.fade_epochs, display=False)

# %% [markdown]
# ## The data
#
# The M4 hourly series {cite}`makridakis2020m4` (414 series of 700–960 hours, plus a 48-hour test
# horizon), one of the paper's four data sets; the other three were not available to us. Each series
# is min-max scaled on its *training region*, the first 80 % of its history (70 % in the full
# preset), and the GAN and the encoder see only training windows. Held-out windows are the "real vs
# real" reference: their Context-FID against training windows is what a perfect generator could
# reach, given that series drift.

# %%
panel = pg.load_panel(cfg.dataset, n_series=cfg.n_series, holdout_frac=cfg.holdout_frac)
tau = cfg.windows[0]

# %%
# NBVAL_CHECK_OUTPUT
print(
    f"{panel.name}: {panel.n_series} series, lengths {panel.lengths.min()}-{panel.lengths.max()}, "
    f"{int(panel.split.sum())} training-region and {int((panel.lengths - panel.split).sum())} held-out values; "
    f"{len(pg.eligible(panel, tau, cfg.context_length, 'train'))} series have room for training windows of {tau}"
)

# %%
fig, axes = plt.subplots(3, 1, figsize=(9, 5.2), sharex=True)
for ax, i in zip(axes, (0, 40, 80), strict=True):
    n = panel.lengths[i]
    ax.plot(np.arange(panel.split[i]), panel.values[i, : panel.split[i]], lw=0.7, label="training region")
    ax.plot(np.arange(panel.split[i], n), panel.values[i, panel.split[i] : n], lw=0.7, label="held out")
    ax.set_ylabel(f"series {i + 1}\n(scaled)")
axes[0].legend(loc="upper right", ncol=2)
axes[-1].set_xlabel("hour")
fig.suptitle("Three M4 hourly series after per-series scaling")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The experiment
#
# For every window length and seed we train each variant. In each of {glue:text}`ch05_runs`
# evaluation runs we draw {glue:text}`ch05_nwin` training windows as the reference and as many
# held-out windows, generate one window for each held-out window's series and time span, and compute
# the Context-FID of the reference against the held-out windows, the trained generator's and an
# untrained generator's. PSA-GAN-C also reads the real values before each held-out window.
#
# **Baselines**, with PSA-GAN's training windows, batch size and conditioning, so that Context-FID
# compares like with like:
#
# - EBGAN {cite}`zhao2017ebgan`: the discriminator is an autoencoder whose reconstruction error $E$ is
#   an energy, $\mathcal L_D = E(y) + \max(0, m - E(\hat y))$, $\mathcal L_G = E(\hat y)$, with an
#   untuned margin $m$ = {glue:text}`ch05_margin`; the generator is PSA-GAN's at full resolution
#   without self-attention, fade-in or moment loss.
# - TimeGAN {cite}`yoon2019timegan`: recurrent embedder, recovery, generator, supervisor (next latent
#   step) and discriminator networks, trained as an autoencoder, then a supervisor, then jointly. We
#   run {glue:text}`ch05_tg_pre` iterations of each of the first two phases and
#   {glue:text}`ch05_tg_joint` joint ones, GRU width {glue:text}`ch05_tg_hidden`, against the
#   original's 50,000 per phase.

# %%
with cpu_threads(cfg.threads, cfg.device):
    exp = run_experiment(cfg, panel)
glue("ch05_runs", cfg.fid_runs, display=False)
glue("ch05_margin", f"{cfg.ebgan_margin:g}", display=False)
glue("ch05_tg_pre", cfg.timegan_pre_iters, display=False)
glue("ch05_tg_joint", cfg.timegan_iters, display=False)
glue("ch05_tg_hidden", cfg.timegan_hidden, display=False)
glue("ch05_nwin", cfg.fid_windows, display=False)
table = summarise(exp.fid)
display(table.round(4))

# %% [markdown]
# The ordering the paper's metric must show, checked per window length (a pass/fail band, the
# numbers are in the table above):


# %%
def fid_of(window, model):
    row = table[(table.window == window) & (table.model == model)]
    return float(row["mean"].iloc[0])


checks = {}
for w in cfg.windows:
    held, gan, unt = fid_of(w, "held-out real"), fid_of(w, "PSA-GAN"), fid_of(w, "untrained")
    checks[f"tau={w}: Context-FID held-out real < PSA-GAN"] = held < gan
    checks[f"tau={w}: Context-FID PSA-GAN < untrained generator"] = gan < unt
    checks[f"tau={w}: PSA-GAN closes over half the gap untrained -> held-out"] = (unt - gan) > 0.5 * (
        unt - held
    )
    if cfg.baselines:
        checks[f"tau={w}: Context-FID PSA-GAN < EBGAN"] = gan < fid_of(w, "EBGAN")
        checks[f"tau={w}: Context-FID PSA-GAN < TimeGAN"] = gan < fid_of(w, "TimeGAN")
for text, ok in checks.items():
    print(f"{text}: {'pass' if ok else 'FAIL'}")

# %% [markdown]
# What the windows look like: real held-out windows and synthetic windows generated for the same
# series and hours (one noise draw each; the generator does not see the real values).

# %%
held = pg.sample_windows(
    panel, 6, tau, np.random.default_rng(cfg.seed + 7), context=cfg.context_length, region="holdout"
)
main = next(r for r in exp.gans if r.variant.name == "PSA-GAN" and r.variant.window == tau)
fake = pg.generate(main.generator, held, seed=1)
baseline_fakes = {
    r.variant.name: pg.generate(r.generator, held, seed=1)
    for r in exp.gans
    if r.variant.name in ("EBGAN", "TimeGAN") and r.variant.window == tau and r.seed == cfg.seed
}
fig, axes = plt.subplots(2, 3, figsize=(10, 4.6), sharex=True)
for k, ax in enumerate(axes.flat):
    ax.plot(held.y[k], label="real (held out)")
    ax.plot(fake[k], label="PSA-GAN")
    for name, fb in baseline_fakes.items():
        ax.plot(fb[k], lw=0.8, alpha=0.8, label=name)
    ax.set_title(f"series {held.series[k] + 1}, hour {held.start[k]}", fontsize=9)
axes[0, 0].legend(fontsize=8)
fig.suptitle(f"Real vs synthetic windows, τ = {tau} (scaled units)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Training curves
#
# Generator and discriminator losses per generator step; vertical lines mark the start of each new
# resolution.

# %%
fig, ax = plt.subplots(figsize=(8, 3))
lg = main.log
steps = np.arange(len(lg["g"]))
ax.plot(steps, lg["g"], lw=0.8, label="G adversarial")
ax.plot(steps, lg["ml"], lw=0.8, label="moment loss")
ax.plot(np.linspace(0, len(lg["g"]), len(lg["d"])), lg["d"], lw=0.8, alpha=0.7, label="D")
for s in np.flatnonzero(np.diff(lg["depth"]) > 0):
    ax.axvline(s, color="0.5", ls=":")
ax.set(xlabel="generator step", ylabel="loss", title=f"PSA-GAN training, τ = {tau}")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ### A second data set
#
# The same Context-FID protocol runs on the daily exchange rates of eight currencies (LSTNet
# collection) as a job of its own, `-p DATASET exchange_rate -p DOWNSTREAM False`.

# %%
extra_tables, extra_checks = {}, {}
for name in cfg.also_datasets:
    cfg_x = dataclasses.replace(cfg, dataset=name, downstream=False)
    panel_x = pg.load_panel(name, n_series=cfg.n_series, holdout_frac=cfg.holdout_frac)
    with cpu_threads(cfg.threads, cfg.device):
        tab_x = summarise(run_experiment(cfg_x, panel_x).fid)
    extra_tables[name] = tab_x
    display(Markdown(f"**{name}** ({panel_x.n_series} series)"))
    display(tab_x.round(4))
    for w in cfg.windows:
        f = {
            m: float(tab_x[(tab_x.window == w) & (tab_x.model == m)]["mean"].iloc[0])
            for m in tab_x.model.unique()
        }
        extra_checks[f"{name} tau={w}: held-out real < PSA-GAN < untrained"] = (
            f["held-out real"] < f["PSA-GAN"] < f["untrained"]
        )
if not cfg.also_datasets:
    display(Markdown("*No further data set in this configuration.*"))

# %% [markdown]
# ## Downstream: does DeepAR forecast better with synthetic data?
#
# GluonTS' DeepAR {cite}`salinas2020deepar` forecasts the 48-hour test horizon, trained (a) on the real
# series, (b) on them plus one synthetic series per series (consecutive generated windows covering its
# last hours), and (c) as a control, on them plus as many series from an *untrained* generator. The
# score is NRMSE (RMSE of the mean forecast over the mean absolute value). If (c) also beats (a), part
# of a gain comes from having more series, and the fair test of the generator is (b) against (c).

# %%
if cfg.downstream:
    nr = exp.nrmse.groupby("model", sort=False)["nrmse"].agg(["mean", "std", "size"]).reset_index()
    display(nr.round(4))
    real_only = float(nr.loc[nr.model == "real only", "mean"].iloc[0])
    with_gan = float(nr.loc[nr.model == "real + PSA-GAN", "mean"].iloc[0])
    with_unt = float(nr.loc[nr.model == "real + untrained generator", "mean"].iloc[0])
else:
    display(Markdown("*DOWNSTREAM = False: the DeepAR experiment was not run.*"))
    real_only = with_gan = with_unt = float("nan")

# %%
if cfg.downstream:
    down = {
        "DeepAR NRMSE: real + PSA-GAN < real only": with_gan < real_only,
        "DeepAR NRMSE: real + PSA-GAN < real + untrained generator": with_gan < with_unt,
    }
    for text, ok in down.items():
        print(f"{text}: {'yes' if ok else 'no'}")
else:
    down = {}
    print("downstream experiment not run")

# %% [markdown]
# ### Missing values and far-forecasting
#
# The paper's other tasks, as we reconstruct them (its experiment code is not public), both in the
# held-out region that no generator has seen:
#
# - **Missing values.** {glue:text}`ch05_mv_n` stretches of {glue:text}`ch05_mv_len` hours per series
#   are removed and filled by a generator or by linear interpolation. We score the **imputation**
#   NRMSE, and DeepAR trained on the filled series against DeepAR trained with the stretches missing.
# - **Far-forecasting.** The last $G$ = {glue:text}`ch05_gap` hours are hidden. DeepAR either
#   forecasts $G + 48$ hours, scored on the last 48, or forecasts 48 hours from a generator-filled gap.
#
# DeepAR uses the series filled by {glue:text}`ch05_task_models`. The checks use PSA-GAN-C when the run
# trains it, since its context suits a gap after observed values, and PSA-GAN otherwise.

# %%
if cfg.downstream and cfg.tasks:
    tk = exp.tasks.groupby(["task", "model"], sort=False)["nrmse"].agg(["mean", "std", "size"]).reset_index()
    display(tk.round(4))
glue("ch05_mv_n", cfg.mv_stretches, display=False)
glue("ch05_mv_len", cfg.mv_stretch, display=False)
glue("ch05_gap", far_gap(panel), display=False)
glue("ch05_task_models", ", ".join(cfg.task_models), display=False)


# %%
def task_nrmse(task, model):
    row = tk[(tk.task == task) & (tk.model == model)]
    return float(row["mean"].iloc[0]) if len(row) else float("nan")


fill_model = "PSA-GAN-C" if any(r.variant.name == "PSA-GAN-C" for r in exp.gans) else "PSA-GAN"
if cfg.downstream and cfg.tasks:
    task_checks = {
        f"imputation NRMSE: {fill_model} < linear interpolation": task_nrmse("imputation", fill_model)
        < task_nrmse("imputation", "linear interpolation"),
        f"missing values, DeepAR NRMSE: {fill_model}-filled < left missing": task_nrmse(
            "missing values", fill_model
        )
        < task_nrmse("missing values", "missing left as NaN"),
        f"far forecast, DeepAR NRMSE: {fill_model}-filled gap < across the gap": task_nrmse(
            "far forecast", fill_model
        )
        < task_nrmse("far forecast", "DeepAR across the gap"),
    }
    for text, ok in task_checks.items():
        print(f"{text}: {'yes' if ok else 'no'}")
else:
    task_checks = {}
    print("missing-value and far-forecasting tasks not run")

# %% [markdown]
# What filling a far-forecasting gap looks like: the visible history, the hidden gap and the test
# horizon of two series, with the gap filled by the generator the checks above use.

# %%
gap = far_gap(panel)
fill_res = next(r for r in exp.gans if r.variant.name == fill_model and r.variant.window == max(cfg.windows))
show = np.array([0, 40])
cut = panel.lengths[show] - gap
hidden_vals = np.where(
    np.arange(panel.values.shape[1]) < (panel.lengths - gap)[:, None], panel.values, np.nan
)
filled_gap = pg.fill_spans(panel, hidden_vals, fill_res.generator, show, cut, gap, seed=cfg.seed)
fig, axes = plt.subplots(1, 2, figsize=(10, 3), sharey=True)
for ax, k in zip(axes, range(2), strict=True):
    n, c0 = panel.lengths[show[k]], cut[k]
    t0 = c0 - 3 * gap // 2
    ax.plot(np.arange(t0, c0), panel.values[show[k], t0:c0], lw=0.8, label="visible history")
    ax.plot(np.arange(c0, n), panel.values[show[k], c0:n], lw=0.8, color="0.6", label="hidden gap (true)")
    ax.plot(np.arange(c0, n), filled_gap[show[k], c0:n], lw=0.8, label=f"filled by {fill_model}")
    if panel.test is not None:
        ax.plot(np.arange(n, n + HORIZON), panel.test[show[k]], lw=0.8, color="k", label="test horizon")
    ax.set_title(f"series {show[k] + 1}", fontsize=9)
axes[0].legend(fontsize=7)
fig.suptitle(f"Far-forecasting: a gap of {gap} hours filled by a generator (scaled units)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Results beside the paper
#
# At τ = {glue:text}`ch05_tau` the trained PSA-GAN reaches a Context-FID of
# {glue:text}`ch05_fid_gan:.3f`, against {glue:text}`ch05_fid_unt:.3f` for an untrained generator,
# {glue:text}`ch05_fid_held:.3f` for held-out real windows, {glue:text}`ch05_fid_eb:.3f` for EBGAN and
# {glue:text}`ch05_fid_tg:.3f` for TimeGAN. DeepAR's NRMSE is {glue:text}`ch05_nr_real:.3f` on real
# data, {glue:text}`ch05_nr_gan:.3f` with PSA-GAN series and {glue:text}`ch05_nr_unt:.3f` with
# untrained-generator series. Filling the stretches with {glue:text}`ch05_fill_model` gives an
# imputation NRMSE of {glue:text}`ch05_imp_gan:.3f` (linear: {glue:text}`ch05_imp_lin:.3f`) and a
# DeepAR NRMSE of {glue:text}`ch05_mv_gan:.3f` (left missing: {glue:text}`ch05_mv_nan:.3f`); far
# ahead, {glue:text}`ch05_far_gan:.3f` from a filled gap and {glue:text}`ch05_far_base:.3f` across it
# (NaN where an experiment is off).
#
# **The paper's numbers** were not available to us, so the record leaves the paper column empty rather
# than quote them from memory. Only the direction of the claims can be compared: absolute Context-FID
# values depend on the encoder.
#
# **Verdict.** At smoke scale ({glue:text}`ch05_nser` series, one window length) the Context-FID
# ordering holds. The yes/no lines above say which downstream comparisons went PSA-GAN's way, and the
# recorded claim holds only if all did; one seed and a briefly trained DeepAR can neither establish
# nor refute a forecasting gain. TimeGAN's schedule is a tiny fraction of the original, so its
# Context-FID says little about a converged TimeGAN. The test of the paper's claims is the full
# preset (three window lengths, ablations, three seeds), sized by a planning estimate and not yet run
# on a GPU.
#
# **Departures from the paper and the official code.**
#
# | Departure | Why |
# |---|---|
# | Re-implemented from the paper and the official model description | the official repository does not run as shipped |
# | Context-FID with our TS2Vec (official causal CNN: `EMBEDDER="causalcnn"`) | our choice; the official encoder stays available |
# | Fade-in weight updated every batch; "w/o fade-in" has no fade | a smooth ramp over short fades; the ablation removes the mechanism |
# | Per-series min-max scaling on the training region | the official files' scaling is not in the repository |
# | Relative time features, no positional encoding | M4 has no timestamps; the paper's configurations omit the encoding too |
# | Learning rate 10⁻³ (example script: 5·10⁻⁵), much shorter schedules | the full run must fit one GPU hour: fewer steps at a larger rate |
# | EBGAN and TimeGAN are ours; TimeGAN is conditional and shorter | no public baseline code; same inputs as PSA-GAN |
# | Missing-value and far-forecasting protocols are ours; GANs train on complete windows | no public experiment code |
# | No cold-start task | not implemented yet |

# %%
w0 = cfg.windows[0]
glue("ch05_tau", w0, display=False)
glue("ch05_nser", panel.n_series, display=False)
glue("ch05_fid_gan", fid_of(w0, "PSA-GAN"), display=False)
glue("ch05_fid_unt", fid_of(w0, "untrained"), display=False)
glue("ch05_fid_held", fid_of(w0, "held-out real"), display=False)
glue("ch05_fid_eb", fid_of(w0, "EBGAN") if cfg.baselines else float("nan"), display=False)
glue("ch05_fid_tg", fid_of(w0, "TimeGAN") if cfg.baselines else float("nan"), display=False)
with_tasks = cfg.downstream and cfg.tasks
glue("ch05_fill_model", fill_model, display=False)
task_values = {
    "imp_gan": ("imputation", fill_model),
    "imp_lin": ("imputation", "linear interpolation"),
    "mv_gan": ("missing values", fill_model),
    "mv_nan": ("missing values", "missing left as NaN"),
    "far_gan": ("far forecast", fill_model),
    "far_base": ("far forecast", "DeepAR across the gap"),
}
for key, (task, model) in task_values.items():
    glue(f"ch05_{key}", task_nrmse(task, model) if with_tasks else float("nan"), display=False)
glue("ch05_nr_real", real_only, display=False)
glue("ch05_nr_gan", with_gan, display=False)
glue("ch05_nr_unt", with_unt, display=False)

metrics = []
for _, r in table.iterrows():
    metrics.append(
        Metric(
            f"Context-FID tau={r.window} {r.model} ({cfg.embedder})", float(r["mean"]), higher_is_better=False
        )
    )
if cfg.downstream:
    metrics += [
        Metric("DeepAR NRMSE real only", real_only, higher_is_better=False),
        Metric("DeepAR NRMSE real + PSA-GAN", with_gan, higher_is_better=False),
        Metric("DeepAR NRMSE real + untrained generator (control)", with_unt, higher_is_better=False),
    ]
if with_tasks:
    metrics += [
        Metric(f"NRMSE {r.task}: {r.model}", float(r["mean"]), higher_is_better=False)
        for _, r in tk.iterrows()
    ]
for name, tab_x in extra_tables.items():
    metrics += [
        Metric(
            f"Context-FID {name} tau={r.window} {r.model} ({cfg.embedder})",
            float(r["mean"]),
            higher_is_better=False,
        )
        for _, r in tab_x.iterrows()
    ]
claim_held = (
    all(checks.values())
    and all(extra_checks.values())
    and bool(down)
    and all(down.values())
    and bool(task_checks)
    and all(task_checks.values())
)
path = save_record(
    cfg,
    chapter="ch05",
    title="PSA-GAN",
    claim="A progressively grown self-attention GAN produces windows whose Context-FID lies between held-out "
    "real data and an untrained generator and below EBGAN and TimeGAN baselines, and its synthetic series lower "
    "DeepAR's forecast error (augmentation, missing-value and far-forecasting tasks)",
    claim_held=claim_held,
    metrics=metrics,
    seeds=[cfg.seed + k for k in range(cfg.n_seeds)],
    notes=f"{panel.name}, {panel.n_series} series, windows {list(cfg.windows)}; Context-FID with our {cfg.embedder} "
    "encoder; paper tables not available, so no paper numbers; EBGAN and TimeGAN baselines are our own "
    "(TimeGAN conditional, short schedule); missing-value and far-forecasting protocols reconstructed; "
    "cold-start task not implemented",
    extra={
        "headline": "Context-FID tau=32 PSA-GAN (ts2vec)",
        "checks": checks,
        "other_datasets": extra_checks,
        "downstream": down,
        "tasks": task_checks,
        "fid": table.to_dict(orient="records"),
    },
)
print("result record written:", path.name)

# %% [markdown]
# The chapter's smoke claim, checked on this run (an assertion error here fails the chapter in every
# mode): Context-FID(real, held-out real) < Context-FID(real, PSA-GAN) < Context-FID(real, untrained
# generator), for every window length.

# %%
for w in cfg.windows:
    held_w, gan_w, unt_w = fid_of(w, "held-out real"), fid_of(w, "PSA-GAN"), fid_of(w, "untrained")
    assert held_w < gan_w < unt_w, f"Context-FID ordering failed at tau={w}: {held_w}, {gan_w}, {unt_w}"
for text, ok in extra_checks.items():
    assert ok, f"Context-FID ordering failed: {text}"
