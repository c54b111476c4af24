"""Every chapter has a smoke golden, and no golden is stale: re-run `make goldens` when this fails."""

import pytest

from iclr22lib import pipeline
from tests.conftest import REPO

CHAPTERS = pipeline.chapters(REPO)


def test_there_are_chapters():
    assert "ch00" in CHAPTERS


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_golden_is_current(chapter):
    source = CHAPTERS[chapter]
    golden = REPO / "tests" / "notebooks" / f"{source.stem}.ipynb"
    assert golden.exists(), f"no golden for {chapter}: run `make goldens`"
    assert not pipeline.is_stale(golden, source), f"golden stale: re-run `make goldens` ({golden.name})"


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_chapter_has_config_module(chapter):
    assert chapter in pipeline.config_modules(), f"give {chapter} a config module with a ChapterConfig"


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_checked_cells_hold_no_glue(chapter):
    """A glued value is a raw float: it belongs in an unchecked cell, where no CPU can flip it."""
    import nbformat

    golden = REPO / "tests" / "notebooks" / f"{CHAPTERS[chapter].stem}.ipynb"
    nb = nbformat.read(golden, as_version=4)
    glued = [
        i
        for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code")
        if "NBVAL_CHECK_OUTPUT" in cell.source
        and any(
            k.startswith("application/papermill.record/") for o in cell.outputs for k in o.get("data", {})
        )
    ]
    assert not glued, f"{golden.name}: checked cells {glued} glue values; move the glue() calls out"
