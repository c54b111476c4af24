"""Full-scale studies of chapter 1: cut-edge MRR against brute force, the depth grid and the sweeps."""

import numpy as np
import pytest
import torch

from iclr22lib import coldbrew as cb
from iclr22lib.coldbrew import sweeps
from iclr22lib.core.graphs import load_planetoid


def test_mrr_equals_brute_force_ranking():
    g = torch.Generator().manual_seed(0)
    emb = torch.randn(30, 4, generator=g)
    edges = torch.tensor([[0, 0, 5, 7], [3, 9, 2, 7 + 1]])
    z = torch.nn.functional.normalize(emb, dim=1)
    rr = []
    for u, v in edges.T.tolist():
        others = [w for w in range(30) if w != u]
        order = sorted(others, key=lambda w: -float(z[u] @ z[w]))
        rr.append(1.0 / (order.index(v) + 1))
    assert sweeps.cut_edge_mrr(emb, edges, chunk=3) == pytest.approx(np.mean(rr), rel=1e-6)
    # a planted embedding where every node's neighbour is its twin ranks them first: MRR 1
    twins = torch.cat([torch.eye(5), torch.eye(5)])
    assert sweeps.cut_edge_mrr(twins, torch.tensor([[0, 1, 7], [5, 6, 2]])) == 1.0
    with pytest.raises(ValueError, match="no cut edges"):
        sweeps.cut_edge_mrr(emb, torch.zeros(2, 0, dtype=torch.long))


def test_removed_edges_are_exactly_the_isolated_nodes_edges():
    ei = torch.tensor([[0, 1, 1, 2, 3, 3], [1, 0, 2, 1, 3, 0]])
    iso = torch.tensor([True, False, False, False])
    assert sweeps.removed_edges(ei, iso).tolist() == [[0], [1]]
    cut = cb.cut_isolated_edges(ei, iso)
    assert cut.shape[1] + 3 == ei.shape[1]  # 0->1, 1->0 and 3->0 are cut
    assert not bool(iso[cut[0]].any() or iso[cut[1]].any())


def test_grid_fcr_uses_the_best_row():
    rows = [sweeps.GridRow(2, "none", "none", False, {"overall": 80.0}),
            sweeps.GridRow(64, "none", "none", True, {"overall": 84.0})]  # fmt: skip
    value, best = sweeps.grid_fcr(rows, z_mlp=60.0, z_lp=70.0)
    assert best.depth == 64 and value == pytest.approx(100 * 14 / (24 + 14))


def test_grid_and_sweeps_run_on_cora(real_data_root):
    cfg = cb.config("smoke", datasets="cora", epochs=2, mlp_epochs=2, n_seeds=1)
    g = cb.prepare(load_planetoid("cora", root=real_data_root), cfg)
    rows = sweeps.depth_grid(g, cfg, depths=(2, 4), residuals=("initial",), norms=("pair",))
    assert [(r.depth, r.se) for r in rows] == [(2, False), (2, True), (4, False), (4, True)]
    assert all(0 <= r.acc["overall"] <= 100 for r in rows)
    bank = cb.train_gcn(g, cfg, cfg.se_layers).embedding_bank(g.x, g.adj)
    assert set(sweeps.top_k_sweep(g, cfg, bank, ks=(1, 2))) == {1, 2}
    assert set(sweeps.se_reg_sweep(g, cfg, etas=(0.0, 0.1))) == {0.0, 0.1}
    assert cb.FULL.extras and not cb.SMOKE.extras


def test_full_extras_run_one_step_on_cpu(real_data_root):
    cfg = cb.config(
        "full", device="cpu", allow_cpu_full=True, datasets="cora", epochs=1, mlp_epochs=1, n_seeds=1
    )
    extras, fcr_value = sweeps.run_extras("cora", cfg, z_mlp=10.0, z_lp=15.0, depths=(2, 64))
    assert len(extras.grid) == 2 * 2 * 2 * 2 and max(r.depth for r in extras.grid) == 64
    assert set(extras.mrr) == {"GCN+SE bank", "Cold Brew student", "MLP hidden", "features"}
    assert all(0 < v <= 1 for v in extras.mrr.values()) and np.isfinite(fcr_value)
