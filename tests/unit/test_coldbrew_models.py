"""Structural embeddings, virtual neighbours, FCR and the config of Cold Brew."""

import math

import pytest
import torch

from iclr22lib import coldbrew as cb
from iclr22lib.core.config import ConfigError
from iclr22lib.core.graphs import gcn_adjacency


def test_se_penalty_value_and_gradient_by_hand():
    e1 = torch.tensor([[1.0, 2.0], [0.0, -2.0]], requires_grad=True)  # ||e1||^2 = 9
    e2 = torch.tensor([[3.0], [4.0]], requires_grad=True)  # ||e2||^2 = 25
    paper = cb.se_penalty([e1, e2], "paper")
    assert paper.item() == pytest.approx(34.0)
    paper.backward()
    assert torch.equal(e1.grad, 2 * e1.detach()) and torch.equal(e2.grad, 2 * e2.detach())
    e1.grad = e2.grad = None
    official = cb.se_penalty([e1, e2], "official_code")
    assert official.item() == pytest.approx(3.0 + 5.0)
    official.backward()
    assert torch.allclose(e1.grad, e1.detach() / 3.0) and torch.allclose(e2.grad, e2.detach() / 5.0)
    with pytest.raises(ValueError, match="unknown SE penalty form 'l1'"):
        cb.se_penalty([e1], "l1")


def test_segcn_with_zero_se_is_a_plain_gcn_and_se_shifts_by_adj_e():
    torch.manual_seed(0)
    ei = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    adj = gcn_adjacency(ei, 5)
    x = torch.rand(5, 4)
    se = cb.SEGCN(5, 4, 3, 2, se_layers="001", dropout=0.0)
    plain = cb.SEGCN(5, 4, 3, 2, se_layers="000", dropout=0.0)
    plain.load_state_dict({k: v for k, v in se.state_dict().items() if not k.startswith("se.")})
    with torch.no_grad():
        se.se["1"].zero_()
        assert torch.allclose(se(x, adj), plain(x, adj))
        se.se["1"].copy_(torch.rand(5, 2))
        assert torch.allclose(se(x, adj), plain(x, adj) + adj.to_dense() @ se.se["1"], atol=1e-6)
    bank = se.embedding_bank(x, adj)
    assert bank.shape == (5, 3 + 2)


def test_virtual_neighbours_match_brute_force():
    gen = torch.Generator().manual_seed(1)
    query, bank = torch.randn(37, 6, generator=gen), torch.randn(50, 6, generator=gen)
    mixed, idx, w = cb.virtual_neighbours(query, bank, k=4, chunk=8)  # several chunks
    for i in range(query.shape[0]):
        scores = [(float(query[i] @ bank[j]), j) for j in range(bank.shape[0])]
        best = sorted(scores, reverse=True)[:4]
        assert idx[i].tolist() == [j for _, j in best]
        top = torch.tensor([s for s, _ in best])
        expect_w = torch.exp(top - top.max()) / torch.exp(top - top.max()).sum()
        assert torch.allclose(w[i], expect_w, atol=1e-6)
        assert torch.allclose(mixed[i], (expect_w[:, None] * bank[[j for _, j in best]]).sum(0), atol=1e-5)
    with pytest.raises(ValueError, match="k=51 must be between 1 and the bank's 50 rows"):
        cb.virtual_neighbours(query, bank, k=51)


def test_fcr_hand_computed():
    # Cora, paper Table 2: (86.96 - 78.18) / ((86.96 - 69.02) + (86.96 - 78.18)) = 8.78 / 26.72
    assert cb.fcr(86.96, 69.02, 78.18) == pytest.approx(100 * 8.78 / 26.72)
    assert round(cb.fcr(86.96, 69.02, 78.18), 2) == 32.86
    # the MLP beats the GNN by 10, LP is 30 below: 100 + 100 * 10 / (10 + 30) = 125
    assert cb.fcr(60.0, 70.0, 30.0) == pytest.approx(125.0)
    with pytest.raises(ValueError, match="FCR undefined"):
        cb.fcr(50.0, 50.0, 50.0)


def test_neighbour_contrastive_loss_by_hand():
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    a = torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    # rows 0 and 2: positive cos 1, other cos 0 -> -log(e / (e + 1)); row 1 has no neighbour
    expect = -math.log(math.e / (math.e + 1))
    assert cb.neighbour_contrastive_loss(z, a, tau=1.0).item() == pytest.approx(expect, rel=1e-6)


def test_config_refuses_bad_parameters():
    with pytest.raises(ConfigError, match="group_rule='median' is not allowed; choose one of 'paper'"):
        cb.config("smoke", device="cpu", group_rule="median")
    with pytest.raises(ConfigError, match="se_layers='12' is not allowed; give three 0/1 digits"):
        cb.config("smoke", device="cpu", se_layers="12")
    with pytest.raises(ConfigError, match="unknown parameter 'k' for ch01"):
        cb.config("smoke", device="cpu", k=3)


def test_full_config_runs_one_step_on_cpu(real_data_root):
    with pytest.raises(ConfigError, match="needs a GPU"):
        cb.config("full", device="cpu")
    cfg = cb.config(
        "full", device="cpu", allow_cpu_full=True, datasets="cora", epochs=1, mlp_epochs=1, n_seeds=1
    )
    assert cb.FULL.n_seeds == 10 and cb.FULL.epochs == 1500 and cb.FULL.with_sage
    res = cb.run_experiment(cfg)["cora"]
    assert set(res.acc) == set(cb.MODEL_NAMES)
    assert all(0 <= v[0] <= 100 for accs in res.acc.values() for v in accs.values())
