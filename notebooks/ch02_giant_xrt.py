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
# # GIANT-XRT: node features from predicting a node's neighbourhood
#
# Graph neural networks start from node features, and on text-attributed graphs (papers, products)
# those features usually come from a text model that never saw the graph: bag-of-words, word2vec, a
# pretrained language model. Chien et al. {cite}`chien2022giant` ask the text encoder to learn the
# graph *before* any GNN is trained. The self-supervised task is simple to state: **from a node's
# text, predict its neighbours.** With every node of the graph a possible label this is an *extreme
# multi-label classification* (XMC) problem, and the paper solves it with XR-Transformer: the labels
# are clustered into a tree, and the encoder is fine-tuned coarse to fine, first to predict which
# *groups* of nodes the neighbours fall into, then finer groups, down to the neighbours themselves.
# The fine-tuned encoder's embeddings become the node features of any downstream model, and the
# paper reports that they lift every model it tried, the feature-only MLP most (on
# ogbn-papers100M from 47.2 % to 61.1 % test accuracy). Message-passing GNNs such as GCN
# {cite}`kipf2017gcn` gain less, as they see the graph anyway.
#
# This chapter rebuilds the method from scratch on the one real text-attributed graph we can ship,
# CiteSeer with its raw titles and abstracts (3,186 papers), with two encoders: a TF-IDF MLP and the
# pretrained MiniLM sentence transformer.
#
# ```{admonition} How to run this chapter
# :class: tip
# - **Read**: this page shows the outputs of the run named in the configuration cell below.
# - **JupyterLab**: open `notebooks/ch02_giant_xrt.py` (Jupytext opens it as a notebook).
# - **Re-run with other parameters**: `iclr22 run ch02 -p LEVELS 2 -p NEGATIVES tfn`, or `papermill`
#   on the `.ipynb` with `-p SCALE full` on a GPU machine (the whole transformer, longer texts, all four
#   downstream models, ten seeds). `iclr22 budget ch02` prints a planning estimate of the full run's time
#   on one H100, from the FLOPs and kernels of each step counted on the CPU; the full preset has not been
#   run on a GPU yet, so that estimate is all we can say of its cost.
# - **Source**: {download}`the chapter's .py source <../../notebooks/ch02_giant_xrt.py>`.
# ```

# %% tags=["parameters"]
SCALE = "smoke"  # "smoke": 2 CPU cores, ~3 min | "full": whole transformer, ten seeds, one GPU
SEED = 0
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "cuda:N"
# Chapter knobs: None = this scale's preset value (given after "None:"); any other value overrides it.
BRANCHING = None  # children per node of the label tree; None: 8
MAX_LEAF = None  # labels per leaf cluster at most; None: 16
LEVELS = None  # tree levels fine-tuned, coarse first; None: smoke 2, full 4
NEGATIVES = None  # shortlist: "tfn" | "man" | "tfn+man"; None: "tfn+man"
USE_LM = None  # also fine-tune the pretrained MiniLM transformer; None: True
LM_LRS = None  # transformer learning rates tried, the best *validation* one kept; None: smoke (1e-4,), full (2e-5, 5e-5, 1e-4)
BEAM = None  # beam width of the tree search that measures precision@k; None: 10
CONCAT_TFIDF = None  # also the GIANT-XRT variant [TF-IDF ‖ normalised embedding]; None: True
MODELS = None  # downstream models from mlp, gcn, sage, sgc; None: smoke "mlp,gcn", full all four

# %% [markdown]
# The library checks every parameter, seeds Python, NumPy and torch, and prints what it resolved:

# %%
import copy

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display
from myst_nb import glue

from iclr22lib import giant
from iclr22lib.core.device import cpu_threads, hardware_summary
from iclr22lib.core.plotting import use_book_style
from iclr22lib.core.results import Metric, save_record

cfg = giant.config(
    SCALE,
    seed=SEED,
    device=DEVICE,
    branching=BRANCHING,
    max_leaf=MAX_LEAF,
    levels=LEVELS,
    negatives=NEGATIVES,
    use_lm=USE_LM,
    lm_lrs=LM_LRS,
    beam=BEAM,
    concat_tfidf=CONCAT_TFIDF,
    models=MODELS,
)
use_book_style()
print(cfg.describe())
print("hardware:", hardware_summary(cfg.device))

# %% [markdown]
# ## The data: CiteSeer with its text
#
# Each paper comes with its title and abstract and one of six topics; citations are made undirected,
# self-loops and links to papers without text are dropped. The counts below are the published
# statistics of the staged files:

# %%
# NBVAL_CHECK_OUTPUT
graph = giant.load_citeseer_text()
deg = torch.bincount(graph.edge_index[0], minlength=graph.num_nodes)
print("papers:", graph.num_nodes, " undirected edges:", graph.num_edges, " classes:", len(graph.class_names))
print(
    "isolated papers:",
    int((deg == 0).sum()),
    " median degree:",
    int(deg.median()),
    " max degree:",
    int(deg.max()),
)
print("papers with degree <= 1:", f"{float((deg <= 1).float().mean()):.0%}")

# %% [markdown]
# The graph is very sparse: a typical paper has two neighbours, so the neighbourhood-prediction task
# has few positives per node, far fewer than ogbn-arxiv (mean degree 13.7) or ogbn-products (about 50).
#
# ## The method
#
# **Neighbourhood prediction as XMC.** Node $i$ with text $T_i$ is an instance; its label vector is
# its row of the adjacency matrix, $\mathbf y_i = A_{i,:} \in \{0,1\}^n$. An encoder $\Phi$ maps the
# text to $\mathbf h_i = \Phi(T_i)$, and a linear ranker scores every node $j$ as a possible
# neighbour.
#
# **Label features and the label tree.** With $n$ labels, one-vs-all over all of them is expensive and
# starved of positives. XR-Transformer therefore clusters the labels. A label (a node $\ell$) is
# described by PIFA, the normalised sum of the TF-IDF vectors $\mathbf x_i$ of the instances that
# have it, i.e. of $\ell$'s neighbours:
#
# $$\mathbf z_\ell = \frac{\mathbf v_\ell}{\lVert\mathbf v_\ell\rVert}, \qquad \mathbf v_\ell = \sum_i \frac{Y_{i\ell}}{\lVert \mathbf y_i\rVert}\,\mathbf x_i .$$
#
# Balanced spherical $k$-means on $\{\mathbf z_\ell\}$, applied recursively with $B$ = {glue:text}`ch02_branching`
# children per node, gives a tree whose level $t$ has $K_t$ clusters. We split every cluster of a
# depth at once by balanced 2-means (sort the members by how much closer they are to one centroid than
# to the other, give the first half to one child), so siblings differ in size by at most one label.
# With $C^{(t)}\in\{0,1\}^{K_t\times K_{t-1}}$ mapping level-$t$ nodes to their parents, the
# targets of each level come from the finest by
#
# $$Y^{(D)} = Y,\qquad Y^{(t-1)} = \operatorname{binarise}\bigl(Y^{(t)} C^{(t)}\bigr):$$
#
# at a coarse level, "this paper cites into these groups of textually similar papers".
#
# **Progressive fine-tuning.** Level $t$ has a ranker $s^{(t)}_{ik} = \langle \mathbf w^{(t)}_k,
# \mathbf h_i/\lVert\mathbf h_i\rVert\rangle + b^{(t)}_k$. Its loss only looks at a shortlist
# $M^{(t)}_i$: the children of node $i$'s true level-$(t-1)$ clusters (*teacher-forced negatives*)
# and the children of the $k$ clusters the previous level's ranker scores highest (*matcher-aware
# negatives*). The loss is the weighted squared hinge
#
# $$L_i = \frac1{|M_i|}\sum_{k\in M_i} w_{ik}\,\max\bigl(0,\,1-\tilde y_{ik}\,s_{ik}\bigr)^2,
# \qquad \tilde y_{ik} = \pm 1,$$
#
# with $w_{ik}$ the number of $i$'s neighbours inside cluster $k$ for positives and 1 for negatives.
# Each level starts with the encoder of the previous level and heads copied from the parents
# (children "inherit" their parent's weight vector), and trains encoder and head together. The node
# features are the fine-tuned encoder's embeddings of all $n$ texts.
#
# **Predicting neighbours: beam search down the tree.** XR models predict the way they train, coarse
# to fine. A cluster's score is the product of the sigmoids of the ranker scores along its path from
# the root, $p^{(t)}_{ik} = \sigma(s^{(t)}_{ik})\,p^{(t-1)}_{i,\mathrm{parent}(k)}$; level 1 scores all its
# clusters, and level $t$ scores only the children of the $b$ best clusters of level $t-1$ (the beam).
# With $b$ at least the number of clusters this ranks exactly as scoring every cluster (a unit test
# checks it); with a small beam the cost per node grows with the depth of the tree, not with $n$.
#
# **GIANT-XRT's second feature set.** The official pipeline also trains an XR-Linear ranker on the
# concatenation $[\mathbf x^{\text{TF-IDF}}_i \,\Vert\, \mathbf h_i/\lVert\mathbf h_i\rVert]$ of the sparse
# TF-IDF vector and the normalised fine-tuned embedding. We use that concatenation as one more
# feature variant (kept sparse, so the MLP and the GCN pay only for its nonzero entries).
#
# Here is the problem built on CiteSeer, with the tree's level sizes and the checks that every level
# partitions its parents' labels and is balanced:

# %%
# NBVAL_CHECK_OUTPUT
with cpu_threads(1, cfg.device):
    prob = giant.build_problem(graph, cfg)
tree = prob.tree
print("TF-IDF features:", prob.x.shape[1], " training instances (degree >= 1):", len(prob.instances))
print("clusters per level:", tree.sizes)
for t in range(1, len(tree.sizes) + 1):
    sizes = np.bincount(tree.parents[t - 1])
    print(f"level {t}: children per parent {sizes.min()}..{sizes.max()}")
pos = [float(m[prob.instances.numpy()].sum(1).mean()) for m in prob.targets]
print("mean positives per instance and level:", [round(p, 1) for p in pos])

# %%
glue("ch02_branching", cfg.branching, display=False)

# %% [markdown]
# ## Feature variants
#
# We compare, for the same downstream models and splits:
#
# - **TF-IDF + SVD**: the graph-agnostic classic;
# - **TF-IDF MLP + GIANT**: a two-layer MLP on TF-IDF fine-tuned by the hierarchical XR schedule above;
# - **MiniLM**: the pretrained sentence encoder as it is (mean-pooled token states);
# - **MiniLM + GIANT**: the same encoder fine-tuned by the XR schedule;
# - **MiniLM + GIANT ‖ TF-IDF**: GIANT-XRT's ranker-side features, TF-IDF next to the normalised
#   fine-tuned embedding;
# - two **ablations** with the same encoder and number of steps as GIANT: **link prediction** (trained so
#   that linked papers have similar embeddings: binary cross-entropy on edges against random pairs)
#   instead of XMC, and **flat XMC** (one level, one-vs-all over all $n$ labels) instead of the tree.
#   At smoke scale they use the TF-IDF MLP encoder and, like the concatenated variant, the MLP
#   downstream only (CPU time); the full preset runs them for both encoders and all four downstream
#   models.
#
# **How the fine-tuning settings are chosen.** Every fine-tuned variant tries each learning rate of its
# encoder's grid (`LM_LRS`, `mlp_lrs`) and keeps the one whose features give the best mean *validation*
# accuracy of the downstream MLP over the same seeded splits as the table below
# (`giant.select_on_validation`); test accuracy is never looked at. The full preset tries three rates
# per encoder, for GIANT and for both ablations. The smoke preset has no time for a sweep and fixes
# the rates in advance: $10^{-4}$ for MiniLM, the default learning rate of the official XR-Transformer
# code, and Adam's usual $10^{-3}$ for the TF-IDF MLP. (While writing the chapter we also ran MiniLM at
# $3\cdot10^{-4}$ through this sweep: it tied with $10^{-4}$ on validation accuracy, so the smoke preset
# keeps only the default.) Tree depth and step counts are set by the compute budget, not tuned.
#
# On CPU we fine-tune only the top transformer layer (`trainable_layers`) and cache the output of
# the frozen layers once; the full preset fine-tunes all six layers on longer texts.

# %%
features: dict[str, torch.Tensor] = {}
runs, sweeps = {}, {}
ablations: list[str] = []


def tuned(name, make_encoder, lm, kind, lrs):
    """Fine-tune one variant for every learning rate of ``lrs``; keep the best on validation."""

    def make(setting):
        return giant.fine_tune(make_encoder(), prob, cfg, lm, kind, cfg.seed, lr=setting["lr"])

    sel = giant.select_on_validation([{"lr": lr} for lr in lrs], make, graph, cfg, "mlp", cfg.device)
    features[name], runs[name], sweeps[name] = sel.features, sel.result, sel
    if kind != "giant":
        ablations.append(name)


with cpu_threads(1, cfg.device):
    features["TF-IDF + SVD"] = giant.svd_features(prob.x, cfg.svd_dim, cfg.seed)
    mlp_kinds = {"TF-IDF MLP + GIANT": "giant"}
    if cfg.baselines:
        mlp_kinds = {"TF-IDF MLP + link prediction": "lp", "TF-IDF MLP + flat XMC": "flat", **mlp_kinds}
    for name, kind in mlp_kinds.items():
        tuned(
            name, lambda: giant.TfidfMLPEncoder(prob.x, cfg.mlp_dim, seed=cfg.seed).to(cfg.device),
            False, kind, cfg.mlp_lrs,
        )  # fmt: skip
    ours = "TF-IDF MLP + GIANT"
    if cfg.use_lm:
        tok, lm = giant.load_minilm()
        base = giant.TransformerEncoder(
            graph.texts, tok, lm.to(cfg.device), cfg.max_len, cfg.trainable_layers
        )
        features["MiniLM"] = base.embed_all().cpu()
        lm_kinds = {"MiniLM + GIANT": "giant"}
        if cfg.lm_baselines:
            lm_kinds = {"MiniLM + link prediction": "lp", "MiniLM + flat XMC": "flat", **lm_kinds}
        for name, kind in lm_kinds.items():
            tuned(name, lambda: copy.deepcopy(base), True, kind, cfg.lm_lrs)
        del base
        ours = "MiniLM + GIANT"
    if cfg.concat_tfidf:
        features[f"{ours} ‖ TF-IDF"] = giant.concat_features(features[ours], prob.x)
        ablations.append(f"{ours} ‖ TF-IDF")  # the same reduced set of downstream models
print("feature variants:", ", ".join(f"{k} {tuple(v.shape)}" for k, v in features.items()))

# %% [markdown]
# The learning-rate sweeps, with the mean validation accuracy (%) of the downstream MLP over the
# seeds (a single-rate grid is not evaluated here):

# %%
for name, sel in sweeps.items():
    cells = [
        f"lr {r['lr']:g}: " + ("-" if np.isnan(r["val mean"]) else f"{100 * r['val mean']:.1f}")
        for _, r in sel.table.iterrows()
    ]
    print(f"{name}: {'; '.join(cells)} -> lr {sel.setting['lr']:g}")
glue("ch02_lm_lr", f"{sweeps[ours].setting['lr']:g}", display=False)
glue("ch02_ours_name", ours, display=False)

# %% [markdown]
# ### Did the encoders learn to predict neighbourhoods?
#
# Precision@k of each level's ranker by beam search down the tree (beam width
# {glue:text}`ch02_beam`), on the training instances, with the chance level of P@1 (mean positives /
# $K_t$). A neighbour pruned at a coarser level counts as a miss, as in XR prediction:

# %%
pk_tables = {}
torch.set_num_threads(1)  # small models: one thread is as fast and kinder to a busy machine
giant_names = [n for n in runs if n.endswith("+ GIANT")]
for name in giant_names:
    pk_tables[name] = giant.level_precision(features[name].to(cfg.device), runs[name], prob, beam=cfg.beam)
    print(name)
    print(pk_tables[name].round(2).to_string(index=False))
glue("ch02_beam", cfg.beam, display=False)

# %%
fig, axes = plt.subplots(1, len(pk_tables), figsize=(5 * len(pk_tables), 3.2), squeeze=False)
for ax, (name, tab) in zip(axes[0], pk_tables.items(), strict=True):
    ax.bar(tab["level"] - 0.2, tab["P@1"], 0.4, label="P@1")
    ax.bar(tab["level"] + 0.2, tab["chance P@1"], 0.4, label="chance")
    ax.set(title=name, xlabel="tree level (coarse to fine)", ylabel="precision@1", xticks=tab["level"])
    ax.legend()
fig.tight_layout()
plt.show()

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
for name, res in runs.items():
    curve = np.concatenate(res.losses) if hasattr(res, "losses") else np.asarray(res)
    ax.plot(pd.Series(curve).rolling(10, min_periods=1).mean(), label=name)
ax.set(xlabel="step (levels one after another)", ylabel="training loss (smoothed)", yscale="log")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Downstream node classification
#
# Each feature variant feeds the same downstream models, trained full batch on random stratified
# 60/20/20 splits, one per seed; we report the test accuracy at the epoch of best validation accuracy
# (a dash: the ablation was not run with that model at this scale).

# %%
with cpu_threads(1, cfg.device):
    main = {k: v for k, v in features.items() if k not in ablations}
    acc = pd.concat(
        [
            giant.evaluate_features(main, graph, cfg, cfg.device),
            giant.evaluate_features(
                {k: features[k] for k in ablations}, graph, cfg, cfg.device, cfg.ablation_model_list
            ),
        ],
        ignore_index=True,
    )
table = acc.groupby(["features", "model"], sort=False)["test"].agg(["mean", "std"]).unstack("model")
order = list(features)
table = table.loc[order]

# %%
show = pd.DataFrame(
    {
        m: [
            "-" if np.isnan(table.loc[f, ("mean", m)]) else f"{100 * table.loc[f, ('mean', m)]:.1f}"
            for f in order
        ]
        for m in cfg.model_list
    },
    index=order,
)
print("test accuracy (%), mean over", cfg.n_seeds, "seeds")
print(show.to_string())

# %%
fig, ax = plt.subplots(figsize=(7, 3.4))
w = 0.8 / len(cfg.model_list)
for j, m in enumerate(cfg.model_list):
    ax.barh(
        np.arange(len(order)) + j * w,
        100 * table[("mean", m)].fillna(0),
        w,
        xerr=100 * table[("std", m)].fillna(0),
        label=m.upper(),
    )
ax.set_yticks(np.arange(len(order)) + w * (len(cfg.model_list) - 1) / 2, order)
ax.set(xlabel="test accuracy (%)", xlim=(50, 85))
ax.invert_yaxis()
ax.legend()
plt.show()

# %% [markdown]
# ## Beside the paper's numbers
#
# The paper evaluates on the OGB graphs ogbn-arxiv (169k papers), ogbn-products (2.4M products) and
# ogbn-papers100M (111M papers) with BERT-base fine-tuned on GPUs. It has **no CiteSeer experiment**:
# we use CiteSeer (3,186 papers, mean degree 2.7) because it is the text-attributed graph we can ship,
# and, at smoke scale, one fine-tuned MiniLM layer on 32-token texts for a few hundred steps. The
# paper's rows below are its ogbn numbers, each labelled with its data set; its "without GIANT" column
# is the OGB default features, ours the plain encoder. The absolute accuracies are not comparable;
# what can be compared is the *direction*: GIANT features against graph-agnostic features, per model.

# %%
mean = table["mean"]
ref = "MiniLM" if cfg.use_lm else "TF-IDF + SVD"
gain = {m: 100 * (mean.loc[ours, m] - mean.loc[ref, m]) for m in cfg.model_list}
paper_gain = {m: giant.PAPER_PAPERS100M[m][1] - giant.PAPER_PAPERS100M[m][0] for m in ("mlp", "sgc")}
paper = pd.DataFrame(
    {
        "data": ["ogbn-papers100M", "ogbn-papers100M", "ogbn-arxiv", "ogbn-products"],
        "model": ["MLP", "SGC", "MLP", "MLP"],
        "without GIANT": [giant.PAPER_PAPERS100M["mlp"][0], giant.PAPER_PAPERS100M["sgc"][0], None, None],
        "with GIANT": [
            giant.PAPER_PAPERS100M["mlp"][1],
            giant.PAPER_PAPERS100M["sgc"][1],
            giant.PAPER_RESULTS[("ogbn-arxiv", "mlp")],
            giant.PAPER_RESULTS[("ogbn-products", "mlp")],
        ],
    }
)
ourtab = pd.DataFrame(
    {
        "data": "CiteSeer-text (not in the paper)",
        "model": [m.upper() for m in cfg.model_list],
        "without GIANT": [round(100 * mean.loc[ref, m], 2) for m in cfg.model_list],
        "with GIANT": [round(100 * mean.loc[ours, m], 2) for m in cfg.model_list],
    }
)
both = pd.concat([paper.assign(source="paper"), ourtab.assign(source="this run")], ignore_index=True)
display(Markdown(both.astype(object).where(both.notna(), "–").to_markdown(index=False)))
glue("ch02_ref", ref, display=False)
glue("ch02_ours", ours, display=False)
glue("ch02_gain_mlp", f"{gain['mlp']:+.1f}", display=False)
glue("ch02_paper_gain_mlp", f"{paper_gain['mlp']:+.1f}", display=False)
glue("ch02_paper_gain_sgc", f"{paper_gain['sgc']:+.1f}", display=False)
cat = f"{ours} ‖ TF-IDF"
abl = [n for n in ablations if n != cat]
abl += [f"{e} + GIANT" for e in dict.fromkeys(n.rsplit(" + ", 1)[0] for n in abl)]
glue(
    "ch02_ablation",
    "; ".join(f"{n} {100 * mean.loc[n, 'mlp']:.1f} %" for n in abl) if len(abl) > 1 else "not run",
    display=False,
)
glue(
    "ch02_concat",
    ", ".join(
        f"{m.upper()} {100 * mean.loc[cat, m]:.1f} %"
        for m in cfg.model_list
        if mean.loc[cat, m] == mean.loc[cat, m]
    )
    if cat in mean.index
    else "-",
    display=False,
)
glue(
    "ch02_gain_other",
    ", ".join(f"{m.upper()} {g:+.1f}" for m, g in gain.items() if m != "mlp") or "none",
    display=False,
)

# %% [markdown]
# On this run, **{glue:text}`ch02_ours`** against **{glue:text}`ch02_ref`** changes the MLP's test accuracy by
# {glue:text}`ch02_gain_mlp` points and the other models' by {glue:text}`ch02_gain_other` points. The paper's
# MLP gain on ogbn-papers100M is {glue:text}`ch02_paper_gain_mlp` points, its SGC gain
# {glue:text}`ch02_paper_gain_sgc`. GIANT-XRT's concatenated features [TF-IDF ‖ embedding] reach
# {glue:text}`ch02_concat` test accuracy.
#
# ## What reproduced, what did not, and where we depart from the official code
#
# - **Neighbourhood prediction** (asserted below): beam-search P@1 is at least three times chance at
#   every tree level, for both encoders.
# - **Ablations** (MLP test accuracy): {glue:text}`ch02_ablation`. Link prediction and a flat
#   one-vs-all head are the two alternatives the paper argues against; the full preset repeats them
#   for MiniLM and all four downstream models.
# - **The MLP claim** (GIANT features beat the plain encoder's by at least one point for the MLP)
#   is checked on this run in the last section; its line says PASS or FAIL. Whether a gain is as large as the
#   paper's cannot be judged on a graph with two neighbours per node and at this small fine-tuning
#   budget; the paper's graphs have 5 to 20 times more neighbours per node.
# - **Against the classic features**: TF-IDF + SVD is a strong baseline on CiteSeer, whose abstracts are
#   short and topical; compare its row with the GIANT rows in the table above.
# - **Scale**: CiteSeer instead of the OGB graphs; MiniLM (6 layers, 384-d) instead of BERT-base;
#   at smoke scale only the top layer is fine-tuned and texts are cut at 32 tokens.
# - **Embedding**: mean pooling of the last layer (MiniLM's own pooling) rather than BERT's pooler
#   output; the ranker normalises the embedding before the dot product.
# - **Tree**: we build the balanced tree by recursive balanced 2-means vectorised over all clusters of a
#   depth, instead of pecos's $B$-way spherical k-means; both give balanced clusters of PIFA features.
# - **XR-Linear stage**: we do not train the official pipeline's final XR-Linear ranker (it only serves
#   neighbour *prediction*); we do use its input, [TF-IDF ‖ normalised embedding], as a feature variant.
#   Our TF-IDF is scikit-learn's word 1-2 grams (stop words removed, sublinear tf), not pecos's
#   unigram + bigram + character-trigram vectoriser.
# - **Precision@k** comes from beam search down the tree with product-of-sigmoid path scores (pecos
#   offers several such score combinations); the tree here is the one the encoder was trained on, not a
#   "refined" tree rebuilt from the fine-tuned embeddings.
# - **Downstream**: random stratified 60/20/20 splits (CiteSeer has no official split for this text
#   version), two-layer models, 64 hidden units at smoke scale. On the CPU, dropout masks are drawn by
#   thresholding uniform numbers (torch's `bernoulli_` is slow there), and the MLP multiplies the sparse
#   TF-IDF block and the dense embedding block of [TF-IDF ‖ embedding] each in its own format; unit tests
#   check both against the plain versions, and `benchmarks/ch02_downstream_fit.py` measures the gain.
# - **Tuning**: the encoder learning rate of every fine-tuned variant is chosen by the downstream MLP's
#   validation accuracy over a small grid fixed in the configuration (at smoke scale a one-point grid,
#   the official default; used here: {glue:text}`ch02_lm_lr`); tree depth and step counts are set by
#   the compute budget. The downstream models are not tuned (the same settings for every feature
#   variant). Nothing in this chapter is chosen by looking at test accuracy.
#
# ## The claim, checked on this run

# %%
sanity = {
    f"{name}: every level's beam-search P@1 is at least 3x chance": bool(
        (tab["P@1"] >= 3 * tab["chance P@1"]).all()
    )
    for name, tab in pk_tables.items()
}
checks = {f"{ours} beats {ref} for the MLP by at least 1 point": bool(gain["mlp"] >= 1.0)}
claim_held = all(checks.values())
for text, ok in {**sanity, **checks}.items():
    print(("PASS " if ok else "FAIL ") + text)
print("claim held on this run:", claim_held)

# %%
beside = "other data set, not comparable"
metrics = [
    Metric(
        f"CiteSeer-text: MLP test accuracy, {ref} (paper column: ogbn-papers100M MLP, OGB features; {beside})",
        100 * mean.loc[ref, "mlp"],
        giant.PAPER_PAPERS100M["mlp"][0],
        unit="%",
    ),
    Metric(
        f"CiteSeer-text: MLP test accuracy, {ours} (paper column: ogbn-papers100M MLP, GIANT-XRT; {beside})",
        100 * mean.loc[ours, "mlp"],
        giant.PAPER_PAPERS100M["mlp"][1],
        unit="%",
    ),
    Metric(
        f"CiteSeer-text: MLP gain from GIANT (paper column: ogbn-papers100M MLP gain; {beside})",
        gain["mlp"],
        paper_gain["mlp"],
        unit="points",
    ),
]
metrics += [
    Metric(f"CiteSeer-text: {m.upper()} test accuracy, {ours}", 100 * mean.loc[ours, m], unit="%")
    for m in cfg.model_list
    if m != "mlp"
]
if cat in mean.index:
    metrics += [Metric(f"CiteSeer-text: MLP test accuracy, {cat}", 100 * mean.loc[cat, "mlp"], unit="%")]
metrics += [
    Metric(f"CiteSeer-text: beam-search P@1 level {int(r.level)} ({ours})", r["P@1"])
    for _, r in pk_tables[ours].iterrows()
]
path = save_record(
    cfg,
    chapter="ch02",
    title="GIANT-XRT",
    claim="Node features from a text encoder fine-tuned to predict neighbourhoods over a label tree, coarse to fine, "
    "improve downstream node classification, the feature-only MLP most",
    claim_held=claim_held,
    metrics=metrics,
    seeds=[cfg.seed + s for s in range(cfg.n_seeds)],
    notes="Our numbers: CiteSeer with raw text (3,186 papers), on which the paper has no experiment; MiniLM "
    "instead of BERT-base. Paper numbers: ogbn-papers100M from the paper's abstract (OGB features vs GIANT-XRT), "
    "shown beside ours for orientation only. Encoder learning rates chosen on validation accuracy.",
    extra={
        "headline": metrics[2].name,  # the MLP gain from GIANT
        "checks": checks,
        "chosen_lr": {name: sel.setting["lr"] for name, sel in sweeps.items()},
        "sweep_val_accuracy": {
            name: {
                f"{r['lr']:g}": None if np.isnan(r["val mean"]) else r["val mean"]
                for _, r in sel.table.iterrows()
            }
            for name, sel in sweeps.items()
        },
        "accuracy": {f"{f}|{m}": float(mean.loc[f, m]) for f in order for m in cfg.model_list},
    },
)
print("result record written:", path.name)

# %% [markdown]
# The neighbourhood predictor must learn at every level (an assertion error here fails the chapter);
# the MLP claim is recorded as held or not held above, not asserted, so that an honest negative
# result at a given scale is reported rather than hidden.

# %%
for text, ok in sanity.items():
    assert ok, f"check failed: {text}; precision tables: {pk_tables}"
