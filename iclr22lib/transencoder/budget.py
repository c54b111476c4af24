"""GPU planning estimate of the chapter's ``full`` preset (``iclr22 budget ch07``).

Two halves. :func:`count_work` walks the chapter's run the way the notebook and the library run it
and counts every kernel-heavy step: optimiser steps of the masked-LM, SimCSE, cross- and bi-encoder
trainers, and forward batches of the bi- and cross-encoder (pseudo-labelling the pool, STS-B dev
after every phase, the seven test sets at the end), per model (the tiny BERT or MiniLM), for the
main cycles, the MiniLM start, mutual distillation and the dev-only study grid. Pool sizes come from
the real data through :func:`~iclr22lib.transencoder.experiment.select_pairs`, the function the run
itself uses. :func:`full_workload` then measures one step of each kind on the CPU at a small batch
with :func:`iclr22lib.core.budget.measure_step`, scales its FLOPs to the real batch (kernel counts do
not depend on the batch) and returns the :class:`~iclr22lib.core.budget.WorkItem` list.

Sequences are taken at their full padded length (``bi_max_len`` / ``cross_max_len``); the run trims
each batch to its longest row, so this over-counts FLOPs a little. Host work (tokenising, copying
models, Spearman on the CPU) is not counted. The result is a planning figure, not a measurement.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from iclr22lib.core.budget import StepCost, WorkItem, measure_step
from iclr22lib.transencoder.config import FULL, MINILM, TransEncoderConfig, cycle_settings
from iclr22lib.transencoder.cycles import CycleSettings
from iclr22lib.transencoder.models import BiEncoder, CrossEncoder, Tokens, tiny_bert
from iclr22lib.transencoder.study import study_grid
from iclr22lib.transencoder.train import (
    EncodedPairs,
    pretrain_mlm,
    train_bi_mse,
    train_cross_bce,
    train_simcse,
)

#: Batch size of every no-grad forward pass (pseudo-labels, dev and test scoring): the library's default.
EVAL_BATCH: int = inspect.signature(BiEncoder.embed).parameters["batch_size"].default
#: Step kinds: optimiser steps of the four trainers, and no-grad forward batches of the two scorers.
KINDS = ("mlm step", "simcse step", "cross step", "bi step", "bi forward", "cross forward")
MODELS = {"tiny": "tiny BERT", "minilm": "MiniLM"}


@dataclass(frozen=True)
class Sizes:
    """Pairs a run uses: the tiny BERT's pool, the MiniLM pool, STS-B dev, and each test set."""

    pool: int
    minilm_pool: int
    dev: int
    tests: dict[str, int]


def data_sizes(cfg: TransEncoderConfig, root: str | None = None) -> Sizes:
    """Sizes of the pools, dev and test subsets of ``cfg``, from the real data (labels unread)."""
    from iclr22lib.transencoder.data import ALL_SETS, load_sts
    from iclr22lib.transencoder.experiment import select_pairs

    sel = select_pairs(cfg, {n: load_sts(n, root) for n in ALL_SETS})
    return Sizes(len(sel.pool), len(sel.minilm_pool), len(sel.dev), {n: len(s) for n, s in sel.tests.items()})


def fit_steps(n_items: int, batch_size: int, epochs: float) -> int:
    """Optimiser steps of one trainer call over ``n_items`` for ``epochs`` (as the trainers count them)."""
    batch_size = min(batch_size, n_items)
    return max(1, round(epochs * max(1, n_items // batch_size)))


def batches(n_rows: int, batch_size: int = EVAL_BATCH) -> int:
    """Forward batches of one no-grad pass over ``n_rows`` rows."""
    return math.ceil(n_rows / batch_size)


Work = Counter  # (phase, model key, kind) -> count


def cycle_work(phase: str, n_pool: int, n_dev: int, s: CycleSettings, models: Sequence[str]) -> Work:
    """Steps of :func:`~iclr22lib.transencoder.cycles.run_cycles` with members of ``models`` (keys of
    :data:`MODELS`) on ``n_pool`` pairs: per cycle and member, bi-encoder labels (both sides of the
    pool), cross-encoder training on both orders, cross-encoder labels (both orders), bi-encoder
    training, and the dev scoring of both."""
    w: Work = Counter()
    for _ in range(s.cycles):
        for m in models:
            w[phase, m, "bi forward"] += 2 * batches(n_pool) + 2 * batches(n_dev)
            w[phase, m, "cross step"] += fit_steps(2 * n_pool, s.cross_batch, s.cross_epochs)
            w[phase, m, "cross forward"] += 2 * batches(n_pool) + 2 * batches(n_dev)
            w[phase, m, "bi step"] += fit_steps(n_pool, s.bi_batch, s.bi_epochs)
    return w


def study_work(
    kind: str,
    base: CycleSettings,
    n_pool: int,
    n_dev: int,
    starts: dict[str, Sequence[str]],
    mutual_done: bool = False,
) -> Work:
    """Steps of :func:`~iclr22lib.transencoder.study.run_study` over ``study_grid(kind, ...)``, one
    cycle each, for the starts available (``{start: model keys}``); each variant also scores its first
    member's start on dev."""
    w: Work = Counter()
    for v in study_grid(kind, base, n_pool, mutual_done=mutual_done):
        if v.start not in starts:
            continue
        s = dataclasses.replace(v.settings(base), cycles=1)
        p = n_pool if v.pool_pairs is None else min(v.pool_pairs, n_pool)
        w += cycle_work("study (dev only)", p, n_dev, s, starts[v.start])
        w["study (dev only)", starts[v.start][0], "bi forward"] += 2 * batches(n_dev)
    return w


def count_work(cfg: TransEncoderConfig, sizes: Sizes) -> Work:
    """Every counted step of the chapter's run under ``cfg`` on data of ``sizes``, in run order."""
    w: Work = Counter()
    tiny = cfg.starts in ("both", "tiny")
    minilm = cfg.starts in ("both", "minilm")
    dev = 2 * batches(sizes.dev)
    members = []  # scored on the test sets at the end
    if tiny:
        w["start (b)", "tiny", "mlm step"] += cfg.mlm_steps
        w["start (b)", "tiny", "simcse step"] += cfg.simcse_steps
        w["start (b)", "tiny", "bi forward"] += 2 * dev  # dev after MLM and after SimCSE
        w += cycle_work(
            f"self, {cfg.cycles} cycles", sizes.pool, sizes.dev, cycle_settings(cfg, "tiny"), ["tiny"]
        )
        members.append("tiny")
    if minilm:
        w["start (a)", "minilm", "bi forward"] += dev
        s = cycle_settings(cfg, "minilm")
        w += cycle_work(f"self, {s.cycles} cycles", sizes.minilm_pool, sizes.dev, s, ["minilm"])
        members.append("minilm")
    if cfg.mutual:
        s = cycle_settings(cfg, "mutual")
        w += cycle_work(f"mutual, {s.cycles} cycles", sizes.pool, sizes.dev, s, ["tiny", "minilm"])
        members += ["tiny", "minilm"]
    if tiny and cfg.study != "none":
        starts: dict[str, Sequence[str]] = {"simcse": ["tiny"], "mlm": ["tiny"]}
        if minilm:
            starts["mutual"] = ["tiny", "minilm"]
        w += study_work(
            cfg.study, cycle_settings(cfg, "tiny"), sizes.pool, sizes.dev, starts, mutual_done=cfg.mutual
        )
    for m in members:  # score_member: start and best bi-encoder, best cross-encoder, per test set
        for n in sizes.tests.values():
            w["test sets", m, "bi forward"] += 2 * 2 * batches(n)
            w["test sets", m, "cross forward"] += 2 * batches(n)
    return w


def _tokens(n: int, length: int, vocab: int, gen: torch.Generator) -> Tokens:
    ids = torch.randint(1000, vocab, (n, length), generator=gen)
    ids[:, 0], ids[:, -1] = 101, 102  # [CLS] ... [SEP]
    return Tokens(ids, torch.ones(n, length, dtype=torch.long), torch.zeros(n, length, dtype=torch.long))


def _encoder(cfg: TransEncoderConfig, model: str, root: str | None) -> tuple[torch.nn.Module, int]:
    """A randomly initialised encoder of the right shape (weights do not change the cost), and its vocab."""
    from transformers import AutoConfig, AutoModel

    from iclr22lib.core.data import fetch

    conf = AutoConfig.from_pretrained(str(fetch(MINILM, root, files=["config.json"])), local_files_only=True)
    if model == "tiny":  # MiniLM's word-piece vocabulary, as in the run
        return tiny_bert(
            conf.vocab_size, cfg.tiny_hidden, cfg.tiny_layers, cfg.tiny_heads, cfg.cross_max_len
        ), conf.vocab_size
    return AutoModel.from_config(conf), conf.vocab_size


def measure_kinds(
    cfg: TransEncoderConfig, model: str, root: str | None = None, small: int = 4
) -> dict[str, StepCost]:
    """One step of each kind of ``model`` ("tiny" or "minilm") measured at batch ``small`` on the CPU,
    its FLOPs scaled to ``cfg``'s batch sizes (:data:`EVAL_BATCH` for forward batches)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the counts do not depend on it; one thread keeps a shared machine free
    try:
        return _measure_kinds(cfg, model, root, small)
    finally:
        torch.set_num_threads(threads)


def _measure_kinds(cfg: TransEncoderConfig, model: str, root: str | None, small: int) -> dict[str, StepCost]:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    net, vocab = _encoder(cfg, model, root)
    enc = net.bert if model == "tiny" else net
    lb, lc = cfg.bi_max_len, cfg.cross_max_len
    pairs = EncodedPairs("probe", *(_tokens(small, n, vocab, gen) for n in (lb, lb, lc, lc)), gold=None)
    half = EncodedPairs("probe", *(_tokens(small // 2, n, vocab, gen) for n in (lb, lb, lc, lc)))
    s = cycle_settings(cfg, model)

    def scaled(step, batch: int) -> StepCost:
        c = measure_step(step)
        return StepCost(c.flops * batch / small, c.ops)

    bi, cross = BiEncoder(copy.deepcopy(enc), cfg.pooling), CrossEncoder(copy.deepcopy(enc))
    out = {
        # one optimiser step each: ``small`` items in batches of ``small``
        "cross step": scaled(
            lambda: train_cross_bce(
                cross,
                half,
                torch.rand(small // 2),
                epochs=1,
                batch_size=small,
                lr=s.cross_lr,
                head_lr_mult=s.head_lr_mult,
            ),
            s.cross_batch,
        ),
        "bi step": scaled(
            lambda: train_bi_mse(bi, pairs, torch.rand(small), epochs=1, batch_size=small, lr=s.bi_lr),
            s.bi_batch,
        ),
        "bi forward": scaled(lambda: bi.embed(pairs.a, batch_size=small), EVAL_BATCH),
        "cross forward": scaled(lambda: cross.logits(pairs.ab, batch_size=small), EVAL_BATCH),
    }
    if model == "tiny":
        text = _tokens(small, lc if cfg.mlm_on == "pairs" else lb, vocab, gen)
        special = [0, 100, 101, 102, 103]
        out["mlm step"] = scaled(
            lambda: pretrain_mlm(
                net, text, special_ids=special, mask_id=103, steps=1, batch_size=small, lr=cfg.mlm_lr
            ),
            cfg.mlm_batch,
        )
        out["simcse step"] = scaled(
            lambda: train_simcse(
                BiEncoder(enc, cfg.pooling), pairs.a, steps=1, batch_size=small, lr=cfg.simcse_lr
            ),
            cfg.simcse_batch,
        )
    return out


def workload(cfg: TransEncoderConfig, sizes: Sizes, costs: dict[str, dict[str, StepCost]]) -> list[WorkItem]:
    """:class:`WorkItem` rows of :func:`count_work`, one per (phase, model, kind), costed by ``costs``."""
    return [
        WorkItem(f"{phase}: {MODELS[m]} {kind}", n, costs[m][kind])
        for (phase, m, kind), n in count_work(cfg, sizes).items()
        if n
    ]


def full_workload(cfg: TransEncoderConfig = FULL, root: str | None = None) -> list[WorkItem]:
    """Every step of the ``full`` preset (or ``cfg``) with its measured-and-scaled cost."""
    sizes = data_sizes(cfg, root)
    used = {m for (_, m, _) in count_work(cfg, sizes)}
    return workload(cfg, sizes, {m: measure_kinds(cfg, m, root) for m in used})
