"""A cycle on planted paraphrases raises their scores; the MiniLM start loads; FULL runs one step on CPU."""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F

from iclr22lib import transencoder as te
from iclr22lib.core.data import data_root
from tests.unit.transencoder_toy import planted_corpus, toy_models


def _gap(bi, para, other):
    """Mean cosine of the planted paraphrase pairs minus that of the unrelated pairs."""
    return float(bi.similarity(para.a, para.b).mean() - bi.similarity(other.a, other.b).mean())


def test_a_cycle_raises_the_scores_of_planted_paraphrases():
    tok, bi, _ = toy_models(seed=0)
    a, para_s, other_s = planted_corpus(48, seed=0)
    enc = {"bi_len": 12, "cross_len": 24}
    para = te.encode_pairs(tok, a, para_s, **enc)
    other = te.encode_pairs(tok, a, other_s, **enc)
    pool = te.encode_pairs(tok, a + a, para_s + other_s, **enc)
    dev = te.encode_pairs(tok, a + a, para_s + other_s, gold=[1.0] * 48 + [0.0] * 48, **enc)
    before = _gap(bi, para, other)
    member = te.Member("toy", bi, bi.encoder)
    s = te.CycleSettings(
        cycles=1,
        cross_epochs=25,
        cross_batch=16,
        cross_lr=3e-3,
        bi_epochs=4,
        bi_batch=16,
        bi_lr=1e-3,
        target_scale="minmax",
        cross_init="bi",
    )
    (log,) = te.run_cycles([member], pool, dev, s)
    after = _gap(member.best_bi, para, other)
    assert after > before + 0.1, (before, after)
    # the cross-encoder learned from the bi-encoder's labels to score the paraphrases clearly higher
    z = log.cross_labels
    assert float(z[:48].mean()) > float(z[48:].mean()) + 0.1
    assert all(math.isfinite(v) for v in log.cross_losses["toy"] + log.bi_losses["toy"])
    assert log.dev_bi["toy"] > 0  # the planted labels are found again on the pool


def test_mutual_distillation_averages_the_two_models():
    tok, bi1, _ = toy_models(seed=0)
    _, bi2, _ = toy_models(seed=1)
    a, para_s, _ = planted_corpus(8, seed=1)
    pool = te.encode_pairs(tok, a, para_s, bi_len=12, cross_len=24)
    y = te.bi_pseudo_labels([bi1, bi2], pool)
    torch.testing.assert_close(y, 0.5 * (bi1.similarity(pool.a, pool.b) + bi2.similarity(pool.a, pool.b)))
    dev = te.encode_pairs(tok, a, para_s, bi_len=12, cross_len=24, gold=list(range(8)))
    members = [te.Member("m1", bi1, bi1.encoder), te.Member("m2", bi2, bi2.encoder)]
    s = te.CycleSettings(cycles=1, cross_epochs=1, cross_batch=8, bi_epochs=1, bi_batch=8)
    (log,) = te.run_cycles(members, pool, dev, s)
    assert set(log.dev_bi) == {"m1", "m2"} and members[0].best_cross is not None
    assert log.bi_labels.shape == (8,)


def test_minilm_loads_offline_as_fp32_and_ranks_a_paraphrase_first():
    path = data_root() / te.MINILM
    if not (path / "model.safetensors").is_file():
        import pytest

        pytest.skip("MiniLM not staged")
    tok = te.load_tokenizer(path)
    bi = te.BiEncoder(te.load_pretrained(path), "mean")
    assert next(bi.parameters()).dtype == torch.float32
    s = te.tokenize(tok, ["A man is playing a guitar.", "A man plays the guitar.", "The stock market fell."])
    z = bi.embed(s)
    assert F.cosine_similarity(z[0], z[1], dim=0) > F.cosine_similarity(z[0], z[2], dim=0) + 0.3


def test_full_config_builds_and_runs_one_step_on_cpu():
    cfg = te.config("full", device="cpu", allow_cpu_full=True)
    assert cfg.test_sets == "all" and cfg.mutual and cfg.cycles == 3 and cfg.minilm_cycles == 3
    s = te.cycle_settings(cfg, "tiny")
    assert (s.cross_batch, s.bi_batch, s.bi_epochs, s.cross_epochs) == (32, 128, 10.0, 1.0)
    tok, _, _ = toy_models()
    torch.manual_seed(0)
    mlm = te.tiny_bert(tok.vocab_size, cfg.tiny_hidden, cfg.tiny_layers, cfg.tiny_heads, cfg.cross_max_len)
    a, para_s, _ = planted_corpus(32, seed=2)
    pool = te.encode_pairs(tok, a, para_s, bi_len=cfg.bi_max_len, cross_len=cfg.cross_max_len)
    dev = te.encode_pairs(
        tok, a, para_s, bi_len=cfg.bi_max_len, cross_len=cfg.cross_max_len, gold=list(range(32))
    )
    mlm_loss = te.pretrain_mlm(
        mlm,
        pool.ab,
        special_ids=tok.all_special_ids,
        mask_id=tok.mask_token_id,
        steps=1,
        batch_size=cfg.mlm_batch,
        lr=cfg.mlm_lr,
    )
    bi = te.BiEncoder(mlm.bert, cfg.pooling)
    sim_loss = te.train_simcse(bi, pool.a, steps=1, batch_size=cfg.simcse_batch, lr=cfg.simcse_lr)
    one = dataclasses.replace(s, cycles=1, cross_epochs=0.5, bi_epochs=1.0)  # one step per phase
    (log,) = te.run_cycles([te.Member("full", bi, mlm.bert)], pool, dev, one)
    assert len(log.cross_losses["full"]) == 1 and len(log.bi_losses["full"]) == 1
    assert all(
        math.isfinite(v) for v in mlm_loss + sim_loss + log.cross_losses["full"] + log.bi_losses["full"]
    )
    # mutual distillation (the second member stands in for MiniLM) under the FULL mutual settings
    assert (
        cfg.starts == "both" and cfg.study == "full" and te.cycle_settings(cfg, "minilm").head_lr_mult == 1.0
    )
    sm = dataclasses.replace(te.cycle_settings(cfg, "mutual"), cycles=1, cross_epochs=0.5, bi_epochs=1.0)
    _, other, _ = toy_models(seed=1)
    members = [te.Member("tiny", bi, mlm.bert), te.Member("other", other, other.encoder)]
    (mlog,) = te.run_cycles(members, pool, dev, sm)
    assert set(mlog.dev_bi) == {"tiny", "other"} and all(m.best_cross is not None for m in members)
    # the FULL study grid: every factor the chapter reports, each run for one step here
    grid = te.variants(cfg.study, sm, len(pool))
    assert len(grid) == 7 and {v.start for v in grid} == {"simcse", "mlm", "mutual"}
    starts = {
        "simcse": members[:1],
        "mlm": [te.Member("mlm", te.BiEncoder(mlm.bert), mlm.bert)],
        "mutual": members,
    }
    picked = [next(v for v in grid if v.start == k) for k in ("simcse", "mlm", "mutual")]
    picked = [dataclasses.replace(v, changes=(*v.changes, ("cross_epochs", 0.5))) for v in picked]
    rows = te.run_study(starts, pool, dev, sm, picked)
    assert len(rows) == 3 and all(math.isfinite(r.dev_bi) and math.isfinite(r.dev_cross) for r in rows)
