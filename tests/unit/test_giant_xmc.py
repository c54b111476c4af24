"""GIANT's XMC problem: data statistics, PIFA, the balanced label tree, multi-resolution targets."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from iclr22lib import giant
from iclr22lib.core.config import ConfigError
from iclr22lib.core.data import DataError


@pytest.fixture(scope="module")
def graph(real_data_root):
    return giant.load_citeseer_text(real_data_root)


def test_citeseer_text_published_statistics(graph):
    deg = torch.bincount(graph.edge_index[0], minlength=graph.num_nodes)
    assert graph.num_nodes == giant.CITESEER_TEXT_STATS["nodes"] == 3186
    assert graph.num_edges == giant.CITESEER_TEXT_STATS["edges"] == 4225
    assert int((deg == 0).sum()) == giant.CITESEER_TEXT_STATS["isolated"] == 86
    assert int(deg.max()) == 95
    counts = torch.bincount(graph.y, minlength=6).tolist()
    assert dict(zip(graph.class_names, counts, strict=True)) == {
        "DB": 685,
        "IR": 641,
        "ML": 569,
        "Agents": 562,
        "HCI": 490,
        "AI": 239,
    }
    ei = graph.edge_index
    assert not bool((ei[0] == ei[1]).any())  # no self-loops
    a = sp.csr_matrix((np.ones(ei.shape[1]), (ei[0].numpy(), ei[1].numpy())))
    assert (a != a.T).nnz == 0 and a.max() == 1  # symmetric, no duplicates


def test_missing_data_names_the_set(tmp_path):
    with pytest.raises(DataError, match="citeseer_text"):
        giant.load_citeseer_text(tmp_path)


def test_split_is_stratified_partition():
    y = torch.arange(100) % 4
    s = giant.random_split(y, 0)
    total = s["train"].int() + s["val"].int() + s["test"].int()
    assert bool((total == 1).all())
    assert torch.bincount(y[s["train"]]).tolist() == [15, 15, 15, 15]


def test_pifa_equals_dense_formula():
    rng = np.random.default_rng(0)
    y = sp.csr_matrix((rng.random((30, 12)) < 0.2).astype(np.float32))
    x = sp.csr_matrix(rng.random((30, 7)).astype(np.float32))
    yd, xd = y.toarray(), x.toarray()
    yn = yd / np.maximum(np.linalg.norm(yd, axis=1, keepdims=True), 1e-12)
    v = yn.T @ xd
    z = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    np.testing.assert_allclose(giant.pifa(y, x).toarray(), z, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("n", "branching", "leaf"), [(1000, 8, 16), (333, 4, 5), (50, 2, 3)])
def test_tree_levels_partition_and_balance(n, branching, leaf):
    z = sp.csr_matrix(np.random.default_rng(1).random((n, 20)).astype(np.float32))
    tree = giant.balanced_kmeans_tree(z, branching, leaf, seed=0)
    assert tree.sizes[-1] == n and sorted(tree.label_order) == list(range(n))
    assert max(np.bincount(tree.parents[-1])) <= leaf
    for t in range(1, len(tree.sizes) + 1):
        par = tree.parents[t - 1]
        k_prev = 1 if t == 1 else tree.sizes[t - 2]
        children = np.bincount(par, minlength=k_prev)
        bound = leaf if t == len(tree.sizes) else branching  # a leaf holds up to `leaf` labels
        assert children.min() >= 1 and children.max() <= bound  # every parent is split, none too much
        # labels under each level-t cluster: sizes differ by at most one (balanced)
        lab = np.arange(n)
        below = lab.copy()
        for s in range(len(tree.sizes), t, -1):
            below = tree.parents[s - 1][below]
        per = np.bincount(below, minlength=tree.sizes[t - 1])
        assert per.max() - per.min() <= 1
        table = tree.children_table(t)  # the child table lists exactly the children of each parent
        assert sorted(table[table >= 0].tolist()) == list(range(len(par)))
        assert np.all(par[table[table >= 0]] == np.repeat(np.arange(k_prev), (table >= 0).sum(1)))
    assert np.all(np.diff(tree.parents[-1]) >= 0)  # siblings contiguous


def test_tree_groups_similar_labels():
    # two well-separated groups of label features must end in different first-level clusters
    rng = np.random.default_rng(0)
    z = rng.random((128, 5))
    z[:64, 0] += 5
    z[64:, 1] += 5
    tree = giant.balanced_kmeans_tree(z, 2, 8, seed=0)
    top = tree.label_pos  # leaf position of every label, then up to the first level
    for par in tree.parents[::-1][:-1]:
        top = par[top]
    assert len(set(top[:64])) == 1 and len(set(top[64:])) == 1 and top[0] != top[64]


def test_coarse_targets_are_binarised_products():
    rng = np.random.default_rng(2)
    y = sp.csr_matrix((rng.random((40, 200)) < 0.03).astype(np.float32))
    z = sp.csr_matrix(rng.random((200, 10)).astype(np.float32))
    tree = giant.balanced_kmeans_tree(z, 4, 8, seed=0)
    tg = giant.multiresolution_targets(y, tree)
    counts = giant.multiresolution_targets(y, tree, binary=False)
    assert [m.shape[1] for m in tg] == list(tree.sizes)
    np.testing.assert_array_equal(tg[-1].toarray(), y.toarray()[:, tree.label_order])
    for t in range(len(tg), 1, -1):
        prod = tg[t - 1].toarray() @ tree.cluster_matrix(t).toarray()
        np.testing.assert_array_equal(tg[t - 2].toarray(), (prod > 0).astype(np.float32))
    np.testing.assert_allclose(counts[0].toarray().sum(1), y.toarray().sum(1))  # counts keep every neighbour


def test_neighbour_targets_are_adjacency():
    ei = giant.undirected_edges(np.array([0, 1, 2, 2]), np.array([1, 2, 2, 0]), 4)
    y = giant.neighbour_targets(ei, 4).toarray()
    np.testing.assert_array_equal(y, [[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]])


def test_config_validation():
    assert giant.config("smoke").model_list == ("mlp", "gcn")
    with pytest.raises(ConfigError, match="models"):
        giant.config("smoke", models="mlp,gat")
    with pytest.raises(ConfigError, match="branching"):
        giant.config("smoke", branching=3)
    with pytest.raises(ConfigError, match="unknown parameter"):
        giant.config("smoke", colour="red")
    with pytest.raises(ConfigError, match="lm_lrs"):
        giant.config("smoke", lm_lrs=())
    with pytest.raises(ConfigError, match="mlp_lrs"):
        giant.config("smoke", mlp_lrs=(1e-3, 5.0))
    with pytest.raises(ConfigError, match="ablation_models"):
        giant.config("smoke", ablation_models="mlp,gin")
