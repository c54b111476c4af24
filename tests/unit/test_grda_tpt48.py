"""TPT-48 as a regression task: windows, no label leakage from targets, embeddings, training."""

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from iclr22lib import grda


def reconstruction_auc(z: torch.Tensor, adj: torch.Tensor) -> float:
    """ROC AUC of the scores <z_u, z_v> against the links of ``adj``, over pairs u < v."""
    upper = torch.ones_like(adj, dtype=torch.bool).triu(1)
    return float(roc_auc_score((adj[upper] > 0.5).numpy(), (z @ z.T)[upper].numpy()))


@pytest.fixture(scope="module")
def ew(real_data_root):
    t = grda.load_tpt48("EW", root=real_data_root)
    emb = grda.fit_embeddings(torch.as_tensor(t.adj), dim=4, steps=300)
    return t, grda.tpt48_domains(t, emb)


def test_windows_and_yearly_evaluation_groups(ew):
    t, d = ew
    assert d.x.shape == (48, 133, 6) and d.y.shape == (48, 133, 6) and d.is_regression
    assert d.x_eval.shape == (48, 12, 6) and d.y_eval.shape == (48, 12, 6)
    z = (t.temps - d.raw_mean) / d.raw_std
    s = t.sources[0]
    np.testing.assert_allclose(d.x[s, 5].numpy(), z[s, 5:11], rtol=1e-5, atol=1e-5)  # months 5..10
    np.testing.assert_allclose(d.y[s, 5].numpy(), z[s, 11:17], rtol=1e-5, atol=1e-5)  # months 11..16
    np.testing.assert_allclose(d.y_eval[s, 2].numpy(), z[s, 30:36], rtol=1e-5, atol=1e-5)  # July-Dec, year 3


def test_targets_give_only_january_to_june_inputs(ew):
    t, d = ew
    tgt = [i for i in range(48) if i not in t.sources]
    z = (t.temps - d.raw_mean) / d.raw_std
    first_halves = z[tgt].reshape(len(tgt), 12, 12)[..., :6]  # [24, 12 years, Jan-Jun]
    x = d.x[tgt].numpy()
    # every training input of a target state is one of its own Jan-Jun rows, never a July-Dec value
    match = np.abs(x[:, :, None, :] - first_halves[:, None, :, :]).max(-1).min(-1)
    assert match.max() < 1e-5
    assert float(d.y[tgt].abs().max()) == 0.0
    pool = np.concatenate([d.x[list(t.sources)].numpy().ravel(), first_halves.ravel()])
    assert abs(pool.mean()) < 0.1  # z-scored on source windows and target inputs (target tiles repeat)


def test_embeddings_reconstruct_the_state_graph():
    adj = torch.tensor([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=torch.float32)
    assert grda.embedding_loss(torch.zeros(3, 2), adj).item() == pytest.approx(math.log(2))
    z = grda.fit_embeddings(adj, dim=2, steps=500)
    assert reconstruction_auc(z, adj) == 1.0
    with pytest.raises(ValueError, match="symmetric square"):
        grda.fit_embeddings(torch.ones(2, 3))


def test_state_embeddings_separate_neighbours(real_data_root):
    t = grda.load_tpt48("NS", root=real_data_root)
    z = grda.fit_embeddings(torch.as_tensor(t.adj), dim=8, steps=1000)
    assert reconstruction_auc(z, torch.as_tensor(t.adj)) > 0.95


def test_regression_training_and_classification_only_methods(ew):
    t, d = ew
    cfg = grda.config("smoke", hidden=16, epochs=1)
    for method in ("source_only", "dann", "adda", "grda"):
        r = grda.train(d, method, cfg, seed=0, max_steps=2)
        assert r.metric == "mse" and r.domain_score.shape == (48,) and np.isfinite(r.domain_score).all()
        assert len(grda.level_scores(t, r.domain_score)) == 4
    with pytest.raises(ValueError, match="does not apply to the regression data"):
        grda.build("cdann", d, cfg)
    out, y = torch.tensor([[1.0, 2.0], [0.0, 0.0]]), torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    assert grda.prediction_loss(out, y, regression=True).item() == pytest.approx((5.0 + 2.0) / 2)
