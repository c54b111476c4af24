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
# # RIM: who will come back, and what will they want?
#
# A recommender answers "which items should this user see?" (ItemRec). A marketer asks the
# transposed question: "which users should hear about this item?" (UserRec, user targeting). It is
# tempting to answer both from the same table of scores $p(y \mid x)$, the probability that a user in
# state $x$ picks item $y$ next. Ma, Liu and Deoras {cite}`ma2022rim` point out why that fails for
# the second question: $p(y \mid x)$ says *what* a user will pick *if* they act, not *whether* they
# act in the coming window. A user who has not been seen for months and an active user may have the
# same $p(y \mid x)$, but only one of them will consume anything this week. Their remedy is to
# treat the event log as a *marked temporal point process*: an intensity $\lambda(x)$ says how many
# events the state will produce in the window, the mark distribution $p(y \mid x)$ says which items,
# and the product
#
# $$\lambda(x, y) = \lambda(x)\, p(y \mid x)$$
#
# is the expected number of $(x, y)$ events in the window, a number that *is* comparable across
# users. Multiplying by a per-user constant leaves every user's item ranking unchanged, so ItemRec is
# untouched, while UserRec improves. The paper's second part turns both rankings into decisions under
# capacity constraints (each user sees at most $k$ items, each item reaches at least or at most $C$
# users) through an entropy-regularised dual whose item prices can be learned on past data and then
# applied to users one at a time as they arrive (online matching).
#
# This chapter rebuilds the whole pipeline: event logs to user states, GRU and Transformer next-item
# models, Hawkes and Hawkes–Poisson intensities fitted by maximum likelihood, a low-rank score object
# that never materialises the users × items matrix, the two rankings, and greedy, dual and online-dual
# matching. The paper's main data set, MovieLens-1M, is not available to us; MovieLens-100K
# {cite}`harper2015movielens`, prepared with the same recipe, stands in for it, beside a synthetic marked
# point process whose true $\lambda(x)$ and $p(y \mid x)$ we plant ourselves.
#
# ```{admonition} How to run this chapter
# :class: tip
# - **Read**: this page shows the outputs of the run named in the configuration cell below.
# - **JupyterLab**: open `notebooks/ch04_rim.py` (Jupytext opens it as a notebook).
# - **Re-run with other parameters**: `iclr22 run ch04 -p MARK_MODELS both -p EPOCHS 20`, or
#   `papermill` on the `.ipynb` with `-p SCALE full` on a GPU machine (the paper's 2 × 128 models,
#   20 epochs, 50 decays, the full matching sweep).
# - **Source**: {download}`the chapter's .py source <../../notebooks/ch04_rim.py>`.
# ```

# %% tags=["parameters"]
SCALE = "smoke"  # "smoke": 2 CPU cores, ~1.5 min | "full": the paper's hyper-parameters, one GPU
SEED = 0
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "cuda:N"
# Chapter knobs: None = this scale's preset value (given after "None:"); any other value overrides it.
MARK_MODELS = None  # "gru" | "transformer" | "both"; None: smoke "gru", full "both"
EPOCHS = None  # training epochs of the mark models; None: smoke 8, full 20
HIDDEN = None  # embedding and hidden width of the mark models; None: smoke 64, full 128
N_DECAYS = None  # exponential decays of the Hawkes kernels; None: smoke 12, full 50
EXCLUDE_TRAIN = None  # never recommend an item already in the history (one rating per movie); None: True
ONLINE_MULT = None  # item minimum exposure of the online-dual check, as a fraction of C; None: 0.5

# %% [markdown]
# The library checks every parameter, seeds Python, NumPy and torch, and prints what it resolved:

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from iclr22lib import rim
from iclr22lib.core.device import cpu_threads, hardware_summary
from iclr22lib.core.plotting import use_book_style
from iclr22lib.core.results import Metric, save_record

cfg = rim.config(
    SCALE,
    seed=SEED,
    device=DEVICE,
    mark_models=MARK_MODELS,
    epochs=EPOCHS,
    hidden=HIDDEN,
    n_decays=N_DECAYS,
    exclude_train=EXCLUDE_TRAIN,
    online_mult=ONLINE_MULT,
)
use_book_style()
print(cfg.describe())
print("hardware:", hardware_summary(cfg.device))

# %% [markdown]
# ## The method
#
# **States, windows, targets.** Events are triples (user, item, time). A *state* $x$ is a user at a
# time $T$ together with the items it consumed before $T$; its *targets* are the items it consumes in
# the window $[T, T + h)$. The official recipe for MovieLens keeps the second half of every user's
# ratings, sets the horizon $h$ to the median time span of a user, and splits users in two halves:
# half are test states at $T$ = first event $+\,h$ (set D), the other half are training-only users
# for D and validation states at the same relative time (set V). The mark model trains on every
# history before the test windows; items never seen there are not scored (warm items only).
#
# **The mark model** $p(y \mid x)$ is a next-item recommender: a GRU (or a causal Transformer) reads
# the history, and its last hidden state $h_x$ scores items through the *tied* input embeddings $e_y$,
# $\log p(y\mid x) = h_x \cdot e_y + c_y - \log Z_x$. Trained by next-item cross-entropy.
#
# **The intensity** $\lambda(x)$. Measure times from the user's first event in units of $h$. A
# Hawkes process with a sum-of-exponentials kernel and fixed decays $\beta_k$,
#
# $$\lambda(\tau) = \mu + \sum_k a_k \sum_{\tau_l < \tau} \beta_k e^{-\beta_k(\tau - \tau_l)} + \sum_k b_k \beta_k e^{-\beta_k \tau},$$
#
# says that every event raises the chance of more events soon (the bursts visible in any log), and
# the last term lets activity fade with the time since the first event. The intensity is linear in
# $\theta = (\mu, a, b) \ge 0$, so the log-likelihood $\sum_j \log \lambda(\tau_j) - \int_0^E \lambda$ is
# concave in $\theta$; we maximise it over all users at once by the EM iteration of a linear Poisson
# intensity, $\theta_c \leftarrow \theta_c \sum_j (\phi_{jc} / \phi_j \cdot \theta) / \Psi_c$, which stays
# non-negative and never decreases the likelihood. The state's $\lambda(x)$ is the expected number of
# events in its window, $\int_E^{E+1}\lambda$ given the history. **Hawkes–Poisson** (HP) uses the same
# decayed sums as features $\phi(x)$ and fits $\lambda(x) = \phi(x)\cdot w$, $w \ge 0$, by Poisson
# maximum likelihood on the *validation* states' observed window counts. Simpler intensities: an
# exponential moving average of past events (EMA), the history length (Pop), and a constant.
#
# **Scores and decisions.** $\lambda(x)\,p(y\mid x) = \exp(h_x\cdot e_y + c_y - \log Z_x + \log\lambda(x))$
# is a rank-$d$ log-score: we keep the factors and stream row blocks. ItemRec takes each state's
# top $k$ items, UserRec each item's top $C$ states (a running top-$C$ over row blocks), with the
# official defaults $k = \lceil \#\text{items}/100\rceil$, $C = \lceil \#\text{states}/100\rceil$.
# Precision is hits per recommendation. **Matching** sweeps a multiplier $m$: for $m < 1$ each state
# gets $k$ items and each item at least $mC$ states (minimum exposure); for $m \ge 1$ each state up to
# $mk$ items and each item at most $C$ states. Three solvers: *greedy* (walk pairs by decreasing
# score, accept while both sides have room); the *entropic dual*, which relaxes the assignment to
# $\pi \in [0, 1]$, adds $\varepsilon$ times its binary entropy and so has the solution
# $\pi(x, y) = \sigma\bigl((s(x,y) - u(x) - v(y))/\varepsilon\bigr)$ with state prices $u \ge 0$ and
# item prices $v$, found by alternating exact bisections while $\varepsilon$ anneals; and the *online
# dual*, which fits the item prices $v$ on the validation states and then serves each test state on
# its own, $\pi(x, \cdot)$ from $s(x, \cdot) - v(\cdot)$ and its own $u(x)$, so that no test state
# influences another.
#
# ## A process whose answer we know
#
# Before trusting any fit on real data, a check on data with a planted truth. Users produce events
# as Hawkes processes with baseline $\mu = 0.6$ per horizon, kernel weights $a = (0.45, 0.25)$ and
# decays $\beta = (8, 0.5)$ per horizon, simulated exactly through the branching representation
# (immigrants, then Poisson numbers of children after exponential delays, generation by generation,
# all users at once). In our parametrisation the first event of each user is the origin, so the
# control-channel weights $b$ should come out equal to $a$.

# %%
# NBVAL_CHECK_OUTPUT
homog_log, homog = rim.generate(n_users=2000, n_items=20, periods=20.0, seed=cfg.seed + 1, mu_shape=1e6)
homog_states = rim.make_states(homog_log, np.full(homog_log.n_users, 20.0), 1.0)
homog_states = homog_states.subset(homog_states.hist_len > 1)
hk_fit = rim.fit_hawkes(homog_states, homog.decays, iters=1000)
recovery = pd.DataFrame(
    {"planted": [0.6, *homog.a, *homog.a], "fitted": [hk_fit.mu, *hk_fit.a, *hk_fit.b]},
    index=["mu", "a_1 (beta = 8)", "a_2 (beta = 0.5)", "b_1", "b_2"],
)
print(f"{len(homog_log)} simulated events of {homog_states.user.size} users")

# %%
print(
    "every parameter within 0.1 of the planted value:",
    bool((recovery.fitted - recovery.planted).abs().max() < 0.1),
)

# %%
display(recovery.round(3))

# %% [markdown]
# The chapter's synthetic data set makes users *differ*: baselines drawn from a Gamma distribution
# (shape 0.5, so a few users are far more active than most), the same self-exciting kernel, and items
# drawn from low-rank preferences $p(y\mid u) = \mathrm{softmax}(P_u\cdot Q_y/\sqrt r + c_y)$. The split is
# temporal: test states at $T$ = one horizon before the end, validation states one horizon earlier.
# Users may consume an item repeatedly here, so history items are not excluded.

# %%
# NBVAL_CHECK_OUTPUT
syn_log, planted = rim.generate(
    cfg.synth_users, cfg.synth_items, cfg.synth_rank, cfg.synth_periods, seed=cfg.seed
)
syn = rim.temporal_split(syn_log, cfg.synth_periods - 1.0, 1.0, name="synthetic")
print(f"synthetic: {len(syn_log)} events, {syn_log.n_users} users, {syn_log.n_items} items")
print(f"  test states {len(syn.test)}, validation states {len(syn.valid)}, test items {len(syn.test_items)}")

# %% [markdown]
# ## MovieLens-100K through the ML-1M recipe
#
# MovieLens-100K has 100,000 timestamped ratings of 1,682 movies by 943 users. Keeping the second half
# of each user's ratings and splitting users as above:

# %%
# NBVAL_CHECK_OUTPUT
raw = rim.load_ml100k()
ml_log = rim.ml1m_recipe(raw, seed=cfg.seed)
ml = rim.user_split(ml_log, seed=888, name="ml-100k")
print(f"ml-100k: {len(raw)} ratings -> {len(ml_log)} kept; {ml_log.n_users} users, {ml_log.n_items} items")
print(
    f"  horizon h = {ml.horizon:.0f} s; test states {len(ml.test)}, validation states {len(ml.valid)}, "
    f"test items {len(ml.test_items)}; target events in the test windows {len(ml.test.tgt_state)}"
)

# %% [markdown]
# The median user span is under twenty minutes: most MovieLens users rate their movies in a few
# sessions, so the "window" is the rest of a rating session. Who is still active then depends on how
# recently and how densely they rated, which is what the intensity models read.
#
# ## The experiment
#
# For each data set: train the mark model(s), fit every intensity, score the test states, rank in
# both directions and run the matching sweep for the GRU and GRU × HP scores. On the synthetic data
# the planted $\lambda(x)\,p(y\mid x)$ ("Oracle") is scored alongside, as the ceiling.

# %%
with cpu_threads(1, cfg.device):  # small models: one thread is faster than two that wait for each other
    results = {
        "ml-100k": rim.run(cfg, ml),
        "synthetic": rim.run(
            cfg,
            syn,
            match_models=("GRU-HP",),
            exclude_train=False,
            extra={"Oracle": lambda st, ex: rim.oracle_score(planted, st, syn.test_items, ex)},
        ),
    }
rows = []
for data_name, res in results.items():
    for r in res.rec:
        rows.append(
            {
                "data": data_name,
                "model": r["model"],
                "task": r["task"],
                "prec": r["prec"],
                "recall": r["recall_rows"] if r["task"] == "ItemRec" else r["recall_cols"],
            }
        )
table = pd.DataFrame(rows).pivot_table(index=["data", "model"], columns="task", values=["prec", "recall"])
display(
    Markdown(
        f"Precision and recall of the two rankings: ItemRec@k, UserRec@C (ml-100k: k = {results['ml-100k'].k}, "
        f"C = {results['ml-100k'].C}; synthetic: k = {results['synthetic'].k}, C = {results['synthetic'].C})."
    )
)
display(table.round(4))


# %%
def prec(data_name, model, task):
    return next(r["prec"] for r in results[data_name].rec if r["model"] == model and r["task"] == task)


def official(key):
    lo, hi = rim.OFFICIAL_ML100K[key]
    return f"{lo:.3f}" if lo == hi else f"{lo:.3f}–{hi:.3f}"


res_ml = results["ml-100k"]
compare = pd.DataFrame(
    [
        ("Random", "UserRec", prec("ml-100k", "Random", "UserRec"), official("Random UserRec prec@5")),
        ("ItemPop", "ItemRec", prec("ml-100k", "ItemPop", "ItemRec"), official("ItemPop ItemRec prec@16")),
        ("GRU", "ItemRec", prec("ml-100k", "GRU", "ItemRec"), official("GRU ItemRec prec@16")),
        ("GRU", "UserRec", prec("ml-100k", "GRU", "UserRec"), official("GRU UserRec prec@5")),
        (
            "GRU × Hawkes",
            "UserRec",
            prec("ml-100k", "GRU-Hawkes", "UserRec"),
            official("GRU-Hawkes UserRec prec@5"),
        ),
        ("GRU × HP", "UserRec", prec("ml-100k", "GRU-HP", "UserRec"), official("GRU-HP UserRec prec@5")),
    ],
    columns=["model", "task", "ours", "official code, same data"],
)
compare["ours"] = compare["ours"].map(lambda v: f"{v:.4f}")
display(
    Markdown(
        f"Our ML-100K numbers beside the official code's on the same data prepared the same way (research notes; "
        f"GRU 2 × 128, 20 epochs, several unseeded runs). Ours: GRU {cfg.layers} × {cfg.hidden}, {cfg.epochs} epochs, "
        f"exclude-train {'on' if cfg.exclude_train else 'off'}; k = {res_ml.k}, C = {res_ml.C}."
    )
)
display(compare.set_index(["model", "task"]))

# %%
for data_name, res in results.items():
    print(
        f"{data_name}: ItemRec lists identical with and without lambda:",
        {k: v for k, v in res.itemrec_identical.items()},
    )
    print(
        f"{data_name}: UserRec GRU x HP beats GRU alone by more than 20 %:",
        prec(data_name, "GRU-HP", "UserRec") > 1.2 * prec(data_name, "GRU", "UserRec"),
    )

# %% [markdown]
# Every GRU × λ variant produces *the same* ItemRec lists as the GRU alone, by construction: the score
# object drops a per-row factor before ranking a row (a unit test checks, on the full scaled scores, that
# this leaves every ranking as it was), so the lists above are no evidence and not among the checks.
# For UserRec the intensity is what matters:

# %%
lam_names = ["GRU", "GRU-Pop", "GRU-EMA", "GRU-Hawkes", "GRU-HP"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for ax, (data_name, res) in zip(axes, results.items(), strict=True):
    names = lam_names + (["Oracle"] if data_name == "synthetic" else [])
    vals = [prec(data_name, n, "UserRec") for n in names]
    ax.bar(range(len(names)), vals, color=[f"C{i}" for i in range(len(names))])
    ax.axhline(prec(data_name, "Random", "UserRec"), color="black", ls="--", lw=1, label="random")
    ax.set(xticks=range(len(names)), title=f"{data_name}: UserRec precision@{res.C}", ylabel="precision")
    ax.set_xticklabels([n.replace("GRU-", "GRU×") for n in names], rotation=30, ha="right")
    ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# How well do the intensities predict activity? The correlation, over test states, of $\log\lambda(x)$
# with $\log(1 + \text{events in the window})$; on the synthetic data also with the planted
# $\log\lambda(x)$:

# %%
corr = pd.DataFrame({name: res.intensity_corr for name, res in results.items()})
true_lam = planted.window_count(syn.test)
corr["synthetic vs planted λ"] = pd.Series(
    {
        k: float(np.corrcoef(np.log(v), np.log(true_lam))[0, 1])
        for k, v in results["synthetic"].intensities.test.items()
        if np.std(v) > 0
    }
)
display(corr.round(3))

# %% [markdown]
# ## Matching under capacity constraints
#
# Precision against item diversity (the perplexity of the item exposure counts, the number of
# "effectively distinct" items shown) along the constraint sweep, one panel per solver. A tight
# minimum exposure ($m < 1$) spreads the recommendations over more items at some cost in precision;
# caps ($m \ge 1$) move the solution towards UserRec. Greedy decisions are 0/1; the dual and online
# dual are evaluated in expectation under their randomised policy $\pi$.

# %%
match = pd.concat([pd.DataFrame(r.match).assign(data=n) for n, r in results.items()])
fig, axes = plt.subplots(2, 3, figsize=(12, 6.4), sharey="row")
for i, data_name in enumerate(results):
    for j, solver in enumerate(["greedy", "dual", "online dual"]):
        ax = axes[i, j]
        for model, color in (("GRU", "C0"), ("GRU-HP", "C4")):
            d = match[(match.data == data_name) & (match.solver == solver) & (match.model == model)]
            if d.empty:
                continue
            ax.plot(d.item_ppl, d.prec, "o-", color=color, label=model.replace("-", " × "))
            for _, row in d.iterrows():
                ax.annotate(
                    f"{row.mult:g}",
                    (row.item_ppl, row.prec),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
        ax.set(title=f"{data_name}: {solver}", xlabel="item perplexity", ylabel="precision" if j == 0 else "")
        ax.set_xscale("log")
axes[0, 0].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# **The online guarantee, checked on held-out states.** The item prices are fitted on the validation
# states at a minimum exposure of $m$ = {glue:text}`ch04_online_mult` × C; then each test state is
# served alone. On the test states, the fraction of items whose expected exposure reaches 90 % of
# the bound, with the prices and without them (plain top-$k$):

# %%
online = pd.DataFrame({n: r.online_check for n, r in results.items()}).T
glue("ch04_online_mult", f"{cfg.online_mult:g}", display=False)
columns = {
    "model": "model",
    "bound": "bound",
    "frac_items_meeting": "items at 90 %, dual",
    "frac_items_meeting_without_dual": "items at 90 %, top-k",
    "mean_exposure_over_bound": "exposure / bound",
    "item_ppl": "item perplexity, dual",
    "item_ppl_without_dual": "item perplexity, top-k",
    "recs_per_state": "recs per state",
}
shown = online[list(columns)].rename(columns=columns)
display(shown.T.map(lambda v: f"{v:.3g}" if isinstance(v, float) else v))  # one column per data set

# %%
oc = results["ml-100k"].online_check
oc_syn = results["synthetic"].online_check
checks = {
    "ml-100k: UserRec GRU x HP >= 2x GRU alone": prec("ml-100k", "GRU-HP", "UserRec")
    >= 2 * prec("ml-100k", "GRU", "UserRec"),
    "ml-100k: UserRec GRU x HP >= 5x random": prec("ml-100k", "GRU-HP", "UserRec")
    >= 5 * prec("ml-100k", "Random", "UserRec"),
    "synthetic: UserRec GRU x HP >= 1.2x GRU alone": prec("synthetic", "GRU-HP", "UserRec")
    >= 1.2 * prec("synthetic", "GRU", "UserRec"),
    "synthetic: UserRec GRU x HP >= 5x random": prec("synthetic", "GRU-HP", "UserRec")
    >= 5 * prec("synthetic", "Random", "UserRec"),
    "ml-100k: online dual brings >= 80 % of items to 90 % of the exposure bound": oc["frac_items_meeting"]
    >= 0.8,
    "ml-100k: online dual beats plain top-k on exposure": oc["frac_items_meeting"]
    > oc["frac_items_meeting_without_dual"],
    "Hawkes fit recovers the planted parameters within 0.1": bool(
        (recovery.fitted - recovery.planted).abs().max() < 0.1
    ),
}

# %%
for text, ok in checks.items():
    print(f"{text}: {ok}")

# %% [markdown]
# ## The result
#
# On MovieLens-100K the GRU alone finds the audience of an item with a UserRec precision@C of
# {glue:text}`ch04_ml_gru_user:.3f`; multiplied by the Hawkes intensity it reaches
# {glue:text}`ch04_ml_hawkes_user:.3f` and with Hawkes–Poisson {glue:text}`ch04_ml_hp_user:.3f`, against
# {glue:text}`ch04_ml_rand_user:.3f` for random targeting. The official code on the same data measured
# 0.014–0.016 for the GRU and 0.046–0.050 for GRU × Hawkes. Our Hawkes factor is
# {glue:text}`ch04_ml_hawkes_factor:.1f`×, the official run's about three, as is the paper's ML-1M
# figure (≈ 0.017 → 0.047). ItemRec is unchanged by
# construction ({glue:text}`ch04_ml_gru_item:.3f` for every GRU variant). Our ItemRec precision is higher
# than the official run's (0.023–0.028), probably mostly because we never recommend an already-rated
# movie (the chapter's benchmark script reruns our pipeline without that exclusion and with the
# official model size for a like-for-like comparison); the smoke model is also smaller ({glue:text}`ch04_hidden` units,
# one layer) and trained for {glue:text}`ch04_epochs` epochs.
#
# On the synthetic process the gain is smaller, {glue:text}`ch04_syn_gru_user:.3f` →
# {glue:text}`ch04_syn_hp_user:.3f`, against a ceiling of {glue:text}`ch04_syn_oracle_user:.3f` for the
# planted score: the fitted intensities correlate with the planted ones (table above), and most of the
# remaining gap is the mark model's, which has only a few thousand events to learn 300 items from.
#
# The online dual, fitted on validation states only, brings {glue:text}`ch04_online_frac:.0%` of the
# items to within 10 % of their minimum exposure on the held-out test states in expectation, where
# plain top-$k$ reaches {glue:text}`ch04_online_plain:.0%`.
#
# **What did not reproduce, or not fully.** The paper's own tables could not be read while this chapter
# was written, so its numbers come from the official repository's figures and from running the official
# code here; ML-1M itself was not available. Our entropic dual anneals only to $\varepsilon = $
# {glue:text}`ch04_eps` (relative to the best score): plain alternating price updates converge slowly
# when most items sit at their bound (every price wants to move together), so we add heavy-ball
# momentum and stop at a temperature where they converge within {glue:text}`ch04_dual_epochs`
# epochs. At that temperature the policy is still randomised for users whose scores are tiny compared
# with $\varepsilon$ (inactive users), which is why at $m = 0$ the dual's points show more item
# diversity and a little less precision than greedy's; the official code anneals to $10^{-10}$ and
# thresholds. Caps well above $m = 1$ converge more slowly still (in our tests at $m = 3$ some items stay
# above their cap after 25 epochs), so the smoke sweep stops at $m = 1$; the full preset runs the
# paper's grid with 100 epochs.
#
# **Where we depart from the official code.** Maximum-likelihood Hawkes by EM instead of `tick`'s
# least-squares contrast; $\lambda(x)$ as the expected count in the window rather than the intensity at
# $T$; Hawkes–Poisson fitted by the same EM instead of BFGS on softplus weights; Adam and a held-out
# split of the training sequences instead of Adagrad with learning-rate decay and truncated BPTT (we
# truncate histories to the last {glue:text}`ch04_max_len` items); the split and the training are
# seeded (the official code seeds neither, so its numbers vary from run to run); training batches
# group histories of similar length (a bucket iterator: 2.4 times fewer CPU-seconds per GRU epoch on
# ML-100K, whose histories are long-tailed; `benchmarks/ch04_rim_topk.py`); matching solved by
# full-batch alternation with momentum instead of mini-batch averages; the greedy solver is exact but
# vectorised in chunks (accept flags as the fixed point of a triangular system) instead of a loop over
# pairs.


# %%
def rec_user(data_name, model):
    return prec(data_name, model, "UserRec")


glue("ch04_ml_gru_user", rec_user("ml-100k", "GRU"), display=False)
glue("ch04_ml_hawkes_user", rec_user("ml-100k", "GRU-Hawkes"), display=False)
glue("ch04_ml_hp_user", rec_user("ml-100k", "GRU-HP"), display=False)
glue("ch04_ml_rand_user", rec_user("ml-100k", "Random"), display=False)
glue("ch04_ml_gru_item", prec("ml-100k", "GRU", "ItemRec"), display=False)
glue("ch04_ml_hawkes_factor", rec_user("ml-100k", "GRU-Hawkes") / rec_user("ml-100k", "GRU"), display=False)
glue("ch04_syn_gru_user", rec_user("synthetic", "GRU"), display=False)
glue("ch04_syn_hp_user", rec_user("synthetic", "GRU-HP"), display=False)
glue("ch04_syn_oracle_user", rec_user("synthetic", "Oracle"), display=False)
glue("ch04_online_frac", oc["frac_items_meeting"], display=False)
glue("ch04_online_plain", oc["frac_items_meeting_without_dual"], display=False)
glue("ch04_hidden", cfg.hidden, display=False)
glue("ch04_epochs", cfg.epochs, display=False)
glue("ch04_eps", f"{cfg.dual_eps_final:g}", display=False)
glue("ch04_dual_epochs", cfg.dual_epochs, display=False)
glue("ch04_max_len", cfg.max_len, display=False)


def mid(key):
    lo, hi = rim.OFFICIAL_ML100K[key]
    return (lo + hi) / 2


metrics = [
    Metric(
        "ml-100k UserRec prec@C, GRU (paper column: official code on ML-100K)",
        rec_user("ml-100k", "GRU"),
        paper=mid("GRU UserRec prec@5"),
    ),
    Metric(
        "ml-100k UserRec prec@C, GRU x Hawkes (paper column: official code on ML-100K)",
        rec_user("ml-100k", "GRU-Hawkes"),
        paper=mid("GRU-Hawkes UserRec prec@5"),
    ),
    Metric(
        "ml-100k UserRec prec@C, GRU x HP (paper column: official code on ML-100K)",
        rec_user("ml-100k", "GRU-HP"),
        paper=mid("GRU-HP UserRec prec@5"),
    ),
    Metric(
        "ml-100k UserRec prec@C, random", rec_user("ml-100k", "Random"), paper=mid("Random UserRec prec@5")
    ),
    Metric(
        "ml-100k ItemRec prec@k, GRU (= every GRU x lambda; official run without exclude-train)",
        prec("ml-100k", "GRU", "ItemRec"),
        paper=mid("GRU ItemRec prec@16"),
    ),
    Metric("synthetic UserRec prec@C, GRU", rec_user("synthetic", "GRU")),
    Metric("synthetic UserRec prec@C, GRU x HP", rec_user("synthetic", "GRU-HP")),
    Metric("synthetic UserRec prec@C, planted oracle", rec_user("synthetic", "Oracle")),
    Metric("ml-100k online dual: items within 10 % of the exposure bound", oc["frac_items_meeting"]),
]
claim_held = all(checks.values())
path = save_record(
    cfg,
    chapter="ch04",
    title="RIM: bridging recommendation and marketing",
    claim="Multiplying a sequential recommender's p(item | history) by a point-process intensity lambda(user) "
    "gives much better user targeting, leaves item recommendation unchanged, and a dual matching fitted on past "
    "states meets item-exposure constraints on new ones",
    claim_held=claim_held,
    metrics=metrics,
    notes="MovieLens-100K through the official ML-1M recipe stands in for ML-1M; 'paper' = the official code run on "
    "the same data (research notes); plus a planted synthetic marked point process",
    extra={
        "headline": "ml-100k UserRec prec@C, GRU x HP (paper column: official code on ML-100K)",
        "checks": checks,
        "k_C": {n: [r.k, r.C] for n, r in results.items()},
        "online_check": {n: r.online_check for n, r in results.items()},
        "rec": {n: r.rec for n, r in results.items()},
        "fit_seconds": {n: r.seconds for n, r in results.items()},
    },
)
print("result record written:", path.name)

# %% [markdown]
# The chapter's claims, checked on this run (an assertion error here fails the chapter in every mode).
# The Hawkes recovery is reported above but not asserted: with 2,000 simulated users the fitted
# self-excitation is off by about 0.1 on some seeds, so the 0.1 tolerance is within its sampling error.

# %%
REPORTED_ONLY = ("Hawkes fit recovers the planted parameters within 0.1",)
for text, ok in checks.items():
    assert ok or text in REPORTED_ONLY, f"claim check failed: {text}; online checks {oc}, {oc_syn}"
