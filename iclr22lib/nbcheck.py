"""Compare the checked cells of an executed chapter with its golden, without executing anything again.

nbval re-executes a notebook and compares the cells marked ``# NBVAL_CHECK_OUTPUT``. A book build
has just executed every chapter with Papermill, so re-executing it only to compare would run each
chapter twice; :func:`compare_checked` compares the fresh run's checked cells with the golden's
directly, the way ``nbval --nbval-lax`` does: text outputs (streams of one name joined, ``text/plain``
and other text data), after the sanitizer's regex substitutions; images, widgets and Papermill's
glue records (``application/papermill.record/*``) are never compared.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

MARKER = "NBVAL_CHECK_OUTPUT"
_SKIPPED_PREFIXES = ("application/papermill.record/", "image/", "application/vnd.jupyter.widget")


def sanitize_patterns(path: str | os.PathLike) -> list[tuple[str, str]]:
    """The ``regex:``/``replace:`` pairs of an nbval sanitizer file, in order."""
    return re.findall(r"^regex: (.*)$\n^replace: (.*)$", Path(path).read_text(), flags=re.MULTILINE)


def _checked_cells(nb) -> list[tuple[int, object]]:
    code = [c for c in nb.cells if c.cell_type == "code"]
    return [(i, c) for i, c in enumerate(code) if MARKER in c.source]


def _comparable(outputs, patterns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(kind, text) pairs of a cell's outputs: streams joined per name, then text data in order."""

    def clean(text: str) -> str:
        for regex, repl in patterns:
            text = re.sub(regex, repl, text)
        return text

    streams: dict[str, str] = {}
    data: list[tuple[str, str]] = []
    for out in outputs:
        if out.get("output_type") == "stream":
            streams[out["name"]] = streams.get(out["name"], "") + out["text"]
        elif out.get("output_type") == "error":
            data.append(("error", f"{out['ename']}: {out['evalue']}"))
        for mime, value in out.get("data", {}).items():
            if not mime.startswith(_SKIPPED_PREFIXES):
                data.append((mime, value if isinstance(value, str) else "".join(value)))
    return [(k, clean(v)) for k, v in [*sorted(streams.items()), *data]]


def compare_checked(
    executed: str | os.PathLike, golden: str | os.PathLike, sanitizer: str | os.PathLike
) -> list[str]:
    """The checked cells whose outputs differ between ``executed`` and ``golden``: one line each.

    Cells are numbered as nbval numbers them (code cells from 0). A notebook whose checked cells
    do not line up with the golden's (a stale golden) is one problem line.
    """
    import nbformat

    fresh, gold = (nbformat.read(p, as_version=4) for p in (executed, golden))
    patterns = sanitize_patterns(sanitizer)
    a, b = _checked_cells(fresh), _checked_cells(gold)
    name = Path(executed).stem
    if [(i, c.source) for i, c in a] != [(i, c.source) for i, c in b]:
        return [f"{name}: its checked cells differ in code from the golden's (golden stale?)"]
    problems = []
    for (i, cell), (_, ref) in zip(a, b, strict=True):
        got, want = _comparable(cell.outputs, patterns), _comparable(ref.outputs, patterns)
        if got != want:
            problems.append(f"{name} cell {i}: {_first_difference(want, got)}")
    return problems


def _first_difference(want: list[tuple[str, str]], got: list[tuple[str, str]]) -> str:
    """The golden's and the fresh run's first differing line, shortened."""
    for (kind_w, w), (kind_g, g) in zip(want, got, strict=False):
        if (kind_w, w) != (kind_g, g):
            lines = zip(w.splitlines() or [""], g.splitlines() or [""], strict=False)
            old, new = next(((x, y) for x, y in lines if x != y), (w[-80:], g[-80:]))
            return f"golden {old[:140]!r}, this run {new[:140]!r}"
    return f"golden has {len(want)} outputs, this run {len(got)}"
