"""Assembly-time changes to executed chapters: hidden injected cell, run banner, goldens untouched."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import nbformat
import pytest

from iclr22lib import book, cli, pipeline
from iclr22lib.core.results import Metric, Record


def executed(scale: str = "full", seed: int = 2) -> nbformat.NotebookNode:
    """A notebook shaped like a Papermill run: title, parameters, injected parameters, code."""
    v4 = nbformat.v4
    injected = v4.new_code_cell(f'# Parameters\nSCALE = "{scale}"\nSEED = {seed}\n')
    injected.metadata["tags"] = ["injected-parameters"]
    params = v4.new_code_cell('SCALE = "smoke"\nSEED = 0\nDEVICE = "auto"')
    params.metadata["tags"] = ["parameters"]
    return v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# Cold Brew\n\nThe prologue showed..."),
            params,
            injected,
            v4.new_code_cell("x = 1"),
        ]
    )


def save(folder: Path, scale: str = "full", seed: int = 2, held: bool = False) -> Path:
    rec = Record(
        chapter="ch01",
        title="Cold Brew",
        claim="student beats GCN",
        claim_held=held,
        scale=scale,
        seeds=(seed, seed + 1),
        metrics=(Metric("accuracy", 70.1, 69.6, unit="%"),),
        hardware="NVIDIA H100 80GB, CUDA 12.4",
        config={"scale": scale, "seed": seed, "device": "cuda"},
        library_version="0.1.0",
        torch_version="2.13.0",
        created="2026-11-24T14:32:55+00:00",
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"ch01_{scale}.json"
    path.write_text(json.dumps(dataclasses.asdict(rec)))
    return path


def test_scale_comes_from_the_injected_cell():
    nb = executed(scale="full")
    assert book.run_scale(nb) == "full"
    del nb.cells[2]
    assert book.run_scale(nb) == "smoke"  # no injected cell: the parameters cell's default


def test_injected_cell_is_tagged_remove_cell_once():
    nb = executed()
    assert book.hide_injected_parameters(nb) == 1
    assert nb.cells[2].metadata["tags"] == ["injected-parameters", "remove-cell"]
    assert "remove-cell" not in nb.cells[1].metadata["tags"]  # the real parameters cell stays visible
    assert book.hide_injected_parameters(nb) == 0


def test_banner_reads_the_record(tmp_path):
    save(tmp_path, seed=2)
    rec = book.find_record("ch01", "full", tmp_path)
    text = book.banner("ch01", "full", rec, {"SCALE": "full", "SEED": 2})
    assert text.startswith(":::{admonition} What you see: a full-scale run\n:class: important iclr22-run")
    assert "**seeds** 2, 3 · **hardware** NVIDIA H100 80GB, CUDA 12.4 · **run on** 2026-11-24" in text
    assert "**iclr22lib** 0.1.0 (torch 2.13.0)" in text
    assert "{bdg-danger}`not held` at this scale" in text
    assert "Parameters set for this run: `SEED = 2`." in text
    assert "does not match" not in text
    assert "the paper's protocol" in text and text.endswith("\n:::")


def test_banner_without_record_or_with_another_runs_record(tmp_path):
    assert book.find_record("ch01", "medium", tmp_path) is None
    text = book.banner("ch01", "medium", None)
    assert "No result record `results/ch01_medium.json` was found" in text
    save(tmp_path, seed=0)
    other = book.banner(
        "ch01", "full", book.find_record("ch01", "full", tmp_path), {"SEED": 2, "DEVICE": "cpu"}
    )
    assert "does not match this notebook (SEED = 2 here, 0 in the record)" in other
    assert "DEVICE" not in other.split("does not match")[1].split(")")[0]  # resolved, never compared


def test_banner_goes_right_under_the_title_and_replaces_an_old_one():
    nb = executed()
    book.add_banner(nb, book.banner("ch01", "full", None))
    book.add_banner(nb, book.banner("ch01", "smoke", None))
    source = nb.cells[0].source
    assert source.startswith("# Cold Brew\n\n:::{admonition} What you see: a smoke-scale run")
    assert source.count(":::{admonition}") == 1
    assert source.endswith(":::\n\nThe prologue showed...")


SOURCE = """# %% [markdown]
# # A chapter
#
# Its prose.

# %% tags=["parameters"]
SCALE = "smoke"
SEED = 0

# %%
x = SEED + 1
"""


def test_assemble_prepares_the_copy_and_leaves_the_golden_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("notebooks").mkdir()
    Path("notebooks/ch01_tiny.py").write_text(SOURCE)
    golden = pipeline.to_notebook("notebooks/ch01_tiny.py")
    injected = nbformat.v4.new_code_cell('# Parameters\nSCALE = "smoke"\n')
    injected.metadata["tags"] = ["injected-parameters"]
    golden.cells.insert(2, injected)
    Path("tests/notebooks").mkdir(parents=True)
    nbformat.write(golden, "tests/notebooks/ch01_tiny.ipynb")
    before = Path("tests/notebooks/ch01_tiny.ipynb").read_bytes()
    save(Path("results"), scale="smoke", seed=0, held=True)

    [dest], executed = cli._assemble(tmp_path, from_goldens=True)
    assert executed == []  # from the goldens: nothing run

    assert Path("tests/notebooks/ch01_tiny.ipynb").read_bytes() == before
    nb = nbformat.read(dest, as_version=4)
    assert [c.metadata.get("tags", []) for c in nb.cells if c.cell_type == "code"][1] == [
        "injected-parameters",
        "remove-cell",
    ]
    assert nb.cells[0].source.startswith("# A chapter\n\n:::{admonition} What you see: a smoke-scale run")
    assert "{bdg-success}`held` at this scale" in nb.cells[0].source
    assert not pipeline.is_stale(dest, "notebooks/ch01_tiny.py")  # prose changes only


@pytest.mark.parametrize("scale", ["smoke", "full"])
def test_prepare_chapter_without_record_says_so(tmp_path, scale):
    path = tmp_path / "ch01_cold_brew.ipynb"
    nbformat.write(executed(scale=scale), path)
    book.prepare_chapter(path, tmp_path / "results")
    nb = nbformat.read(path, as_version=4)
    assert f"No result record `results/ch01_{scale}.json`" in nb.cells[0].source
    assert "remove-cell" in nb.cells[2].metadata["tags"]
