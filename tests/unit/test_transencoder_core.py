"""Spearman against SciPy, the losses by hand, symmetry of the pseudo-labels, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from iclr22lib import transencoder as te
from iclr22lib.core.config import ConfigError
from iclr22lib.core.training import NonFiniteLossError
from tests.unit.transencoder_toy import toy_models, toy_pairs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spearman_equals_scipy_with_and_without_ties(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=200)
    y = 0.5 * x + rng.normal(size=200)
    assert te.spearman(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    xt, yt = np.round(x * 2) / 2, rng.integers(0, 6, size=200).astype(float)  # many ties, like STS gold
    assert te.spearman(xt, yt) == pytest.approx(spearmanr(xt, yt).statistic, abs=1e-12)


def test_spearman_rejects_bad_input():
    with pytest.raises(ValueError, match="equally long"):
        te.spearman([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="non-finite"):
        te.spearman([1.0, float("nan")], [1.0, 2.0])


def test_losses_by_hand():
    y = torch.tensor([0.2, 0.9])
    x = torch.tensor([0.0, 2.0])
    bce = -(y * torch.log(torch.sigmoid(x)) + (1 - y) * torch.log(1 - torch.sigmoid(x))).mean()
    by_hand = (
        -(
            0.2 * math.log(0.5)
            + 0.8 * math.log(0.5)
            + 0.9 * math.log(1 / (1 + math.exp(-2)))
            + 0.1 * math.log(1 - 1 / (1 + math.exp(-2)))
        )
        / 2
    )
    assert float(bce) == pytest.approx(by_hand, rel=1e-6)
    # SimCSE: identical unit vectors on the diagonal, orthogonal elsewhere -> log(1 + (B-1) e^{-1/tau})
    z = torch.eye(3)
    assert float(te.simcse_loss(z, z, 0.5)) == pytest.approx(math.log(1 + 2 * math.exp(-2.0)), rel=1e-6)


def test_rescale_targets():
    y = torch.tensor([-0.2, 0.3, 0.8])
    assert torch.allclose(te.rescale_targets(y, "minmax"), torch.tensor([0.0, 0.5, 1.0]))
    assert torch.allclose(te.rescale_targets(y, "clamp"), torch.tensor([0.0, 0.3, 0.8]))
    assert torch.equal(te.rescale_targets(y, "raw"), y)
    with pytest.raises(ValueError, match="choose 'minmax'"):
        te.rescale_targets(y, "softmax")


def test_pseudo_labels_are_symmetric():
    tok, bi, cross = toy_models()
    pairs = toy_pairs(tok)
    swapped = te.EncodedPairs("swapped", pairs.b, pairs.a, pairs.ba, pairs.ab)
    torch.testing.assert_close(te.bi_pseudo_labels([bi], pairs), te.bi_pseudo_labels([bi], swapped))
    torch.testing.assert_close(
        te.cross_pseudo_labels([cross], pairs), te.cross_pseudo_labels([cross], swapped)
    )
    # the raw one-order logit is not symmetric: the averaging is what makes the score symmetric
    assert not torch.allclose(cross.logits(pairs.ab), cross.logits(pairs.ba))
    toks, y = te.cross_training_set(pairs, torch.arange(len(pairs), dtype=torch.float32))
    assert len(toks) == 2 * len(pairs) and torch.equal(y[: len(pairs)], y[len(pairs) :])
    assert torch.equal(toks.ids[len(pairs) :], pairs.ba.ids)


def test_cross_encoder_reads_the_pair_in_one_sequence():
    tok, _, _ = toy_models()
    pairs = toy_pairs(tok)
    row = pairs.ab.ids[0][pairs.ab.mask[0].bool()].tolist()
    assert row[0] == tok.cls_token_id and row.count(tok.sep_token_id) == 2
    assert pairs.ab.types[0].max() == 1  # second sentence has token type 1


def test_bad_input_stops_with_a_message():
    with pytest.raises(ConfigError, match="target_scale='softmax' is not allowed"):
        te.config("smoke", target_scale="softmax")
    with pytest.raises(ConfigError, match="unknown parameter 'epochs'"):
        te.config("smoke", epochs=3)
    with pytest.raises(ConfigError, match="needs starts='both'"):
        te.config("smoke", mutual=True, starts="tiny")
    with pytest.raises(ConfigError, match="wrong type"):
        te.config("smoke", cycles="two")
    with pytest.raises(ConfigError, match="needs a GPU"):
        te.config("full", device="cpu")
    with pytest.raises(Exception, match="unknown STS set 'sts17'"):
        te.load_sts("sts17")
    tok, bi, _ = toy_models()
    pairs = toy_pairs(tok)
    with pytest.raises(NonFiniteLossError, match="bi MSE loss is nan"):
        te.train_bi_mse(bi, pairs, torch.full((len(pairs),), float("nan")), epochs=1, batch_size=4, lr=1e-3)
    with pytest.raises(ValueError, match="have no gold scores"):
        te.evaluate_bi(bi, pairs)
