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
    assert chapter in pipeline.CONFIG_MODULES, f"add {chapter} to iclr22lib.pipeline.CONFIG_MODULES"
