"""DIVA's procedures on top of the dataset derivative, and the baselines the chapter compares with.

All functions take float64 features ``Z`` [N, p] and one-hot targets ``Y`` [N, C] (see
:mod:`iclr22lib.diva.ridge`) and never retrain in a loop over samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from sklearn.metrics import roc_auc_score

from iclr22lib.diva import ridge


def corrupt_labels(
    labels: torch.Tensor, fraction: float, n_classes: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Replace the labels of ``round(fraction * N)`` random samples by a different, uniformly drawn class.

    Returns the noisy labels [N] and a bool mask [N] of the corrupted samples.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction={fraction!r} must be in [0, 1]")
    g = torch.Generator().manual_seed(seed)
    n = len(labels)
    idx = torch.randperm(n, generator=g)[: round(fraction * n)]
    noisy = labels.clone()
    shift = torch.randint(1, n_classes, (len(idx),), generator=g)
    noisy[idx] = (labels[idx] + shift) % n_classes
    mask = torch.zeros(n, dtype=torch.bool)
    mask[idx] = True
    return noisy, mask


def error_rate(
    Z: torch.Tensor,
    Y: torch.Tensor,
    alpha: torch.Tensor,
    lam: float,
    Z_test: torch.Tensor,
    y_test: torch.Tensor,
) -> float:
    """0-1 error (fraction) on ``(Z_test [M, p], y_test [M])`` of weighted ridge trained on ``Z`` [N, p],
    ``Y`` [N, C] with weights ``alpha`` [N]."""
    keep = alpha > 0  # zero-weight samples do not change the fit; dropping them saves time
    w = ridge.fit(Z[keep], Y[keep], alpha[keep], lam)
    return (Z_test @ w).argmax(1).ne(y_test).double().mean().item()


@dataclass
class ReweightResult:
    """Weights after each step ``alphas[0..steps]`` [steps+1, N] and the derivative at each step [steps, N]."""

    alphas: torch.Tensor
    grads: torch.Tensor

    @property
    def alpha(self) -> torch.Tensor:
        """The final weights [N]."""
        return self.alphas[-1]


def reweight(
    Z: torch.Tensor,
    Y: torch.Tensor,
    lam: float,
    *,
    steps: int = 3,
    lr: float = 0.1,
    loss: str = "mse",
    temperature: float = 1.0,
    alpha0: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
    groups: torch.Tensor | None = None,
    keep_total: bool = True,
) -> ReweightResult:
    """DIVA Reweight: a few projected gradient steps ``alpha <- max(0, alpha - lr * grad / mean|grad|)``.

    The step is scaled by the mean absolute derivative so that ``lr`` is the mean relative change of a
    weight per step (the loss's normalisation drops out). With ``keep_total`` the weights are rescaled
    after each step to their starting sum: the overall scale of alpha acts like 1/lam, and lam was
    already chosen, so only the relative weights should move. Starts from ``alpha0`` (ones by default).
    With ``groups`` [G, m] the objective is the group leave-out loss of each group's first member
    (:func:`ridge.group_loo_derivative`; ``mask`` is then ignored).
    """
    if steps < 1 or not lr > 0:
        raise ValueError(f"steps={steps} must be >= 1 and lr={lr} > 0")
    alpha = torch.ones(len(Y), dtype=Z.dtype, device=Z.device) if alpha0 is None else alpha0.clone()
    total = alpha.sum()
    alphas, grads = [alpha], []
    for _ in range(steps):
        if groups is None:
            grad, _ = ridge.loo_derivative(Z, Y, alpha, lam, loss=loss, temperature=temperature, mask=mask)
        else:
            grad = ridge.group_loo_derivative(Z, Y, alpha, lam, groups, loss=loss, temperature=temperature)
        alpha = (alpha - lr * grad / grad.abs().mean().clamp_min(1e-300)).clamp_min(0.0)
        if keep_total:
            alpha = alpha * total / alpha.sum().clamp_min(1e-300)
        alphas.append(alpha)
        grads.append(grad)
    return ReweightResult(torch.stack(alphas), torch.stack(grads))


def detrimental(grad: torch.Tensor, eps: float = 0.0) -> torch.Tensor:
    """Bool mask [N] of samples whose up-weighting raises the LOO loss by more than ``eps``."""
    return grad > eps


def auc(scores: torch.Tensor, positives: torch.Tensor) -> float:
    """Area under the ROC curve of ``scores`` [N] for the bool labels ``positives`` [N] (ties count half;
    scikit-learn's ``roc_auc_score``)."""
    n_pos = int(positives.sum())
    if n_pos == 0 or n_pos == len(positives):
        raise ValueError("AUC needs at least one positive and one negative sample")
    return float(roc_auc_score(positives.cpu().numpy(), scores.detach().cpu().numpy()))


def f1(selected: torch.Tensor, positives: torch.Tensor) -> float:
    """F1 score of a bool selection [N] against bool labels [N] (0 when nothing is selected)."""
    tp = (selected & positives).sum().item()
    if tp == 0:
        return 0.0
    precision, recall = tp / selected.sum().item(), tp / positives.sum().item()
    return 2 * precision * recall / (precision + recall)


@dataclass
class ExtendResult:
    """Pool indices in the order DIVA Extend added them, and how many were added by each round."""

    order: list[int]
    round_sizes: list[int]


def extend(
    Z_core: torch.Tensor,
    Y_core: torch.Tensor,
    Z_pool: torch.Tensor,
    Y_pool: torch.Tensor,
    lam: float,
    *,
    k: int,
    max_rounds: int = 10,
    loss: str = "mse",
    temperature: float = 1.0,
) -> ExtendResult:
    """DIVA Extend: core samples weigh 1, pool samples 0; each round adds the ``k`` pool samples with the
    most negative derivative of the core's LOO loss, until none is negative or ``max_rounds`` is reached.

    The LOO loss is summed over the core only (the pool may be noisy); pool samples enter through alpha.
    """
    if k < 1 or max_rounds < 1:
        raise ValueError(f"k={k} and max_rounds={max_rounds} must be >= 1")
    Z = torch.cat([Z_core, Z_pool])
    Y = torch.cat([Y_core, Y_pool])
    n_core = len(Y_core)
    alpha = torch.cat([torch.ones(n_core, dtype=Z.dtype), torch.zeros(len(Y_pool), dtype=Z.dtype)]).to(
        Z.device
    )
    mask = torch.zeros(len(Y), dtype=torch.bool, device=Z.device)
    mask[:n_core] = True
    order: list[int] = []
    sizes: list[int] = []
    for _ in range(max_rounds):
        grad, _ = ridge.loo_derivative(Z, Y, alpha, lam, loss=loss, temperature=temperature, mask=mask)
        pool_grad = grad[n_core:].clone()
        pool_grad[alpha[n_core:] > 0] = float("inf")  # already added
        candidates = torch.nonzero(pool_grad < 0).flatten()
        if len(candidates) == 0:
            break
        pick = candidates[torch.argsort(pool_grad[candidates])[:k]]
        alpha[n_core + pick] = 1.0
        order.extend(pick.tolist())
        sizes.append(len(pick))
    return ExtendResult(order, sizes)


def augmentation_probabilities(alpha: torch.Tensor, group: torch.Tensor, n_groups: int) -> torch.Tensor:
    """Share of the total weight held by each transform: ``p_k = sum_{i in group k} alpha_i / sum_i alpha_i``."""
    totals = torch.zeros(n_groups, dtype=alpha.dtype, device=alpha.device).index_add_(0, group, alpha)
    return totals / totals.sum()


# ----------------------------------------------------------------------------------------------- baselines


def loss_ranking_scores(Z: torch.Tensor, Y: torch.Tensor, lam: float) -> torch.Tensor:
    """Baseline detector: the training loss ``||y_i - yhat_i||^2`` [N] of the uniformly weighted fit."""
    alpha = torch.ones(len(Y), dtype=Z.dtype, device=Z.device)
    yhat = Z @ ridge.fit(Z, Y, alpha, lam)
    return ((Y - yhat) ** 2).sum(1)


def ren_weights(
    Z: torch.Tensor,
    Y: torch.Tensor,
    lam: float,
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    loss: str = "mse",
    temperature: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Learning to reweight (Ren et al., 2018) with the closed form: hold out ``val_fraction`` of the
    training set as validation, weight each remaining sample by ``max(0, -dL_val/dalpha)`` at uniform
    weights, normalised to mean 1. Returns the weights [N] (0 on the held-out part) and the held-out mask.
    """
    g = torch.Generator().manual_seed(seed)
    n = len(Y)
    held = torch.zeros(n, dtype=torch.bool)
    held[torch.randperm(n, generator=g)[: round(val_fraction * n)]] = True
    held = held.to(Z.device)
    tr = ~held
    grad, _ = ridge.val_derivative(
        Z[tr],
        Y[tr],
        torch.ones(int(tr.sum()), dtype=Z.dtype, device=Z.device),
        lam,
        Z[held],
        Y[held],
        loss=loss,
        temperature=temperature,
    )
    w = (-grad).clamp_min(0.0)
    alpha = torch.zeros(n, dtype=Z.dtype, device=Z.device)
    alpha[tr] = w / w.mean().clamp_min(1e-300)
    return alpha, held


def chang_weights(Z: torch.Tensor, Y: torch.Tensor, lam: float, *, temperature: float = 10.0) -> torch.Tensor:
    """Active bias (Chang et al., 2017), "threshold closeness" variant: weight each sample by
    ``p_i (1 - p_i)`` plus its mean, where ``p_i`` is the softmax probability of its label under the
    model trained without it (closed-form LOO outputs x ``temperature``); normalised to mean 1 [N].

    Chang et al. take ``p`` from the history of SGD predictions; a closed-form linear model has no
    history, so its leave-one-out prediction stands in for it.
    """
    alpha = torch.ones(len(Y), dtype=Z.dtype, device=Z.device)
    u = ridge.loo_predictions(Z, Y, alpha, lam).u
    p = (torch.softmax(temperature * u, dim=1) * Y).sum(1)
    w = p * (1 - p)
    w = w + w.mean()
    return w / w.mean()
