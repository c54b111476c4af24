"""The chapter's experiments as functions of a :class:`~iclr22lib.diva.config.DivaConfig`.

Each returns plain numbers and tensors; the notebook only prints and plots them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from iclr22lib.core.images import CIFAR10_CLASSES, load_cifar10_jpeg
from iclr22lib.diva import procedures as P
from iclr22lib.diva import ridge
from iclr22lib.diva.config import DivaConfig
from iclr22lib.diva.efficientnet import efficientnet_features, load_efficientnet_lite0
from iclr22lib.diva.features import extract_features, fit_patch_features, flip

N_CLASSES = len(CIFAR10_CLASSES)


@dataclass
class Features:
    """Train/test features ``(N, p)`` float64, their labels ``(N,)``, and the frozen map that made them."""

    Z_train: torch.Tensor
    y_train: torch.Tensor
    Z_test: torch.Tensor
    y_test: torch.Tensor
    encode: Callable[[np.ndarray], torch.Tensor]  # images (N, 32, 32, 3) uint8 -> (N, p) float64
    x_train: np.ndarray  # the train images (N, 32, 32, 3) uint8, for the flip experiment


def make_encoder(cfg: DivaConfig, x_fit: np.ndarray) -> Callable[[np.ndarray], torch.Tensor]:
    """The frozen feature map of ``cfg.backbone``, standardised with statistics of the unlabelled ``x_fit``.

    ``"efficientnet"``: ImageNet EfficientNet-Lite0 at ``cfg.image_size`` pixels (1,280 features);
    ``"patches"``: random image patches as filters (``8 * cfg.n_filters`` features, no pretraining)."""
    dev = torch.device(cfg.device)
    if cfg.backbone == "patches":
        fmap = fit_patch_features(x_fit, cfg.n_filters, cfg.patch, seed=cfg.seed)
        return lambda x: extract_features(fmap, x, device=dev)
    net = load_efficientnet_lite0()

    def raw(x: np.ndarray) -> torch.Tensor:
        return efficientnet_features(net, x, size=cfg.image_size, device=dev).double()

    ref = raw(x_fit)
    mean, std = ref.mean(0), ref.std(0) + 1e-6
    return lambda x: (raw(x) - mean) / std


def load_features(cfg: DivaConfig, root: str | os.PathLike | None = None) -> Features:
    """Decode the CIFAR-10 subset of ``cfg`` and map it through the frozen backbone ``cfg.backbone``
    (its standardisation, or its patch filters, come from the train images; no label is read)."""
    x_tr, y_tr = load_cifar10_jpeg("train", per_class=cfg.n_train_per_class, root=root)
    x_te, y_te = load_cifar10_jpeg("test", per_class=cfg.n_test_per_class, root=root)
    encode = make_encoder(cfg, x_tr)
    dev = torch.device(cfg.device)
    return Features(
        encode(x_tr), torch.as_tensor(y_tr).to(dev), encode(x_te), torch.as_tensor(y_te).to(dev), encode, x_tr
    )


def noise_run(f: Features, cfg: DivaConfig, noise: float, seed: int) -> dict:
    """Label noise ``noise`` (seeded): detection by the dataset derivative vs loss ranking, and test error
    of uniform weights, DIVA Reweight, dropping the detected samples, Ren et al. and Chang et al.; also the
    LOO loss and LOO 0-1 error on the (noisy) training labels before and after Reweight."""
    y_noisy, is_noisy = P.corrupt_labels(f.y_train.cpu(), noise, N_CLASSES, seed=seed)
    y_noisy, is_noisy = y_noisy.to(f.Z_train.device), is_noisy.to(f.Z_train.device)
    Y = ridge.one_hot(y_noisy, N_CLASSES).to(f.Z_train)
    lam, _ = ridge.select_lambda(f.Z_train, Y, cfg.lam_grid)
    kw = {"loss": cfg.loo_loss, "temperature": cfg.temperature}
    rw = P.reweight(f.Z_train, Y, lam, steps=cfg.reweight_steps, lr=cfg.lr, **kw)
    grad = rw.grads[0]
    ones = torch.ones(len(Y), dtype=Y.dtype, device=Y.device)

    def err(alpha):
        return P.error_rate(f.Z_train, Y, alpha, lam, f.Z_test, f.y_test)

    def loo_stats(alpha):
        u = ridge.loo_predictions(f.Z_train, Y, alpha, lam).u
        loss = ridge.per_sample_loss(u, Y, cfg.loo_loss, cfg.temperature).mean().item()
        return loss, u.argmax(1).ne(y_noisy).double().mean().item()

    (loo_loss_before, loo_err_before), (loo_loss_after, loo_err_after) = loo_stats(ones), loo_stats(rw.alpha)
    out = {
        "loo_loss_before": loo_loss_before,
        "loo_loss_after": loo_loss_after,
        "loo_err_before": loo_err_before,
        "loo_err_after": loo_err_after,
        "noise": noise,
        "seed": seed,
        "lam": lam,
        "err_uniform": err(ones),
        "err_diva": err(rw.alpha),
        "err_drop": err((~P.detrimental(grad)).to(Y)),
        "err_ren": err(
            P.ren_weights(f.Z_train, Y, lam, val_fraction=cfg.ren_val_fraction, seed=seed, **kw)[0]
        ),
        "err_chang": err(P.chang_weights(f.Z_train, Y, lam, temperature=cfg.temperature)),
    }
    if noise > 0:
        loss_scores = P.loss_ranking_scores(f.Z_train, Y, lam)
        out.update(
            auc_diva=P.auc(grad.cpu(), is_noisy.cpu()),
            f1_diva=P.f1(P.detrimental(grad).cpu(), is_noisy.cpu()),
            auc_loss=P.auc(loss_scores.cpu(), is_noisy.cpu()),
            f1_loss=P.f1((loss_scores >= loss_scores.quantile(1 - noise)).cpu(), is_noisy.cpu()),
            share_flagged=P.detrimental(grad).double().mean().item(),
            weight_noisy=rw.alpha[is_noisy].mean().item(),
            weight_clean=rw.alpha[~is_noisy].mean().item(),
        )
        out["loss_scores"] = loss_scores.cpu()
    out["grad"], out["is_noisy"] = grad.cpu(), is_noisy.cpu()
    return out


def extend_run(f: Features, cfg: DivaConfig, n_uniform_draws: int = 3) -> dict:
    """Core = first ``extend_core_per_class`` train images of each class (clean labels); pool = the rest of
    the train images with ``extend_pool_noise`` label noise. Test error along DIVA Extend's additions and
    along uniformly random additions of the same sizes (mean of ``n_uniform_draws`` draws)."""
    per = cfg.n_train_per_class
    within = torch.arange(len(f.y_train), device=f.y_train.device) % per  # images are grouped by class
    core = within < cfg.extend_core_per_class
    Zc, yc, Zp, yp_clean = f.Z_train[core], f.y_train[core], f.Z_train[~core], f.y_train[~core]
    yp, pool_noisy = P.corrupt_labels(yp_clean.cpu(), cfg.extend_pool_noise, N_CLASSES, seed=cfg.seed + 1000)
    yp = yp.to(yc.device)
    Yc, Yp = ridge.one_hot(yc, N_CLASSES).to(Zc), ridge.one_hot(yp, N_CLASSES).to(Zc)
    lam, _ = ridge.select_lambda(Zc, Yc, cfg.lam_grid)
    kw = {"loss": cfg.loo_loss, "temperature": cfg.temperature}
    res = P.extend(Zc, Yc, Zp, Yp, lam, k=cfg.extend_k, max_rounds=cfg.extend_rounds, **kw)

    def err_with(pool_idx):
        idx = torch.as_tensor(pool_idx, dtype=torch.long, device=Zc.device)
        Z, Y = torch.cat([Zc, Zp[idx]]), torch.cat([Yc, Yp[idx]])
        return P.error_rate(Z, Y, torch.ones(len(Y), dtype=Z.dtype, device=Z.device), lam, f.Z_test, f.y_test)

    sizes = [0, *np.cumsum(res.round_sizes).tolist()]
    diva = [err_with(res.order[:s]) for s in sizes]
    g = torch.Generator().manual_seed(cfg.seed)
    draws = [torch.randperm(len(yp), generator=g).tolist() for _ in range(n_uniform_draws)]
    uniform = [float(np.mean([err_with(d[:s]) for d in draws])) for s in sizes]
    picked = torch.as_tensor(res.order, dtype=torch.long)
    return {
        "lam": lam,
        "sizes": sizes,
        "err_diva": diva,
        "err_uniform": uniform,
        "err_all_pool": err_with(list(range(len(yp)))),
        "noisy_share_pool": pool_noisy.double().mean().item(),
        "noisy_share_picked": pool_noisy[picked].double().mean().item() if len(picked) else 0.0,
        "n_pool": len(yp),
    }


TRANSFORMS = ("none", "h", "v")
TRANSFORM_NAMES = {"none": "original", "h": "horizontal flip", "v": "vertical flip"}


def flip_probabilities(
    x: np.ndarray, y: torch.Tensor, encode: Callable[[np.ndarray], torch.Tensor], cfg: DivaConfig
) -> dict:
    """DIVA Reweight on D ∪ hflip(D) ∪ vflip(D) for images ``x`` ``(N, H, W[, 3])`` with labels ``y`` [N]
    and the frozen map ``encode``; the share of the final weight on each copy is the learnt probability of
    applying that transform.

    ``cfg.aug_loo_on`` picks the objective. ``"grouped"`` (default): the LOO loss of the untransformed
    images, each left out *together with its two flipped copies*, so that no copy of a held-out image
    helps to predict it. ``"original"``: the same images, left out alone (their copies stay in training,
    which favours copies that look like the original). ``"all"``: plain LOO over all copies."""
    Z = torch.cat([encode(flip(x, t)) for t in TRANSFORMS])
    Y = ridge.one_hot(y, N_CLASSES).to(Z).repeat(len(TRANSFORMS), 1)
    group = torch.arange(len(TRANSFORMS)).repeat_interleave(len(x)).to(Z.device)
    lam, _ = ridge.select_lambda(Z, Y, cfg.lam_grid)
    mask = group == 0 if cfg.aug_loo_on == "original" else None
    groups = torch.arange(len(Z), device=Z.device).view(len(TRANSFORMS), -1).T  # [n, 3]: image and its flips
    rw = P.reweight(
        Z, Y, lam, steps=cfg.reweight_steps, lr=cfg.lr, loss=cfg.loo_loss, temperature=cfg.temperature,
        mask=mask, groups=groups if cfg.aug_loo_on == "grouped" else None,
    )  # fmt: skip
    probs = torch.stack([P.augmentation_probabilities(a, group, len(TRANSFORMS)) for a in rw.alphas])
    return {"lam": lam, "probs": probs.cpu(), "names": [TRANSFORM_NAMES[t] for t in TRANSFORMS]}


def flip_run(f: Features, cfg: DivaConfig) -> dict:
    """:func:`flip_probabilities` on the first ``cfg.aug_per_class`` CIFAR train images of each class."""
    keep = np.arange(len(f.x_train)) % cfg.n_train_per_class < cfg.aug_per_class
    y = f.y_train[torch.as_tensor(keep, device=f.y_train.device)]
    return flip_probabilities(f.x_train[keep], y, f.encode, cfg)


def digits_flip_run(cfg: DivaConfig) -> dict:
    """:func:`flip_probabilities` on scikit-learn's 1,797 handwritten digits (8x8, 0-16 grey levels), the
    features being the raw pixels / 16 (no network at all). Digits, unlike photos, are not mirror-symmetric."""
    from sklearn.datasets import load_digits  # the data ship inside the scikit-learn wheel

    digits = load_digits()
    dev = torch.device(cfg.device)

    def pixels(x: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(x.reshape(len(x), -1) / 16.0, dtype=torch.float64, device=dev)

    return flip_probabilities(digits.images, torch.as_tensor(digits.target, device=dev), pixels, cfg)
