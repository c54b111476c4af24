"""STS evaluation sets (STS12-16, STS Benchmark, SICK-R) and the unlabelled sentence-pair pool.

Every loader returns an :class:`StsSet`: two lists of sentences and the gold similarity of each
pair (a float array, the data set's own scale: 0-5 for STS, 1-5 for SICK). The pool the method
learns from is a :class:`PairPool`, which holds sentence pairs and nothing else: it is built from
evaluation sets *without their labels*, as in the paper's transductive setting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from iclr22lib.core.data import DataError, fetch

#: The seven test sets of the paper, in its table order.
TEST_SETS = ("sts12", "sts13", "sts14", "sts15", "sts16", "stsb_test", "sick_test")
#: Everything :func:`load_sts` can read.
ALL_SETS = (*TEST_SETS, "stsb_train", "stsb_dev", "sick_train", "sick_trial")
#: Published numbers of scored pairs (SentEval / the data sets' own papers).
PUBLISHED_SIZES = {
    "sts12": 3108,
    "sts13": 1500,
    "sts14": 3750,
    "sts15": 3000,
    "sts16": 1186,
    "stsb_train": 5749,
    "stsb_dev": 1500,
    "stsb_test": 1379,
    "sick_train": 4500,
    "sick_trial": 500,
    "sick_test": 4927,
}


@dataclass(frozen=True)
class StsSet:
    """A labelled evaluation set: ``a[i]``, ``b[i]`` sentences, ``gold[i]`` their similarity ([N] float)."""

    name: str
    a: tuple[str, ...]
    b: tuple[str, ...]
    gold: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    def subset(self, n: int, seed: int = 0) -> StsSet:
        """A seeded random subset of ``n`` pairs (all of them when ``n >= len``)."""
        if n >= len(self):
            return self
        idx = np.sort(np.random.default_rng(seed).choice(len(self), n, replace=False))
        return StsSet(self.name, tuple(self.a[i] for i in idx), tuple(self.b[i] for i in idx), self.gold[idx])


@dataclass(frozen=True)
class PairPool:
    """Unlabelled sentence pairs ``(a[i], b[i])``: the only training signal the method gets."""

    a: tuple[str, ...]
    b: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.a)

    def sentences(self) -> list[str]:
        """The unique sentences of the pool, in first-seen order."""
        return list(dict.fromkeys((*self.a, *self.b)))


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def _semeval_year(folder: Path, year: str) -> StsSet:
    """All scored pairs of one SemEval year, subsets concatenated (the "all" aggregation)."""
    a, b, gold = [], [], []
    inputs = sorted(folder.glob("*.input.*.txt"))
    if not inputs:
        raise DataError(f"no STS input files in {folder}")
    for inp in inputs:
        gs = inp.with_name(inp.name.replace(".input.", ".gs."))
        if not gs.is_file():
            continue  # STS15/16 ship inputs without gold for some extra files
        sents, scores = _read_lines(inp), _read_lines(gs)
        if len(sents) != len(scores):
            raise DataError(f"{inp.name} has {len(sents)} lines but {gs.name} has {len(scores)}")
        for line, score in zip(sents, scores, strict=True):
            if not score.strip():
                continue  # unscored pair
            fields = line.split("\t")
            a.append(fields[0].strip())
            b.append(fields[1].strip())
            gold.append(float(score.split("\t")[0]))
    return StsSet(year, tuple(a), tuple(b), np.asarray(gold, dtype=np.float64))


def _stsb(path: Path, name: str) -> StsSet:
    a, b, gold = [], [], []
    for line in _read_lines(path):
        f = line.split("\t")
        if len(f) < 7:
            continue
        gold.append(float(f[4]))
        a.append(f[5].strip())
        b.append(f[6].strip())
    return StsSet(name, tuple(a), tuple(b), np.asarray(gold, dtype=np.float64))


def _sick(path: Path, name: str) -> StsSet:
    a, b, gold = [], [], []
    for line in _read_lines(path)[1:]:
        f = line.split("\t")
        if len(f) < 4:
            continue
        a.append(f[1].strip())
        b.append(f[2].strip())
        gold.append(float(f[3]))
    return StsSet(name, tuple(a), tuple(b), np.asarray(gold, dtype=np.float64))


def load_sts(name: str, root: str | os.PathLike | None = None) -> StsSet:
    """Load one evaluation set by name (see :data:`ALL_SETS`) from the registered ``sts`` data set."""
    if name not in ALL_SETS:
        raise DataError(f"unknown STS set {name!r}; choose one of {', '.join(ALL_SETS)}")
    folder = fetch("sts", root)
    if name.startswith("sts1"):
        return _semeval_year(folder / name.upper(), name)
    if name.startswith("stsb_"):
        return _stsb(folder / "STSBenchmark" / f"sts-{name[5:]}.csv", name)
    split = {"sick_train": "SICK_train", "sick_trial": "SICK_trial", "sick_test": "SICK_test_annotated"}[name]
    return _sick(folder / "SICK" / f"{split}.txt", name)


def build_pool(sets: list[StsSet], n_pairs: int | None = None, seed: int = 0) -> PairPool:
    """The unlabelled pool: every pair of ``sets`` with its label dropped, de-duplicated on (a, b).

    ``n_pairs`` keeps a seeded random subset (None: all). Pairs with identical sentences are
    dropped (they carry no signal); gold labels are never read.
    """
    seen: dict[tuple[str, str], None] = {}
    for s in sets:
        for a, b in zip(s.a, s.b, strict=True):
            if a and b and a != b:
                seen.setdefault((a, b), None)
    pairs = list(seen)
    if n_pairs is not None and n_pairs < len(pairs):
        idx = np.sort(np.random.default_rng(seed).choice(len(pairs), n_pairs, replace=False))
        pairs = [pairs[i] for i in idx]
    return PairPool(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))


def union_pools(*pools: PairPool) -> PairPool:
    """The de-duplicated union of several pools, in order."""
    seen = dict.fromkeys((a, b) for p in pools for a, b in zip(p.a, p.b, strict=True))
    return PairPool(tuple(p[0] for p in seen), tuple(p[1] for p in seen))


def pretraining_sentences(sets: list[StsSet]) -> list[str]:
    """Unique sentences of ``sets`` (labels unused), the text the toy language model is trained on."""
    return list(dict.fromkeys(s for st in sets for s in (*st.a, *st.b) if s))
