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
# # Deep AutoAugment: stacking augmentation layers by matching gradients
#
# Data augmentation is a hand-tuned hyper-parameter of almost every image classifier: crop, flip,
# cutout, perhaps a dozen colour and geometric distortions at some strength. Automated augmentation
# searches this choice instead of guessing it. Deep AutoAugment (DeepAA) {cite}`zheng2022deepaa`
# makes two changes to the recipe. First, the policy is *deep*: a stack of layers, each a
# probability distribution over (operation, strength) pairs, and even crop, flip and cutout are left
# to the search rather than added by hand. Second, the search does not train a child network for
# every candidate: it asks which augmentation makes the gradient of *augmented training data* point
# the same way as the gradient of *clean validation data* of the same class, with a penalty on the
# variance of that answer across data points. Layers are searched one at a time, each on top of the
# ones already fixed, and stacking stops when a new layer prefers to do nothing.
#
# This chapter implements the whole method in plain torch: the eighteen operations, batched and
# matching Pillow pixel for pixel; the policy; the gradient-matching objective with forward-mode
# Jacobian-vector products; the layer-by-layer search; and one trainer on which our searched policy,
# the authors' released policy and the hand-made baselines (none, crop + flip, crop + flip + cutout,
# RandAugment {cite}`cubuk2020randaugment`, TrivialAugment {cite}`muller2021trivialaugment`) are
# compared on real CIFAR-10 photographs {cite}`krizhevsky2009cifar`.
#
# ```{admonition} How to run this chapter
# :class: tip
# - **Read**: this page shows the outputs of the run named in the configuration cell below.
# - **JupyterLab**: open `notebooks/ch06_deep_autoaugment.py` (Jupytext opens it as a notebook).
# - **Re-run with other parameters**: `iclr22 run ch06 -p SEARCH_STEPS 20 -p N_SEEDS 3`, or
#   `papermill` on the `.ipynb` with `-p SCALE full` on a GPU machine (WRN-40-2, 139 choices, six layers,
#   the whole staged subset, three seeds per policy).
# - **Source**: {download}`the chapter's .py source <../../notebooks/ch06_deep_autoaugment.py>`.
# ```

# %% tags=["parameters"]
SCALE = "smoke"  # "smoke": 2 CPU cores, about 2.5 min | "full": WRN-40-2, whole subset, 3 seeds, one GPU
SEED = 0
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "cuda:N"
# Chapter knobs: None = this scale's preset value (given after "None:"); any other value overrides it.
L_MAGS = None  # magnitude bins per operation (the paper: 13, i.e. 139 choices per layer); None: smoke 5, full 13
N_LAYERS = None  # maximum number of policy layers (the paper stacks 6); None: smoke 3, full 6
SEARCH_STEPS = None  # Adam steps per layer (the paper: 1024); None: smoke 12, full 64
POLICY_LR = None  # Adam learning rate of the layer logits (the paper: 0.025); None: smoke 0.2, full 0.025
N_SEEDS = None  # training seeds per policy; None: smoke 2, full 3
OFFICIAL = None  # released DeepAA policy evaluated beside ours: "cifar_1" | "cifar_2"; None: "cifar_1"

# %% [markdown]
# The library checks every parameter, seeds Python, NumPy and torch, picks the device and prints
# what it resolved:

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display
from myst_nb import glue

from iclr22lib import deepaa as ch
from iclr22lib.core.device import cpu_threads, hardware_summary
from iclr22lib.core.plotting import use_book_style
from iclr22lib.core.results import Metric, save_record
from iclr22lib.deepaa import experiment as ex

cfg = ch.config(
    SCALE,
    seed=SEED,
    device=DEVICE,
    l_mags=L_MAGS,
    n_layers=N_LAYERS,
    search_steps=SEARCH_STEPS,
    policy_lr=POLICY_LR,
    n_seeds=N_SEEDS,
    official=OFFICIAL,
)
use_book_style()
print(cfg.describe())
print("hardware           =", hardware_summary(cfg.device))

# %% [markdown]
# ## The search space
#
# Each layer chooses among eighteen operations. Fifteen have a strength: a value range
# $[\mathrm{low}, \mathrm{high}]$ cut into $L$ bins, bin $m$ meaning
# $v = \mathrm{low} + (\mathrm{high}-\mathrm{low})\,m/(L-1)$. Where one bin is a no-op (shear 0,
# enhancement factor 1, solarize threshold 256, posterize with 8 bits) it is dropped, so a layer has
#
# $$ |T| = 7 + 11\,(L-1) $$
#
# choices: 139 for the paper's $L=13$. Identity, AutoContrast, Invert, Equalize, a random horizontal
# flip, a 16-pixel cutout and a pad-4 random crop have no strength. All operations live in
# `deepaa.ops` as batched torch functions on (N, 3, H, W) images in grey levels, with Pillow's
# semantics (nearest-neighbour affine maps with Pillow's fixed-point rounding, the same grey
# conversion, blends and lookup tables), so they run on a GPU over a whole batch at once. The unit
# tests compare each of them with `PIL.ImageOps`, `PIL.ImageEnhance` and `Image.transform` on random
# images at every bin; here the same check runs on real photographs:

# %%
space = ex.space_of(cfg)
data = ex.splits(cfg)
glue("ch06_T", len(space), display=False)
glue("ch06_T13", len(ch.build_space(13)), display=False)


def pil_check(imgs: torch.Tensor, l_mags: int = 13) -> dict[str, int]:
    """Largest grey-level difference to Pillow per op, over every bin, on uint8 images (N,3,H,W)."""
    from PIL import Image, ImageEnhance, ImageOps

    arr = imgs.permute(0, 2, 3, 1).cpu().numpy()
    sp13 = ch.build_space(l_mags)
    ref = {
        "ShearX": lambda im, v: im.transform(im.size, Image.AFFINE, (1, v, 0, 0, 1, 0), Image.NEAREST),
        "ShearY": lambda im, v: im.transform(im.size, Image.AFFINE, (1, 0, 0, v, 1, 0), Image.NEAREST),
        "TranslateX": lambda im, v: im.transform(
            im.size, Image.AFFINE, (1, 0, v * 32, 0, 1, 0), Image.NEAREST
        ),
        "TranslateY": lambda im, v: im.transform(
            im.size, Image.AFFINE, (1, 0, 0, 0, 1, v * 32), Image.NEAREST
        ),
        "Rotate": lambda im, v: im.rotate(v, resample=Image.NEAREST),
        "AutoContrast": lambda im, v: ImageOps.autocontrast(im),
        "Invert": lambda im, v: ImageOps.invert(im),
        "Equalize": lambda im, v: ImageOps.equalize(im),
        "Solarize": lambda im, v: ImageOps.solarize(im, v),
        "Posterize": lambda im, v: ImageOps.posterize(im, int(v)),
        "Contrast": lambda im, v: ImageEnhance.Contrast(im).enhance(v),
        "Color": lambda im, v: ImageEnhance.Color(im).enhance(v),
        "Brightness": lambda im, v: ImageEnhance.Brightness(im).enhance(v),
        "Sharpness": lambda im, v: ImageEnhance.Sharpness(im).enhance(v),
    }
    worst = {}
    for name, fn in ref.items():
        k = ch.OP_NAMES.index(name)
        diff = 0
        for v in sp13.value[sp13.op == k].tolist():
            ours = ch.apply_op(imgs, name, v).permute(0, 2, 3, 1).cpu().numpy().astype(int)
            theirs = np.stack([np.asarray(fn(Image.fromarray(a), v)) for a in arr]).astype(int)
            diff = max(diff, int(np.abs(ours - theirs).max()))
        worst[name] = diff
    return worst


# %%
# NBVAL_CHECK_OUTPUT
worst = pil_check(data.test.x[::50])
print(f"choices per layer: {len(space)} here (L = {cfg.l_mags}), {len(ch.build_space(13))} for L = 13")
print("every op within one grey level of Pillow over all 13-bin values, 20 test photos:", max(worst.values()) <= 1)

# %%
print("largest grey-level difference to Pillow:")
for name, d in worst.items():
    print(f"  {name:<12} {d}")
glue("ch06_pil_worst", max(worst.values()), display=False)

# %% [markdown]
# Colour operations agree with Pillow within one grey level (float rounding of a blend), geometric
# ones exactly on these photos. Nine operations at their strongest setting, on one test image:

# %%
img = data.test.x[7:8]
show = [("Identity", 0), ("ShearX", 0.3), ("TranslateY", 0.3), ("Rotate", 30), ("Solarize", 128),
        ("Posterize", 4), ("Contrast", 1.9), ("Equalize", 0), ("Sharpness", 1.9)]  # fmt: skip
gen = torch.Generator().manual_seed(0)
extra = [
    ("RandCutout", ch.apply_op(img, "RandCutout", gen=gen)),
    ("RandCrop", ch.apply_op(img, "RandCrop", gen=gen)),
]
fig, axes = plt.subplots(1, len(show) + 2, figsize=(13, 1.8))
for ax, (name, v) in zip(axes, show, strict=False):
    ax.imshow(ch.apply_op(img, name, v)[0].permute(1, 2, 0).numpy())
    ax.set_title(f"{name}\n{v:g}" if v else name, fontsize=8)
for ax, (name, out) in zip(axes[len(show) :], extra, strict=False):
    ax.imshow(out[0].permute(1, 2, 0).numpy())
    ax.set_title(name, fontsize=8)
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## The method
#
# **Policy.** A policy with $K$ layers holds logits $\theta_k \in \mathbb{R}^{|T|}$ and
# probabilities $p_k = \mathrm{softmax}(\theta_k)$. To augment an image, draw $t_1 \sim p_1$ and
# apply it, then $t_2 \sim p_2$ on the result, and so on. Layers start at the official
# initialisation, logit 8 on Identity and 0 elsewhere ($p(\mathrm{Identity}) \approx 0.96$ for 139
# choices).
#
# **Objective.** A network $f_w$ is pretrained briefly and then frozen (batch norm in inference mode).
# A *data point* $b$ is a class $c$, a batch $V_b$ of clean validation images of class $c$, and one
# training image $x_b$ of class $c$. With $g(x) = \nabla_w \mathrm{CE}(f_w(x), c)$, the
# layer-$k$ search compares
#
# $$ G_b = \frac{1}{|V_b|}\sum_{v\in V_b} g(v), \qquad
#    A_b(p_k) = \sum_{t} p_k(t)\, a_{b,t}, \quad a_{b,t} = \mathbb{E}_{s\sim p_{1:k-1}}\big[g(t(s(x_b)))\big], $$
#
# through their cosine $\cos_b = \langle G_b, A_b\rangle / (\lVert G_b\rVert\,\lVert A_b\rVert)$.
# Its derivative with respect to the probability of choice $t$ is
#
# $$ I_{b,t} = \frac{\partial \cos_b}{\partial p_k(t)}
#    = \frac{\langle a_{b,t},\, u_b\rangle}{\lVert A_b\rVert\,\lVert G_b\rVert},
#    \qquad u_b = G_b - \frac{\langle G_b, A_b\rangle}{\lVert A_b\rVert^2} A_b . $$
#
# The inner product $\langle g(x), u_b\rangle$ is the directional derivative of the per-sample loss
# along $u_b$ in weight space, so **one forward-mode Jacobian-vector product** (`torch.func.jvp`
# through `functional_call`) over all $|T|$ augmented copies returns every $I_{b,t}$ at once, and
# no per-sample gradient is ever stored. A unit test checks $I_{b,t}$ against central finite
# differences of $\cos_b$ in float64.
#
# **Regularised reward and update.** Over $B$ data points the reward of choice $t$ is
# $r_t = \mathrm{mean}_b I_{b,t}$ for the first layer and $r_t = \mathrm{mean}_b I_{b,t} -
# \mathrm{std}_b I_{b,t}$ for later ones: a choice must help *consistently* across classes and
# images, not on average alone (the official code has no variance term in layer 1, and neither do
# we). One Adam step on $\theta_k$ maximises $\sum_t r_t\,p_k(t)$.
#
# **Layer by layer, and when to stop.** Layer $k$ is searched with layers $1..k-1$ frozen; then it is
# frozen too. When a freshly searched layer keeps at least a fraction $\tau$ of its mass on Identity
# (here $\tau$ = {glue:text}`ch06_tau`), it has converged to doing nothing and the stack is complete.

# %% [markdown]
# ## Data
#
# We use the staged CIFAR-10 subset (byte-exact JPEGs of 2,000 training images per class and the
# whole test set; see the data registry). Within each class, in file order, the first images
# pretrain the search network, the next ones form the search split, and the last ones of the 2,000
# are the clean validation images of the objective; the final training runs use the first images of
# each class (a *low-data* split at smoke scale) and the test images are used for nothing but the
# final accuracy.

# %%
# NBVAL_CHECK_OUTPUT
for name in ("pretrain", "search", "val", "train", "test"):
    s = getattr(data, name)
    print(f"{name:<9} {len(s):>6} images, {len(s) // 10} per class")

# %%
glue("ch06_tau", f"{cfg.stop_identity:g}", display=False)
glue("ch06_n_train", len(data.train), display=False)
glue("ch06_n_test", len(data.test), display=False)

# %% [markdown]
# ## Searching a policy
#
# The search network ({glue:text}`ch06_model`) is pretrained on the pretrain split with crop + flip +
# cutout, as in the official code, and frozen. Then up to {glue:text}`ch06_K` layers are searched,
# {glue:text}`ch06_S` Adam steps each, with $B$ = {glue:text}`ch06_B` data points per step. To see
# whether the search improves the objective rather than just the noise of the data points it draws,
# we also evaluate the mean cosine on fixed *probe* data points (the same images and the same
# random draws) with the layer's probabilities before and after its search.

# %%
t0 = time.process_time()
with cpu_threads(1, cfg.device):
    net = ex.pretrain(cfg, data, space)
    pre_acc = ch.accuracy(net, data.test.x, data.test.y)
    t1 = time.perf_counter()
    found = ex.search(cfg, net, data, space)
    search_seconds = time.perf_counter() - t1
glue("ch06_model", cfg.model, display=False)
glue("ch06_K", cfg.n_layers, display=False)
glue("ch06_S", cfg.search_steps, display=False)
glue("ch06_B", cfg.n_points, display=False)
glue("ch06_pre_acc", 100 * pre_acc, display=False)
glue("ch06_search_s", search_seconds, display=False)
print(
    f"search network: test accuracy {100 * pre_acc:.1f} % after pretraining; search took {search_seconds:.1f} s"
)

# %%
rows = []
for k, log in enumerate(found.logs):
    rows.append(
        {
            "layer": k + 1,
            "probe cos before": log.probe_before,
            "probe cos after": log.probe_after,
            "p(Identity) after": log.identity[-1],
        }
    )
probe = pd.DataFrame(rows).set_index("layer")
display(probe.round(3))
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
for k, log in enumerate(found.logs):
    axes[0].plot(np.arange(1, len(log.cos) + 1), log.cos, marker=".", label=f"layer {k + 1}")
    axes[1].plot(np.arange(1, len(log.identity) + 1), log.identity, marker=".", label=f"layer {k + 1}")
axes[0].set(xlabel="search step", ylabel="mean cosine of the step's data points")
axes[1].set(xlabel="search step", ylabel="p(Identity)")
axes[0].legend()
plt.show()

# %%
deltas = [log.probe_after - log.probe_before for log in found.logs]
cos_rises = bool(np.mean(deltas) > 0)
print("layers searched:", len(found.logs), "| stopping rule fired:", found.stopped)
print("mean probe cosine rose during the search:", "PASS" if cos_rises else "FAIL")
glue("ch06_layers", len(found.logs), display=False)
glue("ch06_delta1", deltas[0], display=False)
glue("ch06_probe1_before", found.logs[0].probe_before, display=False)
glue("ch06_probe1_after", found.logs[0].probe_after, display=False)
glue("ch06_last_id_first", found.logs[-1].identity[0], display=False)
glue("ch06_last_id_end", found.logs[-1].identity[-1], display=False)
glue("ch06_epochs", cfg.epochs, display=False)

# %% [markdown]
# The first layer's probe cosine moves by {glue:text}`ch06_delta1:.3f` as the layer leaves
# Identity. Per-step cosines are noisy because every step draws new classes and images; the probe
# comparison removes that noise.
#
# ## The searched policy beside the released one
#
# Probability mass per operation in every layer, ours (left) and the authors' released CIFAR-10 policy
# (right, searched with WRN-40-2, 139 choices, 1,024 steps per layer, six layers):

# %%
official = ex.official_policy(cfg, space)
ours = found.policy
m_ours, m_off = ours.op_mass().numpy(), official.op_mass().numpy()
fig, axes = plt.subplots(
    1, 2, figsize=(12, 3.6), gridspec_kw={"width_ratios": [max(1, len(m_ours)), len(m_off)]}
)
for ax, m, title in (
    (axes[0], m_ours, "DeepAA, searched here"),
    (axes[1], m_off, f"DeepAA, released {cfg.official}"),
):
    im = ax.imshow(m.T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(m)), [str(k + 1) for k in range(len(m))])
    ax.set_yticks(range(len(ch.OP_NAMES)), ch.OP_NAMES, fontsize=7)
    ax.set(xlabel="layer", title=title)
fig.colorbar(im, ax=axes, fraction=0.02, label="probability mass")
plt.show()
no_id = m_ours.copy()
no_id[:, ch.OP_NAMES.index("Identity")] = -1.0
top = {k + 1: ch.OP_NAMES[int(np.argmax(no_id[k]))] for k in range(len(m_ours))}
glue("ch06_top_ours", ", ".join(f"layer {k}: {v}" for k, v in top.items()), display=False)

# %% [markdown]
# The released policy rediscovers the hand-made recipe in its own layers (cutout in layer 2, crop in
# layer 3, flip in layer 4) and ends with an all-but-Identity layer 6. Ours, after {glue:text}`ch06_S` steps
# per layer of a tiny network at smoke scale, has moved away from Identity only partly; its strongest
# non-identity operation per layer: {glue:text}`ch06_top_ours`.
#
# ## Training with every policy
#
# Every policy trains a fresh network (the same architecture as the search network) from scratch on
# the {glue:text}`ch06_n_train` training images with the same trainer, optimiser and schedule;
# accuracy is measured on {glue:text}`ch06_n_test` test images, over {glue:text}`ch06_seeds` seeds.
# RandAugment (two layers at half strength) and TrivialAugment (one layer, uniform strength) run on
# our op table between crop + flip and cutout, as their papers do on CIFAR; the released DeepAA policy
# gets nothing added, and neither does ours.

# %%
policies = ch.baseline_policies(space)
policies["DeepAA (ours)"] = ours
policies[f"DeepAA (released {cfg.official})"] = official
with cpu_threads(1, cfg.device):
    ev = ex.evaluate_policies(cfg, data, policies)
glue("ch06_seeds", cfg.n_seeds, display=False)
table = pd.DataFrame(
    {
        "test accuracy (%)": [100 * ev.mean(n) for n in policies],
        "sd (%)": [100 * ev.std(n) for n in policies],
        "gain over none (pp)": [100 * (ev.mean(n) - ev.mean("none")) for n in policies],
    },
    index=list(policies),
)
display(table.round(1))
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.barh(list(policies), table["test accuracy (%)"], xerr=table["sd (%)"], color="C0")
ax.set(xlabel="test accuracy (%)", xlim=(max(0, table["test accuracy (%)"].min() - 10), None))
ax.invert_yaxis()
plt.show()

# %%
beats_none = {n: ev.mean(n) > ev.mean("none") for n in policies if n != "none"}
for n, ok in beats_none.items():
    print(f"{n:<28} beats 'none': {'yes' if ok else 'no'}")
all_beat = all(beats_none.values())
glue("ch06_acc_none", 100 * ev.mean("none"), display=False)
glue("ch06_acc_ours", 100 * ev.mean("DeepAA (ours)"), display=False)
glue("ch06_acc_off", 100 * ev.mean(f"DeepAA (released {cfg.official})"), display=False)
glue("ch06_acc_ta", 100 * ev.mean("TrivialAugment"), display=False)
glue("ch06_acc_cf", 100 * ev.mean("crop+flip"), display=False)
glue("ch06_n_beat", sum(beats_none.values()), display=False)
glue("ch06_n_aug", len(beats_none), display=False)
losers = [n for n, ok in beats_none.items() if not ok]
glue("ch06_losers", ", ".join(losers) if losers else "none of them", display=False)

# %% [markdown]
# ## Results beside the paper
#
# | quantity | paper (CIFAR-10, WRN-28-10, 50,000 images, 200 epochs) | this run |
# | --- | --- | --- |
# | DeepAA test accuracy | 97.56 % | ours {glue:text}`ch06_acc_ours:.1f` %, released policy {glue:text}`ch06_acc_off:.1f` % |
# | TrivialAugment | 97.46 % (TA Wide, copied in the paper from its authors) | {glue:text}`ch06_acc_ta:.1f` % |
# | crop + flip | 96.1 % | {glue:text}`ch06_acc_cf:.1f` % |
# | no augmentation | — | {glue:text}`ch06_acc_none:.1f` % |
# | search cost | about 9 GPU-hours (WRN-40-2; see the notes) | {glue:text}`ch06_search_s:.0f` CPU-seconds for {glue:text}`ch06_layers` layer(s) |
#
# The absolute numbers are not comparable: the paper trains a 36-million-parameter WRN-28-10 on all
# 50,000 CIFAR-10 images for 200 epochs, we train a small CNN on a few hundred JPEG re-encoded images
# for {glue:text}`ch06_epochs` epochs on a CPU. What can be compared is the *direction*:
# {glue:text}`ch06_n_beat` of the {glue:text}`ch06_n_aug` augmentation policies beat no augmentation
# here. In this low-data regime a tiny network underfits strong distortions and the seed noise (one
# test image is 0.1 pp, and runs differ by a point or more) is of the size of the differences between
# the augmented policies, so we claim no ranking among them. The paper's own margins between DeepAA,
# TrivialAugment and RandAugment are a few tenths of a point on full CIFAR-10, far below what a smoke
# run can resolve; the `full` preset (WRN-40-2, the whole staged subset of 20,000 images, three seeds)
# is the run that can speak to that.
#
# ## What did and did not reproduce
#
# - **Reproduced: the search objective improves.** On fixed probe data points the gradient cosine of
#   the first layer rises from {glue:text}`ch06_probe1_before:.3f` to {glue:text}`ch06_probe1_after:.3f`
#   as that layer moves mass from Identity to augmentations. The last layer searched, variance-penalised,
#   barely leaves Identity (p(Identity) {glue:text}`ch06_last_id_first:.3f` after its first step,
#   {glue:text}`ch06_last_id_end:.3f` after its last), so the stopping rule ends the stack after
#   {glue:text}`ch06_layers` layers, as the released policy ends with an Identity layer.
# - **Reproduced: the released policy's structure.** Loaded from the authors' file, it shows cutout,
#   crop and flip as separate layers (heat map above): the search rediscovers the hand-made recipe.
# - **Not reproduced at this scale: "every augmentation beats none".** Policies that did *not* beat
#   no augmentation on this run (seed-averaged test accuracy): {glue:text}`ch06_losers`. We chose the
#   smoke training budget on validation accuracy only (a few settings of width, images and epochs) and
#   did not tune any policy on test data. With a network this small, a few hundred images and a CPU
#   budget of seconds per run, strong distortions (the released policy stacks six of them, searched
#   for a WRN-40-2 trained for hundreds of epochs) make the task harder faster than they regularise
#   it, and the seed noise is as large as the gaps. The scoreboard therefore records this claim as
#   not held at smoke scale; the `full` preset, which we could not run here (no GPU in this session),
#   is the test of the paper's regime.
#
# ## Where we depart from the official code
#
# - **Framework and speed.** The official search is TensorFlow with Pillow augmentation in a CPU
#   process pool and eight GPUs; ours is torch, with every operation batched (also on a GPU), and
#   `torch.func.jvp` where the official code uses TensorFlow's forward accumulator.
# - **The augmented gradient $A_b$.** The official code estimates $A_b$ for later layers from a
#   separate Monte-Carlo sample of $4|T|$ full chains. We compute it from the *same* samples of the
#   earlier layers used for the JVPs, exactly in $t$: $A_b = \sum_t p(t)\,\hat a_{b,t}$. The
#   derivative is then the exact derivative of the estimated cosine (which the finite-difference test
#   checks), with fewer passes.
# - **Scale.** Smoke: {glue:text}`ch06_T` choices instead of {glue:text}`ch06_T13`, {glue:text}`ch06_S` steps
#   instead of 1,024 per layer, hence a larger policy learning rate (Adam moves a logit by about the
#   learning rate per step, and with the official 0.025 a layer could not leave Identity in so few
#   steps). The full preset keeps 139 choices and the official learning rate.
# - **Stopping rule.** The paper stacks layers "until convergence" and releases six; we stop when a
#   searched layer keeps at least {glue:text}`ch06_tau` of its mass on Identity.
# - **Evaluation.** As in the official evaluation code, the geometric operations of the released
#   policy get a random sign at training time; our baselines draw both signs inside their layers.
#   Our search and evaluation network is the same small CNN (smoke) or WRN-40-2 (full), where the
#   paper evaluates on WRN-28-10 and Shake-Shake.
# - **A pitfall reported by users** (issue #7 of the official repository): re-running the official
#   trainer with the same output path silently resumes a checkpoint and inflates accuracy. Every run
#   here builds a fresh network from its own seed.

# %%
checks = {
    "the mean probe gradient cosine rises during the search": cos_rises,
    "every augmentation policy beats no augmentation (seed-averaged test accuracy)": all_beat,
}
claim_held = all(checks.values())
metrics = [
    Metric("DeepAA (ours) test accuracy", 100 * ev.mean("DeepAA (ours)"), paper=ch.PAPER["deepaa_c10_wrn28_10"], unit="%"),
    Metric(
        f"DeepAA (released {cfg.official}) test accuracy",
        100 * ev.mean(f"DeepAA (released {cfg.official})"),
        paper=ch.PAPER["deepaa_c10_wrn28_10"],
        unit="%",
    ),
    Metric("crop+flip test accuracy", 100 * ev.mean("crop+flip"), paper=ch.PAPER["baseline_c10_wrn28_10"], unit="%"),
    Metric("no augmentation test accuracy", 100 * ev.mean("none"), unit="%"),
    Metric("probe cosine gain, layer 1", deltas[0]),
    Metric("search time", search_seconds / 3600, paper=ch.PAPER["search_gpu_hours_c10"], higher_is_better=False,
           unit="h (ours: device hours on this run's hardware; paper: GPU-hours)", timing=True),
]  # fmt: skip
path = save_record(
    cfg,
    chapter="ch06",
    title="Deep AutoAugment",
    claim="A multi-layer augmentation policy searched layer by layer by gradient matching raises the gradient "
    "cosine during search, and it and every other augmentation policy beat no augmentation",
    claim_held=claim_held,
    metrics=metrics,
    notes=f"CIFAR-10 JPEG subset, {cfg.model}, {len(data.train)} training images, {cfg.n_seeds} seeds; the paper "
    "uses WRN-28-10 on the full 50k CIFAR-10",
    extra={
        "checks": checks,
        "accuracy": {n: ev.acc[n] for n in policies},
        "probe": {
            "before": [lg.probe_before for lg in found.logs],
            "after": [lg.probe_after for lg in found.logs],
        },
        "stopped": found.stopped,
        "pil_max_level_difference": worst,
    },
)
print("result record written:", path.name)

# %% [markdown]
# The chapter's claims, checked on this run (an assertion error here fails the chapter in every mode):

# %%
for text, ok in checks.items():
    print(f"{'PASS' if ok else 'FAIL'}: {text}")
print("claim held:", claim_held)
assert max(worst.values()) <= 1, f"an op differs from Pillow by more than one grey level: {worst}"
assert cos_rises, f"the gradient cosine did not rise during the search: probe deltas {deltas}"
