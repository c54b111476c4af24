"""GIANT's XR fine-tuning: loss, shortlist, sparse look-ups, a toy graph, encoders, the FULL config."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from iclr22lib import giant
from iclr22lib.core.training import NonFiniteLossError


def test_squared_hinge_zero_beyond_margin_and_hand_value():
    s = torch.tensor([[1.5, -2.0, 1.0, -1.0]])
    y = torch.tensor([[1, 0, 1, 0]])
    assert float(giant.squared_hinge(s, y)) == 0.0  # every score at or beyond the margin
    s2 = torch.tensor([[0.5, 0.5]])
    y2 = torch.tensor([[1, 0]])
    w = torch.tensor([[2.0, 1.0]])
    # (2 * 0.5^2 + 1 * 1.5^2) / 2
    assert float(giant.squared_hinge(s2, y2, w)) == pytest.approx((2 * 0.25 + 2.25) / 2)
    valid = torch.tensor([[True, False]])
    assert float(giant.squared_hinge(s2, y2, w, valid)) == pytest.approx(0.5)


def test_sparse_rows_match_dense():
    rng = np.random.default_rng(0)
    m = sp.csr_matrix(((rng.random((20, 30)) < 0.1) * rng.integers(1, 5, (20, 30))).astype(np.float32))
    r = giant.SparseRows(m)
    rows = torch.tensor([3, 0, 19, 3])
    cols = torch.from_numpy(rng.integers(0, 30, (4, 11)))
    np.testing.assert_array_equal(
        r.lookup(rows, cols).numpy(), m.toarray()[rows.numpy()[:, None], cols.numpy()]
    )
    pad, ok = r.padded(rows)
    for b, i in enumerate(rows.tolist()):
        assert sorted(pad[b][ok[b]].tolist()) == sorted(m[i].indices.tolist())


def test_shortlist_is_union_of_children():
    children = torch.tensor([[0, 1, -1], [2, 3, 4], [5, -1, -1]])
    pos = torch.tensor([[0, 1], [2, 0]])
    pos_ok = torch.tensor([[True, True], [True, False]])
    top = torch.tensor([[1], [0]])
    idx, ok = giant.shortlist(pos, pos_ok, top, children)
    assert sorted(idx[0][ok[0]].tolist()) == [0, 1, 2, 3, 4]
    assert sorted(idx[1][ok[1]].tolist()) == [0, 1, 5]


def _toy(n_groups=8, per=16, vocab=64, seed=0):
    """Nodes in groups; a node's words name its group; it links to random members of its group."""
    rng = np.random.default_rng(seed)
    n = n_groups * per
    group = np.repeat(np.arange(n_groups), per)
    words = group[:, None] * (vocab // n_groups) + rng.integers(0, vocab // n_groups, (n, 6))
    x = sp.csr_matrix(
        (np.ones(words.size, np.float32), (np.repeat(np.arange(n), 6), words.ravel())), shape=(n, vocab)
    )
    src = np.repeat(np.arange(n), 3)
    dst = group[src] * per + rng.integers(0, per, src.size)
    ei = giant.undirected_edges(src, dst, n)
    return x, ei, n


def test_toy_graph_precision_rises_far_above_chance():
    x, ei, n = _toy()
    y = giant.neighbour_targets(ei, n)
    tree = giant.balanced_kmeans_tree(giant.pifa(y, x), 4, 8, seed=0)
    tg = giant.multiresolution_targets(y, tree)
    cnt = giant.multiresolution_targets(y, tree, binary=False)
    inst = torch.arange(n)
    enc = giant.TfidfMLPEncoder(x, 32, dropout=0.0, seed=0)
    sched = giant.XRSchedule(steps=150, batch=32, lr_encoder=3e-3, lr_head=3e-2)
    res = giant.train_xr(enc, tree, tg, cnt, inst, sched, seed=0)
    emb = enc.embed_all()
    for t, head in enumerate(res.heads, start=1):
        with torch.no_grad():
            p1 = giant.precision_at_k(head(emb), tg[t - 1], inst, (1,))[1]
        chance = float(tg[t - 1].sum(1).mean()) / tg[t - 1].shape[1]
        assert p1 > min(0.9, 5 * chance), (t, p1, chance)
    assert np.mean(res.losses[-1][-20:]) < np.mean(res.losses[-1][:20])  # the loss falls


def test_same_seed_same_result_and_nan_stops():
    x, ei, n = _toy()
    y = giant.neighbour_targets(ei, n)
    tree = giant.balanced_kmeans_tree(giant.pifa(y, x), 4, 8, seed=0)
    tg = giant.multiresolution_targets(y, tree)
    sched = giant.XRSchedule(steps=5, batch=8)
    outs = []
    for _ in range(2):
        enc = giant.TfidfMLPEncoder(x, 16, seed=3)
        giant.train_xr(enc, tree, tg, None, torch.arange(n), sched, seed=3)
        outs.append(enc.embed_all())
    torch.testing.assert_close(outs[0], outs[1])
    enc = giant.TfidfMLPEncoder(x, 16, seed=3)
    with torch.no_grad():
        enc.net[0].weight.fill_(float("nan"))
    with pytest.raises(NonFiniteLossError, match="XR loss"):
        giant.train_xr(enc, tree, tg, None, torch.arange(n), sched, seed=3)


def test_link_prediction_and_flat_run():
    x, ei, n = _toy()
    enc = giant.TfidfMLPEncoder(x, 16, seed=0)
    curve = giant.train_link_prediction(enc, ei, n, giant.XRSchedule(batch=32, lr_encoder=3e-3), 60)
    assert np.mean(curve[-10:]) < np.mean(curve[:10])
    y = giant.neighbour_targets(ei, n)
    res = giant.train_xr(
        enc, giant.flat_tree(n), [y], None, torch.arange(n), giant.XRSchedule(steps=3, batch=8)
    )
    assert res.heads[0].weight.shape == (n, 16)


@pytest.fixture(scope="module")
def minilm(real_data_root):
    return giant.load_minilm(real_data_root)


def test_cached_transformer_equals_full_forward(minilm):
    tok, model = minilm
    texts = [
        "graph neural networks",
        "a much longer text about extreme multi-label classification of papers",
        "x",
    ]
    model.eval()
    enc = giant.TransformerEncoder(texts, tok, model, max_len=16, trainable_layers=2).eval()
    with torch.no_grad():
        out = model(input_ids=enc.ids, attention_mask=enc.mask).last_hidden_state
        m = enc.mask.unsqueeze(-1).float()
        ref = (out * m).sum(1) / m.sum(1)
        np.testing.assert_allclose(enc(torch.arange(3)).numpy(), ref.numpy(), atol=1e-5)
    assert int(enc.mask.sum(1).min()) < 16  # padding was exercised


def test_full_config_one_step_on_cpu(minilm, real_data_root):
    cfg = giant.config("full", allow_cpu_full=True)
    assert cfg.trainable_layers == 6 and cfg.n_seeds == 10 and cfg.model_list == giant.MODELS
    graph = giant.load_citeseer_text(real_data_root)
    sub = 48  # one step of the full schedule on a few texts
    tok, model = minilm
    enc = giant.TransformerEncoder(graph.texts[:sub], tok, model, cfg.max_len, cfg.trainable_layers)
    rng = np.random.default_rng(0)
    y = sp.csr_matrix((rng.random((sub, sub)) < 0.1).astype(np.float32))
    tree = giant.balanced_kmeans_tree(rng.random((sub, 8)), cfg.branching, 4, seed=0)
    tg = giant.multiresolution_targets(y, tree)
    sched = giant.schedule(cfg, lm=True)
    sched.steps, sched.batch = 1, 2
    before = enc.model.encoder.layer[0].attention.self.query.weight.clone()
    res = giant.train_xr(
        enc, tree, tg, giant.multiresolution_targets(y, tree, False), torch.arange(sub), sched, 0, 1
    )
    assert np.isfinite(res.losses[0][0])
    assert not torch.equal(before, enc.model.encoder.layer[0].attention.self.query.weight)  # layer 0 trains
    for kind in ("mlp", "gcn", "sage", "sgc"):
        r = giant.fit_classifier(
            kind,
            torch.randn(sub, 8),
            torch.zeros(2, 0, dtype=torch.long),
            torch.arange(sub) % 3,
            giant.random_split(torch.arange(sub) % 3, 0),
            0,
            epochs=1,
            hidden=cfg.hidden,
        )
        assert 0.0 <= r["test"] <= 1.0
