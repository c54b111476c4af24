"""Degree groups, the cut graph and the label split of Cold Brew."""

import pytest
import torch

from iclr22lib.coldbrew import cut_isolated_edges, degree_groups, label_split, node_degree
from iclr22lib.core.graphs import load_planetoid


def _star_plus_path() -> tuple[torch.Tensor, int]:
    # node 0 is a hub linked to 1..5; path 6-7-8-9; node 10 has no edge
    pairs = [(0, i) for i in range(1, 6)] + [(6, 7), (7, 8), (8, 9)]
    ei = torch.tensor(pairs).T
    return torch.cat([ei, ei.flip(0)], dim=1), 11


def test_paper_rule_on_a_hand_made_graph():
    ei, n = _star_plus_path()
    assert node_degree(ei, n).tolist() == [5, 1, 1, 1, 1, 1, 1, 2, 2, 1, 0]
    g = degree_groups(ei, n, rule="paper", frac=0.2)  # round(2.2) = 2 nodes per group
    assert g.sizes() == (2, 2, 2)
    iso = torch.nonzero(g.isolated).flatten().tolist()
    assert 10 in iso  # the degree-0 node is always among the lowest
    assert torch.nonzero(g.head).flatten().tolist() in ([0, 7], [0, 8])  # degree 5 and one degree-2 node
    assert not (g.isolated & g.tail).any() and not (g.isolated & g.head).any() and not (g.tail & g.head).any()


def test_cut_removes_every_edge_of_isolated_nodes_only():
    ei, n = _star_plus_path()
    iso = torch.zeros(n, dtype=torch.bool)
    iso[[1, 7]] = True
    loops = torch.tensor([[3], [3]])
    cut = cut_isolated_edges(torch.cat([ei, loops], dim=1), iso)
    assert not iso[cut[0]].any() and not iso[cut[1]].any()
    # edges 0-1, 6-7, 7-8 go (both directions: 6 entries); the self-loop of node 3 stays
    assert cut.shape[1] == ei.shape[1] + 1 - 6


@pytest.mark.parametrize(
    ("name", "paper_n", "official"),
    [("cora", 271, (534, 534, 286)), ("citeseer", 333, (689, 690, 339))],
)
def test_group_sizes_on_the_real_graphs(real_data_root, name, paper_n, official):
    data = load_planetoid(name)
    paper = degree_groups(data.edge_index, data.num_nodes, rule="paper")
    assert paper.sizes() == (paper_n, paper_n, paper_n)
    off = degree_groups(data.edge_index, data.num_nodes, rule="official_code")
    assert off.sizes() == official  # the sizes measured for the official code (notes §2.2)
    for g in (paper, off):
        assert int((g.isolated.int() + g.tail.int() + g.head.int()).max()) == 1  # disjoint
        assert g.degree[g.isolated].max() <= g.degree[g.tail].min()
        assert g.degree[g.tail].max() <= g.degree[g.head].min()
    cut = cut_isolated_edges(data.edge_index, paper.isolated)
    assert node_degree(cut, data.num_nodes)[paper.isolated].sum() == 0
    split = label_split(data, "official_code")
    expected_train = 600 if name == "cora" else 120
    assert int(split.train.sum()) == expected_train and int(split.val.sum()) == 500
    assert not (split.evaluate & (split.train | split.val)).any()


def test_bad_rule_and_fraction_are_refused():
    ei, n = _star_plus_path()
    with pytest.raises(ValueError, match="unknown group rule 'median'; allowed: 'paper', 'official_code'"):
        degree_groups(ei, n, rule="median")
    with pytest.raises(ValueError, match=r"frac=0.5 must be in \(0, 1/3\]"):
        degree_groups(ei, n, frac=0.5)
