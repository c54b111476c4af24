"""When does a Trans-Encoder cycle help? A validation-only study of one factor at a time.

Every variant starts from the same starting model(s) and changes one thing of a base
:class:`CycleSettings` (a number of epochs, a learning rate, the cross-encoder's loss, the pool size,
the start, self vs mutual distillation). It is scored on the *dev* set only: the gain of the best
bi-encoder over its start and the cross-encoder's Spearman, in points x 100. Test sets are never
read here, so the study can choose settings without touching test data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from iclr22lib.transencoder.cycles import CycleSettings, Member, run_cycles
from iclr22lib.transencoder.train import EncodedPairs, evaluate_bi, subset_pairs

_FIELDS = {f.name for f in dataclasses.fields(CycleSettings)}


@dataclass(frozen=True)
class Variant:
    """One cell of the study: ``changes`` to the base settings (``(field, value)`` pairs), an optional
    pool size, and the start to use (a key of the ``starts`` mapping given to :func:`run_study`)."""

    factor: str
    level: str
    changes: tuple[tuple[str, object], ...] = ()
    pool_pairs: int | None = None
    start: str = "simcse"

    def settings(self, base: CycleSettings) -> CycleSettings:
        """The base settings with this variant's changes (an unknown field stops with its name)."""
        bad = [k for k, _ in self.changes if k not in _FIELDS]
        if bad:
            raise ValueError(
                f"variant {self.factor}={self.level}: unknown setting(s) {bad}; allowed {sorted(_FIELDS)}"
            )
        return dataclasses.replace(base, **dict(self.changes))


@dataclass(frozen=True)
class StudyRow:
    """Dev Spearman x 100 of one variant: its start, best bi- and best cross-encoder over the cycles."""

    factor: str
    level: str
    dev_start: float
    dev_bi: float
    dev_cross: float

    @property
    def bi_gain(self) -> float:
        """Best bi-encoder minus its start (points)."""
        return self.dev_bi - self.dev_start

    @property
    def cross_gap(self) -> float:
        """Best cross-encoder minus the bi-encoder start it learned from (points)."""
        return self.dev_cross - self.dev_start


def reference_row(name: str, dev_start: float, dev_bi: float, dev_cross: float) -> StudyRow:
    """The study's reference row, from the main run's first cycle (``base`` settings, one cycle)."""
    return StudyRow("reference", "base settings", dev_start, dev_bi, dev_cross)


def variants(kind: str, base: CycleSettings, pool_size: int) -> list[Variant]:
    """The study's grid: ``"none"``, ``"small"`` (smoke: three variants) or ``"full"`` (seven). The
    reference (``base`` itself) is not in the grid: it is the main run's first cycle.

    Levels are set relative to ``base`` (x3 learning rates, twice the cross-encoder epochs) and the
    pool size ``pool_size`` (a quarter / a half of it).
    """
    if kind == "none":
        return []
    if kind == "small":
        return [
            Variant("bi-encoder lr", f"x3 ({3 * base.bi_lr:.0e})", (("bi_lr", 3 * base.bi_lr),)),
            Variant("pool size", f"{pool_size // 2} pairs", pool_pairs=pool_size // 2),
            Variant("start", "masked-LM only (no SimCSE)", start="mlm"),
        ]
    if kind == "full":
        # sized to keep the full preset within one GPU hour (see ``iclr22 budget ch07``): one level per
        # factor, in the direction the paper's mechanism suggests (a sharper cross-encoder)
        flip = "plm" if base.cross_init == "bi" else "bi"
        return [
            Variant("cross-encoder lr", "x3", (("cross_lr", 3 * base.cross_lr),)),
            Variant(
                "cross-encoder epochs",
                f"{2 * base.cross_epochs:g}",
                (("cross_epochs", 2 * base.cross_epochs),),
            ),
            Variant("BCE targets", "raw cosines (official)", (("target_scale", "raw"),)),
            Variant("cross-encoder init", "PLM" if flip == "plm" else "bi-encoder", (("cross_init", flip),)),
            Variant("pool size", f"{pool_size // 4} pairs", pool_pairs=pool_size // 4),
            Variant("start", "masked-LM only (no SimCSE)", start="mlm"),
            Variant("distillation", "mutual (with MiniLM)", start="mutual"),
        ]
    raise ValueError(f"study={kind!r}; choose 'none', 'small' or 'full'")


def study_grid(kind: str, base: CycleSettings, pool_size: int, *, mutual_done: bool = False) -> list[Variant]:
    """The variants the chapter runs: :func:`variants`, less the mutual-distillation variant when the
    main run has already done mutual distillation (``mutual_done``): with the same starts, settings and
    seeds, its first cycle *is* that variant, so the chapter reads the row from it instead of paying for
    the same cycle twice."""
    grid = variants(kind, base, pool_size)
    return [v for v in grid if not (mutual_done and v.start == "mutual")]


def run_study(
    starts: Mapping[str, Sequence[Member]],
    pool: EncodedPairs,
    dev: EncodedPairs,
    base: CycleSettings,
    grid: Sequence[Variant],
    cycles: int = 1,
) -> list[StudyRow]:
    """Run every variant of ``grid`` for ``cycles`` cycles from ``starts[variant.start]`` (one member:
    self-distillation, two: mutual) and score the *first* member on ``dev``. Variants whose start is
    missing are skipped."""
    if dev.gold is None:
        raise ValueError("the study needs dev pairs with gold scores")
    rows = []
    for v in grid:
        if v.start not in starts:
            continue
        s = dataclasses.replace(v.settings(base), cycles=cycles)
        members = [dataclasses.replace(m, best_bi=None, best_cross=None) for m in starts[v.start]]
        p = pool if v.pool_pairs is None else subset_pairs(pool, v.pool_pairs, seed=s.seed)
        logs = run_cycles(members, p, dev, s)
        first = members[0].name
        rows.append(
            StudyRow(
                v.factor,
                v.level,
                evaluate_bi(members[0].bi_start, dev),
                max(lg.dev_bi[first] for lg in logs),
                max(lg.dev_cross[first] for lg in logs),
            )
        )
    return rows


def word_overlap(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Jaccard overlap of the lower-cased word sets of ``a[i]`` and ``b[i]`` [N] in [0, 1]: a lexical
    baseline that needs no model, to tell how hard an evaluation set is."""
    from sklearn.feature_extraction.text import CountVectorizer

    if len(a) != len(b) or not len(a):
        raise ValueError(f"need two equally long, non-empty lists of sentences, got {len(a)} and {len(b)}")
    vec = CountVectorizer(binary=True, lowercase=True, token_pattern=r"(?u)\b\w+\b").fit([*a, *b])
    xa, xb = vec.transform(a), vec.transform(b)
    inter = np.asarray(xa.multiply(xb).sum(1)).ravel()
    union = np.asarray(xa.sum(1)).ravel() + np.asarray(xb.sum(1)).ravel() - inter
    return inter / np.maximum(union, 1)
