"""The GPU planning estimate of chapter 7 counts the steps the code really takes, and FULL fits the hour.

A toy run of the chapter's flow (tiny BERT start, a second model standing in for MiniLM, self and
mutual cycles, the full study grid, the test sets) is hooked: every trainer call reports its optimiser
steps and every no-grad forward pass its batch; the totals per model and step kind must equal
:func:`iclr22lib.transencoder.budget.count_work` for the same config and data sizes.
"""

from __future__ import annotations

from collections import Counter

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from iclr22lib import transencoder as te
from iclr22lib.transencoder import budget, train
from tests.unit.transencoder_toy import planted_corpus, toy_tokenizer

TINY_H, OTHER_H = 16, 24  # hidden sizes tell the two models apart in the hooks


def _toy_data(cfg, tok):
    """A ChapterData of planted pairs: a 150-pair pool, 60 dev pairs, test sets of 40 and 300 pairs."""
    enc = {"bi_len": cfg.bi_max_len, "cross_len": cfg.cross_max_len}
    a, para, other = planted_corpus(150, seed=0)
    pool = te.encode_pairs(
        tok, a, [p if i % 2 else o for i, (p, o) in enumerate(zip(para, other, strict=True))], **enc
    )

    def scored(n, seed):
        x, p, o = planted_corpus(n, seed=seed)
        return te.encode_pairs(
            tok, x, p[: n // 2] + o[n // 2 :], gold=[1.0] * (n // 2) + [0.0] * (n - n // 2), **enc
        )

    return te.ChapterData(
        tokenizer=tok,
        model_dir="",
        pool=None,
        pool_enc=pool,
        minilm_pool_enc=te.subset_pairs(pool, 40, seed=0),
        dev=scored(60, 1),
        tests={"small": scored(40, 2), "large": scored(300, 3)},  # 300 rows: two forward batches of 256
        mlm_tokens=te.tokenize(tok, a, para, max_len=cfg.cross_max_len),
        sentence_tokens=te.tokenize(tok, a + para, max_len=cfg.bi_max_len),
    )


def _run_chapter(cfg, data, other: te.Member):
    """The notebook's sequence of library calls (``other`` stands in for MiniLM)."""
    tiny = te.build_tiny_start(cfg, data)
    te.run_cycles([tiny.member], data.pool_enc, data.dev, te.cycle_settings(cfg, "tiny"))
    te.evaluate_bi(other.bi_start, data.dev)
    te.run_cycles([other], data.minilm_pool_enc, data.dev, te.cycle_settings(cfg, "minilm"))
    mutual = [
        te.Member("tiny (mutual)", tiny.member.bi_start, tiny.member.plm),
        te.Member("other (mutual)", other.bi_start, other.plm),
    ]
    te.run_cycles(mutual, data.pool_enc, data.dev, te.cycle_settings(cfg, "mutual"))
    base = te.cycle_settings(cfg, "tiny")
    starts = {
        "simcse": [tiny.member],
        "mlm": [te.Member("mlm", te.BiEncoder(tiny.member.plm, cfg.pooling), tiny.member.plm)],
        "mutual": [tiny.member, other],
    }
    grid = te.study_grid(cfg.study, base, len(data.pool_enc), mutual_done=cfg.mutual)
    te.run_study(starts, data.pool_enc, data.dev, base, grid)
    for m in (tiny.member, other, *mutual):
        te.score_member(m, data.tests)


def test_budget_counts_the_steps_the_code_takes(monkeypatch):
    tok = toy_tokenizer()
    cfg = te.config(
        "smoke",
        device="cpu",
        mutual=True,
        tiny_hidden=TINY_H,
        tiny_layers=1,
        tiny_heads=2,
        mlm_steps=3,
        mlm_batch=16,
        simcse_steps=2,
        simcse_batch=16,
        cycles=2,
        minilm_cycles=1,
        cross_epochs=0.5,
        cross_batch=32,
        bi_epochs=1.5,  # fractional epochs: the trainers round the step count
        bi_batch=32,
        study="full",
    )
    data = _toy_data(cfg, tok)
    torch.manual_seed(1)
    other_enc = te.tiny_bert(tok.vocab_size, OTHER_H, 1, 2, cfg.cross_max_len).bert
    other = te.Member("other", te.BiEncoder(other_enc, "mean"), other_enc)
    key = {TINY_H: "tiny", OTHER_H: "minilm"}
    seen: Counter = Counter()
    kinds = {
        "MLM": "mlm step",
        "SimCSE": "simcse step",
        "cross BCE": "cross step",
        "cross MSE": "cross step",
        "bi MSE": "bi step",
    }
    real_fit = train._fit

    def fit(model, *args, **kwargs):
        losses = real_fit(model, *args, **kwargs)
        h = next(p for n, p in model.named_parameters() if "word_embeddings" in n).shape[1]
        seen[key[h], kinds[kwargs["desc"]]] += len(losses)
        return losses

    def counting(cls, kind):
        real = cls.forward

        def forward(self, batch):
            if not self.training:
                seen[key[self.encoder.config.hidden_size], kind] += 1
            return real(self, batch)

        return forward

    monkeypatch.setattr(train, "_fit", fit)
    monkeypatch.setattr(te.BiEncoder, "forward", counting(te.BiEncoder, "bi forward"))
    monkeypatch.setattr(te.CrossEncoder, "forward", counting(te.CrossEncoder, "cross forward"))
    opt_steps = [0]
    handle = register_optimizer_step_post_hook(lambda *_: opt_steps.__setitem__(0, opt_steps[0] + 1))
    try:
        _run_chapter(cfg, data, other)
    finally:
        handle.remove()

    sizes = budget.Sizes(
        len(data.pool_enc),
        len(data.minilm_pool_enc),
        len(data.dev),
        {n: len(p) for n, p in data.tests.items()},
    )
    planned: Counter = Counter()
    for (_, model, kind), n in budget.count_work(cfg, sizes).items():
        planned[model, kind] += n
    assert +planned == +seen
    train_kinds = ("mlm step", "simcse step", "cross step", "bi step")
    assert opt_steps[0] == sum(n for (_, k), n in seen.items() if k in train_kinds)  # one optimiser step each
    # the full grid's mutual variant is read from the main mutual run, not run twice
    assert all(
        v.start != "mutual"
        for v in te.study_grid("full", te.cycle_settings(cfg, "tiny"), 100, mutual_done=True)
    )
    assert any(v.start == "mutual" for v in te.study_grid("full", te.cycle_settings(cfg, "tiny"), 100))


def test_trainer_step_arithmetic():
    assert budget.fit_steps(300, 32, 1.5) == round(1.5 * 9)
    assert budget.fit_steps(10, 32, 3.0) == 3  # batch capped at the items: one step per epoch
    assert budget.fit_steps(100, 32, 0.01) == 1
    assert budget.batches(256) == 1 and budget.batches(257) == 2


def test_full_pool_is_every_pair_and_full_estimate_fits_the_hour(real_data_root):
    sizes = budget.data_sizes(te.FULL)
    assert sizes.pool == sizes.minilm_pool > 20_000  # pool_pairs=10_000_000: all de-duplicated pairs
    assert sizes.dev == 1500 and sizes.tests == {n: te.PUBLISHED_SIZES[n] for n in te.TEST_SETS}
    items = budget.full_workload()
    from iclr22lib.core.budget import budget_table

    rows, minutes = budget_table(items)
    assert minutes < 60, rows
    names = " | ".join(r["work"] for r in rows)
    for phase in ("start (a)", "start (b)", "self, 3 cycles", "mutual, 3 cycles", "study", "test sets"):
        assert phase in names
