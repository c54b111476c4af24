"""Link prediction of chapter 1 (paper Table 4): the loss, the sampler, the filtered MRR and a toy graph."""

import math

import pytest
import torch
from torch_geometric.data import Data

from iclr22lib import coldbrew as cb
from iclr22lib.coldbrew import linkpred as lp
from iclr22lib.core.graphs import load_planetoid


def test_link_loss_by_hand():
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    pos, neg = torch.tensor([[0], [2]]), torch.tensor([[0], [1]])  # scores 1 (label 1) and 0 (label 0)
    expect = (math.log(1 + math.exp(-1.0)) + math.log(2.0)) / 2
    assert lp.link_loss(z, pos, neg).item() == pytest.approx(expect, rel=1e-6)


def test_negatives_keep_heads_and_draw_tails_uniformly():
    pos = torch.tensor([[0, 1, 2], [5, 6, 7]])
    neg = lp.sample_negatives(pos, 10, per_pos=4, generator=torch.Generator().manual_seed(0))
    assert neg.shape == (2, 12) and neg[0].tolist() == [0, 1, 2] * 4
    big = lp.sample_negatives(torch.zeros(2, 50_000, dtype=torch.long), 10)
    counts = torch.bincount(big[1], minlength=10).float()
    assert counts.min() > 4500 and counts.max() < 5500
    with pytest.raises(ValueError, match="per_pos=0 must be at least 1"):
        lp.sample_negatives(pos, 10, per_pos=0)


def test_filtered_mrr_equals_a_hand_ranking():
    gen = torch.Generator().manual_seed(0)
    n = 25
    src, dst = torch.randn(n, 3, generator=gen), torch.randn(n, 3, generator=gen)
    edges = torch.tensor([[0, 0, 4, 9], [3, 7, 1, 2]])
    exclude = torch.tensor([[0, 0, 0, 4, 9], [3, 7, 11, 1, 20]])  # 0's true neighbours are 3, 7 and 11
    expect = []
    for u, v in edges.T.tolist():
        others = {w for a, w in exclude.T.tolist() if a == u and w != v}
        cands = [w for w in range(n) if w != u and w not in others]
        order = sorted(cands, key=lambda w: -float(src[u] @ dst[w]))
        expect.append(1.0 / (order.index(v) + 1))
    rr = lp.reciprocal_ranks(src, dst, edges, exclude, chunk=3)  # several chunks, a repeated head
    assert torch.allclose(rr, torch.tensor(expect), atol=1e-7)
    # a planted ranking: the true node scores highest -> 1; it scores lowest among 4 candidates -> 1/4
    z = torch.tensor([[1.0], [2.0], [0.5], [0.1], [0.3]])
    assert lp.mrr(z, z, torch.tensor([[0], [1]]), torch.zeros(2, 0, dtype=torch.long)) == 1.0
    assert lp.mrr(z, z, torch.tensor([[0], [3]]), torch.zeros(2, 0, dtype=torch.long)) == 0.25
    with pytest.raises(ValueError, match="no edges to rank"):
        lp.mrr(z, z, torch.zeros(2, 0, dtype=torch.long), edges)


def _cluster_graph(n_clusters: int = 20, size: int = 8, seed: int = 0) -> Data:
    """Nodes in clusters; each pair inside a cluster is linked with probability 0.6; a node's features
    are its cluster's one-hot plus noise, so features alone determine who links to whom."""
    gen = torch.Generator().manual_seed(seed)
    n = n_clusters * size
    cluster = torch.arange(n) // size
    same = (cluster[:, None] == cluster[None, :]) & ~torch.eye(n, dtype=torch.bool)
    coin = torch.rand(n, n, generator=gen) < 0.6
    adj = same & torch.triu(coin, 1)
    adj = adj | adj.T
    x = torch.nn.functional.one_hot(cluster, n_clusters).float() + 0.05 * torch.rand(
        n, n_clusters, generator=gen
    )
    return Data(x=x, y=cluster, edge_index=adj.nonzero().T.contiguous(), num_nodes=n, name="clusters")


def test_features_determine_links_so_mrr_is_far_above_chance():
    data = _cluster_graph()
    cfg = cb.config("smoke", device="cpu", link_epochs=60, link_seeds=1, hidden=16, mlp_hidden=32,
                    link_dim=16, top_k=2, eval_every=5, group_frac=0.1)  # fmt: skip
    ld = lp.link_split(data, cfg)
    # the split: isolated edges all leave an isolated node, the training graph has none, nothing shared
    assert bool(ld.is_isolated[ld.isolated[0]].all())
    assert not bool(ld.is_isolated[ld.train].any())
    keys = [set(map(tuple, e.T.tolist())) for e in (ld.train, ld.val, ld.warm, ld.isolated)]
    assert all(not (a & b) for i, a in enumerate(keys) for b in keys[i + 1 :])
    res = lp.run_link_prediction(data, cfg)
    chance = sum(1 / k for k in range(1, data.num_nodes)) / (data.num_nodes - 1)
    assert set(res.mrr) == set(lp.LINK_MODELS)
    for model in ("MLP", "Cold Brew"):
        assert res.mean_sd(model, "isolated")[0] > 5 * chance, (model, res.mrr, chance)


def test_full_link_prediction_runs_one_step_on_cpu(real_data_root):
    assert (
        cb.FULL.link_seeds == 10 and cb.FULL.link_epochs == 1500 and cb.FULL.link_datasets == "cora+citeseer"
    )
    cfg = cb.config("full", device="cpu", allow_cpu_full=True, datasets="cora", link_datasets="cora",
                    link_epochs=1, mlp_epochs=1, link_seeds=1)  # fmt: skip
    res = lp.run_link_prediction(load_planetoid("cora", root=real_data_root), cfg)
    assert res.sizes["isolated"] > 0 and res.sizes["warm"] == res.sizes["val"]
    assert all(0 < v[0] <= 1 for per in res.mrr.values() for v in per.values())
