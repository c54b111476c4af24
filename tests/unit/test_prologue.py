import pytest
import torch
from torch_geometric.data import Data

from iclr22lib import prologue
from iclr22lib.core.config import ConfigError
from iclr22lib.core.training import NonFiniteLossError


def toy_graph(n=60, classes=3, seed=0):
    """Two dense-ish communities per class: a graph where neighbours share labels."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    src = torch.randint(0, n, (400,), generator=g)
    dst = (src + classes * torch.randint(1, 4, (400,), generator=g)) % n  # same class
    ei = torch.unique(torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], 1), dim=1)
    ei = ei[:, ei[0] != ei[1]]
    x = (torch.rand(n, 20, generator=g) < 0.2).float()
    masks = torch.zeros(3, n, dtype=torch.bool)
    masks[0, :30], masks[1, 30:45], masks[2, 45:] = True, True, True
    return Data(x=x, y=y, edge_index=ei, train_mask=masks[0], val_mask=masks[1], test_mask=masks[2])


def test_full_config_builds_and_runs_one_step():
    cfg = prologue.config("full", allow_cpu_full=True, epochs=1, n_seeds=1)
    assert cfg.scale == "full" and prologue.FULL.n_seeds == 20
    runs = prologue.compare(toy_graph(), cfg)
    assert [r.model for r in runs] == ["GCN", "MLP"]
    assert all(len(r.val_acc_curve) == 1 and 0 <= r.test_acc <= 1 for r in runs)


def test_runs_are_reproducible():
    cfg = prologue.config("smoke", epochs=20, n_seeds=1)
    a = prologue.train_node_classifier(toy_graph(), "GCN", cfg, seed=5)
    b = prologue.train_node_classifier(toy_graph(), "GCN", cfg, seed=5)
    assert a.test_acc == b.test_acc and (a.train_loss_curve == b.train_loss_curve).all()


def test_gcn_uses_the_graph_and_mlp_does_not():
    data = toy_graph()
    cfg = prologue.config("smoke")
    torch.manual_seed(0)
    gcn, mlp = prologue.GCN(20, 8, 3).eval(), prologue.MLP(20, 8, 3).eval()
    no_edges = torch.empty(2, 0, dtype=torch.long)
    assert not torch.allclose(gcn(data.x, data.edge_index), prologue.GCN.forward(gcn, data.x, no_edges))
    torch.testing.assert_close(mlp(data.x, data.edge_index), mlp(data.x, no_edges))
    assert cfg.hidden == 16


def test_sparse_input_dropout_keeps_expectation():
    lin = prologue.models.SparseDropoutLinear(50, 1, dropout=0.5)
    torch.nn.init.ones_(lin.weight)
    x = (torch.rand(400, 50) < 0.3).float()
    outs = torch.stack([lin(x.to_sparse()) for _ in range(200)]).mean(0)
    torch.testing.assert_close(outs, x.sum(1, keepdim=True), rtol=0.15, atol=1.0)
    lin.eval()
    torch.testing.assert_close(lin(x.to_sparse()), x.sum(1, keepdim=True))


def test_nan_features_stop_training():
    data = toy_graph()
    data.x[0, 0] = float("nan")
    with pytest.raises(NonFiniteLossError, match="training loss is nan at step 0"):
        prologue.train_node_classifier(data, "MLP", prologue.config("smoke"), seed=0)


def test_unknown_model_and_dataset():
    with pytest.raises(ValueError, match="unknown model 'GAT'; allowed: GCN, MLP"):
        prologue.train_node_classifier(toy_graph(), "GAT", prologue.config("smoke"), seed=0)
    with pytest.raises(ConfigError, match="choose one of 'cora', 'citeseer'"):
        prologue.config("smoke", dataset="arxiv")
