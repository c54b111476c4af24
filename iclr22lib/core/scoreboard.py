"""The scoreboard page: one row per chapter saying whether its paper's claim held, details folded below.

Everything comes from the result records in ``results/`` (:mod:`iclr22lib.core.results`):

- **verdict** of a record: ``extra["verdict"]`` when the record carries one (``"held"``, ``"not held"``
  or ``"inconclusive"``), else ``claim_held`` (``True`` → held, ``False`` → not held);
- **headline metric** of a record: the metric named by ``extra["headline"]``, else the record's
  first metric;
- the claim "in a few words": ``extra["short_claim"]`` when present, else this module's
  :data:`SHORT` table, else the record's full claim.

A chapter's row shows the headline of its best run (full, else medium, else smoke) and the verdict
at every scale that has run. :func:`verdict_markdown` is also what the intro's table shows
(through the MyST substitution ``{{ verdict_chNN }}``, see :mod:`iclr22lib.book`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from iclr22lib.core.results import Metric, Record, load_records

#: scales from the one the book prefers to show to the one it falls back on.
SCALES = ("full", "medium", "smoke")
VERDICTS = ("held", "not held", "inconclusive")
_BADGE = {"held": "success", "not held": "danger", "inconclusive": "warning"}

#: chapter id → (short name, the claim in a few words); a record's ``extra`` may override both.
SHORT: dict[str, tuple[str, str]] = {
    "ch00": ("Getting started", "GCN beats MLP on Cora by > 10 points"),
    "ch01": ("Cold Brew", "student MLP beats GCN on isolated nodes"),
    "ch02": ("GIANT-XRT", "GIANT features improve node classification"),
    "ch03": ("GRDA", "GRDA beats Source-Only on DG-15 by > 10 points"),
    "ch04": ("RIM", "λ·p targets users better, item recommendation unchanged"),
    "ch05": ("PSA-GAN", "Context-FID beats baselines; its series help DeepAR"),
    "ch06": ("Deep AutoAugment", "gradient cosine rises; every policy beats none"),
    "ch07": ("Trans-Encoder", "label-free distillation raises STS Spearman"),
    "ch08": ("DIVA", "the dataset derivative finds mislabelled samples"),
    "ch09": ("In-domain generalisation", "extrapolation costs > 0.2 R²; OOD scale stays in range"),
    "ch10": ("Trajectory attribution", "neighbours get no more credit than a random agent"),
}

_HEADER = """# Scoreboard

One row per chapter: the paper's claim in a few words, the chapter's headline number next to the
paper's, and whether the claim held at each scale that has run. Every cell comes from a result record
that the chapter wrote at the end of its own run (`results/chNN_<scale>.json`); nothing here is typed
by hand. *Held* is the chapter's own criterion for its claim, decided by that run; the chapter states
it. The headline is the record's first metric unless the record names another; the numbers are those
of the largest scale that has run (full, else medium, else smoke).

Smoke runs take minutes on two CPU cores on a documented subset: they show the direction of a claim,
not its size, and with one seed a verdict can flip on another. Full runs follow the paper's protocol
on one GPU.
"""


def verdict(rec: Record) -> str:
    """``"held"``, ``"not held"`` or ``"inconclusive"``: ``extra["verdict"]`` if set, else ``claim_held``."""
    raw = rec.extra.get("verdict")
    if raw is None:
        return "held" if rec.claim_held else "not held"
    word = " ".join(str(raw).replace("_", " ").lower().split())
    if word not in VERDICTS:
        raise ValueError(f"{rec.chapter}/{rec.scale}: verdict {raw!r} is not one of {', '.join(VERDICTS)}")
    return word


def headline(rec: Record) -> Metric:
    """The metric named by ``extra["headline"]``, else the record's first metric."""
    name = rec.extra.get("headline")
    if name is None:
        return rec.metrics[0]
    for m in rec.metrics:
        if m.name == name:
            return m
    raise ValueError(f"{rec.chapter}/{rec.scale}: headline {name!r} is not one of the record's metrics")


def _scale_rank(scale: str) -> int:
    return SCALES.index(scale) if scale in SCALES else len(SCALES)


def _best_first(records: Iterable[Record]) -> list[Record]:
    return sorted(records, key=lambda r: (_scale_rank(r.scale), r.scale))


def by_chapter(records: Iterable[Record]) -> dict[str, list[Record]]:
    """Records grouped by chapter id (sorted), each group ordered full, medium, smoke, then others."""
    groups: dict[str, list[Record]] = {}
    for rec in records:
        groups.setdefault(rec.chapter, []).append(rec)
    return {ch: _best_first(groups[ch]) for ch in sorted(groups)}


def _split_note(text: str) -> tuple[str, str]:
    """``"h (ours: device hours)"`` → ``("h", "ours: device hours")``; text without a final note is kept."""
    m = re.fullmatch(r"(.*?)\s*\((.*)\)\s*", text, flags=re.DOTALL)
    return (m.group(1), m.group(2)) if m and m.group(1) else (text, "")


def _number(x: float, decimals: int | None = None, signed: bool = False) -> str:
    sign = "+" if signed else ""
    if decimals is not None:
        return f"{x:{sign},.{decimals}f}"
    if x == 0:
        return "0"
    if not 1e-3 <= abs(x) < 1e6:
        return f"{x:{sign}.2e}"
    return f"{x:{sign},.{max(0, 2 - math.floor(math.log10(abs(x))))}f}"  # three significant digits


def format_value(x: float | None, unit: str = "") -> str:
    """A number with its unit: ``%`` and ``x100`` scores to one decimal, points signed, else 3 digits.

    The unit is joined by a no-break space, so that a narrow cell never splits ``-1.7 pts``.
    """
    if x is None:
        return "–"
    unit = _split_note(unit)[0]
    if unit == "%":
        text, unit = _number(x, 1), "%"
    elif unit in ("points", "pts"):
        text, unit = _number(x, 1, signed=True), "pts"
    elif "x100" in unit or "×100" in unit:
        text = _number(x, 1)
    else:
        text = _number(x)
    return f"{text}\u00a0{unit}" if unit else text


def _escape(text: str) -> str:
    """Text safe inside a MyST table cell: no accidental emphasis, maths, roles or column breaks."""
    return re.sub(r"([\\`*_\[\]<>|$])", r"\\\1", text).replace("\n", " ")


def badge(word: str) -> str:
    """A coloured MyST badge for a verdict."""
    return f"{{bdg-{_BADGE[word]}}}`{word}`"


def verdict_markdown(records: Sequence[Record]) -> str:
    """The verdict cell of one chapter's records, a badge per scale that has run (best first) with its seeds."""
    if not records:
        return "not run yet"
    return " ".join(f"{badge(verdict(r))} {r.scale}, {_n_seeds(r)}" for r in _best_first(records))


def _n_seeds(rec: Record) -> str:
    return f"{len(rec.seeds)}\u00a0seed{'' if len(rec.seeds) == 1 else 's'}"  # never split


def _names(rec: Record) -> tuple[str, str]:
    name, claim = SHORT.get(rec.chapter, (rec.title.split(":")[0], rec.claim))
    return rec.extra.get("short_name", name), rec.extra.get("short_claim", claim)


def _chapter_link(chapter: str, label: str, docs: dict[str, str]) -> str:
    text = f"{chapter} {label}"
    return f"{{doc}}`{text} <{docs[chapter]}>`" if chapter in docs else _escape(text)


def _seeds(rec: Record) -> str:
    return (
        ", ".join(map(str, rec.seeds))
        if len(rec.seeds) <= 3
        else f"{len(rec.seeds)} ({rec.seeds[0]}–{rec.seeds[-1]})"
    )


def _row(recs: list[Record], docs: dict[str, str]) -> tuple[str, bool]:
    best = recs[0]
    name, claim = _names(best)
    m = headline(best)
    metric, note = _split_note(m.name)
    elsewhere = note.lower().startswith("paper")  # "(paper column: another data set)"
    cells = [
        _chapter_link(best.chapter, name, docs),
        _escape(claim),
        _escape(metric if elsewhere else m.name) + (" †" if elsewhere else ""),
        f"**{format_value(m.ours, m.unit)}** vs {format_value(m.paper, m.unit)}",
        verdict_markdown(recs),
    ]
    return "| " + " | ".join(cells) + " |", elsewhere


def _details(recs: list[Record], docs: dict[str, str]) -> list[str]:
    """A folded block with every metric of every scale of one chapter."""
    first = recs[0]
    name, _ = _names(first)
    out = [f":::{{dropdown}} {_escape(first.chapter)} {_escape(name)}: every metric", ""]
    if first.chapter in docs:
        out += [f"Chapter: {{doc}}`{docs[first.chapter]}`.", ""]
    for rec in recs:
        date = rec.created[:10] or "date unknown"
        out += [
            f"**{rec.scale}**: {badge(verdict(rec))} · seeds {_seeds(rec)} · {_escape(rec.hardware)} · "
            f"{date} · iclr22lib {rec.library_version}, torch {rec.torch_version}",
            "",
            f"Claim: {_escape(rec.claim)}.",
            "",
            "| metric | ours | paper | better |",
            "|---|--:|--:|:-:|",
        ]
        for m in rec.metrics:
            metric, note = _split_note(m.name)
            unit_note = _split_note(m.unit)[1]
            notes = "; ".join(n for n in (note, unit_note) if n)
            label = _escape(metric) + (f" ({_escape(notes)})" if notes else "")
            arrow = "↑" if m.higher_is_better else "↓"
            out.append(
                f"| {label} | {format_value(m.ours, m.unit)} | {format_value(m.paper, m.unit)} | {arrow} |"
            )
        out.append("")
        if rec.notes:
            out += [f"Notes: {_escape(rec.notes)}", ""]
    out += [":::", ""]
    return out


def render(records: list[Record], docs: dict[str, str] | None = None) -> str:
    """The scoreboard as a MyST page; ``docs`` maps a chapter id to its page (``chapters/ch01_cold_brew``)."""
    docs = docs or {}
    lines = [_HEADER]
    groups = by_chapter(records)
    if not groups:
        lines.append("No chapter has written a result record yet.\n")
        return "\n".join(lines)
    lines += [
        "| chapter | claim | headline | ours vs paper | verdict |",
        "|---|---|---|---|---|",
    ]
    dagger = False
    for recs in groups.values():
        row, noted = _row(recs, docs)
        lines.append(row)
        dagger |= noted
    lines.append("")
    if dagger:
        lines += [
            "† The paper column comes from another setting or source; the folded table below says which.",
            "",
        ]
    lines += ["## Every metric", ""]
    for recs in groups.values():
        lines += _details(recs, docs)
    return "\n".join(lines).rstrip("\n") + "\n"


def chapter_docs(chapters_dir: str | os.PathLike, relative_to: str | os.PathLike) -> dict[str, str]:
    """Chapter id → document name of the executed chapters in ``chapters_dir``, relative to a folder."""
    folder = Path(chapters_dir)
    docs = {}
    for nb in sorted(folder.glob("ch[0-9][0-9]_*.ipynb")):
        docs[nb.name[:4]] = Path(os.path.relpath(nb.with_suffix(""), relative_to)).as_posix()
    return docs


def write(results: str | os.PathLike | None, out: str | os.PathLike) -> Path:
    """Render the records in ``results`` into the page ``out``; returns its path.

    Chapters assembled in ``chapters/`` beside the page are linked from their rows.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    docs = chapter_docs(out.parent / "chapters", out.parent)
    out.write_text(render(load_records(results), docs))
    return out
