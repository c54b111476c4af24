"""The closed forms of iclr22lib.diva.ridge against explicit retraining, autograd and finite differences."""

import pytest
import torch

from iclr22lib.diva import ridge


def problem(n=40, p=12, c=3, seed=0, zero=()):
    g = torch.Generator().manual_seed(seed)
    Z = torch.randn(n, p, generator=g, dtype=torch.float64)
    Y = ridge.one_hot(torch.randint(0, c, (n,), generator=g), c)
    alpha = torch.rand(n, generator=g, dtype=torch.float64) * 1.5 + 0.1
    alpha[list(zero)] = 0.0
    return Z, Y, alpha


def loo_derivative_autograd(Z, Y, alpha, lam, **kw):
    """dL_LOO/dalpha [N] by automatic differentiation through ridge.loo_loss (the oracle)."""
    a = alpha.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(ridge.loo_loss(Z, Y, a, lam, **kw), a)
    return grad


def brute_force_loo(Z, Y, alpha, lam):
    out = []
    for i in range(len(Y)):
        a = alpha.clone()
        a[i] = 0.0
        out.append(Z[i] @ ridge.fit(Z, Y, a, lam))
    return torch.stack(out)


@pytest.mark.parametrize("form", ["primal", "dual"])
def test_closed_form_loo_equals_retraining_without_each_sample(form):
    Z, Y, alpha = problem(zero=(3, 7))
    loo = ridge.loo_predictions(Z, Y, alpha, 0.7, form=form)
    assert torch.allclose(loo.u, brute_force_loo(Z, Y, alpha, 0.7), atol=1e-11, rtol=0)
    # a zero-weight sample is already left out: its LOO prediction is the training prediction
    assert torch.allclose(loo.u[[3, 7]], loo.yhat[[3, 7]], atol=1e-13)


def test_primal_dual_and_paper_form_agree():
    Z, Y, alpha = problem(n=30, p=50)  # p > N: the dual is the natural form
    a = ridge.loo_predictions(Z, Y, alpha, 2.0, form="primal")
    b = ridge.loo_predictions(Z, Y, alpha, 2.0, form="dual")
    c = ridge.loo_predictions_sqrtd(Z, Y, alpha, 2.0)
    assert torch.allclose(a.u, b.u, atol=1e-10) and torch.allclose(a.u, c, atol=1e-10)
    assert torch.allclose(
        Z @ ridge.fit(Z, Y, alpha, 2.0), Z @ (Z.T @ ridge.fit_dual(Z, Y, alpha, 2.0)), atol=1e-10
    )
    assert torch.allclose(a.h, b.h, atol=1e-12)


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_dataset_derivative_equals_autograd_and_finite_differences(loss):
    Z, Y, alpha = problem(zero=(5,))
    mask = torch.ones(len(Y))
    mask[::4] = 0  # loss summed over a subset only, as in DIVA Extend
    kw = {"loss": loss, "temperature": 3.0, "mask": mask}
    grad, _ = ridge.loo_derivative(Z, Y, alpha, 0.5, **kw)
    auto = loo_derivative_autograd(Z, Y, alpha, 0.5, **kw)
    kern, _ = ridge.loo_derivative_kernel(Z @ Z.T, Y, alpha, 0.5, **kw)
    assert torch.allclose(grad, auto, atol=1e-12, rtol=1e-9)
    assert torch.allclose(kern, auto, atol=1e-11, rtol=1e-8)
    eps = 1e-6
    for j in (0, 5, 17, 39):
        up, dn = alpha.clone(), alpha.clone()
        up[j] += eps
        dn[j] -= eps if alpha[j] > 0 else 0.0
        fd = (ridge.loo_loss(Z, Y, up, 0.5, **kw) - ridge.loo_loss(Z, Y, dn, 0.5, **kw)) / (up[j] - dn[j])
        assert abs(fd - grad[j]) < 1e-6 * max(1.0, abs(grad[j]))


def test_validation_derivative_equals_autograd():
    Z, Y, alpha = problem()
    Zv, Yv, _ = problem(n=15, seed=1)
    grad, val = ridge.val_derivative(Z, Y, alpha, 0.9, Zv, Yv)
    a = alpha.clone().requires_grad_(True)
    loss = ridge.per_sample_loss(Zv @ ridge.fit(Z, Y, a, 0.9), Yv).mean()
    (auto,) = torch.autograd.grad(loss, a)
    assert torch.allclose(grad, auto, atol=1e-12) and torch.isclose(val, loss.detach())


def test_lambda_selection_uses_loo_and_bad_inputs_are_refused():
    Z, Y, _ = problem(n=60)
    lam, errs = ridge.select_lambda(Z, Y, (0.01, 1.0, 100.0))
    assert lam in (0.01, 1.0, 100.0) and len(errs) == 3 and errs[[0.01, 1.0, 100.0].index(lam)] == min(errs)
    with pytest.raises(ValueError, match=r"lam=0\.0 must be > 0"):
        ridge.loo_predictions(Z, Y, torch.ones(60, dtype=torch.float64), 0.0)
    with pytest.raises(ValueError, match="choose one of 'mse', 'ce'"):
        ridge.per_sample_loss(Y, Y, loss="hinge")
    with pytest.raises(ValueError, match="disagree on N"):
        ridge.fit(Z, Y[:10], torch.ones(60, dtype=torch.float64), 1.0)


def test_lambda_path_matches_one_solve_per_value():
    Z, Y, alpha = problem(n=50, p=10, zero=(2,))
    _, errs = ridge.select_lambda(Z, Y, (0.1, 3.0), alpha=alpha)
    for lam, err in zip((0.1, 3.0), errs, strict=True):
        u = ridge.loo_predictions(Z, Y, alpha, lam).u
        assert err == u.argmax(1).ne(Y.argmax(1)).double().mean().item()


def test_group_leave_out_equals_retraining_without_the_group():
    g = torch.Generator().manual_seed(3)
    Z = torch.randn(24, 5, generator=g, dtype=torch.float64)
    Y = torch.randn(24, 3, generator=g, dtype=torch.float64)
    alpha = torch.rand(24, generator=g, dtype=torch.float64) + 0.2
    groups = torch.arange(24).view(3, 8).T  # 8 groups of 3, like an image and its two flips
    u = ridge.group_loo_predictions(Z, Y, alpha, 0.7, groups)
    for k, B in enumerate(groups.tolist()):
        a = alpha.clone()
        a[B] = 0.0
        torch.testing.assert_close(u[k], Z[B] @ ridge.fit(Z, Y, a, 0.7))
    # groups of one reduce to the ordinary leave-one-out predictions
    single = ridge.group_loo_predictions(Z, Y, alpha, 0.7, torch.arange(24)[:, None])[:, 0]
    torch.testing.assert_close(single, ridge.loo_predictions(Z, Y, alpha, 0.7).u)
    with pytest.raises(ValueError, match="groups must be"):
        ridge.group_loo_predictions(Z, Y, alpha, 0.7, torch.tensor([[0, 99]]))


def test_group_derivative_matches_finite_differences():
    g = torch.Generator().manual_seed(4)
    Z = torch.randn(12, 4, generator=g, dtype=torch.float64)
    Y = ridge.one_hot(torch.randint(0, 3, (12,), generator=g), 3).double()
    alpha, groups = torch.ones(12, dtype=torch.float64), torch.arange(12).view(2, 6).T

    def value(a):
        u = ridge.group_loo_predictions(Z, Y, a, 0.5, groups)[:, 0]
        return ridge.per_sample_loss(u, Y[groups[:, 0]]).mean()

    grad = ridge.group_loo_derivative(Z, Y, alpha, 0.5, groups)
    eps = 1e-6
    fd = torch.stack(
        [(value(alpha + eps * e) - value(alpha - eps * e)) / (2 * eps) for e in torch.eye(12).double()]
    )
    torch.testing.assert_close(grad, fd, atol=1e-7, rtol=1e-5)
