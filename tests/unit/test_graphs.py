import pickle

import pytest
import torch
from torch_geometric.nn import GCNConv

from iclr22lib.core.data import DataError
from iclr22lib.core.graphs import _load_pickle, gcn_adjacency, load_planetoid, row_normalize


@pytest.mark.parametrize(
    ("name", "nodes", "edges", "features", "classes", "train"),
    [("cora", 2708, 5278, 1433, 7, 140), ("citeseer", 3327, 4552, 3703, 6, 120)],
)
def test_planetoid_matches_published_statistics(real_data_root, name, nodes, edges, features, classes, train):
    d = load_planetoid(name, real_data_root)
    assert (d.num_nodes, d.num_edges, d.num_features, int(d.y.max()) + 1) == (
        nodes,
        2 * edges,
        features,
        classes,
    )
    assert (int(d.train_mask.sum()), int(d.val_mask.sum()), int(d.test_mask.sum())) == (train, 500, 1000)
    assert not (d.train_mask & d.val_mask).any() and not (d.val_mask & d.test_mask).any()
    assert torch.bincount(d.y[d.train_mask]).tolist() == [20] * classes  # 20 labels per class
    src, dst = d.edge_index
    assert (src != dst).all()  # no self-loops
    assert set(zip(src.tolist(), dst.tolist(), strict=False)) == set(
        zip(dst.tolist(), src.tolist(), strict=False)
    )  # undirected
    assert set(d.x.unique().tolist()) == {0.0, 1.0}


def test_citeseer_holes_and_isolated_nodes(real_data_root):
    d = load_planetoid("citeseer", real_data_root)
    empty = d.x.sum(1) == 0
    assert int(empty.sum()) == 15  # the 15 test ids with no row in the files, zero-filled as in PyG
    assert not d.test_mask[empty].any()
    isolated = torch.ones(d.num_nodes, dtype=torch.bool)
    isolated[d.edge_index[0]] = False
    assert int(isolated.sum()) == 48  # CiteSeer's known isolated papers


def test_unpickler_refuses_foreign_classes(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(Evil(), protocol=2))
    with pytest.raises(DataError, match=r"refusing to unpickle (__builtin__|builtins)\.print"):
        _load_pickle(path)


def test_unknown_planetoid_name():
    with pytest.raises(DataError, match="allowed: cora, citeseer"):
        load_planetoid("pubmed")


def test_gcn_adjacency_closed_form():
    # path graph 0-1-2: degrees with self-loops are 2, 3, 2
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    a = gcn_adjacency(ei, 3).to_dense()
    d = torch.tensor([2.0, 3.0, 2.0]).rsqrt()
    expected = (
        (torch.eye(3) + torch.tensor([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=torch.float)) * d[:, None] * d
    )
    torch.testing.assert_close(a, expected)


def test_gcn_adjacency_matches_brute_force_dense():
    torch.manual_seed(1)
    for undirected in (True, False):
        ei = torch.randint(0, 40, (2, 150))
        ei = torch.unique(torch.cat([ei, ei.flip(0)], 1) if undirected else ei, dim=1)  # loops kept
        a = torch.zeros(40, 40)
        a[ei[1], ei[0]] = 1.0  # a[i, j] = 1 for the message j -> i
        a.fill_diagonal_(1.0)  # A + I (an existing self-loop counts once)
        d = a.sum(1).rsqrt()
        torch.testing.assert_close(gcn_adjacency(ei, 40).to_dense(), d[:, None] * a * d[None, :])


def test_gcn_adjacency_matches_pyg_gcnconv():
    torch.manual_seed(0)
    ei = torch.randint(0, 50, (2, 300))
    ei = ei[:, ei[0] != ei[1]]
    ei = torch.unique(torch.cat([ei, ei.flip(0)], 1), dim=1)  # simple undirected graph
    x = torch.randn(50, 8)
    conv = GCNConv(8, 4, bias=False)
    ours = gcn_adjacency(ei, 50) @ (x @ conv.lin.weight.T)
    torch.testing.assert_close(ours, conv(x, ei), atol=1e-5, rtol=1e-5)


def test_row_normalize():
    x = torch.tensor([[1.0, 3.0], [0.0, 0.0]])
    torch.testing.assert_close(row_normalize(x), torch.tensor([[0.25, 0.75], [0.0, 0.0]]))
