"""The book as a reader sees it: changes made while assembling the book, and a small Sphinx extension.

Assembly: ``iclr22 book`` copies each chapter's executed notebook into ``book/chapters/`` and calls
:func:`prepare_chapter` on the copy (goldens and full runs stay as they are):

- Papermill's *injected-parameters* cell is tagged ``remove-cell``; the banner lists what it set.
- A banner right under the title says which run produced the page: scale, seeds, hardware, date,
  library version and verdict, read from the chapter's result record ``results/chNN_<scale>.json``
  (the scale is the one the notebook ran with). Without a record the banner says so.

Build: ``_config.yml`` lists this module under ``sphinx: extra_extensions``; :func:`setup`

- copies MathJax 3, as the PyPI package ``django-static-mathjax`` (the ``book`` extra) installs it,
  into the built ``_static/mathjax/``, so maths renders without a network (``mathjax_path`` in
  ``_config.yml`` points there);
- defines the MyST substitutions ``{{ verdict_chNN }}`` (the scoreboard's verdict cell of every
  chapter) used by the intro's table of papers.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from iclr22lib import pipeline
from iclr22lib.core import scoreboard
from iclr22lib.core.results import Record, load_record, load_records

INJECTED = "injected-parameters"
HIDE = "remove-cell"
BANNER_CLASS = "iclr22-run"

#: what each scale is, in a reader's words (see the design's scales).
SCALE_NOTES = {
    "smoke": "a few minutes on two CPU cores, on a documented subset: it shows the direction of the "
    "paper's claim, not its size.",
    "medium": "the largest faithful protocol that fits in 30 minutes on two CPU cores, with at least "
    "three seeds.",
    "full": "the paper's protocol (all baselines, seeds and sweeps) on one GPU.",
}


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return cell.metadata.setdefault("tags", [])


def cell_assignments(nb: nbformat.NotebookNode, tag: str) -> dict[str, Any]:
    """The literal ``NAME = value`` assignments of the first cell tagged ``tag`` (empty if none)."""
    return pipeline.tagged_assignments(nb, tag) or {}


def run_scale(nb: nbformat.NotebookNode) -> str:
    """The scale the notebook ran with: Papermill's injected ``SCALE``, else the parameters cell's."""
    injected = cell_assignments(nb, INJECTED)
    return str(injected.get("SCALE", cell_assignments(nb, "parameters").get("SCALE", "smoke")))


def hide_injected_parameters(nb: nbformat.NotebookNode) -> int:
    """Tag Papermill's injected-parameters cell(s) ``remove-cell``; returns how many were tagged."""
    n = 0
    for cell in nb.cells:
        tags = _tags(cell)
        if INJECTED in tags and HIDE not in tags:
            tags.append(HIDE)
            n += 1
    return n


def find_record(chapter: str, scale: str, results_dir: str | os.PathLike) -> Record | None:
    """The record ``<results_dir>/<chapter>_<scale>.json``, or None when there is none."""
    path = Path(results_dir) / f"{chapter}_{scale}.json"
    return load_record(path) if path.is_file() else None


def _mismatches(record: Record, injected: Mapping[str, Any]) -> list[str]:
    """Parameters set for this run that the record's config contradicts (DEVICE is resolved, skipped)."""
    out = []
    for name, value in injected.items():
        key = name.lower()
        if name != "DEVICE" and key in record.config and record.config[key] != value:
            out.append(f"{name} = {value!r} here, {record.config[key]!r} in the record")
    return out


def banner(chapter: str, scale: str, record: Record | None, injected: Mapping[str, Any] | None = None) -> str:
    """The MyST admonition that opens a chapter: which run produced this page."""
    injected = dict(injected or {})
    what = SCALE_NOTES.get(scale, "")
    set_here = ", ".join(f"`{k} = {v!r}`" for k, v in injected.items() if k != "SCALE")
    lines = [f":::{{admonition}} What you see: a {scale}-scale run", f":class: important {BANNER_CLASS}", ""]
    if record is None:
        lines += [
            f"No result record `results/{chapter}_{scale}.json` was found, so this page cannot say which "
            "seeds, hardware, date or library version produced its outputs; the configuration cell "
            "below prints what the run resolved."
        ]
    else:
        seeds = ", ".join(map(str, record.seeds))
        verdict = scoreboard.verdict(record)
        lines += [
            f"**Scale** {scale} · **seed{'s' if len(record.seeds) != 1 else ''}** {seeds} · "
            f"**hardware** {record.hardware} · **run on** {record.created[:10] or 'an unknown date'} · "
            f"**iclr22lib** {record.library_version} (torch {record.torch_version}) · "
            f"**the claim** {scoreboard.badge(verdict)} at this scale (see the {{doc}}`/book/scoreboard`)."
        ]
        wrong = _mismatches(record, injected)
        if wrong:
            lines += [
                "",
                "The result record does not match this notebook (" + "; ".join(wrong) + "): it may "
                "come from another run.",
            ]
    if set_here:
        lines += ["", f"Parameters set for this run: {set_here}."]
    if what:
        lines += ["", f"{scale.capitalize()} scale: {what}"]
    lines.append(":::")
    return "\n".join(lines)


_BANNER_RE = re.compile(rf"\n*:::{{admonition}}[^\n]*\n:class: [^\n]*{BANNER_CLASS}\n.*?\n:::\n*", re.DOTALL)


def add_banner(nb: nbformat.NotebookNode, text: str) -> None:
    """Put ``text`` right under the first ``# title`` of the notebook, replacing an earlier banner."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        source = _BANNER_RE.sub("\n\n", cell.source)
        m = re.search(r"^# .*$", source, flags=re.MULTILINE)
        if m is None:
            continue
        rest = source[m.end() :].lstrip("\n")
        cell.source = source[: m.end()] + "\n\n" + text + ("\n\n" + rest if rest else "\n")
        return
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(text))


def prepare_chapter(path: str | os.PathLike, results_dir: str | os.PathLike = "results") -> Path:
    """Make the executed chapter at ``path`` (a copy in ``book/chapters/``) ready to read, in place."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    chapter = path.stem[:4]
    scale = run_scale(nb)
    hide_injected_parameters(nb)
    add_banner(
        nb, banner(chapter, scale, find_record(chapter, scale, results_dir), cell_assignments(nb, INJECTED))
    )
    nbformat.write(nb, path)
    return path


# --- Sphinx extension -------------------------------------------------------------------------------


def mathjax_dir() -> Path:
    """The MathJax 3 distribution (``es5/``, ``LICENSE``) that the ``django-static-mathjax`` package installs."""
    from importlib.util import find_spec

    spec = find_spec("mathjax")
    root = Path(spec.origin).parent / "static" / "mathjax" if spec and spec.origin else None
    if root is None or not (root / "es5" / "tex-mml-chtml.js").is_file():
        raise RuntimeError(
            "no local MathJax 3: install the book's dependencies (pip install -e '.[book]', "
            "which brings django-static-mathjax)"
        )
    return root


def copy_mathjax(outdir: str | os.PathLike) -> Path:
    """Copy MathJax's browser build and licence into ``<outdir>/_static/mathjax/``; returns that folder."""
    src, dest = mathjax_dir(), Path(outdir) / "_static" / "mathjax"
    shutil.copytree(src / "es5", dest / "es5", dirs_exist_ok=True)
    shutil.copy2(src / "LICENSE", dest / "LICENSE")
    return dest


def verdict_substitutions(results_dir: str | os.PathLike, chapters: list[str]) -> dict[str, str]:
    """``{"verdict_ch01": "<the scoreboard's verdict cell>", ...}`` for every chapter named or recorded."""
    groups = scoreboard.by_chapter(load_records(results_dir))
    return {
        f"verdict_{ch}": scoreboard.verdict_markdown(groups.get(ch, []))
        for ch in sorted({*chapters, *groups})
    }


def _config_inited(app: Any, config: Any) -> None:
    src = Path(app.srcdir)
    chapters = [p.name[:4] for p in (src / "notebooks").glob("ch[0-9][0-9]_*.py")]
    config.myst_substitutions = {
        **(config.myst_substitutions or {}),
        **verdict_substitutions(src / config.iclr22_results_dir, chapters),
    }


def _builder_inited(app: Any) -> None:
    if app.builder.format == "html":
        copy_mathjax(app.outdir)


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point (``extra_extensions: [iclr22lib.book]``)."""
    app.add_config_value("iclr22_results_dir", "results", "env")
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
