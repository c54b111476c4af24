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
# # GRDA: domain adaptation across a graph of domains
#
# Classic adversarial domain adaptation (DANN {cite}`ganin2016dann`) learns an encoding in which a
# discriminator cannot tell the domains apart: every domain is pulled onto every other. That is the
# right goal when there are two domains, but many data sets have *many* domains that are related in a
# structured way: US states that share a border have similar weather, photographs taken from
# neighbouring viewpoints look alike. Graph-relational domain adaptation (GRDA) {cite}`xu2022grda`
# writes that structure down as a **domain graph** and replaces the domain classifier by a
# discriminator that tries to *reconstruct the graph* from pairs of encodings. The encoder wins when
# the encodings say no more about whether two samples' domains are linked than the graph's own base
# rate. Neighbouring domains may then be aligned tightly and far-apart ones loosely, and labels can
# travel along the graph from the labelled source domains to distant unlabelled targets.
#
# This chapter trains Source-Only, DANN and GRDA on the same pipeline on the paper's toy data set
# DG-15, draws each method's per-domain accuracy on the domain graph, and checks the paper's claim
# at the scale of this run. It also shows a bug of the official code, whose update gives the
# discriminator only (1 − λ) of its gradient, none at all at the shipped λ = 1.
#
# ```{admonition} How to run this chapter
# :class: tip
# - **Read**: this page shows the outputs of the run named in the configuration cell below.
# - **JupyterLab**: open `notebooks/ch03_grda.py` (Jupytext opens it as a notebook).
# - **Re-run with other parameters**: `iclr22 run ch03 -p SEED 1 -p LAMBDA_D 0.3`, or
#   `papermill` on the `.ipynb` with `-p SCALE full` on a GPU machine.
# - **Source**: {download}`the chapter's .py source <../../notebooks/ch03_grda.py>`.
# ```

# %% tags=["parameters"]
SCALE = "smoke"  # "smoke": 2 CPU cores, ~1 min | "full": 5 seeds, 500 epochs, width 512, one GPU
SEED = 0
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "cuda:N"
# Chapter knobs: None = this scale's preset value (given after "None:"); any other value overrides it.
DATASET = None  # "dg15" | "dg60"; None: "dg15"
METHODS = None  # '+'-separated: source_only, dann, adda, cdann, mdd, grda; None: smoke source_only+dann+grda, full all six
LAMBDA_D = None  # weight of the adversarial term; None: 0.5
COUPLING = None  # "fixed": a true min-max game | "official": D gets (1 - lambda) of its gradient; None: "fixed"
COMPARE_OFFICIAL = None  # also run GRDA with the official coupling at the shipped lambda of 1; None: True
TPT48_TASKS = None  # TPT-48 tasks also run: "none" | "EW" | "NS" | "EW+NS"; None: smoke "EW", full "EW+NS"

# %% [markdown]
# The cell above holds the parameters Papermill may replace. The library checks every value, seeds
# Python, NumPy and torch, picks the device and prints what it resolved:

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

from iclr22lib import grda as ch
from iclr22lib.core.device import hardware_summary
from iclr22lib.core.plotting import use_book_style
from iclr22lib.core.results import Metric, save_record

cfg = ch.config(
    SCALE, seed=SEED, device=DEVICE, dataset=DATASET, methods=METHODS, lambda_d=LAMBDA_D,
    coupling=COUPLING, compare_official=COMPARE_OFFICIAL, tpt48_tasks=TPT48_TASKS,
)
assert {"source_only", "grda"} <= set(cfg.method_list), "the claim compares GRDA with Source-Only: keep both"
use_book_style()
print(cfg.describe())
print("hardware         =", hardware_summary(cfg.device))

# %% [markdown]
# ## The data
#
# DG-15 is the paper's toy data set. Each of its 15 domains is a two-class problem in the plane:
# 50 points in a unit disc around a centre $\mu_u$ and 50 around $-\mu_u$. The centres lie on a
# spiral, $\mu_u = (1 + c\,\theta_u)(\cos\theta_u, \sin\theta_u)$, so the right decision boundary
# turns with the domain's angle $\theta_u$. Two domains are linked in the graph with probability
# $\cos(\theta_u - \theta_v)$ when that is large enough, so linked domains have similar boundaries.
# The six source domains (labelled) are the ones with the smallest angles; the nine targets lie
# further along the spiral, some of them several hops away. Each domain also comes with a 2-d node
# embedding $z_u$ of the graph, the one the official code ships, which every method receives as an
# input next to $x$. We read the pickle-free copy of the official data through the book's registry
# and z-score the points over all domains, as the official code does.

# %%
# NBVAL_CHECK_OUTPUT
data = ch.load_dg(cfg.dataset)
n_dom, n_per, _ = data.x.shape
print(f"{cfg.dataset}: {n_dom} domains x {n_per} points, {int(data.adj.sum()) // 2} graph edges "
      f"(density {ch.density(data.adj):.2f})")
print("source domains:", list(data.sources), "| target domains:", list(data.targets))
print("points per class in every domain:", sorted(set((data.y == 1).sum(1).tolist())))

# %%
raw = data.x.numpy() * data.raw_std + data.raw_mean
# nodes on a circle, in the order of their angle along the spiral (readable, unlike the raw angles)
phi = 2 * np.pi * np.argsort(np.argsort(data.angle)) / n_dom
pos = np.stack([np.cos(phi), np.sin(phi)], 1)
src = np.isin(np.arange(n_dom), data.sources)


def draw_graph(ax, values=None, title=""):
    """The domain graph at the domains' spiral positions; node colour = ``values`` (accuracy)."""
    for i, j in zip(*np.nonzero(np.triu(data.adj.numpy(), 1)), strict=True):
        ax.plot(*pos[[i, j]].T, color="0.8", lw=0.7, zorder=1)
    colours = values if values is not None else np.where(src, 1.0, 0.5)
    for mask, marker in ((src, "s"), (~src, "o")):
        sc = ax.scatter(*pos[mask].T, c=colours[mask], cmap="RdYlGn", vmin=0.5, vmax=1.0, s=190,
                        marker=marker, edgecolors="k", linewidths=0.6, zorder=2)
    for i, (px, py) in enumerate(pos):
        ax.text(px, py, str(i), ha="center", va="center", fontsize=7, zorder=3)
    ax.set(title=title, aspect="equal", xlim=(-1.25, 1.25), ylim=(-1.25, 1.25))
    ax.axis("off")
    return sc


fig, (ax_pts, ax_g) = plt.subplots(1, 2, figsize=(9, 4))
for u in range(n_dom):
    for c, m in ((0, "o"), (1, "x")):
        pts = raw[u][data.y[u].numpy() == c]
        ax_pts.scatter(*pts.T, s=4, marker=m, color=plt.cm.viridis(data.angle[u] / data.angle.max()))
ax_pts.set(title="points (colour: domain angle; o / x: class)", aspect="equal")
draw_graph(ax_g, title="domain graph (squares: sources, in angle order)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The method
#
# An encoder $E$ maps a point and its domain's embedding to an encoding $e = E(x, z_u)$, a predictor
# $F$ classifies encodings, and a discriminator $D$ maps an encoding to a guess of its domain's node
# embedding. The guessed link between two samples is $\hat A = \sigma(D(e_1)^\top D(e_2))$, and the
# discriminator's loss is the binary cross-entropy of that guess against the graph,
#
# $$
# \begin{aligned}
# L_d(D, E) = \mathbb{E}_{(x_1,u_1),(x_2,u_2)}\Big[&-A_{u_1u_2}\log\sigma\big(D(e_1)^\top D(e_2)\big) \\
#   &- (1 - A_{u_1u_2})\log\big(1 - \sigma(D(e_1)^\top D(e_2))\big)\Big].
# \end{aligned}
# $$
#
# The three networks play $\min_{E,F}\max_D\; L_f(E,F) - \lambda L_d(D,E)$, with $L_f$ the
# cross-entropy on the labelled source domains. Like the official code, each step draws 10 points of
# every domain, pairs the $b$-th point of domain $u$ with the $b$-th point of domain $v$, scores
# every pair of domains of a sampled sub-graph of 10 domains, and averages linked and unlinked
# pairs separately (class balance), scaled by the number of domains. A discriminator that always
# outputs zero therefore scores exactly $N \ln 2$, which is $15 \ln 2 \approx 10.40$ on DG-15: this
# is the chance level it must beat. If the graph is a clique the game reduces to DANN's, where $D$ is
# an $N$-way domain classifier.
#
# **Where we depart from the official code.** The official update computes $L_d$ once, lets $D$
# back-propagate it, then back-propagates $L_f - \lambda L_d$ through *the same graph* before
# stepping, so $D$'s parameters receive $(1 - \lambda)\nabla L_d$: nothing at the shipped λ = 1,
# and a gradient *ascent* for λ > 1. We play the game properly with a gradient-reversal layer
# between $E$ and $D$: one backward pass gives $D$ the whole $\nabla L_d$ and $E$
# $\nabla L_f - \lambda \nabla L_d$ (a unit test checks both against autograd and finite
# differences). The official update stays available as `COUPLING = "official"`. We use λ = 0.5,
# which the authors recommend. The batch is one tensor of shape [domains, samples, features], and
# the losses are computed for all domain pairs and samples at once. We report every run after its
# last epoch: no model is selected on target data.

# %% [markdown]
# ## The experiment
#
# Source-Only (the encoder and predictor trained on the sources alone), DANN and GRDA share the
# encoder, predictor, optimiser (Adam, learning rate halved every 100 epochs) and batches; only the
# discriminator differs. At smoke scale the networks are 64 units wide instead of 512 and train for
# 200 epochs instead of 500, on two seeds. We also train GRDA with the official coupling at λ = 1 on
# one seed. The library also has the paper's other baselines on the same pipeline (ADDA, as the official
# code's joint source-vs-target variant; CDANN, whose domain classifier also reads the predicted class
# probabilities; MDD, with an auxiliary head and margin 4): the `full` scale runs all six, and
# `METHODS` picks any subset. The accuracy of a domain is measured on all 100 of its points (the official code's
# transductive protocol); a method's score is the mean over the nine target domains.

# %%
runs = ch.compare(data, cfg)
summary = ch.summarise(runs)
for label, (mean, sd) in summary.items():
    n = sum(r.label == label for r in runs)
    print(f"{label:<24} target accuracy {100 * mean:5.1f} ± {100 * sd:4.1f} %  ({n} seed(s))")

# %% [markdown]
# Our numbers beside Table 1 of the paper (DG-15 column; the paper averages several runs of the full
# configuration):

# %%
paper = ch.PAPER_ACCURACY[cfg.dataset]
fixed = [r for r in runs if r.coupling == "fixed"]
print(f"{'method':<12} {'ours':>7} {'paper':>7}")
for m in cfg.method_list:
    ours = summary[ch.LABELS[m]][0]
    print(f"{ch.LABELS[m]:<12} {100 * ours:6.1f}% {100 * paper[m]:6.1f}%")

# %%
chance = n_dom * math.log(2)
mean_acc = {m: summary[ch.LABELS[m]][0] for m in cfg.method_list}
gain = mean_acc["grda"] - mean_acc["source_only"]
d_min = {r.seed: float(np.nanmin(r.d_loss)) for r in fixed if r.method == "grda"}
print(f"GRDA beats Source-Only on the targets by more than {100 * ch.MIN_GAIN:.0f} points:",
      gain > ch.MIN_GAIN)
print("GRDA's discriminator loss falls below chance (15 ln 2 - 0.02) in every run:",
      all(v < chance - 0.02 for v in d_min.values()))
print("every method fits the source domains (> 95 %):", all(r.source_score > 0.95 for r in fixed))

# %% [markdown]
# ## Accuracy on the domain graph
#
# Each node is a domain, placed on a circle in the order of its angle along the spiral (the sources
# sit together at one end), coloured by the accuracy of the first seed's run
# (red: chance, green: perfect); squares are the labelled sources. The paper's Figure 1 makes the same
# picture.

# %%
first = [r for r in fixed if r.seed == cfg.seed]
fig, axes = plt.subplots(1, len(first), figsize=(3.3 * len(first), 3.6))
for ax, r in zip(np.atleast_1d(axes), first, strict=True):
    sc = draw_graph(ax, r.domain_score, f"{r.label}: targets {100 * r.target_score:.0f} %")
fig.colorbar(sc, ax=axes, shrink=0.8, label="accuracy")
plt.show()

# %% [markdown]
# ## Does the discriminator train?
#
# Left: GRDA's discriminator loss per epoch (mean over the epoch's steps) under our coupling and under
# the official one at λ = 1, against the chance level $15 \ln 2$. Right: the mean target accuracy
# during training.

# %%
fig, (ax_d, ax_t) = plt.subplots(1, 2, figsize=(9, 3.4))
grda_runs = [r for r in runs if r.method == "grda"]
for r in grda_runs:
    ax_d.plot(np.arange(1, len(r.d_loss) + 1), r.d_loss, lw=1, label=f"{r.label}, seed {r.seed}")
ax_d.axhline(chance, color="k", ls="--", lw=1, label="chance, 15 ln 2")
ax_d.set(xlabel="epoch", ylabel="discriminator loss", ylim=(chance - 0.4, chance + 0.4),
         title="GRDA's discriminator")
ax_d.legend(fontsize=7)
every = cfg.epochs // max(1, len(runs[0].target_curve))
for r in runs:
    if r.seed == cfg.seed:
        ax_t.plot(every * np.arange(1, len(r.target_curve) + 1), r.target_curve, label=r.label)
ax_t.set(xlabel="epoch", ylabel="mean target accuracy", title=f"seed {cfg.seed}", ylim=(0.3, 1.0))
ax_t.legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The other toy data set
#
# The full protocol also runs every method on the second toy data set ({glue:text}`ch03_other_toy`;
# DG-60 has 60 domains on a random graph, 6 of them sources), beside the paper's Table 1. At smoke
# scale this section is skipped (`second_toy` is off).

# %%
other_runs, other_summary = [], {}
if cfg.second_toy:
    other = ch.load_dg(cfg.other_toy)
    other_runs = ch.compare(other, cfg)
    other_summary = ch.summarise(other_runs)
    other_paper = ch.PAPER_ACCURACY[cfg.other_toy]
    print(f"{cfg.other_toy}: {other.x.shape[0]} domains; {'method':<12} {'ours':>14} {'paper':>7}")
    for m in cfg.method_list:
        mean, sd = other_summary[ch.LABELS[m]]
        print(f"{ch.LABELS[m]:<12} {100 * mean:6.1f} ± {100 * sd:4.1f}% {100 * other_paper[m]:6.1f}%")
else:
    print(f"second toy data set ({cfg.other_toy}) not run at this scale")
glue("ch03_other_toy", cfg.other_toy.upper(), display=False)

# %% [markdown]
# ## Real domains: temperatures over the US state graph (TPT-48)
#
# The paper's second benchmark is a regression: from a state's mean temperatures of six consecutive
# months predict the next six. Each of the 48 contiguous states is a domain and the domain graph is
# state adjacency. In the east-to-west task (EW) the 24 eastern states are labelled and the western
# ones are targets, grouped by their distance in hops to the nearest source (levels 1, 2, 3). Source
# states train on every sliding 12-month window of their 144 months; target states contribute only
# the inputs of their 12 yearly January–June halves, and every state is scored on predicting July–
# December of each year: squared error summed over the six months, in units of the temperatures'
# standard deviation, the metric of the authors' later loader (the paper does not state its unit).
# The shipped toy data come with domain embeddings; here we fit 8-d embeddings of the state graph so
# that the sigmoid of two states' inner product reconstructs their adjacency (`grda.fit_embeddings`).
# CDANN and MDD read the predictor's class probabilities and have no regression form, so they are not
# run here (the paper does not say how it adapted them). At smoke scale: one seed, the same narrow nets,
# {glue:text}`ch03_tpt_epochs` epochs.

# %%
tpt = {task: ch.run_tpt48(cfg, task) for task in cfg.tpt48_task_list}
tpt_mse = {}
for task, (states, task_runs) in tpt.items():
    print(f"TPT-48 {task}: MSE per target level (ours | paper Table 2); lower is better")
    print(f"{'method':<12} {'level 1':>14} {'level 2':>14} {'level 3':>14} {'all 24':>14}")
    for m in dict.fromkeys(r.method for r in task_runs):
        ours = np.mean([ch.level_scores(states, r.domain_score) for r in task_runs if r.method == m], axis=0)
        tpt_mse[task, m] = ours
        cells = [f"{o:5.2f} | {p:5.2f}" for o, p in zip(ours, ch.PAPER_TPT48[task][m], strict=True)]
        print(f"{ch.LABELS[m]:<12} " + " ".join(f"{c:>14}" for c in cells))

# %%
# NBVAL_CHECK_OUTPUT
for task, (states, task_runs) in tpt.items():
    print(f"{task}: level sizes {states.level_sizes()}, every run finite:",
          all(np.isfinite(r.domain_score).all() for r in task_runs))

# %%
for task, (_, task_runs) in tpt.items():
    print(f"{task}: GRDA below Source-Only on all 24 targets:",
          bool(tpt_mse[task, "grda"][3] < tpt_mse[task, "source_only"][3]))
    g = next(r for r in task_runs if r.method == "grda")
    print(f"{task}: GRDA's discriminator loss stays within 1 % of chance (48 ln 2):",
          bool(np.nanmin(g.d_loss) > 0.99 * g.d_chance))

# %% [markdown]
# ## The result
#
# Averaged over this run's seeds, GRDA reaches {glue:text}`ch03_grda:.1f` % mean accuracy on the nine
# target domains, against {glue:text}`ch03_so:.1f` % for Source-Only and {glue:text}`ch03_dann:.1f` %
# for DANN; the paper reports {glue:text}`ch03_paper_grda:.1f` %, {glue:text}`ch03_paper_so:.1f` % and
# {glue:text}`ch03_paper_dann:.1f` %. GRDA's gain over Source-Only is {glue:text}`ch03_gain:.1f`
# points, and its discriminator's loss dips to {glue:text}`ch03_dmin:.2f` against the chance level
# {glue:text}`ch03_chance:.2f`: under the min–max game the encoder soon pushes it back towards chance,
# as it should.
#
# **What reproduces and what does not.** The direction of the paper's claim holds at this scale:
# aligning along the graph carries the labels further than training on the sources alone. The size
# does not: the paper's 84 % is not reached by narrow networks trained for 200 epochs, and the
# improvement is concentrated on the targets nearest to the sources (the graph figure), whereas the
# paper's Figure 1 shows GRDA solving nearly all of them. DANN, which pulls all domains onto each other,
# does not beat Source-Only in this run; one seed cannot say how much of that is seed noise. The
# paper's 72 % for it is an average over runs of the full configuration. With the official coupling at λ = 1 the discriminator never learns, and because our
# smoke nets start from PyTorch's default initialisation (whose discriminator does not output zeros)
# the encoder, maximising a loss that nothing opposes, drives it far above chance and wrecks the
# encodings; with the official N(0, 0.01²) initialisation it would sit at exactly $15\ln 2$, as the
# research notes found when running the official code (40 % target accuracy). The `full` scale runs
# the shipped configuration (width 512, 500 epochs, five seeds) on a GPU.
#
# **TPT-48 does not reproduce at this scale.** On the {glue:text}`ch03_tpt_task` task GRDA's mean
# squared error over the 24 target states is {glue:text}`ch03_tpt_grda:.2f` against
# {glue:text}`ch03_tpt_so:.2f` for Source-Only (paper: {glue:text}`ch03_tpt_paper_grda:.2f` and
# {glue:text}`ch03_tpt_paper_so:.2f`). The graph discriminator's lowest epoch-mean loss is
# {glue:text}`ch03_tpt_dmin:.2f` against its chance level $48\ln 2 \approx 33.27$ (the check line above
# says whether that is within 1 %). Whatever it learns, the adversarial term disturbs the encoder
# more than it aligns neighbouring states. We have not diagnosed why (the scale of the adversarial loss
# against the regression loss is the first suspect). Whether the paper's width, schedule and embeddings
# change this is for the `full` run (both tasks, five seeds) to show; we have not been able to run it
# (no GPU).

# %%
so, dn, gr = mean_acc["source_only"], mean_acc.get("dann", float("nan")), mean_acc["grda"]
glue("ch03_grda", 100 * gr, display=False)
glue("ch03_so", 100 * so, display=False)
glue("ch03_dann", 100 * dn, display=False)
glue("ch03_paper_grda", 100 * paper["grda"], display=False)
glue("ch03_paper_so", 100 * paper["source_only"], display=False)
glue("ch03_paper_dann", 100 * paper["dann"], display=False)
glue("ch03_gain", 100 * gain, display=False)
glue("ch03_dmin", min(d_min.values()), display=False)
glue("ch03_chance", chance, display=False)
glue("ch03_tpt_epochs", cfg.tpt48_epochs, display=False)
first_task = cfg.tpt48_task_list[0] if tpt else "EW"
tpt_runs = tpt[first_task][1] if tpt else []
glue("ch03_tpt_task", first_task, display=False)
glue("ch03_tpt_grda", float(tpt_mse.get((first_task, "grda"), [np.nan] * 4)[3]), display=False)
glue("ch03_tpt_so", float(tpt_mse.get((first_task, "source_only"), [np.nan] * 4)[3]), display=False)
glue("ch03_tpt_paper_grda", ch.PAPER_TPT48[first_task]["grda"][3], display=False)
glue("ch03_tpt_paper_so", ch.PAPER_TPT48[first_task]["source_only"][3], display=False)
glue("ch03_tpt_dmin", min((float(np.nanmin(r.d_loss)) for r in tpt_runs if r.method == "grda"), default=np.nan),
     display=False)

claim_held = gain > ch.MIN_GAIN and all(v < chance - 0.02 for v in d_min.values())
metrics = [Metric(f"{ch.LABELS[m]} mean target accuracy", mean_acc[m], paper=paper[m]) for m in cfg.method_list]
metrics.append(Metric("GRDA discriminator loss, lowest epoch mean", min(d_min.values()),
                      higher_is_better=False, unit="nats"))
for (task, m), ours in tpt_mse.items():
    metrics.append(Metric(f"TPT-48 {task} {ch.LABELS[m]} MSE, all 24 targets", float(ours[3]),
                          paper=ch.PAPER_TPT48[task][m][3], higher_is_better=False))
for m in cfg.method_list if other_summary else ():
    metrics.append(Metric(f"{cfg.other_toy.upper()}: {ch.LABELS[m]} mean target accuracy",
                          other_summary[ch.LABELS[m]][0], paper=ch.PAPER_ACCURACY[cfg.other_toy][m]))
official = [r for r in runs if r.coupling == "official"]
if official:
    metrics.append(Metric("GRDA, official coupling at lambda=1, mean target accuracy",
                          float(np.mean([r.target_score for r in official]))))
path = save_record(
    cfg,
    chapter="ch03",
    title="GRDA: graph-relational domain adaptation",
    claim=f"On {cfg.dataset.upper()}, GRDA's trained graph discriminator (loss below N ln 2) lifts the mean "
    f"target accuracy more than {100 * ch.MIN_GAIN:.0f} points above Source-Only",
    claim_held=claim_held,
    metrics=metrics,
    seeds=sorted({r.seed for r in fixed}),
    notes="Smoke scale reproduces the direction of Table 1, not its size (narrow nets, 200 epochs). TPT-48 "
    "(Table 2) is reported but not part of the claim: at smoke scale GRDA does not beat Source-Only there.",
    extra={"headline": "GRDA mean target accuracy"},
)
print("result record written:", path.name)

# %% [markdown]
# The chapter's claim, checked on this run (an assertion error here fails the chapter in every mode):

# %%
assert all(v < chance - 0.02 for v in d_min.values()), f"GRDA's discriminator never beat chance: {d_min}"
assert gain > ch.MIN_GAIN, f"GRDA {gr:.3f} does not beat Source-Only {so:.3f} by {ch.MIN_GAIN}"
assert all(r.source_score > 0.95 for r in fixed), "a method failed to fit its own source domains"
