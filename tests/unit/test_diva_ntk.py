"""The empirical NTK of iclr22lib.diva.ntk against explicit autograd Jacobians, and its LOO closed form."""

import torch

from iclr22lib.diva import ntk, ridge


def test_ntk_equals_explicit_jacobian_products_and_gives_exact_loo():
    torch.manual_seed(0)
    model = ntk.SmallCNN(n_classes=3, width=4).double()
    x = torch.randn(6, 3, 32, 32, dtype=torch.float64)
    K, f0 = ntk.empirical_ntk(model, x, batch=4)
    rows = []
    for i in range(6):
        J = []
        for c in range(3):
            model.zero_grad()
            model(x[i : i + 1])[0, c].backward()
            J.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
        rows.append(torch.stack(J))  # [C, P]
    expected = torch.stack([torch.stack([(a * b).sum() / 3 for b in rows]) for a in rows])
    assert torch.allclose(K, expected, rtol=1e-10, atol=1e-10)
    assert torch.allclose(f0, model(x).detach())
    # leave-one-out on the linearised network: kernel form == primal form on the Jacobian features
    phi, _ = ntk.jacobian_features(model, x, batch=4)
    Y = ridge.one_hot(torch.tensor([0, 1, 2, 0, 1, 2]), 3) - f0
    alpha = torch.tensor([1.0, 0.5, 2.0, 1.0, 0.0, 1.5], dtype=torch.float64)
    u_kernel = ridge.loo_predictions_kernel(K, Y, alpha, 0.3).u
    u_primal = ridge.loo_predictions(phi.double(), Y, alpha, 0.3, form="dual").u
    assert torch.allclose(u_kernel, u_primal, atol=1e-9)
