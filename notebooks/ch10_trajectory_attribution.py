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
# # You mostly walk alone: what does a trajectory predictor actually use?
#
# Pedestrian trajectory predictors are built to model *social interaction*: people avoid each
# other, walk in groups, give way. Most recent models therefore read, besides the target's own past
# path, the paths of everyone nearby, and they beat simpler models on the standard benchmarks.
# But does the gain come from the neighbours? Makansi et al. {cite}`makansi2022walkalone` answer
# with a tool rather than an ablation: they attribute a model's *performance*, not its output, to
# each of its inputs with Shapley values. Their finding gives the paper its title: on the ETH/UCY
# pedestrian benchmarks the models' accuracy comes almost entirely from the target's own past, and
# the neighbours get no more credit than a *random agent* copied in from another scene. Only on data
# where interactions really steer motion (basketball, in the paper) do the neighbours count.
#
# This chapter rebuilds the analysis from scratch: exact Shapley values over every coalition of
# inputs, computed in one batched forward pass; three predictors; the real ETH/UCY data; and, in
# place of the basketball data we cannot redistribute, a social-force simulator whose interaction
# strength we can dial from zero, so that we know the right answer before we attribute.
#
# ```{admonition} How to run this chapter
# :class: tip
# - **Read**: this page shows the outputs of the run named in the configuration cell below.
# - **JupyterLab**: open `notebooks/ch10_trajectory_attribution.py` (Jupytext opens it as a notebook).
# - **Re-run with other parameters**: `iclr22 run ch10 -p ETH_SCENES eth -p BASELINE random`, or
#   `papermill` on the `.ipynb` with `-p SCALE full` on a GPU machine (all five splits and the
#   λ × γ sweep).
# - **Source**: {download}`the chapter's .py source <../../notebooks/ch10_trajectory_attribution.py>`.
# ```

# %% tags=["parameters"]
SCALE = "smoke"  # "smoke": 2 CPU cores, ~1 min | "full": five splits, the lambda x gamma sweep, one GPU
SEED = 0
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "cuda:N"
# Chapter knobs: None = this scale's preset value (given after "None:"); any other value overrides it.
ETH_SCENES = None  # "eth" | "hotel" | "univ" | "zara1" | "zara2" | "all"; None: smoke "zara1", full "all"
LAM_STRONG = None  # social-force strength of the interacting simulator setting; None: 3.0
GAMMA_STRONG = None  # leader-follower gain of the interacting setting (0..1); None: 1.0
VALUE = None  # value function: "nll" | "nll_clipped" | "minade"; None: "nll"
BASELINE = None  # how a removed input is replaced: "random" | "zero"; None: "random"

# %% [markdown]
# The library checks every parameter, seeds Python, NumPy and torch, and prints what it resolved:

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display
from myst_nb import glue

from iclr22lib import trajattr as ta
from iclr22lib.core.device import hardware_summary
from iclr22lib.core.plotting import use_book_style
from iclr22lib.core.results import Metric, save_record

cfg = ta.config(
    SCALE,
    seed=SEED,
    device=DEVICE,
    eth_scenes=ETH_SCENES,
    lam_strong=LAM_STRONG,
    gamma_strong=GAMMA_STRONG,
    value=VALUE,
    baseline=BASELINE,
)
use_book_style()
print(cfg.describe())
print("hardware:", hardware_summary(cfg.device))

# %% [markdown]
# ## The method
#
# **Players and the value of a coalition.** For one target agent the *players* are its own observed
# past (8 positions, 3.2 s), each neighbour within 3 m (its observed past), and one *random agent*: a
# neighbour of some other target, from another scene, added as an extra neighbour. A coalition
# $S$ is a subset of the players. The model predicts with the players in $S$ as they are and the
# others *removed*, and the value of $S$ is minus the loss of that prediction against the true
# future $y$:
#
# $$v(S) = -\,L\bigl(f(x_S, \tilde x_{\bar S}),\, y\bigr).$$
#
# Removing means, with the *zero* baseline, deleting a neighbour (its attention mask is off) and
# replacing the past by zeros (the agent standing still where it is now); with the *random*
# baseline, replacing the input by the same input of a random other sample, averaged over draws.
# The loss $L$ is the negative log-likelihood per future step of the model's Gaussian mixture
# (or, with `VALUE="minade"`, the best mode's average displacement error).
#
# **Shapley values.** Player $k$'s attribution is its marginal contribution averaged over
# coalitions with the Shapley weights,
#
# $$\begin{aligned}
# \phi_k &= \sum_{S \subseteq P\setminus\{k\}} \frac{|S|!\,(|P|-|S|-1)!}{|P|!}\,\bigl[v(S\cup\{k\}) - v(S)\bigr],\\
# \sum_k \phi_k &= v(P) - v(\varnothing).
# \end{aligned}$$
#
# A positive $\phi_k$ means that input $k$ lowers the loss. The random agent carries no information
# about $y$, so its $\phi$ is the noise floor: a neighbour is *used* only if its attribution is clearly
# above the random agent's. Per target, the **social interaction score** (SIS) is the largest
# attribution among its real neighbours (zero for a target without neighbours), the quantity the
# paper's bar charts show as "interaction".
#
# **Estimators.** With $P$ players there are $2^P$ coalitions. We evaluate all of them for a batch of
# targets in one forward pass (a target with 4 neighbour slots plus past and random agent has
# $2^6 = 64$), which gives the exact values. *Permutation sampling* walks random orderings of the
# players and averages each player's contribution when it joins; it is unbiased and scales to many
# players. The official code does something else: for player $k$ it keeps every other player with
# probability ½ and averages $v(S\cup\{k\}) - v(S)$. That draws coalitions uniformly, without
# the Shapley weights, so it estimates the **Banzhaf** value $2^{-(|P|-1)}\sum_S [v(S\cup\{k\})-v(S)]$,
# a different quantity (a known issue of the official repository). Here is the difference on a
# three-player game whose values we can check by hand, $v(\{1\})=1$, $v(\{1,2\})=3$,
# $v(\{1,3\})=1$, $v(\{2,3\})=2$, $v(\{1,2,3\})=4$, others 0:

# %%
# NBVAL_CHECK_OUTPUT
TABLE = {(): 0, (0,): 1, (1,): 0, (2,): 0, (0, 1): 3, (0, 2): 1, (1, 2): 2, (0, 1, 2): 4}


def toy_game(coalitions):
    return torch.tensor([[float(TABLE[tuple(c.nonzero().flatten().tolist())]) for c in coalitions]])


toy = {
    "exact Shapley": ta.shapley_exact(toy_game, 3)[0][0],
    "permutation sampling (6 orderings)": ta.shapley_permutation(toy_game, 3, 6, seed=SEED)[0][0],
    "official scheme (K = 10 per player)": ta.banzhaf_sampled(toy_game, 3, 10, seed=SEED)[0],
    "exact Banzhaf": ta.banzhaf_exact(toy_game, 3)[0],
}
for name, phi in toy.items():
    print(f"{name:<38}", "  ".join(f"{v:5.2f}" for v in phi.tolist()), f"  sum {phi.sum().item():.2f}")

# %% [markdown]
# Shapley gives $(5/3, 5/3, 2/3)$, which sums to $v(P) - v(\varnothing) = 4$; six orderings (all of
# them, for three players) recover it. Banzhaf gives $(7/4, 7/4, 3/4)$, which sums to 4.25, and the
# official scheme scatters around that. For two players or an additive game the two coincide.
#
# ## The data
#
# ### A simulator with a known amount of interaction
#
# Agents walk at their own desired speed in a direction that drifts randomly; a social force
# pushes them apart,
#
# $$\dot v_i = \frac{v^0_i e_i - v_i}{\tau} + \lambda \sum_{j\neq i} A\, e^{(r - d_{ij})/B}\, n_{ij}\, w_{ij} + \sigma\,\xi_i,$$
#
# with distance $d_{ij}$, unit vector $n_{ij}$ from $j$ to $i$, and an anisotropy $w_{ij}$ that
# weighs agents in front more ({cite}`helbing1995socialforce`). In *leader-follower* mode every second
# agent steers, with gain $\gamma$, towards the current position of the agent before it. Recorded
# every 0.4 s like ETH/UCY, each agent is a target with its neighbours within 3 m. At
# $\lambda = \gamma = 0$ the agents are independent (a unit test checks this exactly); the
# *interacting* setting uses $\lambda$ = {glue:text}`ch10_lam` and $\gamma$ = {glue:text}`ch10_gamma`.

# %%
settings = ta.sim_settings(cfg)
data = {name: ta.sim_splits(cfg, lam, gam, name) for name, (lam, gam) in settings.items()}
glue("ch10_lam", f"{cfg.lam_strong:g}", display=False)
glue("ch10_gamma", f"{cfg.gamma_strong:g}", display=False)

fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
for ax, name in zip(axes, ("independent", "interacting"), strict=True):
    lam, gam = settings[name]
    tracks = ta.simulate(1, cfg.sim_agents, lam, gam, seed=cfg.seed + 5)[0]  # [20, A, 2]
    for a in range(tracks.shape[1]):
        ax.plot(tracks[:8, a, 0], tracks[:8, a, 1], "-", color=f"C{a}", lw=2)
        ax.plot(tracks[7:, a, 0], tracks[7:, a, 1], "--", color=f"C{a}", lw=1.2)
        ax.plot(tracks[7, a, 0], tracks[7, a, 1], "o", color=f"C{a}", ms=4)
    ax.set(title=f"{name}: λ = {lam:g}, γ = {gam:g}", xlabel="x (m)", ylabel="y (m)")
    ax.set_aspect("equal", adjustable="datalim")
fig.suptitle("One simulated scene per setting: observed (solid) and future (dashed) paths")
fig.tight_layout()
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
for name, d in data.items():
    print(f"{name}: {len(d.train)} / {len(d.val)} / {len(d.test)} targets (train / val / test)")

# %% [markdown]
# ### ETH/UCY
#
# The five leave-one-scene-out splits of ETH {cite}`pellegrini2009eth` and UCY {cite}`lerner2007ucy`,
# as distributed with Trajectron++ {cite}`salzmann2020trajectron`: the test scene's whole file, and
# the first ~80 % / last ~20 % of every other file for training / validation. Windows of 8 observed
# plus 12 future steps at every frame; neighbours are the agents present throughout the
# observation and within 3 m at its end, nearest first. Coordinates are centred on the target's
# current position. At smoke scale training, validation and test sets are random subsets (sizes in
# the configuration).

# %%
# NBVAL_CHECK_OUTPUT
for scene in ta.eth_scene_list(cfg):
    full_test = ta.load_split(scene, "test", radius=cfg.radius, max_nbrs=cfg.max_neighbours)
    data[scene] = ta.eth_splits(cfg, scene)
    d = data[scene]
    n_nb = full_test.nbr_mask.sum(1)
    print(
        f"{scene}: {len(full_test)} test windows in {', '.join(p.name for p in ta.split_files(scene, 'test'))}; "
        f"median {int(n_nb.median())} neighbours (cap {cfg.max_neighbours}); "
        f"using {len(d.train)} / {len(d.val)} / {len(d.test)}"
    )

# %% [markdown]
# ## The predictors
#
# - **Constant velocity**: extrapolates the last step; one Gaussian mode whose spread grows linearly
#   with the horizon, fitted on the training data. It cannot use neighbours.
# - **Past only**: a GRU over the target's positions and steps, then a decoder for a $K$-mode
#   Gaussian mixture over the 12 future positions (each mode adds learned steps to constant-velocity
#   motion). It cannot use neighbours either.
# - **Social attention**: the same, plus an encoder per neighbour (shared weights, on the neighbour's
#   and the target's pasts) and additive attention over the neighbours with the target's encoding as
#   query, in the spirit of the paper's Trajectron++Edge variant, which gives each neighbour its own
#   edge so that per-neighbour attributions mean something.
#
# Both learned models are trained by NLL with Adam, random rotations on ETH/UCY, and the weights
# with the best *validation* NLL are kept. Then, on the test set: NLL per step, minADE and minFDE
# over the $K$ modes, the same with all neighbours deleted (the paper's robustness test), and exact
# Shapley values for {glue:text}`ch10_n_attr` test targets, random agent included.

# %%
results = {name: ta.run_dataset(cfg, d) for name, d in data.items()}
glue("ch10_n_attr", cfg.n_attr, display=False)
rows = []
for name, res in results.items():
    for model in ta.MODEL_NAMES:
        m, r = res.metrics[model], res.robustness[model]
        rows.append(
            {
                "data": name,
                "model": model,
                "NLL": f"{m['nll']:.2f}",
                "minADE (m)": f"{m['minade']:.2f}",
                "minFDE (m)": f"{m['minfde']:.2f}",
                "NLL without neighbours": f"{r['nll_without']:.2f}",
                "minADE without neighbours": f"{r['minade_without']:.2f}",
            }
        )
display(
    Markdown(f"Test metrics; minADE/minFDE over the {cfg.n_modes} mixture modes (one for constant velocity)")
)
display(pd.DataFrame(rows).set_index(["data", "model"]))

# %% [markdown]
# For scale, Trajectron++'s published best-of-20 minADE / minFDE on the same splits (its
# repository's evaluation; metres). Our models are far smaller, trained for seconds, and scored over
# {glue:text}`ch10_n_modes` modes instead of 20 samples, so they are not expected to match.

# %%
glue("ch10_n_modes", cfg.n_modes, display=False)
display(pd.DataFrame({s: {"minADE_20": a, "minFDE_20": f} for s, (a, f) in ta.TRAJECTRON_PP.items()}).T)

# %%
for name, res in results.items():
    nll = {m: res.metrics[m]["nll"] for m in ta.MODEL_NAMES}
    print(
        f"{name}: learned models beat constant velocity on NLL:",
        nll["past only"] < nll["constant velocity"] and nll["social attention"] < nll["constant velocity"],
    )
    r = res.robustness["social attention"]
    print(
        f"{name}: deleting the neighbours costs the social model more than 0.05 nats:",
        r["nll_without"] - r["nll_with"] > 0.05,
    )

# %% [markdown]
# ## Attributions
#
# Mean Shapley values over the attributed test targets: the past, the social interaction score and
# the random agent, with a 95 % bootstrap interval for SIS minus random agent. The two models that
# cannot see neighbours give every neighbour exactly zero, as they must.

# %%
rows = []
for name, res in results.items():
    for model in ta.MODEL_NAMES:
        s = res.summary[model]
        rows.append(
            {
                "data": name,
                "model": model,
                "φ past": f"{s['past']:.2f}",
                "SIS": f"{s['sis']:.3f}",
                "φ random agent": f"{s['random']:.3f}",
                "SIS − random [95 % CI]": f"{s['sis_minus_random']:.3f} "
                f"[{s['sis_minus_random_lo']:.3f}, {s['sis_minus_random_hi']:.3f}]",
                "one neighbour − random [95 % CI]": f"{s['neighbour_minus_random']:.3f} "
                f"[{s['neighbour_minus_random_lo']:.3f}, {s['neighbour_minus_random_hi']:.3f}]",
            }
        )
display(pd.DataFrame(rows).set_index(["data", "model"]))

# %%
names = list(results)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1, 1.6]})
width = 0.8 / len(ta.MODEL_NAMES)
for i, model in enumerate(ta.MODEL_NAMES):
    pos = np.arange(len(names)) + (i - 1) * width
    axes[0].bar(pos, [results[n].summary[model]["past"] for n in names], width, label=model)
axes[0].set(xticks=range(len(names)), xticklabels=names, ylabel="mean φ (nats per step)", title="the past")
axes[0].legend(fontsize=8)
sub = ["sis", "random"]
for j, key in enumerate(sub):
    pos = np.arange(len(names)) + (j - 0.5) * 0.35
    vals = [results[n].summary["social attention"][key] for n in names]
    axes[1].bar(
        pos,
        vals,
        0.35,
        label={"sis": "social interaction score", "random": "random agent"}[key],
        color=f"C{j + 3}",
    )
axes[1].axhline(0, color="black", lw=0.8)
axes[1].set(
    xticks=range(len(names)), xticklabels=names, title="social attention model: neighbours vs random agent"
)
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# The social model's neighbour credit above the random agent for every simulated setting, with 95 %
# bootstrap intervals, against the social-force strength λ (one line per leader-follower gain γ). At
# smoke scale there are two settings; the full run sweeps λ ∈ {0, 0.5, 1, 2, 4} × γ ∈ {0, 0.5, 1}.

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.6))
for j, gam in enumerate(sorted({g for _, g in settings.values()})):
    pts = sorted(
        ((lam, results[n].summary["social attention"]) for n, (lam, g) in settings.items() if g == gam),
        key=lambda p: p[0],
    )
    mid = [p[1]["sis_minus_random"] for p in pts]
    err = [
        [m - p[1]["sis_minus_random_lo"] for m, p in zip(mid, pts, strict=True)],
        [p[1]["sis_minus_random_hi"] - m for m, p in zip(mid, pts, strict=True)],
    ]
    ax.errorbar(
        [p[0] for p in pts], mid, yerr=err, marker="o", capsize=3, label=f"γ = {gam:g}", color=f"C{j}"
    )
ax.axhline(0, color="black", lw=0.8)
ax.set(
    xlabel="social-force strength λ",
    ylabel="SIS − random agent (nats per step)",
    title="Credit to neighbours grows with the interaction",
)
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Per target, in the interacting simulation: the social model's SIS against the random agent's
# attribution. Points above the diagonal are targets where a real neighbour helped more than noise.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharex=True, sharey=True)
for ax, name in zip(axes, ("independent", "interacting"), strict=True):
    att = results[name].attributions["social attention"]
    sis = ta.social_interaction_score(att)
    ax.scatter(att.phi[:, att.random_slot], sis, s=8, alpha=0.5)
    lim = float(max(sis.abs().max(), att.phi[:, att.random_slot].abs().max()))
    ax.plot([-lim, lim], [-lim, lim], color="black", lw=0.8)
    ax.set(title=name, xlabel="φ random agent", ylabel="SIS (best real neighbour)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Estimators against the exact values
#
# On the interacting simulation's social model (100 test targets), the error of permutation sampling
# and of the official (Banzhaf) scheme against the exact Shapley values, per player, with the number of
# coalitions each evaluates per target. More orderings shrink the permutation error towards zero;
# the official scheme's error does not vanish with more draws because it estimates another quantity.

# %%
att_batch = ta.subsample(data["interacting"].test, 100, cfg.seed + 4).to(cfg.device)
model = results["interacting"].models["social attention"]
pool = data["interacting"].val.to(cfg.device)
common = dict(pool=pool, value=cfg.value, baseline=cfg.baseline, n_draws=cfg.n_random_draws, seed=cfg.seed)
est_rows = []
with ta.cpu_threads(1, cfg.device):
    exact = ta.attribute(model, att_batch, estimator="exact", **common).phi
    n_players = exact.shape[1]
    for label, kw, cost in [
        ("permutation, 8 orderings", {"estimator": "permutation", "n_permutations": 8}, 8 * (n_players + 1)),
        (
            f"permutation, {cfg.n_permutations} orderings",
            {"estimator": "permutation", "n_permutations": cfg.n_permutations},
            cfg.n_permutations * (n_players + 1),
        ),
        (
            f"official scheme, K = {cfg.banzhaf_draws}",
            {"estimator": "banzhaf", "banzhaf_draws": cfg.banzhaf_draws},
            2 * cfg.banzhaf_draws * n_players,
        ),
        ("official scheme, K = 100", {"estimator": "banzhaf", "banzhaf_draws": 100}, 200 * n_players),
    ]:
        est = ta.attribute(model, att_batch, **common, **kw).phi
        est_rows.append(
            {
                "estimator": label,
                "coalitions per target": cost,
                "mean |error| past": float((est[:, 0] - exact[:, 0]).abs().mean()),
                "mean |error| neighbours": float((est[:, 1:] - exact[:, 1:]).abs().mean()),
            }
        )
est_table = pd.DataFrame(est_rows).set_index("estimator")
display(Markdown(f"exact: {2**n_players} coalitions per target"))
display(est_table.round(3))

# %%
err = est_table["mean |error| past"]
print("more orderings, smaller permutation error:", err.iloc[1] < err.iloc[0])
print(
    "official scheme with K = 100 still off by more than the long permutation run:", err.iloc[3] > err.iloc[1]
)

# %% [markdown]
# ## The official value function: a capped per-step NLL
#
# The official code scores a coalition with Trajectron++'s NLL, which mixes the modes *per step* and
# caps each step's log-density at $\log p_{\max} = 6$ (`value="nll_clipped"` here, function
# `ta.nll_clipped`). The cap bounds the credit a player can earn for making an already sharp prediction
# sharper. Below, the social model's attributions under both value functions, on the same 100 test
# targets of the interacting simulation and of ETH/UCY: does the chapter's reading depend on the choice?

# %%
clip_rows = []
with ta.cpu_threads(1, cfg.device):
    for name in ("interacting", ta.eth_scene_list(cfg)[0]):
        batch = ta.subsample(data[name].test, 100, cfg.seed + 5).to(cfg.device)
        for value in ("nll", "nll_clipped"):
            att = ta.attribute(
                results[name].models["social attention"],
                batch,
                estimator="exact",
                value=value,
                baseline=cfg.baseline,
                pool=data[name].val.to(cfg.device),
                n_draws=cfg.n_random_draws,
                seed=cfg.seed,
            )
            s = ta.summarise(att, seed=cfg.seed)
            clip_rows.append(
                {
                    "data": name,
                    "value function": value,
                    "φ past": s["past"],
                    "SIS": s["sis"],
                    "φ random agent": s["random"],
                    "SIS − random": s["sis_minus_random"],
                    "lo": s["sis_minus_random_lo"],
                    "hi": s["sis_minus_random_hi"],
                }
            )
clip_table = pd.DataFrame(clip_rows).set_index(["data", "value function"])
display(clip_table.round(3))
clip_shift = clip_table["SIS − random"].xs("nll_clipped", level=1) - clip_table["SIS − random"].xs(
    "nll", level=1
)
glue("ch10_clip_shift", float(clip_shift.abs().max()), display=False)

# %%
for (name, value), r in clip_table.iterrows():
    print(
        f"{name:12s} {value:12s} past dominates: {r['φ past'] > 5 * abs(r['SIS'])}, "
        f"neighbour credit above random (CI above 0): {r['lo'] > 0}"
    )
same = {
    n: (clip_table.loc[n, "lo"] > 0).nunique() == 1
    and (clip_table.loc[n, "φ past"] > 5 * clip_table.loc[n, "SIS"].abs()).nunique() == 1
    for n in clip_table.index.get_level_values(0).unique()
}
print("the capped NLL changes no reading:", all(same.values()), same)
glue(
    "ch10_clip_same",
    "every reading above survives it" if all(same.values()) else "it changes at least one reading above",
    display=False,
)

# %% [markdown]
# The cap changes the neighbour credit above the random agent by at most
# {glue:text}`ch10_clip_shift:.3f` nats per step, and {glue:text}`ch10_clip_same`. A small shift is expected
# for our models: a step's log-density reaches 6 only if the step is predicted with a standard
# deviation below $e^{-(6 + \log 2\pi)/2} \approx 2$ cm at its exact position, which a model trained
# on metre-scale pedestrian noise seldom does. The official estimator's bias (it computes Banzhaf
# values, above) matters more than its cap.

# %% [markdown]
# ## What holds
#
# "Within noise" needs a yardstick. Ours is the interaction signal itself: a neighbour counts as
# unused when the SIS exceeds the random agent by less than a quarter of the margin the same
# architecture shows in the interacting simulation, and when one neighbour's mean attribution is
# within 0.1 nats per step of the random agent's (a hundredth of a typical attribution of the past).
# The checks: in the independent simulation the neighbours are unused by that rule; in the
# interacting simulation the bootstrap intervals of SIS minus random agent, and of one neighbour
# minus random agent, lie above zero; on ETH/UCY the past's attribution is at least ten times the
# size of the SIS, and the SIS is below 2 % of the past's attribution. On ETH/UCY we do not assert
# "SIS within noise of the random agent": with the zero baseline on the `eth` split, for instance, a
# random agent from another scene *hurts* the prediction (about −1.1 nats per step in a trial run)
# more than the real neighbours do (SIS about −0.4), so SIS minus random agent comes out positive
# although no neighbour helps. The tables show that difference for every run.

# %%
s_ind = results["independent"].summary["social attention"]
s_int = results["interacting"].summary["social attention"]
margin = s_int["sis_minus_random"]
eth_names = list(ta.eth_scene_list(cfg))
eth_sum = {n: results[n].summary["social attention"] for n in eth_names}
checks = {
    "independent: SIS - random below a quarter of the interacting margin": abs(s_ind["sis_minus_random"])
    < margin / 4,
    "independent: one neighbour within 0.1 nats of the random agent": abs(s_ind["neighbour_minus_random"])
    < 0.1,
    "interacting: SIS clearly above the random agent": s_int["sis_minus_random_lo"] > 0,
    "interacting: one neighbour clearly above the random agent": s_int["neighbour_minus_random_lo"] > 0,
    "ETH/UCY: the past's attribution dominates (>= 10x |SIS|)": all(
        s["past"] >= 10 * abs(s["sis"]) for s in eth_sum.values()
    ),
    "ETH/UCY: the best neighbour's credit (SIS) below 2 % of the past's": all(
        s["sis"] < 0.02 * s["past"] for s in eth_sum.values()
    ),
}

# %%
for text, ok in checks.items():
    print(f"{text}: {ok}")

# %% [markdown]
# ## The result
#
# In the simulation with interaction the social attention model leans on its neighbours: its social
# interaction score is {glue:text}`ch10_int_sis:.2f` nats per step against {glue:text}`ch10_int_rnd:.2f`
# for the random agent, and deleting the neighbours raises its test NLL from
# {glue:text}`ch10_int_nll_with:.2f` to {glue:text}`ch10_int_nll_without:.2f`. With independent
# agents the same architecture gets an SIS of {glue:text}`ch10_ind_sis:.2f` against
# {glue:text}`ch10_ind_rnd:.2f` for the random agent: the attribution correctly reports that there is
# nothing to use. On ETH/UCY ({glue:text}`ch10_eth_name`) the past's attribution,
# {glue:text}`ch10_eth_past:.1f`, dwarfs the SIS, {glue:text}`ch10_eth_sis:.2f`, and the random agent
# gets {glue:text}`ch10_eth_rnd:.2f`: the model walks alone, which is the paper's finding. Deleting
# every neighbour moves its minADE from {glue:text}`ch10_eth_ade_with:.3f` m to
# {glue:text}`ch10_eth_ade_without:.3f` m, and its NLL from {glue:text}`ch10_eth_nll_with:.3f` to
# {glue:text}`ch10_eth_nll_without:.3f`: deletion changes the NLL a little even though no single
# neighbour's path earns more credit than the random agent's, because deleting also tells the model
# that nobody is near, which our per-neighbour random replacement does not.
#
# What reproduces: the pattern of the paper's figures, past ≫ interaction ≈ random agent on the
# pedestrian benchmark and interaction clearly above the random agent where the data contain it. What we
# cannot compare: the paper's own numbers, because its attribution tables could not be read while
# this chapter was written, and its basketball data are not redistributable (the simulator stands in).
# Two caveats a reader should keep. First, the baseline matters. With the *zero* baseline
# (`BASELINE="zero"`, deleting a neighbour) the random agent itself earns credit in the interacting
# simulation, about 0.8 nats per step in our runs: there a follower always has someone near, so the
# mere presence of *any* neighbour is informative, and deletion confounds presence with content. The
# *random* baseline, used here, keeps a removed neighbour present but swaps its path, so only the
# content is credited, and the random agent's value drops to about zero. Second, the SIS takes a
# maximum over a target's neighbours and so drifts above the random agent's single value even when
# nothing is used; the per-neighbour mean in the tables has no such bias.
#
# **Where we depart from the official code.** Exact Shapley values over all coalitions (and
# permutation sampling) instead of the Bernoulli(½) scheme, which estimates Banzhaf values; small
# models of our own (a GRU and an attention model with per-neighbour edges, Gaussian-mixture output
# with {glue:text}`ch10_n_modes` modes) instead of Trajectron++ and PECNet, whose code is not part of
# this library; minADE/minFDE over the mixture's modes rather than 20 samples; neighbours limited to
# the nearest {glue:text}`ch10_max_nb` within 3 m at smoke scale; a simulator instead of basketball
# data; at smoke scale one split, a subset of windows and a few hundred training steps.


# %%
def summ(name, key, model="social attention"):
    return results[name].summary[model][key]


eth0 = eth_names[0]
glue("ch10_int_sis", summ("interacting", "sis"), display=False)
glue("ch10_int_rnd", summ("interacting", "random"), display=False)
glue("ch10_ind_sis", summ("independent", "sis"), display=False)
glue("ch10_ind_rnd", summ("independent", "random"), display=False)
glue("ch10_int_nll_with", results["interacting"].robustness["social attention"]["nll_with"], display=False)
glue(
    "ch10_int_nll_without",
    results["interacting"].robustness["social attention"]["nll_without"],
    display=False,
)
glue("ch10_eth_name", eth0, display=False)
glue("ch10_eth_past", summ(eth0, "past"), display=False)
glue("ch10_eth_sis", summ(eth0, "sis"), display=False)
glue("ch10_eth_rnd", summ(eth0, "random"), display=False)
glue("ch10_eth_ade_with", results[eth0].robustness["social attention"]["minade_with"], display=False)
glue("ch10_eth_ade_without", results[eth0].robustness["social attention"]["minade_without"], display=False)
glue("ch10_max_nb", cfg.max_neighbours, display=False)
glue("ch10_eth_nll_with", results[eth0].robustness["social attention"]["nll_with"], display=False)
glue("ch10_eth_nll_without", results[eth0].robustness["social attention"]["nll_without"], display=False)

metrics = [
    Metric(
        "interacting sim: SIS - random agent (social model)",
        summ("interacting", "sis_minus_random"),
        unit="nats/step",
    ),
    Metric(
        "independent sim: SIS - random agent (social model)",
        summ("independent", "sis_minus_random"),
        higher_is_better=False,
        unit="nats/step",
    ),
]
for n in eth_names:
    ade, fde = ta.TRAJECTRON_PP[n]
    metrics += [
        Metric(f"{n}: phi past (social model)", summ(n, "past"), unit="nats/step"),
        Metric(
            f"{n}: SIS - random agent (social model)",
            summ(n, "sis_minus_random"),
            higher_is_better=False,
            unit="nats/step",
        ),
        Metric(
            f"{n}: minADE social model (paper column: Trajectron++ minADE_20)",
            results[n].metrics["social attention"]["minade"],
            paper=ade,
            higher_is_better=False,
            unit="m",
        ),
        Metric(
            f"{n}: minFDE social model (paper column: Trajectron++ minFDE_20)",
            results[n].metrics["social attention"]["minfde"],
            paper=fde,
            higher_is_better=False,
            unit="m",
        ),
    ]
claim_held = all(checks.values())
path = save_record(
    cfg,
    chapter="ch10",
    title="You mostly walk alone",
    claim="On ETH/UCY a predictor's performance is attributed to the target's own past, its neighbours getting "
    "no more than a random agent; where interactions drive motion the neighbours are attributed clearly more",
    claim_held=claim_held,
    metrics=metrics,
    notes=f"Exact Shapley values ({cfg.baseline} baseline, {cfg.value} value); a social-force simulator stands in for basketball; "
    "prediction accuracy compared with published Trajectron++ numbers (the paper's tables were not available)",
    extra={"headline": "zara1: SIS - random agent (social model)", "checks": checks, "summaries": {n: r.summary for n, r in results.items()}},
)
print("result record written:", path.name)

# %% [markdown]
# The checks that hold by a wide margin on every seed and every CPU we tried are asserted (an assertion
# error here fails the chapter in every mode). The others rest on the lower end of an interval that a
# seed or a CPU's rounding can move across zero: they are reported above and decide the claim with these.

# %%
ASSERTED = (
    "interacting: SIS clearly above the random agent",
    "ETH/UCY: the past's attribution dominates (>= 10x |SIS|)",
    "ETH/UCY: the best neighbour's credit (SIS) below 2 % of the past's",
)
for text in ASSERTED:
    assert checks[text], (
        f"claim check failed: {text}; summaries: independent {s_ind}, interacting {s_int}, ETH/UCY {eth_sum}"
    )
