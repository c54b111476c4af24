"""Weighted ridge regression, its closed-form leave-one-out predictions and their dataset derivative.

Notation (shapes in brackets): features ``Z`` [N, p], one-hot targets ``Y`` [N, C], non-negative
sample weights ``alpha`` [N], ridge ``lam`` > 0. Training minimises
``sum_i alpha_i ||z_i w - y_i||^2 + lam ||w||^2``, so with ``D = diag(alpha)``::

    C = (Z^T D Z + lam I)^-1        w = C Z^T D Y        G = Z C Z^T = K (D K + lam I)^-1,  K = Z Z^T

The *primal* form solves a p x p system, the *dual* (kernel) form an N x N one; both give the same
numbers. Leaving sample ``i`` out is the same as setting ``alpha_i = 0``; by Sherman-Morrison its
prediction is ``u_i = (yhat_i - h_i y_i) / (1 - h_i)`` with ``h_i = alpha_i G_ii``, which stays finite
(and equals ``yhat_i``) when ``alpha_i = 0``.

The leave-one-out loss ``L(alpha) = sum_i m_i l(u_i, y_i) / sum_i m_i`` (``m`` a 0/1 mask of the
samples whose loss counts) has the gradient, with ``r = Y - Yhat``, ``g_i = dl/du_i`` and
``c_i = <g_i, u_i - y_i> / (1 - h_i)``::

    dL/dalpha_j = sum_i G_ij <g_i, r_j> / (1 - h_i) + G_jj c_j - sum_i c_i alpha_i G_ij^2

which :func:`loo_derivative` evaluates in O(N p^2) without forming G, and
:func:`loo_derivative_kernel` from a kernel matrix. Everything runs in float64.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from iclr22lib.diva.config import LOSSES


def one_hot(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Integer labels [N] → float64 one-hot targets [N, C]."""
    return F.one_hot(torch.as_tensor(labels).long(), n_classes).double()


def _check(Z: torch.Tensor, Y: torch.Tensor, alpha: torch.Tensor, lam: float) -> None:
    if Z.dim() != 2 or Y.dim() != 2 or alpha.dim() != 1:
        raise ValueError(
            f"expected Z [N,p], Y [N,C], alpha [N]; got {tuple(Z.shape)}, {tuple(Y.shape)}, "
            f"{tuple(alpha.shape)}"
        )
    if not Z.shape[0] == Y.shape[0] == alpha.shape[0]:
        raise ValueError(f"Z, Y and alpha disagree on N: {Z.shape[0]}, {Y.shape[0]}, {alpha.shape[0]}")
    if not lam > 0:
        raise ValueError(f"lam={lam!r} must be > 0 (the closed forms need an invertible system)")


def _system(Z: torch.Tensor, alpha: torch.Tensor, lam: float) -> torch.Tensor:
    p = Z.shape[1]
    return (Z.T * alpha) @ Z + lam * torch.eye(p, dtype=Z.dtype, device=Z.device)


def fit(Z: torch.Tensor, Y: torch.Tensor, alpha: torch.Tensor, lam: float) -> torch.Tensor:
    """Weights ``w`` [p, C] of weighted ridge regression (primal form, Cholesky solve)."""
    _check(Z, Y, alpha, lam)
    L = torch.linalg.cholesky(_system(Z, alpha, lam))
    return torch.cholesky_solve((Z.T * alpha) @ Y, L)


def fit_dual(Z: torch.Tensor, Y: torch.Tensor, alpha: torch.Tensor, lam: float) -> torch.Tensor:
    """Dual coefficients ``b`` [N, C] with ``w = Z^T b``, from the N x N system ``(D K + lam I) b = D Y``."""
    _check(Z, Y, alpha, lam)
    K = Z @ Z.T
    n = K.shape[0]
    return torch.linalg.solve(
        alpha[:, None] * K + lam * torch.eye(n, dtype=K.dtype, device=K.device), alpha[:, None] * Y
    )


class LOO(NamedTuple):
    """Closed-form leave-one-out quantities, all [N, C] except ``h`` [N]."""

    u: torch.Tensor  # prediction for sample i by the model trained without it
    yhat: torch.Tensor  # training prediction with every sample
    h: torch.Tensor  # alpha_i G_ii, the leverage of sample i


def loo_predictions(
    Z: torch.Tensor, Y: torch.Tensor, alpha: torch.Tensor, lam: float, form: str = "primal"
) -> LOO:
    """Leave-one-out predictions of weighted ridge, without retraining (differentiable in ``alpha``).

    ``form="primal"`` costs O(N p^2), ``form="dual"`` O(N^2 p + N^3): pick the one with the smaller
    of p and N. Both give the same numbers.
    """
    _check(Z, Y, alpha, lam)
    if form == "primal":
        L = torch.linalg.cholesky(_system(Z, alpha, lam))
        A = torch.cholesky_solve(Z.T, L).T  # Z C  [N, p]
        yhat = A @ ((Z.T * alpha) @ Y)
        g_diag = (A * Z).sum(1)
    elif form == "dual":
        return loo_predictions_kernel(Z @ Z.T, Y, alpha, lam)
    else:
        raise ValueError(f"form={form!r}; choose one of 'primal', 'dual'")
    h = alpha * g_diag
    u = Y - (Y - yhat) / (1 - h)[:, None]
    return LOO(u, yhat, h)


def _kernel_hat(K: torch.Tensor, alpha: torch.Tensor, lam: float) -> torch.Tensor:
    """``G = K (D K + lam I)^-1`` [N, N] (symmetric up to rounding; symmetrised)."""
    n = K.shape[0]
    M = alpha[:, None] * K + lam * torch.eye(n, dtype=K.dtype, device=K.device)
    G = torch.linalg.solve(M.T, K.T).T  # K M^-1
    return (G + G.T) / 2


def loo_predictions_kernel(K: torch.Tensor, Y: torch.Tensor, alpha: torch.Tensor, lam: float) -> LOO:
    """Leave-one-out predictions of weighted kernel ridge from the Gram matrix ``K`` [N, N]."""
    if K.dim() != 2 or K.shape[0] != K.shape[1]:
        raise ValueError(f"K must be square [N, N]; got {tuple(K.shape)}")
    _check(K, Y, alpha, lam)
    G = _kernel_hat(K, alpha, lam)
    yhat = G @ (alpha[:, None] * Y)
    h = alpha * torch.diagonal(G)
    u = Y - (Y - yhat) / (1 - h)[:, None]
    return LOO(u, yhat, h)


def loo_predictions_sqrtd(Z: torch.Tensor, Y: torch.Tensor, alpha: torch.Tensor, lam: float) -> torch.Tensor:
    """The paper's form, with ``R = sqrt(D) Z C Z^T sqrt(D)``; undefined (0/0) where ``alpha_i = 0``."""
    _check(Z, Y, alpha, lam)
    s = alpha.sqrt()
    C = torch.linalg.inv(_system(Z, alpha, lam))
    R = (s[:, None] * Z) @ C @ (Z.T * s)
    sY = s[:, None] * Y
    diag = torch.diagonal(R)
    return (R @ sY - diag[:, None] * sY) / (s - s * diag)[:, None]


def per_sample_loss(
    U: torch.Tensor, Y: torch.Tensor, loss: str = "mse", temperature: float = 1.0
) -> torch.Tensor:
    """Loss [N] of predictions ``U`` [N, C] against one-hot ``Y``: squared error, or cross-entropy of
    ``softmax(temperature * U)`` (the regression outputs live on a one-hot scale, hence the temperature)."""
    if loss == "mse":
        return ((U - Y) ** 2).sum(1)
    if loss == "ce":
        return -(torch.log_softmax(temperature * U, dim=1) * Y).sum(1)
    raise ValueError(f"loss={loss!r}; choose one of {', '.join(map(repr, LOSSES))}")


def _loss_grad(U: torch.Tensor, Y: torch.Tensor, loss: str, temperature: float) -> torch.Tensor:
    """d per_sample_loss / dU  [N, C]."""
    if loss == "mse":
        return 2 * (U - Y)
    if loss == "ce":
        return temperature * (torch.softmax(temperature * U, dim=1) - Y)
    raise ValueError(f"loss={loss!r}; choose one of {', '.join(map(repr, LOSSES))}")


def _weights(mask: torch.Tensor | None, n: int, like: torch.Tensor) -> torch.Tensor:
    m = torch.ones(n, dtype=like.dtype, device=like.device) if mask is None else mask.to(like)
    if m.shape != (n,) or m.sum() <= 0:
        raise ValueError(f"mask must be [N]={n} with at least one sample selected")
    return m / m.sum()


def loo_loss(
    Z: torch.Tensor,
    Y: torch.Tensor,
    alpha: torch.Tensor,
    lam: float,
    *,
    loss: str = "mse",
    temperature: float = 1.0,
    mask: torch.Tensor | None = None,
    form: str = "primal",
) -> torch.Tensor:
    """Mean leave-one-out loss over the samples selected by ``mask`` [N] (all by default); a scalar."""
    u = loo_predictions(Z, Y, alpha, lam, form).u
    return (_weights(mask, len(Y), Z) * per_sample_loss(u, Y, loss, temperature)).sum()


def group_loo_predictions(
    Z: torch.Tensor, Y: torch.Tensor, alpha: torch.Tensor, lam: float, groups: torch.Tensor
) -> torch.Tensor:
    """Predictions ``[G, m, C]`` for each group of samples ``groups`` [G, m] (indices) when the whole
    group is left out together, without retraining (differentiable in ``alpha``).

    With the weighted hat ``H_ij = G_ij alpha_j``, leaving out the block ``B`` turns the residuals
    ``r_B`` into ``(I - H_BB)^-1 r_B``: one m x m solve per group, batched. Used when a sample has
    near-copies (its augmentations) that would otherwise stay in training when it is left out.
    """
    _check(Z, Y, alpha, lam)
    if groups.dim() != 2 or groups.numel() == 0 or groups.min() < 0 or groups.max() >= len(Y):
        raise ValueError(
            f"groups must be [G, m] indices into the {len(Y)} samples, got {tuple(groups.shape)}"
        )
    L = torch.linalg.cholesky(_system(Z, alpha, lam))
    ZB = Z[groups]  # [G, m, p]
    A = torch.cholesky_solve(ZB.reshape(-1, Z.shape[1]).T, L).T.reshape(ZB.shape)  # Z_B C
    r = Y[groups] - A @ ((Z.T * alpha) @ Y)  # [G, m, C]
    H = (A @ ZB.transpose(1, 2)) * alpha[groups][:, None, :]  # [G, m, m]
    eye = torch.eye(groups.shape[1], dtype=Z.dtype, device=Z.device)
    return Y[groups] - torch.linalg.solve(eye - H, r)


def group_loo_derivative(
    Z: torch.Tensor,
    Y: torch.Tensor,
    alpha: torch.Tensor,
    lam: float,
    groups: torch.Tensor,
    *,
    loss: str = "mse",
    temperature: float = 1.0,
) -> torch.Tensor:
    """d/dalpha [N] of the mean loss of the *first* member of each group, predicted with its whole group
    left out (autograd through :func:`group_loo_predictions`)."""
    a = alpha.detach().clone().requires_grad_(True)
    u = group_loo_predictions(Z, Y, a, lam, groups)[:, 0]
    value = per_sample_loss(u, Y[groups[:, 0]], loss, temperature).mean()
    (grad,) = torch.autograd.grad(value, a)
    return grad


def _loo_grad_terms(
    Y: torch.Tensor,
    yhat: torch.Tensor,
    h: torch.Tensor,
    mask: torch.Tensor | None,
    loss: str,
    temperature: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """What both forms of the derivative share: ``r = Y - Yhat`` [N, C], the LOO predictions ``u`` [N, C],
    ``g_i = m_i dl/du_i`` [N, C] and ``c_i = <g_i, u_i - y_i> / (1 - h_i)`` [N]."""
    r = Y - yhat
    u = Y - r / (1 - h)[:, None]
    g = _weights(mask, len(Y), yhat)[:, None] * _loss_grad(u, Y, loss, temperature)
    return r, u, g, (g * (u - Y)).sum(1) / (1 - h)


def loo_derivative(
    Z: torch.Tensor,
    Y: torch.Tensor,
    alpha: torch.Tensor,
    lam: float,
    *,
    loss: str = "mse",
    temperature: float = 1.0,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, LOO]:
    """The dataset derivative dL_LOO/dalpha [N] in closed form, O(N p^2 + N p C), no N x N matrix.

    Returns the derivative and the :class:`LOO` predictions it was computed at.
    """
    _check(Z, Y, alpha, lam)
    L = torch.linalg.cholesky(_system(Z, alpha, lam))
    A = torch.cholesky_solve(Z.T, L).T  # Z C  [N, p]
    yhat = A @ ((Z.T * alpha) @ Y)
    g_diag = (A * Z).sum(1)
    h = alpha * g_diag
    r, u, g, c = _loo_grad_terms(Y, yhat, h, mask, loss, temperature)
    term1 = ((A @ (Z.T @ (g / (1 - h)[:, None]))) * r).sum(1)  # sum_i G_ij <g_i, r_j> / (1 - h_i)
    M = (Z.T * (c * alpha)) @ Z  # sum_i c_i alpha_i z_i z_i^T
    term3 = ((A @ M) * A).sum(1)  # sum_i c_i alpha_i G_ij^2
    return term1 + g_diag * c - term3, LOO(u, yhat, h)


def loo_derivative_kernel(
    K: torch.Tensor,
    Y: torch.Tensor,
    alpha: torch.Tensor,
    lam: float,
    *,
    loss: str = "mse",
    temperature: float = 1.0,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, LOO]:
    """The dataset derivative from a Gram matrix ``K`` [N, N] (dual form; e.g. an empirical NTK)."""
    _check(K, Y, alpha, lam)
    G = _kernel_hat(K, alpha, lam)
    yhat = G @ (alpha[:, None] * Y)
    h = alpha * torch.diagonal(G)
    r, u, g, c = _loo_grad_terms(Y, yhat, h, mask, loss, temperature)
    term1 = ((G.T @ (g / (1 - h)[:, None])) * r).sum(1)
    term3 = (G**2).T @ (c * alpha)
    return term1 + torch.diagonal(G) * c - term3, LOO(u, yhat, h)


def val_derivative(
    Z: torch.Tensor,
    Y: torch.Tensor,
    alpha: torch.Tensor,
    lam: float,
    Z_val: torch.Tensor,
    Y_val: torch.Tensor,
    *,
    loss: str = "mse",
    temperature: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """d(mean validation loss)/dalpha [N] for a separate validation set, and that loss (a scalar).

    ``dL_val/dalpha_j = <(Z C Z_val^T G_val)_j, r_j>`` with ``G_val`` the loss gradient at the
    validation predictions.
    """
    _check(Z, Y, alpha, lam)
    L = torch.linalg.cholesky(_system(Z, alpha, lam))
    w = torch.cholesky_solve((Z.T * alpha) @ Y, L)
    r = Y - Z @ w
    pred = Z_val @ w
    gv = _loss_grad(pred, Y_val, loss, temperature) / len(Y_val)
    back = Z @ torch.cholesky_solve(Z_val.T @ gv, L)  # Z C Z_val^T G_val  [N, C]
    return (back * r).sum(1), per_sample_loss(pred, Y_val, loss, temperature).mean()


def select_lambda(
    Z: torch.Tensor, Y: torch.Tensor, grid: tuple[float, ...] | list[float], alpha: torch.Tensor | None = None
) -> tuple[float, list[float]]:
    """The ridge ``lam`` of ``grid`` with the lowest leave-one-out 0-1 error (ties: lowest mean squared
    LOO error); returns it and the LOO error of every grid value. Uses training data only.

    One eigendecomposition of ``Z^T D Z`` serves the whole grid (O(N p^2 + p^3), then O(N p C) per value).
    """
    alpha = torch.ones(len(Y), dtype=Z.dtype, device=Z.device) if alpha is None else alpha
    _check(Z, Y, alpha, min(grid) if len(grid) else 0.0)
    S, V = torch.linalg.eigh((Z.T * alpha) @ Z)
    B = Z @ V  # [N, p]
    BtY = B.T @ (alpha[:, None] * Y)
    labels = Y.argmax(1)
    errs, keys = [], []
    for lam in grid:
        inv = 1.0 / (S.clamp_min(0.0) + float(lam))
        yhat = (B * inv) @ BtY
        h = alpha * ((B**2) @ inv)
        u = Y - (Y - yhat) / (1 - h)[:, None]
        err = u.argmax(1).ne(labels).double().mean().item()
        errs.append(err)
        keys.append((err, per_sample_loss(u, Y).mean().item()))
    best = min(range(len(grid)), key=lambda i: keys[i])
    return float(grid[best]), errs
