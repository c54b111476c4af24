"""Low-rank scores (batched top-k against dense top-k) and the metrics on hand-made examples."""

import numpy as np
import pytest
import torch

from iclr22lib import rim


def _score(n=37, m=23, d=5, seed=0, exclude=True):
    g = np.random.default_rng(seed)
    ex = (g.integers(0, n, 30), g.integers(0, m, 30)) if exclude else None
    return rim.LowRankScore(
        g.normal(size=(n, d)), g.normal(size=(m, d)), g.normal(size=n), g.normal(size=m), ex
    )


def test_batched_topk_equals_dense_topk():
    s = _score()
    dense = s.dense(log=True)
    for batch in (1, 4, 100):
        assert torch.equal(s.topk_rows(5, batch=batch), dense.topk(5, dim=1).indices)
        assert torch.equal(s.topk_cols(4, batch=batch), dense.topk(4, dim=0).indices.T)


def test_excluded_pairs_score_zero():
    s = _score()
    d = s.dense()
    assert (d[torch.as_tensor(s.ex_rows), torch.as_tensor(s.ex_cols)] == 0).all()


def test_row_scaling_keeps_row_rankings_exactly_and_products_multiply():
    s = _score(exclude=False)
    lam = np.random.default_rng(1).gamma(0.3, 5.0, s.shape[0]) + 1e-6
    scaled = s.scale_rows(lam)
    assert torch.equal(scaled.topk_rows(6), s.topk_rows(6))
    # not by construction: the scaled score with its row factors in place ranks each row as the unscaled one
    assert torch.equal(scaled.dense().topk(6, dim=1).indices, s.topk_rows(6))
    assert torch.allclose(
        scaled.dense(), s.dense() * torch.as_tensor(lam, dtype=torch.float32)[:, None], rtol=1e-4
    )
    other = _score(seed=3, exclude=False)
    assert torch.allclose((s * other).dense(log=True), s.dense(log=True) + other.dense(log=True), atol=1e-4)
    with pytest.raises(ValueError, match="positive"):
        s.scale_rows(-np.ones(s.shape[0]))


def test_random_score_is_uniform_and_consistent():
    r = rim.RandomScore(300, 200, seed=2)
    d = r.dense()
    assert 0.45 < float(d.mean()) < 0.55 and float(d.min()) > 0 and float(d.max()) < 1
    assert torch.equal(r.topk_cols(3, batch=17), d.topk(3, dim=0).indices.T)


def test_metrics_hand_made():
    # 3 states x 4 items; targets (0,1), (0,2), (2,3); recommendations 2 per state
    targets = (np.array([0, 0, 2]), np.array([1, 2, 3]))
    assign = rim.rows_to_pairs(np.array([[1, 0], [2, 3], [3, 1]]))
    out = rim.evaluate(assign, targets, (3, 4))
    assert out["hits"] == 2 and out["prec"] == pytest.approx(2 / 6)
    assert out["recall_rows"] == pytest.approx((1 / 2 + 1) / 2)  # states 0 and 2 have targets
    assert out["recall_cols"] == pytest.approx((1 + 0 + 1) / 3)
    assert out["item_cov"] == 1.0 and out["user_cov"] == 1.0
    # exposure counts [1, 2, 1, 2] -> perplexity exp(H)
    p = np.array([1, 2, 1, 2]) / 6
    assert out["item_ppl"] == pytest.approx(np.exp(-(p * np.log(p)).sum()))
    assert rim.evaluate(assign, targets, (3, 4), min_total=12)["prec"] == pytest.approx(2 / 12)
    assert rim.perplexity(np.array([5, 5, 5, 5])) == pytest.approx(4.0)
    cols = rim.cols_to_pairs(np.array([[0], [0], [1], [2]]))
    assert rim.evaluate(cols, targets, (3, 4))["hits"] == 2


def test_item_item_baseline_against_brute_force():
    # 3 training users over 4 items; one test state that has seen items 0 and 2
    log = rim.make_log([0, 0, 1, 1, 1, 2, 2], [0, 1, 0, 1, 2, 2, 3], np.arange(7.0), n_items=4)
    train = rim.make_states(log, np.full(3, np.inf), 1.0)
    test = rim.make_states(rim.make_log([0, 0], [0, 2], [0.0, 1.0], n_items=4), np.array([5.0]), 1.0)
    X = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 1, 1]], float)
    cos = (X.T @ X) / np.outer(np.linalg.norm(X, axis=0), np.linalg.norm(X, axis=0))
    np.fill_diagonal(cos, 0.0)
    expected = cos[0] + cos[2]
    got = rim.item_item(train, test, np.arange(4)).dense().numpy()[0]
    assert got[expected > 0] == pytest.approx(expected[expected > 0], rel=1e-5)
