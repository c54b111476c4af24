"""The scoreboard page: every chapter's claim, the paper's numbers, ours, and whether the claim held."""

from __future__ import annotations

import os
from pathlib import Path

from iclr22lib.core.results import Record, load_records

_HEADER = """# Scoreboard

Every row comes from a result record that a chapter wrote at the end of its own run
(`results/chNN_<scale>.json`); nothing here is typed by hand. *Held* is the chapter's own criterion
for its claim, computed by that run (each chapter states it). Smoke-scale rows run on two CPU cores in
minutes on a documented subset and show the direction of a claim, not an effect size: with one seed,
a row can flip on another (the chapters say where we saw that); full-scale rows follow the paper's
protocol on one GPU.
"""


def _fmt(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.4g}"


def render(records: list[Record]) -> str:
    """The scoreboard as a MyST Markdown page."""
    lines = [_HEADER]
    if not records:
        lines.append("No chapter has written a result record yet.\n")
        return "\n".join(lines)
    lines += [
        "| chapter | claim | metric | paper | ours | scale | hardware | held |",
        "|---|---|---|---:|---:|---|---|:-:|",
    ]
    for rec in records:
        for i, m in enumerate(rec.metrics):
            first = i == 0
            arrow = "↑" if m.higher_is_better else "↓"
            unit = f" ({m.unit})" if m.unit else ""
            lines.append(
                "| "
                + " | ".join(
                    [
                        f"{rec.chapter} {rec.title}" if first else "",
                        rec.claim if first else "",
                        f"{m.name}{unit} {arrow}",
                        _fmt(m.paper),
                        _fmt(m.ours),
                        f"{rec.scale}, {len(rec.seeds)} seed{'s' if len(rec.seeds) != 1 else ''}" if first else "",
                        rec.hardware if first else "",
                        ("yes" if rec.claim_held else "**not reproduced**") if first else "",
                    ]
                )
                + " |"
            )
    lines.append("")
    lines.append(
        "Library versions: "
        + ", ".join(
            sorted(
                {
                    f"{r.chapter}/{r.scale}: iclr22lib {r.library_version}, torch {r.torch_version}"
                    for r in records
                }
            )
        )
        + "."
    )
    return "\n".join(lines) + "\n"


def write(results: str | os.PathLike | None, out: str | os.PathLike) -> Path:
    """Render the records in ``results`` into the page ``out``; returns its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(load_records(results)))
    return out
