"""Scoring does not depend on batching; the cross-encoder losses by hand; a new head learns under a small
budget only with its own learning rate; word overlap by brute force; the dev-only study."""

from __future__ import annotations

import copy
import dataclasses
import math
import re

import numpy as np
import pytest
import torch

from iclr22lib import transencoder as te
from tests.unit.transencoder_toy import planted_corpus, toy_models


def _pairs(tok, n=24, seed=0, gold=None):
    a, para, other = planted_corpus(n, seed=seed)
    return te.encode_pairs(tok, a + a, para + other, bi_len=12, cross_len=24, gold=gold, name="toy")


def test_scores_do_not_depend_on_batch_or_order_of_the_rows():
    """A pair's score is the same alone or in a batch, in any row order: padding and the
    length-sorted batching must not leak between rows (a classic cause of dev/test mismatches)."""
    tok, bi, cross = toy_models()
    p = _pairs(tok, n=6, gold=np.arange(12.0))
    torch.testing.assert_close(cross.logits(p.ab, batch_size=1), cross.logits(p.ab, batch_size=256))
    torch.testing.assert_close(bi.similarity(p.a, p.b, batch_size=1), bi.similarity(p.a, p.b, batch_size=7))
    perm = torch.randperm(len(p), generator=torch.Generator().manual_seed(0))
    shuffled = te.subset_pairs(p, len(p) - 1, seed=1)  # a random subset keeps each row's gold with its pair
    s_all = cross.score(p.ab, p.ba)
    rows = te.Tokens(p.ab.ids[perm], p.ab.mask[perm], p.ab.types[perm])
    rows_ba = te.Tokens(p.ba.ids[perm], p.ba.mask[perm], p.ba.types[perm])
    torch.testing.assert_close(cross.score(rows, rows_ba), s_all[perm])
    # the Spearman of a subset equals the one computed from the full scores at the same rows
    idx = shuffled.gold.astype(int)  # gold = row number here
    assert te.evaluate_cross(cross, shuffled) == pytest.approx(
        100 * te.spearman(s_all[idx], p.gold[idx]), abs=1e-9
    )


def test_cross_losses_by_hand_and_bad_name():
    x = torch.tensor([0.0, 2.0])
    y = torch.tensor([0.2, 0.9])
    s2 = 1 / (1 + math.exp(-2))
    assert float(te.cross_loss(x, y, "mse")) == pytest.approx(
        ((0.5 - 0.2) ** 2 + (s2 - 0.9) ** 2) / 2, rel=1e-6
    )
    bce = -(0.2 * math.log(0.5) + 0.8 * math.log(0.5) + 0.9 * math.log(s2) + 0.1 * math.log(1 - s2)) / 2
    assert float(te.cross_loss(x, y, "bce")) == pytest.approx(bce, rel=1e-6)
    with pytest.raises(ValueError, match="choose one of bce, mse"):
        te.cross_loss(x, y, "hinge")


def test_the_new_head_learns_at_its_own_rate():
    """One AdamW step moves each weight by about lr (the first step is lr * sign of the gradient):
    the fresh head by ``head_lr_mult`` x lr, the pretrained body by lr. At the official lr 2e-5 a dozen
    steps leave a new head at its random start, which is why the smoke MiniLM cross-encoder used to
    score about 0 on dev and on test; the chapter now checks that every cross-encoder fits its labels."""
    tok, _, cross = toy_models(seed=0)
    p = _pairs(tok, n=8)
    y = torch.rand(len(p), generator=torch.Generator().manual_seed(0))
    before = copy.deepcopy(cross.state_dict())
    te.train_cross_bce(cross, p, y, epochs=1 / 2, batch_size=16, lr=2e-5, warmup=0.0, head_lr_mult=100.0)
    head_step = (cross.head.bias - before["head.bias"]).abs().item()  # bias starts at 0: no decay term
    body_step = max(
        (v - before[k]).abs().max().item() for k, v in cross.state_dict().items() if k.startswith("encoder")
    )
    assert head_step == pytest.approx(100 * 2e-5, rel=1e-3)
    assert body_step <= 2e-5 * 1.01 + 1e-7


def test_training_is_reproducible_whatever_ran_before():
    tok, _, cross = toy_models(seed=0)
    p = _pairs(tok)
    y = torch.rand(len(p), generator=torch.Generator().manual_seed(0))
    c1, c2 = copy.deepcopy(cross), copy.deepcopy(cross)
    l1 = te.train_cross_bce(c1, p, y, epochs=1, batch_size=16, lr=1e-3, seed=5)
    torch.rand(100)  # move the global RNG: dropout masks must not depend on it
    l2 = te.train_cross_bce(c2, p, y, epochs=1, batch_size=16, lr=1e-3, seed=5)
    assert l1 == l2


def test_word_overlap_against_sets():
    a = ["A man plays the guitar.", "Dogs run", "x"]
    b = ["the man is playing a guitar", "cats sleep", "x"]
    want = []
    for u, v in zip(a, b, strict=True):
        su, sv = set(re.findall(r"\w+", u.lower())), set(re.findall(r"\w+", v.lower()))
        want.append(len(su & sv) / len(su | sv))
    np.testing.assert_allclose(te.word_overlap(a, b), want)
    with pytest.raises(ValueError, match="equally long"):
        te.word_overlap(["a"], [])


def test_subset_pairs_keeps_rows_together():
    tok, _, _ = toy_models()
    p = _pairs(tok, gold=np.arange(48.0))
    sub = te.subset_pairs(p, 10, seed=2)
    assert len(sub) == 10 and te.subset_pairs(p, 100) is p
    for i in range(10):
        j = int(sub.gold[i])
        assert torch.equal(sub.a.ids[i], p.a.ids[j]) and torch.equal(sub.ba.ids[i], p.ba.ids[j])


def test_study_runs_each_variant_from_the_same_start_on_dev_only():
    tok, bi, _ = toy_models(seed=0)
    pool = _pairs(tok)
    dev = _pairs(tok, gold=[1.0] * 24 + [0.0] * 24)
    member = te.Member("toy", bi, bi.encoder)
    base = te.CycleSettings(
        cycles=3,
        cross_epochs=1,
        cross_batch=16,
        cross_lr=1e-3,
        bi_epochs=1,
        bi_batch=16,
        bi_lr=1e-3,
        cross_init="bi",
    )
    grid = [
        te.Variant("cross-encoder loss", "MSE", (("cross_loss", "mse"),)),
        te.Variant("pool size", "12", pool_pairs=12),
        te.Variant("start", "absent", start="nope"),  # skipped
    ]
    start = copy.deepcopy(bi.state_dict())
    rows = te.run_study({"simcse": [member]}, pool, dev, base, grid)
    assert [r.level for r in rows] == ["MSE", "12"]
    assert all(r.dev_start == pytest.approx(te.evaluate_bi(bi, dev)) for r in rows)
    assert all(torch.equal(v, bi.state_dict()[k]) for k, v in start.items())  # the start is untouched
    assert rows[0].bi_gain == pytest.approx(rows[0].dev_bi - rows[0].dev_start)
    with pytest.raises(ValueError, match="unknown setting"):
        te.Variant("x", "y", (("epochs", 3),)).settings(base)
    with pytest.raises(ValueError, match="choose 'none', 'small' or 'full'"):
        te.variants("big", base, 100)
    factors = {v.factor for v in te.variants("full", base, 100)}
    assert {
        "cross-encoder lr",
        "cross-encoder epochs",
        "BCE targets",
        "cross-encoder init",
        "pool size",
        "start",
        "distillation",
    } == factors
    assert dataclasses.replace(base, cycles=1) == te.variants("small", base, 100)[0].settings(base).__class__(
        **{**dataclasses.asdict(base), "cycles": 1, "bi_lr": base.bi_lr}
    )
