import math

import pytest
import torch

from iclr22lib import grda


def three_node_case():
    # outputs of D for one sample of each of three domains; graph 0-1, 1-2 linked, 0-2 not
    d = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 1.0]]])  # [N=3, B=1, 2]
    adj = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    return d, adj


def test_graph_loss_equals_hand_computed_value():
    d, adj = three_node_case()
    # pair logits: <d0,d1> = 0 (linked), <d1,d2> = 1 (linked), <d0,d2> = 1 (not linked)
    linked = (math.log(2) + math.log(1 + math.exp(-1))) / 2
    unlinked = math.log(1 + math.exp(1))
    expected = 3 * 0.5 * (linked + unlinked)  # = 1.5 * (0.50320 + 1.31326)
    got = grda.graph_discriminator_loss(d, adj)
    assert float(got) == pytest.approx(expected, rel=1e-6)
    assert float(got) == pytest.approx(2.72470, abs=1e-4)


def test_graph_loss_of_a_silent_discriminator_is_n_ln2_and_subgraph_uses_its_pairs():
    adj = grda.load_dg("dg15").adj
    zero = torch.zeros(15, 4, 2)
    assert float(grda.graph_discriminator_loss(zero, adj)) == pytest.approx(15 * math.log(2))
    d, adj3 = three_node_case()
    big = torch.cat([d, torch.randn(2, 1, 2)])  # two extra domains that the sub-graph leaves out
    adj5 = torch.zeros(5, 5)
    adj5[:3, :3] = adj3
    sub = grda.graph_discriminator_loss(big, adj5, torch.tensor([0, 1, 2]))
    # same pairs as the 3-node case, scaled by N = 5 instead of 3
    assert float(sub) == pytest.approx(float(grda.graph_discriminator_loss(d, adj3)) * 5 / 3, rel=1e-6)


def test_samples_are_paired_by_position_and_averaged():
    d, adj = three_node_case()
    d2 = torch.cat([d, -d], dim=1)  # second sample: all signs flipped, same dot products
    assert float(grda.graph_discriminator_loss(d2, adj)) == pytest.approx(
        float(grda.graph_discriminator_loss(d, adj)), rel=1e-6
    )


def _nets(seed=0):
    torch.manual_seed(seed)
    enc, disc = torch.nn.Linear(3, 4).double(), torch.nn.Linear(4, 2).double()
    x = torch.randn(3, 5, 3, dtype=torch.double)
    head = torch.randn(4, dtype=torch.double)
    return enc, disc, x, head


@pytest.mark.parametrize("lam", [0.5, 1.0, 2.0])
def test_gradient_reversal_gives_full_gradient_to_d_and_minus_lambda_to_e(lam):
    _, adj = three_node_case()
    enc, disc, x, head = _nets()

    def losses():
        e = enc(x)
        return (e @ head).pow(2).mean(), e

    # what each player should receive: D the plain gradient of L_d, E that of L_f - lam * L_d
    lf, e = losses()
    ld = grda.graph_discriminator_loss(disc(e), adj)
    g_d = torch.autograd.grad(ld, list(disc.parameters()), retain_graph=True)
    g_e = torch.autograd.grad(lf - lam * ld, list(enc.parameters()))
    # the library's single backward pass through the reversal layer
    lf, e = losses()
    total = lf + grda.graph_discriminator_loss(disc(grda.grad_reverse(e, lam)), adj)
    got = torch.autograd.grad(total, [*disc.parameters(), *enc.parameters()])
    for a, b in zip(got, (*g_d, *g_e), strict=True):
        torch.testing.assert_close(a, b)


def test_reversal_gradient_matches_finite_differences():
    _, adj = three_node_case()
    adj = adj.double()  # float64 throughout, so that central differences are exact to ~1e-9
    enc, disc, x, _ = _nets(1)
    w = disc.weight
    loss = grda.graph_discriminator_loss(disc(grda.grad_reverse(enc(x), 1.0)), adj)
    (g,) = torch.autograd.grad(loss, [w])
    h, num = 1e-6, torch.zeros_like(w)
    with torch.no_grad():
        for i in range(w.numel()):
            w.view(-1)[i] += h
            up = grda.graph_discriminator_loss(disc(enc(x)), adj)
            w.view(-1)[i] -= 2 * h
            down = grda.graph_discriminator_loss(disc(enc(x)), adj)
            w.view(-1)[i] += h
            num.view(-1)[i] = (up - down) / (2 * h)
    torch.testing.assert_close(g, num, rtol=1e-5, atol=1e-8)
    assert g.abs().max() > 1e-3  # a real gradient, not a trivially zero one


@pytest.mark.parametrize("coupling,factor", [("fixed", 1.0), ("official", 0.25)])
def test_train_step_discriminator_gradient(coupling, factor):
    """The fixed update hands D its full gradient; the official one (1 - lambda) of it (lambda = 0.75)."""
    data = grda.load_dg("dg15")
    cfg = grda.config("smoke", hidden=8)
    nets = grda.build("grda", data, cfg)
    x, y = data.x[:, :4], data.y[:, :4]
    nodes = torch.arange(15)
    e = nets.encoder(x, data.embed[:, None].expand(-1, 4, -1))
    ld = grda.graph_discriminator_loss(nets.disc(e), data.adj, nodes)
    want = torch.autograd.grad(ld, list(nets.disc.parameters()))
    opt_ef = torch.optim.SGD([*nets.encoder.parameters(), *nets.predictor.parameters()], lr=0.0)
    opt_d = torch.optim.SGD(nets.disc.parameters(), lr=0.0)
    grda.train_step(nets, (opt_ef, opt_d), "grda", x, y, data, nodes, lambda_d=0.75, coupling=coupling)
    for p, g in zip(nets.disc.parameters(), want, strict=True):
        torch.testing.assert_close(p.grad, factor * g, rtol=1e-4, atol=1e-7)


def test_domain_classifier_loss_and_subgraph_sampler():
    logits = torch.zeros(4, 3, 4)
    assert float(grda.domain_classifier_loss(logits)) == pytest.approx(math.log(4))
    logits[torch.arange(4), :, torch.arange(4)] = 50.0
    assert float(grda.domain_classifier_loss(logits)) < 1e-6
    adj = grda.load_dg("dg15").adj
    g = torch.Generator().manual_seed(0)
    for _ in range(50):
        nodes = grda.sample_subgraph(adj, 10, g)
        assert len(nodes) == 10 and len(set(nodes.tolist())) == 10 and nodes.max() < 15
    with pytest.raises(ValueError, match="cannot sample 16 distinct domains from a graph of 15"):
        grda.sample_subgraph(adj, 16)


def test_adda_and_mdd_losses_hand_computed():
    mask = torch.tensor([True, False, True])
    assert float(grda.source_target_loss(torch.zeros(3, 2), mask)) == pytest.approx(math.log(2))
    logits = torch.tensor([[2.0], [-1.0], [0.0]])  # one sample per domain; sources are domains 0 and 2
    want = (math.log1p(math.exp(-2)) + math.log1p(math.exp(-1)) + math.log(2)) / 3
    assert float(grda.source_target_loss(logits, mask)) == pytest.approx(want, rel=1e-6)
    # an undecided auxiliary head: ln 2 of disagreement on the source, -log(1 - 1/2) on the target
    adv, pred = torch.zeros(2, 1, 2), torch.zeros(2, 1, dtype=torch.long)
    two = torch.tensor([True, False])
    assert float(grda.mdd_loss(adv, pred, two, margin=4.0)) == pytest.approx(5 * math.log(2), rel=1e-6)
    adv[1, 0] = torch.tensor([0.0, math.log(3.0)])  # target head puts 3/4 on class 1, pred is class 0
    assert float(grda.mdd_loss(adv, pred, two, margin=4.0)) == pytest.approx(4 * math.log(2) - math.log(0.75))
