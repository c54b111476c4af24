"""The gradient-matching objective: JVP derivative vs finite differences, reward, sampling, a search step."""

import torch

from iclr22lib.deepaa import models, policy, search, space


def tiny_setup(dtype=torch.float64):
    torch.manual_seed(0)
    model = models.SmallCNN(width=4).to(dtype).eval()
    sp = space.build_space(3)
    gen = torch.Generator().manual_seed(1)
    x = torch.randint(0, 256, (1, 3, 8, 8), generator=gen, dtype=torch.uint8)
    xv = torch.randint(0, 256, (5, 3, 8, 8), generator=gen, dtype=torch.uint8)
    return model, sp, x, xv


def test_jvp_importance_equals_finite_differences():
    model, sp, x, xv = tiny_setup()
    oracle = search.GradientOracle(model)
    c = 3
    g_val = oracle.grad(xv, torch.full((5,), c), torch.full((5,), 0.2, dtype=torch.float64))
    n_prev, t = 2, len(sp)
    gen = torch.Generator().manual_seed(2)
    xs = policy.fixed_policy(sp, ("RandCrop",), "crop").apply(x.expand(n_prev, -1, -1, -1), gen)
    x_aug = policy.apply_choices(xs.repeat_interleave(t, 0), sp, torch.arange(t).repeat(n_prev), gen)
    y = torch.full((len(x_aug),), c)
    p = torch.softmax(torch.randn(t, generator=gen, dtype=torch.float64), 0)
    cos, imp = search.importance(oracle, g_val, x_aug, y, p, n_prev)

    def cos_of(q):
        return search.importance(oracle, g_val, x_aug, y, q, n_prev)[0]

    eps = 1e-6
    for k in (0, 7, 13, 28):
        e = torch.zeros(t, dtype=torch.float64)
        e[k] = eps
        fd = (cos_of(p + e) - cos_of(p - e)) / (2 * eps)
        assert abs(float(fd) - float(imp[k])) < 1e-6 * max(1.0, abs(float(fd))), (k, float(fd), float(imp[k]))
    # the cosine itself equals the formula with A from plain autograd (no torch.func)
    w = p.repeat(n_prev) / n_prev
    loss = (torch.nn.functional.cross_entropy(model(x_aug.double()), y, reduction="none") * w).sum()
    a = torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, list(model.parameters()))])
    assert torch.allclose(cos, (g_val @ a) / (g_val.norm() * a.norm()), atol=1e-10)


def test_reward_variance_penalty():
    imp = torch.tensor([[1.0, 2.0], [3.0, 2.0]])
    assert torch.allclose(search.reward(imp, False), torch.tensor([2.0, 2.0]))
    assert torch.allclose(search.reward(imp, True), torch.tensor([1.0, 2.0]))


def test_sampling_frequencies_match_softmax():
    sp = space.build_space(3)
    gen = torch.Generator().manual_seed(0)
    probs = torch.softmax(torch.randn(2, len(sp), generator=gen, dtype=torch.float64), 1)
    pol = policy.Policy(sp, probs)
    n = 200_000
    draws = pol.sample(n, gen)
    freq = torch.stack([torch.bincount(draws[:, k], minlength=len(sp)) for k in range(2)]).double() / n
    # 5 binomial standard deviations per choice
    assert ((freq - probs).abs() <= 5 * (probs * (1 - probs) / n).sqrt() + 1e-9).all()


def test_identity_init_and_official_policy_roundtrip():
    sp = space.build_space(13)
    p = torch.softmax(search.identity_logits(sp), 0)
    assert abs(float(p[sp.index("Identity")]) - 0.9557) < 1e-3
    from iclr22lib.core.data import fetch

    pol = policy.load_official_policy(fetch("deepaa_official_policies") / "policy_DeepAA_cifar_1.npz", sp)
    assert pol.n_layers == 6 and torch.allclose(pol.probs.sum(1), torch.ones(6, dtype=torch.float64))
    mass = pol.op_mass()
    assert float(mass[5, space.OP_INDEX["Identity"]]) > 0.95
    assert (
        float(mass[1, space.OP_INDEX["RandCutout"]]) > 0.9
        and float(mass[2, space.OP_INDEX["RandCrop"]]) > 0.85
    )


def test_policy_gradient_formula_matches_autograd():
    gen = torch.Generator().manual_seed(0)
    theta = torch.randn(29, generator=gen, dtype=torch.float64, requires_grad=True)
    r = torch.randn(29, generator=gen, dtype=torch.float64)
    (-3.0 * (r * torch.softmax(theta, 0)).sum()).backward()
    assert torch.allclose(search.softmax_objective_grad(theta.detach(), r, 3.0), theta.grad)


def test_search_avoids_a_harmful_op():
    """Colour-coded toy task (class = dominant colour): Invert swaps the colour cue, so the search must
    lower its probability several-fold; the second layer then runs on top of the first."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    y = torch.arange(48) % 2
    base = torch.randint(0, 60, (48, 3, 8, 8), generator=gen).float()
    base[:, 0] += 150 * (y == 0)[:, None, None].float()
    base[:, 2] += 150 * (y == 1)[:, None, None].float()
    x = base.to(torch.uint8)
    model = models.SmallCNN(n_classes=2, width=4)
    from iclr22lib.deepaa import train

    train.train_model(model, x, y, policy.identity_policy(space.build_space(3)), epochs=15, batch_size=16,
                      lr=0.05, weight_decay=0.0, seed=0)  # fmt: skip
    sp = space.build_space(3)
    data = search.SearchData(x[:24], y[:24], x[24:], y[24:], n_classes=2)
    res = search.search_policy(
        model,
        data,
        sp,
        n_layers=2,
        steps=6,
        n_points=4,
        n_val=8,
        n_prev=2,
        lr=0.3,
        stop_identity=1.1,
        n_probe=2,
    )
    p1 = res.policy.probs[0]
    init = torch.softmax(search.identity_logits(sp), 0)
    inv = sp.index("Invert")
    assert p1[inv] < init[inv] / 5
    assert res.policy.n_layers == 2 and not res.stopped
    assert all(len(log.cos) == 6 and all(abs(c) <= 1 for c in log.cos) for log in res.logs)


def test_full_config_runs_one_step_on_cpu():
    """The FULL preset (WRN-40-2, 139 choices): one pretraining step and one search step on CPU."""
    cfg = __import__("iclr22lib.deepaa", fromlist=["config"]).config(
        "full", device="cpu", allow_cpu_full=True
    )
    assert cfg.model == "wrn-40-2" and cfg.l_mags == 13 and cfg.n_seeds == 3
    sp = space.build_space(cfg.l_mags)
    assert len(sp) == 139
    model = models.build_model(cfg.model)
    assert 2.1e6 < sum(p.numel() for p in model.parameters()) < 2.3e6
    gen = torch.Generator().manual_seed(0)
    # 8x8 images keep the CPU cost of a 2.2M-parameter network small; the network is fully convolutional
    x = torch.randint(0, 256, (8, 3, 8, 8), generator=gen, dtype=torch.uint8)
    y = torch.arange(8) % 2
    from iclr22lib.deepaa import train

    pol = policy.baseline_policies(sp)["crop+flip+cutout"]
    losses = train.train_model(model, x, y, pol, epochs=1, batch_size=cfg.batch_size, lr=cfg.lr,
                               weight_decay=cfg.weight_decay, seed=0, max_steps=1)  # fmt: skip
    assert len(losses) == 1 and losses[0] > 0
    oracle = search.GradientOracle(model.eval())
    data = search.SearchData(x, y, x, y, n_classes=2)
    # one data point with the full choice set (139 augmented copies, one JVP)
    cos, imp = search.point_terms(
        oracle, data, sp, policy.identity_policy(sp), torch.softmax(search.identity_logits(sp), 0),
        n_val=2, n_prev=1, gen=gen,
    )  # fmt: skip
    assert imp.shape == (139,) and torch.isfinite(imp).all() and -1 <= float(cos) <= 1


def test_config_rejects_bad_values():
    import pytest

    from iclr22lib.core.config import ConfigError
    from iclr22lib.deepaa import config

    with pytest.raises(ConfigError, match="l_mags"):
        config("smoke", device="cpu", l_mags=4)
    with pytest.raises(ConfigError, match="unknown parameter"):
        config("smoke", device="cpu", dataset="imagenet")
    with pytest.raises(ConfigError, match="2000 train images"):
        config("smoke", device="cpu", pretrain_per_class=1000, search_per_class=1000, val_per_class=100)
