"""The book's pipeline: ``notebooks/chNN_slug.py`` → Jupytext → Papermill → executed, cleaned ``.ipynb``.

Chapters are found by file name; each names the config module whose ``config()`` validates its
parameters (:func:`config_modules`), so bad parameters are refused before a kernel starts, and
at once: the config modules import no torch, and nbformat, Jupytext and Papermill are imported
only by the functions that need them.
Executed notebooks are stripped of volatile metadata (Papermill's timings, execution stamps) so
that they diff cleanly; a *golden* is stale when its code cells differ from its source's.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import os
import pkgutil
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iclr22lib.core.config import ConfigError

if TYPE_CHECKING:
    import nbformat

_CHAPTER_RE = re.compile(r"^(ch\d\d)_[a-z0-9_]+$")
_BASE_PARAMETERS = {"SCALE": "scale", "SEED": "seed", "DEVICE": "device"}
_PARAMETERS_CELL = re.compile(r"^# %%.*\btags=\[[^\]]*[\"']parameters[\"']")


class PipelineError(RuntimeError):
    """A chapter cannot be found, converted or executed as asked."""


class UsageError(PipelineError):
    """The request itself is wrong: an unknown chapter or data set, or no book where one was looked for."""


@functools.cache
def config_modules() -> dict[str, str]:
    """Chapter id → its config module, found by discovery: every ``iclr22lib.<package>.config`` whose
    ``config`` is a :class:`~iclr22lib.core.config.ChapterConfig` (these modules import no torch)."""
    import iclr22lib
    from iclr22lib.core.config import ChapterConfig

    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(iclr22lib.__path__):
        name = f"iclr22lib.{info.name}.config"
        if not info.ispkg or importlib.util.find_spec(name) is None:
            continue
        factory = getattr(importlib.import_module(name), "config", None)
        if isinstance(factory, ChapterConfig):
            if factory.chapter in found:
                raise PipelineError(f"{found[factory.chapter]} and {name} both configure {factory.chapter}")
            found[factory.chapter] = name
    return dict(sorted(found.items()))


def package(chapter: str) -> str:
    """The library package of a chapter: ``"ch02"`` → ``"iclr22lib.giant"``."""
    return config_modules()[chapter].rsplit(".", 1)[0]


def book_root(start: str | os.PathLike | None = None) -> Path:
    """The book's root: ``start`` (default: the current folder) or the nearest folder above it that holds
    ``notebooks/`` and ``_toc.yml``."""
    here = Path(start if start is not None else os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir() and (folder / "_toc.yml").is_file():
            return folder
    raise UsageError(
        f"no book here: neither {here} nor a folder above it holds notebooks/ and _toc.yml; "
        "run iclr22 inside the book's repository"
    )


def chapters(root: str | os.PathLike | None = None) -> dict[str, Path]:
    """Chapter sources of the book at ``root`` (default: :func:`book_root`):
    ``{"ch00": Path(".../notebooks/ch00_getting_started.py"), ...}``."""
    root = book_root() if root is None else root
    folder = Path(root) / "notebooks"
    if not folder.is_dir():
        raise UsageError(f"no notebooks/ folder under {Path(root).resolve()}; run from the book's root")
    out = {}
    for path in sorted(folder.glob("ch*.py")):
        m = _CHAPTER_RE.match(path.stem)
        if m:
            out[m.group(1)] = path
    return out


def find_chapter(name: str, root: str | os.PathLike | None = None) -> tuple[str, Path]:
    """Look a chapter up by id (``ch00``) or file stem (``ch00_getting_started``)."""
    found = chapters(root)
    key = name[:4] if _CHAPTER_RE.match(name) else name
    if key not in found or (key != name and found[key].stem != name):
        raise UsageError(f"unknown chapter {name!r}; available: {', '.join(found) or '(none)'}")
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


def _literal_assignments(source: str) -> dict[str, Any]:
    """``NAME = literal`` assignments of a cell's source; assignments of anything else are skipped.

    Not ``papermill.inspect_notebook``: it needs an ``.ipynb`` file (our sources are py:percent), and its
    line-by-line reader skips any line with a second ``=`` (``X = dict(a=1)``); ``ast`` reads every one.
    """
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return out


def tagged_assignments(nb: nbformat.NotebookNode, tag: str) -> dict[str, Any] | None:
    """The literal assignments of the first code cell tagged ``tag``, or None when there is none."""
    for cell in nb.cells:
        if cell.cell_type == "code" and tag in cell.metadata.get("tags", []):
            return _literal_assignments(cell.source)
    return None


def parameter_names(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The literal assignments of the cell tagged ``parameters``: ``{"SCALE": "smoke", ...}``."""
    found = tagged_assignments(nb, "parameters")
    if found is None:
        raise PipelineError("the chapter has no cell tagged 'parameters'")
    return found


def source_parameters(source: str | os.PathLike) -> dict[str, Any]:
    """:func:`parameter_names` of a py:percent source, read from its text without Jupytext (fast)."""
    lines = Path(source).read_text().splitlines()
    for i, line in enumerate(lines):
        if _PARAMETERS_CELL.match(line):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("# %%")), len(lines))
            return _literal_assignments("\n".join(lines[i + 1 : end]))
    raise PipelineError(f"{Path(source).name} has no cell tagged 'parameters'")


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


def validate_parameters(chapter: str, defaults: Mapping[str, Any], params: Mapping[str, Any]) -> None:
    """Refuse what the chapter's ``config()`` would reject, before any kernel starts.

    ``defaults`` is the parameters cell (:func:`source_parameters`), ``params`` what replaces it. The
    scale is checked first, then the names, then ``config()`` itself, which checks every value before
    it imports torch.
    """
    modules = config_modules()
    module = importlib.import_module(modules[chapter]) if chapter in modules else None
    merged = {**defaults, **params}
    scale = merged.get("SCALE", "smoke")
    if module is not None and (not isinstance(scale, str) or scale not in module.PRESETS):
        raise ConfigError(
            f"SCALE={scale!r} is not a scale for {chapter}; allowed: {', '.join(module.PRESETS)}"
        )
    unknown = [n for n in params if n not in defaults]
    if unknown:
        raise ConfigError(f"unknown parameter {unknown[0]!r} for {chapter}; allowed: {', '.join(defaults)}")
    if module is None:
        return
    base = {_BASE_PARAMETERS[k]: merged.pop(k) for k in list(merged) if k in _BASE_PARAMETERS}
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
    import nbformat
    import papermill

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "input.ipynb"
        nbformat.write(to_notebook(source), src)
        done = Path(tmp) / "output.ipynb"
        env_before = os.environ.get("TQDM_DISABLE")
        os.environ["TQDM_DISABLE"] = "1"  # the kernel inherits it: no progress bars in stored outputs
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
                os.environ.pop("TQDM_DISABLE", None)
            else:
                os.environ["TQDM_DISABLE"] = env_before
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
    import nbformat

    def shape(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
        return [(c.cell_type, c.source.strip() if c.cell_type == "code" else "") for c in _own_cells(nb)]

    return shape(nbformat.read(executed, as_version=4)) != shape(to_notebook(source))


def refresh_prose(executed: str | os.PathLike, source: str | os.PathLike, output: str | os.PathLike) -> Path:
    """Copy an executed, non-stale notebook to ``output`` with the Markdown cells of the current source."""
    import nbformat

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
