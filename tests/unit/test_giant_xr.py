"""GIANT's XR fine-tuning: loss, shortlist, sparse look-ups, a toy graph, encoders, the FULL config."""

import copy
from dataclasses import replace

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
            p1 = giant.ranking_precision(head(emb).topk(1, dim=1).indices, tg[t - 1], inst, (1,))[1]
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


def _random_heads(tree, dim=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [giant.Head(torch.randn(k, dim, generator=g), torch.randn(k, generator=g)) for k in tree.sizes]


def test_beam_search_with_full_beam_equals_exhaustive_scoring():
    rng = np.random.default_rng(0)
    tree = giant.balanced_kmeans_tree(rng.random((150, 6)), 4, 6, seed=0)
    assert len(tree.sizes) >= 3
    heads = _random_heads(tree)
    emb = torch.randn(25, 12, generator=torch.Generator().manual_seed(1))
    exhaustive = giant.path_scores(emb, heads, tree)
    ranked = giant.beam_search(emb, heads, tree, max(tree.sizes))
    for (ids, score), full in zip(ranked, exhaustive, strict=True):
        k = full.shape[1]
        val, order = full.sort(1, descending=True)
        assert bool((ids[:, k:] == -1).all())  # the rest is padding
        torch.testing.assert_close(ids[:, :k], order)
        torch.testing.assert_close(score[:, :k], val)
    # a narrow beam scores only the children of the beam: b * branching candidates
    narrow = giant.beam_search(emb, heads, tree, 2)
    for t in range(2, len(tree.sizes) + 1):
        ids = narrow[t - 1][0]
        assert ids.shape[1] == 2 * tree.children_table(t).shape[1]
        par = torch.from_numpy(tree.parents[t - 1])[ids.clamp_min(0)]
        kept = narrow[t - 2][0][:, :2]
        assert bool(((par[:, :, None] == kept[:, None, :]).any(2) | (ids < 0)).all())


def test_ranking_precision_by_hand():
    targets = sp.csr_matrix(np.array([[1, 0, 1, 0], [0, 0, 0, 1]], np.float32))
    ids = torch.tensor([[2, 1, 0], [3, -1, -1]])
    pk = giant.ranking_precision(ids, targets, torch.tensor([0, 1]), (1, 3))
    assert pk[1] == 1.0 and pk[3] == pytest.approx((2 + 1) / 6)
    with pytest.raises(ValueError, match="fewer than k"):
        giant.ranking_precision(ids, targets, torch.tensor([0, 1]), (5,))


def test_concat_features_and_sparse_scaling():
    rng = np.random.default_rng(0)
    x = sp.random(30, 20, density=0.2, format="csr", random_state=0, dtype=np.float32)
    emb = torch.from_numpy(rng.standard_normal((30, 5)).astype(np.float32))
    cat = giant.concat_features(emb, x)
    dense = cat.to_dense().numpy()
    assert dense.shape == (30, 25)
    np.testing.assert_allclose(dense[:, :20], x.toarray())
    np.testing.assert_allclose(np.linalg.norm(dense[:, 20:], axis=1), 1.0, rtol=1e-5)
    train = torch.from_numpy(rng.random(30) < 0.6)
    scaled = giant.scale_sparse(cat, train).to_dense().numpy()
    sd = dense[train.numpy()].std(0, ddof=1)
    np.testing.assert_allclose(scaled, dense / np.maximum(sd, 1e-6), rtol=1e-4, atol=1e-5)


def test_select_on_validation_uses_validation_only():
    n = 300
    y = torch.arange(n) % 3
    no_edges = torch.zeros(2, 0, dtype=torch.long)
    graph = giant.TextGraph(tuple("t" for _ in range(n)), y, no_edges, (), ("a", "b", "c"))
    cfg = giant.config("smoke", n_seeds=2, epochs=30)
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(n, 4, generator=g)
    signal = torch.nn.functional.one_hot(y, 3).float() + 0.3 * torch.randn(n, 3, generator=g)
    cands = [{"name": "noise"}, {"name": "signal"}, {"name": "noise again"}]
    sel = giant.select_on_validation(
        cands, lambda c: (signal if c["name"] == "signal" else noise, c["name"]), graph, cfg
    )
    assert sel.best == 1 and sel.result == "signal" and sel.setting == {"name": "signal"}
    assert list(sel.table.columns) == ["name", "val mean", "val sd"]  # no test numbers
    assert sel.table["val mean"][1] > 0.9 > sel.table["val mean"][0]
    one = giant.select_on_validation([{"name": "x"}], lambda c: (noise, None), graph, cfg)
    assert one.best == 0 and np.isnan(one.table["val mean"][0])
    with pytest.raises(ValueError, match="at least one"):
        giant.select_on_validation([], lambda c: (noise, None), graph, cfg)


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
        whole = giant.TransformerEncoder(texts, tok, model, max_len=16, trainable_layers=6).eval()
        assert whole.cache is None  # no frozen layers: every layer runs from the token ids
        np.testing.assert_allclose(whole(torch.arange(3)).numpy(), ref.numpy(), atol=1e-5)
    assert int(enc.mask.sum(1).min()) < 16  # padding was exercised


def test_full_config_one_step_on_cpu(minilm, real_data_root):
    """One step of everything FULL runs: the sweep over its learning-rate grid, GIANT and the flat and
    link-prediction ablations of the whole transformer, beam-search P@k, the concatenated features and
    all four downstream models on every variant."""
    full = giant.config("full", allow_cpu_full=True)
    assert full.trainable_layers == 6 and full.n_seeds == 10 and full.model_list == giant.MODELS
    assert full.lm_baselines and full.ablation_model_list == giant.MODELS and len(full.lm_lrs) == 3
    # one step, on ten texts cut at 64 tokens (FULL's 256 only makes this test slower)
    cfg = replace(full, max_leaf=2, lm_steps=1, batch=2, n_seeds=1, epochs=1, max_len=64)
    whole = giant.load_citeseer_text(real_data_root)
    sub = 10
    rng = np.random.default_rng(0)
    ei = giant.undirected_edges(rng.integers(0, sub, 15), rng.integers(0, sub, 15), sub)
    graph = giant.TextGraph(whole.texts[:sub], torch.arange(sub) % 2, ei, whole.ids[:sub], whole.class_names)
    prob = giant.build_problem(graph, cfg)
    assert len(prob.tree.sizes) == 2  # clusters, then labels
    tok, model = minilm
    base = giant.TransformerEncoder(graph.texts, tok, model, cfg.max_len, cfg.trainable_layers)
    assert base.cache is None  # all six layers train
    before = base.model.encoder.layer[0].attention.self.query.weight.clone()
    encoders, feats, sweeps = [], {}, {}

    def make(setting, kind):
        encoders.append(copy.deepcopy(base))
        return giant.fine_tune(encoders[-1], prob, cfg, True, kind, 0, lr=setting["lr"])

    for kind, grid in (("giant", cfg.lm_lrs), ("flat", cfg.lm_lrs[:1]), ("lp", cfg.lm_lrs[:1])):
        cands = [{"lr": lr} for lr in grid]
        sweeps[kind] = giant.select_on_validation(cands, lambda c, k=kind: make(c, k), graph, cfg)
        feats[kind] = sweeps[kind].features
    assert len(sweeps["giant"].table) == 3 and sweeps["giant"].setting["lr"] in cfg.lm_lrs
    for enc in encoders:  # layer 0 of every fine-tuned copy moved; the base did not
        assert not torch.equal(before, enc.model.encoder.layer[0].attention.self.query.weight)
    assert torch.equal(before, base.model.encoder.layer[0].attention.self.query.weight)
    assert all(np.isfinite(c[0]) for c in sweeps["giant"].result.losses)
    assert np.isfinite(sweeps["lp"].result[0]) and np.isfinite(sweeps["flat"].result.losses[0][0])
    pk = giant.level_precision(feats["giant"], sweeps["giant"].result, prob, beam=cfg.beam)
    assert list(pk["level"]) == [1, 2] and bool(pk["P@1"].between(0, 1).all())
    feats["concat"] = giant.concat_features(feats["giant"], prob.x)
    acc = giant.evaluate_features(feats, graph, cfg, models=cfg.ablation_model_list)
    assert len(acc) == 4 * 4 and bool(acc["test"].between(0, 1).all())


def test_csr_linear_gradient_equals_dense():
    from iclr22lib.giant.downstream import CSRTranspose, csr_linear

    g = torch.Generator().manual_seed(0)
    dense = (torch.rand(40, 70, generator=g) < 0.1) * torch.randn(40, 70, generator=g)
    x = dense.to_sparse_csr()
    xt = CSRTranspose(x)
    assert torch.equal(xt(x.values()).to_dense(), dense.T)
    lin = torch.nn.Linear(70, 5)
    csr_linear(x, lin, xt).square().sum().backward()
    grads = (lin.weight.grad.clone(), lin.bias.grad.clone())
    lin.zero_grad()
    lin(dense).square().sum().backward()
    assert torch.allclose(grads[0], lin.weight.grad, atol=1e-5) and torch.allclose(
        grads[1], lin.bias.grad, atol=1e-5
    )


def test_sparse_dense_split_mlp_equals_csr_mlp():
    from iclr22lib.giant.downstream import Classifier, SparseDense, split_dense_tail

    g = torch.Generator().manual_seed(1)
    head = (torch.rand(30, 50, generator=g) < 0.1) * torch.randn(30, 50, generator=g)
    tail = torch.randn(30, 8, generator=g)
    x = torch.cat([head, tail], 1).to_sparse_csr()
    parts = split_dense_tail(x)
    assert isinstance(parts, SparseDense)
    assert torch.equal(parts.sparse.to_dense(), head) and torch.equal(parts.dense, tail)
    assert split_dense_tail(head.to_sparse_csr()).layout == torch.sparse_csr  # no dense tail: unchanged
    model = Classifier("mlp", 58, 16, 3).eval()
    outs, grads = [], []
    for inp in (x, parts):
        model.zero_grad()
        out = model(inp, None)
        out.square().sum().backward()
        outs.append(out.detach())
        grads.append(model.l1.weight.grad.clone())
    assert torch.allclose(outs[0], outs[1], atol=1e-5) and torch.allclose(grads[0], grads[1], atol=1e-4)


def test_fast_dropout_has_dropout_statistics_and_gradient():
    from iclr22lib.giant.downstream import dropout

    torch.manual_seed(0)
    x = torch.ones(200_000, requires_grad=True)
    y = dropout(x, 0.3, True)
    kept = y.detach() != 0
    assert abs(float(kept.float().mean()) - 0.7) < 0.005  # keep probability 1 - p
    assert torch.allclose(y.detach()[kept], torch.full_like(y.detach()[kept], 1 / 0.7))  # inverted scaling
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())  # d y / d x is the scaled mask
    assert torch.equal(dropout(x, 0.3, False), x) and torch.equal(dropout(x, 1.0, True), torch.zeros_like(x))
