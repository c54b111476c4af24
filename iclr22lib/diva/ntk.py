"""Full-network linearisation: the empirical neural tangent kernel of a small network, via ``torch.func``.

Linearising a network around its weights ``w0``, ``f_lin(x) = f_w0(x) + J(x) (w - w0)`` with the
per-sample Jacobian ``J(x)`` [C, P], turns training on the squared loss into kernel ridge regression
on the residual targets ``Y - f_w0(X)``. The exact kernel has C x C blocks ``J_i J_j^T``; like many
NTK studies we use the class-shared kernel ``K_ij = tr(J_i J_j^T) / C`` [N, N], after which the scalar
closed forms of :mod:`iclr22lib.diva.ridge` apply to every output (``loo_predictions_kernel``,
``loo_derivative_kernel``). It equals the Gram matrix of the features ``phi_i = vec(J_i) / sqrt(C)``.

Memory is O(N C P) for the Jacobians, computed in batches; meant for small networks (P up to ~1e5 on
a CPU, more on a GPU).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap


class SmallCNN(nn.Module):
    """Two 3x3 conv layers (Leaky-ReLU, as LQF uses) and a linear head; input (B, 3, 32, 32) → (B, C)."""

    def __init__(self, n_classes: int = 10, width: int = 16) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1),
            nn.LeakyReLU(0.1),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.LeakyReLU(0.1),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Linear(8 * width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def jacobian_features(
    model: nn.Module, x: torch.Tensor, batch: int = 64
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample features ``phi`` [N, C*P] (= vec of the Jacobian / sqrt(C)) and outputs ``f_w0(x)`` [N, C].

    ``model`` is evaluated in its current mode (put BatchNorm models in eval mode first).
    """
    params = {k: v.detach() for k, v in model.named_parameters()}

    def f(p, xi):
        return functional_call(model, p, (xi.unsqueeze(0),)).squeeze(0)

    jac_fn = vmap(jacrev(f), in_dims=(None, 0))
    feats, outs = [], []
    for start in range(0, len(x), batch):
        xb = x[start : start + batch]
        jac = jac_fn(params, xb)  # {name: [B, C, *shape]}
        flat = torch.cat([j.flatten(2) for j in jac.values()], dim=2)  # [B, C, P]
        feats.append(flat.flatten(1) / flat.shape[1] ** 0.5)
        with torch.no_grad():
            outs.append(model(xb))
    return torch.cat(feats), torch.cat(outs)


def empirical_ntk(model: nn.Module, x: torch.Tensor, batch: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Class-shared empirical NTK ``K`` [N, N] float64 of ``model`` at ``x``, and the outputs ``f_w0(x)`` [N, C]."""
    phi, out = jacobian_features(model, x, batch)
    phi = phi.double()
    return phi @ phi.T, out.double()
