"""The book's pipeline: ``notebooks/chNN_slug.py`` → Jupytext → Papermill → executed, cleaned ``.ipynb``.

Chapters are found by file name; each names the library module whose ``config()`` validates its
parameters (:data:`CONFIG_MODULES`), so bad parameters are refused before a kernel starts.
Executed notebooks are stripped of volatile metadata (Papermill's timings, execution stamps) so
that they diff cleanly; a *golden* is stale when its code cells differ from its source's.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from iclr22lib.core.config import ConfigError

#: chapter id → library module that exposes ``config(scale, seed=, device=, **knobs)``.
CONFIG_MODULES = {
    "ch00": "iclr22lib.prologue",
    "ch01": "iclr22lib.coldbrew",
    "ch02": "iclr22lib.giant",
    "ch03": "iclr22lib.grda",
    "ch04": "iclr22lib.rim",
    "ch05": "iclr22lib.psagan",
    "ch06": "iclr22lib.deepaa",
    "ch07": "iclr22lib.transencoder",
    "ch08": "iclr22lib.diva",
    "ch09": "iclr22lib.indomain",
    "ch10": "iclr22lib.trajattr",
}
_CHAPTER_RE = re.compile(r"^(ch\d\d)_[a-z0-9_]+$")
_BASE_PARAMETERS = {"SCALE": "scale", "SEED": "seed", "DEVICE": "device"}


class PipelineError(RuntimeError):
    """A chapter cannot be found, converted or executed as asked."""


def chapters(root: str | os.PathLike = ".") -> dict[str, Path]:
    """Chapter sources of the book at ``root``: ``{"ch00": Path("notebooks/ch00_getting_started.py"), ...}``."""
    folder = Path(root) / "notebooks"
    if not folder.is_dir():
        raise PipelineError(f"no notebooks/ folder under {Path(root).resolve()}; run from the book's root")
    out = {}
    for path in sorted(folder.glob("ch*.py")):
        m = _CHAPTER_RE.match(path.stem)
        if m:
            out[m.group(1)] = path
    return out


def find_chapter(name: str, root: str | os.PathLike = ".") -> tuple[str, Path]:
    """Look a chapter up by id (``ch00``) or file stem (``ch00_getting_started``)."""
    found = chapters(root)
    key = name[:4] if _CHAPTER_RE.match(name) else name
    if key not in found or (key != name and found[key].stem != name):
        raise PipelineError(f"unknown chapter {name!r}; available: {', '.join(found) or '(none)'}")
    return key, found[key]


def to_notebook(source: str | os.PathLike) -> nbformat.NotebookNode:
    """Read a py:percent source with Jupytext into a notebook with a Python 3 kernelspec."""
    import jupytext

    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nb.metadata.setdefault("language_info", {"name": "python"})
    nb.metadata.pop("jupytext", None)
    return nb


def parameter_names(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The literal assignments of the cell tagged ``parameters``: ``{"SCALE": "smoke", ...}``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            return {
                node.targets[0].id: ast.literal_eval(node.value)
                for node in tree.body
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
            }
    raise PipelineError("the chapter has no cell tagged 'parameters'")


def parse_value(text: str) -> Any:
    """Papermill's coercion of a ``-p NAME VALUE`` string: bool, None, int, float, else the string."""
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def validate_parameters(chapter: str, nb: nbformat.NotebookNode, params: Mapping[str, Any]) -> None:
    """Refuse unknown names and values the chapter's ``config()`` would reject, before any kernel starts."""
    defaults = parameter_names(nb)
    unknown = [n for n in params if n not in defaults]
    if unknown:
        raise ConfigError(f"unknown parameter {unknown[0]!r} for {chapter}; allowed: {', '.join(defaults)}")
    if chapter not in CONFIG_MODULES:
        return
    merged = {**defaults, **params}
    base = {_BASE_PARAMETERS[k]: merged.pop(k) for k in list(merged) if k in _BASE_PARAMETERS}
    module = importlib.import_module(CONFIG_MODULES[chapter])
    module.config(base.pop("scale", "smoke"), **base, **{k.lower(): v for k, v in merged.items()})


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop run-specific metadata (Papermill timings, execution stamps, widget state) in place."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        for key in ("papermill", "execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        cell.pop("id", None)
    nb.nbformat_minor = min(nb.nbformat_minor, 4)  # no cell ids: stable diffs
    return nb


def execute(
    source: str | os.PathLike,
    output: str | os.PathLike,
    parameters: Mapping[str, Any] | None = None,
    *,
    timeout: int = 3600,
) -> Path:
    """Execute a chapter source with Papermill into ``output`` (written only when the run succeeds)."""
    import papermill

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "input.ipynb"
        nbformat.write(to_notebook(source), src)
        done = Path(tmp) / "output.ipynb"
        env_before = os.environ.get("ICLR22LIB_QUIET")
        os.environ["ICLR22LIB_QUIET"] = "1"  # the kernel inherits it: no progress bars in stored outputs
        try:
            papermill.execute_notebook(
                str(src),
                str(done),
                parameters=dict(parameters or {}),
                kernel_name="python3",
                progress_bar=False,
                execution_timeout=timeout,
                cwd=str(output.parent),
            )
        except papermill.PapermillExecutionError as err:
            raise PipelineError(
                f"{Path(source).name} failed in cell {err.exec_count}: {err.ename}: {err.evalue}"
            ) from None
        finally:
            if env_before is None:
                os.environ.pop("ICLR22LIB_QUIET", None)
            else:
                os.environ["ICLR22LIB_QUIET"] = env_before
        nb = strip_volatile(nbformat.read(done, as_version=4))
        nbformat.write(nb, done)
        shutil.move(done, output)
    return output


def _own_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]


def code_cells(nb: nbformat.NotebookNode) -> list[str]:
    """The source of every code cell, except Papermill's injected-parameters cell."""
    return [c.source.strip() for c in _own_cells(nb) if c.cell_type == "code"]


def is_stale(executed: str | os.PathLike, source: str | os.PathLike) -> bool:
    """True when the executed notebook's code or cell layout differs from what its source gives now.

    Prose alone does not make a notebook stale: :func:`refresh_prose` brings it up to date.
    """

    def shape(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
        return [(c.cell_type, c.source.strip() if c.cell_type == "code" else "") for c in _own_cells(nb)]

    return shape(nbformat.read(executed, as_version=4)) != shape(to_notebook(source))


def refresh_prose(executed: str | os.PathLike, source: str | os.PathLike, output: str | os.PathLike) -> Path:
    """Copy an executed, non-stale notebook to ``output`` with the Markdown cells of the current source."""
    if is_stale(executed, source):
        raise PipelineError(f"{executed} is stale: its code no longer matches {source}")
    nb = nbformat.read(executed, as_version=4)
    for old, new in zip(_own_cells(nb), _own_cells(to_notebook(source)), strict=True):
        if old.cell_type == "markdown":
            old.source = new.source
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, output)
    return output
