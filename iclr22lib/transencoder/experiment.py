"""The chapter's experiment in a few calls: data, the two starts, cycles and the results table."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch

from iclr22lib.core.data import fetch
from iclr22lib.transencoder.config import MINILM, TransEncoderConfig
from iclr22lib.transencoder.cycles import Member
from iclr22lib.transencoder.data import (
    ALL_SETS,
    TEST_SETS,
    PairPool,
    StsSet,
    build_pool,
    load_sts,
    union_pools,
)
from iclr22lib.transencoder.models import (
    BiEncoder,
    Tokens,
    load_pretrained,
    load_tokenizer,
    tiny_bert,
    tokenize,
)
from iclr22lib.transencoder.train import (
    EncodedPairs,
    encode_pairs,
    evaluate_bi,
    evaluate_cross,
    pretrain_mlm,
    train_simcse,
)


@dataclass
class ChapterData:
    """Everything tokenised once: the pools, STS-B dev, the test sets and the MLM / SimCSE text."""

    tokenizer: object
    model_dir: str
    pool: PairPool
    pool_enc: EncodedPairs
    minilm_pool_enc: EncodedPairs
    dev: EncodedPairs
    tests: dict[str, EncodedPairs]
    mlm_tokens: Tokens
    sentence_tokens: Tokens


def prepare(cfg: TransEncoderConfig, root: str | None = None) -> ChapterData:
    """Load every STS set, build the label-free pool from all of them, and tokenise once.

    The pool holds the pairs of all eleven files (STS12-16, STS-B train/dev/test, SICK train/trial/
    test) without their labels, as in the paper. ``cfg.pool_pairs`` caps it: the evaluated pairs
    (dev and test subsets) come first, then a seeded random subset of the others.
    """
    model_dir = str(fetch(MINILM, root))
    tok = load_tokenizer(model_dir)
    sel = select_pairs(cfg, {n: load_sts(n, root) for n in ALL_SETS})
    full_pool, pool, mini, dev = sel.full_pool, sel.pool, sel.minilm_pool, sel.dev
    enc = dict(bi_len=cfg.bi_max_len, cross_len=cfg.cross_max_len)
    sentences = full_pool.sentences()
    return ChapterData(
        tokenizer=tok,
        model_dir=model_dir,
        pool=pool,
        pool_enc=encode_pairs(tok, pool.a, pool.b, name="pool", **enc),
        minilm_pool_enc=encode_pairs(tok, mini.a, mini.b, name="pool", **enc),
        dev=encode_pairs(tok, dev.a, dev.b, gold=dev.gold, name="stsb_dev", **enc),
        tests={n: encode_pairs(tok, s.a, s.b, gold=s.gold, name=n, **enc) for n, s in sel.tests.items()},
        mlm_tokens=(
            tokenize(tok, full_pool.a, full_pool.b, max_len=cfg.cross_max_len)
            if cfg.mlm_on == "pairs"
            else tokenize(tok, sentences, max_len=cfg.bi_max_len)
        ),
        sentence_tokens=tokenize(tok, sentences, max_len=cfg.bi_max_len),
    )


@dataclass(frozen=True)
class Selection:
    """Which pairs a run uses (text only, nothing tokenised): every pair of every file
    (``full_pool``, the masked-LM text), the tiny BERT's ``pool``, the MiniLM ``minilm_pool``, the
    STS-B ``dev`` subset and the evaluated ``tests`` subsets."""

    full_pool: PairPool
    pool: PairPool
    minilm_pool: PairPool
    dev: StsSet
    tests: dict[str, StsSet]


def select_pairs(cfg: TransEncoderConfig, sets: dict[str, StsSet]) -> Selection:
    """The pairs :func:`prepare` uses, from the loaded sets ``{name: StsSet}`` of :data:`ALL_SETS`."""
    dev = sets["stsb_dev"].subset(cfg.dev_pairs, seed=cfg.seed)
    names = TEST_SETS if cfg.test_sets == "all" else ("stsb_test", "sick_test")
    tests = {n: sets[n].subset(cfg.test_pairs, seed=cfg.seed) for n in names}
    # transductive, as in the paper: the evaluated pairs (without labels) first, then random others
    core = build_pool([dev, *tests.values()])
    rest = build_pool(list(sets.values()), None)
    pool = union_pools(core, build_pool([_as_set(rest)], max(0, cfg.pool_pairs - len(core)), seed=cfg.seed))
    if cfg.pool_pairs < len(core):
        pool = build_pool([_as_set(core)], cfg.pool_pairs, seed=cfg.seed)
    mini = build_pool([_as_set(pool)], cfg.minilm_pool_pairs, seed=cfg.seed)
    return Selection(build_pool(list(sets.values())), pool, mini, dev, tests)


def _as_set(pool: PairPool) -> StsSet:
    """A pool viewed as an unscored set (gold all NaN), to subsample it with :func:`build_pool`."""
    return StsSet("pool", pool.a, pool.b, np.full(len(pool), np.nan))


@dataclass
class TinyStart:
    """Start (b): the member plus the pretraining curves and dev Spearman after each stage."""

    member: Member
    mlm_losses: list[float]
    simcse_losses: list[float]
    dev_mlm: float
    dev_simcse: float


def build_tiny_start(cfg: TransEncoderConfig, data: ChapterData) -> TinyStart:
    """Pretrain a tiny BERT by masked-LM on the unlabelled text, then tune a copy with SimCSE."""
    torch.manual_seed(cfg.seed)
    tok = data.tokenizer
    mlm = tiny_bert(tok.vocab_size, cfg.tiny_hidden, cfg.tiny_layers, cfg.tiny_heads, cfg.cross_max_len)
    mlm = mlm.to(cfg.device)
    mlm_losses = pretrain_mlm(
        mlm,
        data.mlm_tokens,
        special_ids=tok.all_special_ids,
        mask_id=tok.mask_token_id,
        steps=cfg.mlm_steps,
        batch_size=cfg.mlm_batch,
        lr=cfg.mlm_lr,
        seed=cfg.seed,
    )
    plm = mlm.bert
    bi = BiEncoder(copy.deepcopy(plm), cfg.pooling)
    dev_mlm = evaluate_bi(bi, data.dev)
    simcse_losses = train_simcse(
        bi,
        data.sentence_tokens,
        steps=cfg.simcse_steps,
        batch_size=cfg.simcse_batch,
        lr=cfg.simcse_lr,
        temperature=cfg.temperature,
        seed=cfg.seed,
    )
    return TinyStart(
        Member("tiny BERT", bi, plm), mlm_losses, simcse_losses, dev_mlm, evaluate_bi(bi, data.dev)
    )


def build_minilm_start(cfg: TransEncoderConfig, data: ChapterData) -> Member:
    """Start (a): the pretrained MiniLM as bi-encoder (mean pooling) and as the cross-encoder's PLM."""
    enc = load_pretrained(data.model_dir).to(cfg.device)
    return Member("MiniLM", BiEncoder(enc, "mean"), enc)


@dataclass
class Scores:
    """Spearman x 100 per test set for the start, the best bi- and the best cross-encoder."""

    start: dict[str, float] = field(default_factory=dict)
    bi: dict[str, float] = field(default_factory=dict)
    cross: dict[str, float] = field(default_factory=dict)

    def table(self) -> dict[str, dict[str, float]]:
        """``{row: {set: value, ..., "avg": mean}}`` for the rows start / bi / cross."""
        out = {}
        for row in ("start", "bi", "cross"):
            vals = getattr(self, row)
            out[row] = {**vals, "avg": float(np.mean(list(vals.values())))} if vals else {}
        return out


def score_member(member: Member, tests: dict[str, EncodedPairs]) -> Scores:
    """Evaluate the start and the best-dev bi- and cross-encoder of ``member`` on every test set."""
    out = Scores()
    for name, pairs in tests.items():
        out.start[name] = evaluate_bi(member.bi_start, pairs)
        if member.best_bi is not None:
            out.bi[name] = evaluate_bi(member.best_bi, pairs)
        if member.best_cross is not None:
            out.cross[name] = evaluate_cross(member.best_cross, pairs)
    return out
