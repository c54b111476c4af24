"""DIVA on a full-network linearisation: a small CNN pretrained on other images, its empirical NTK on the
task images, and the dataset derivative in kernel form (the paper's LQF setting in miniature).

The pretraining images and the task images are disjoint slices of the CIFAR-10 subset (pretraining starts
after the task images of each class), so the task's labels, clean or noisy, never touch the weights
``w0`` the network is linearised around.
"""

from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn.functional as F

from iclr22lib.core.images import load_cifar10_jpeg
from iclr22lib.core.progress import progress
from iclr22lib.core.training import optimizer_step
from iclr22lib.diva import procedures as P
from iclr22lib.diva import ridge
from iclr22lib.diva.config import DivaConfig
from iclr22lib.diva.ntk import SmallCNN, jacobian_features

N_CLASSES = 10


def to_tensor(x: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """Images ``(N, 32, 32, 3)`` uint8 → ``[N, 3, 32, 32]`` float32 in [-0.5, 0.5]."""
    return torch.as_tensor(x, device=device).permute(0, 3, 1, 2).float() / 255.0 - 0.5


def pretrain_cnn(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    width: int,
    epochs: int,
    seed: int,
    batch: int = 128,
    lr: float = 3e-3,
) -> SmallCNN:
    """Train :class:`SmallCNN` with cross-entropy (Adam) on images ``x`` [N, 3, 32, 32], labels ``y`` [N]."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = SmallCNN(N_CLASSES, width).to(x.device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    for epoch in progress(range(epochs), desc="pretrain CNN"):
        for idx in torch.randperm(len(x), generator=g).split(batch):
            idx = idx.to(x.device)
            loss = F.cross_entropy(net(x[idx]), y[idx])
            optimizer_step(opt, loss, step=f"epoch {epoch}", what="CNN pretraining loss")
    return net.eval()


def kernel_ridge_predict(
    K_cross: torch.Tensor, K: torch.Tensor, Y: torch.Tensor, alpha: torch.Tensor, lam: float
) -> torch.Tensor:
    """Predictions [M, C] of weighted kernel ridge at new points, from ``K_cross`` [M, N] and ``K`` [N, N]."""
    M = alpha[:, None] * K + lam * torch.eye(len(K), dtype=K.dtype, device=K.device)
    return K_cross @ torch.linalg.solve(M, alpha[:, None] * Y)


def select_lambda_kernel(
    K: torch.Tensor, R: torch.Tensor, offset: torch.Tensor, labels: torch.Tensor, grid: tuple[float, ...]
) -> float:
    """The ridge of ``grid`` whose leave-one-out predictions ``offset + u(R)`` [N, C] have the lowest 0-1
    error on ``labels`` [N] (training data only; ties: the smaller ridge). ``R`` [N, C] are the regression
    targets (the residuals for a linearised network), ``K`` [N, N] the Gram matrix."""
    ones = torch.ones(len(R), dtype=K.dtype, device=K.device)
    errs = [
        (offset + ridge.loo_predictions_kernel(K, R, ones, lam).u).argmax(1).ne(labels).double().mean()
        for lam in grid
    ]
    return float(grid[int(torch.stack(errs).argmin())])


def ntk_noise_run(cfg: DivaConfig, noise: float, seed: int, root: str | os.PathLike | None = None) -> dict:
    """Pretrain the CNN on ``cfg.ntk_pretrain_per_class`` images per class, linearise it, corrupt a share
    ``noise`` of the ``cfg.ntk_per_class``-per-class task labels and rank the task samples by the kernel
    dataset derivative (and, for comparison, by the linearised model's training loss).

    Returns detection AUC / F1 of both rankings, the test error of the pretrained CNN, of the linearised
    model on the noisy labels, and of the linearised model with the flagged samples dropped, plus the
    kernel's size (``n_params`` = P of the CNN)."""
    dev = torch.device(cfg.device)
    x_pre, y_pre = load_cifar10_jpeg(
        "train", per_class=cfg.ntk_pretrain_per_class, offset=cfg.ntk_per_class, root=root
    )
    x_tr, y_tr = load_cifar10_jpeg("train", per_class=cfg.ntk_per_class, root=root)
    x_te, y_te = load_cifar10_jpeg("test", per_class=cfg.ntk_test_per_class, root=root)
    net = pretrain_cnn(
        to_tensor(x_pre, dev),
        torch.as_tensor(y_pre, device=dev),
        width=cfg.ntk_width,
        epochs=cfg.ntk_epochs,
        seed=seed,
    )
    y_noisy, is_noisy = P.corrupt_labels(torch.as_tensor(y_tr), noise, N_CLASSES, seed=seed)
    phi_tr, f0_tr = jacobian_features(net, to_tensor(x_tr, dev))
    phi_te, f0_te = jacobian_features(net, to_tensor(x_te, dev))
    K = (phi_tr @ phi_tr.T).double()
    K_te = (phi_te @ phi_tr.T).double()
    Y = ridge.one_hot(y_noisy.to(dev), N_CLASSES).double()
    R = Y - f0_tr.double()  # the linearised model fits the residual of the network's outputs
    lam = select_lambda_kernel(K, R, f0_tr.double(), y_noisy.to(dev), cfg.lam_grid)
    ones = torch.ones(len(Y), dtype=K.dtype, device=dev)
    grad, loo = ridge.loo_derivative_kernel(K, R, ones, lam, loss="mse")
    loss_scores = ((R - loo.yhat) ** 2).sum(1)
    y_te_t = torch.as_tensor(y_te, device=dev)

    def err(alpha):
        pred = f0_te.double() + kernel_ridge_predict(K_te, K, R, alpha, lam)
        return pred.argmax(1).ne(y_te_t).double().mean().item()

    flagged = P.detrimental(grad)
    return {
        "noise": noise,
        "seed": seed,
        "lam": lam,
        "n_task": len(Y),
        "n_params": phi_tr.shape[1] // N_CLASSES,
        "auc_diva": P.auc(grad.cpu(), is_noisy),
        "f1_diva": P.f1(flagged.cpu(), is_noisy),
        "auc_loss": P.auc(loss_scores.cpu(), is_noisy),
        "err_cnn": net(to_tensor(x_te, dev)).argmax(1).ne(y_te_t).double().mean().item(),
        "err_linearised": err(ones),
        "err_drop": err((~flagged).double()),
    }
