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


def test_linearised_helpers_match_primal_ridge_and_brute_force():
    from iclr22lib.diva import linearised as lin

    g = torch.Generator().manual_seed(3)
    Z = torch.randn(30, 5, generator=g, dtype=torch.float64)
    Zt = torch.randn(7, 5, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 3, (30,), generator=g)
    Y = ridge.one_hot(labels, 3)
    alpha = torch.rand(30, generator=g, dtype=torch.float64) + 0.5
    w = ridge.fit(Z, Y, alpha, 0.7)
    assert torch.allclose(lin.kernel_ridge_predict(Zt @ Z.T, Z @ Z.T, Y, alpha, 0.7), Zt @ w, atol=1e-10)
    # the chosen ridge has the lowest LOO error, found by explicit leave-one-out refits
    grid = (0.01, 1.0, 100.0)
    offset = torch.zeros_like(Y)
    errs = []
    for lam in grid:
        wrong = 0
        for i in range(30):
            keep = torch.arange(30) != i
            wi = ridge.fit(Z[keep], Y[keep], torch.ones(29, dtype=torch.float64), lam)
            wrong += int((Z[i] @ wi).argmax() != labels[i])
        errs.append(wrong)
    assert lin.select_lambda_kernel(Z @ Z.T, Y, offset, labels, grid) == grid[errs.index(min(errs))]


def test_pretraining_learns_a_colour_rule():
    from iclr22lib.diva import linearised as lin

    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 10, (200,), generator=g)
    x = torch.randint(0, 40, (200, 32, 32, 3), generator=g).numpy().astype("uint8")
    x[..., 0] += (20 * y.numpy()).astype("uint8")[:, None, None]  # red level encodes the class
    xt = lin.to_tensor(x)
    net = lin.pretrain_cnn(xt, y, width=4, epochs=30, seed=0, batch=50, lr=1e-2)
    assert net(xt).argmax(1).eq(y).double().mean() > 0.8
