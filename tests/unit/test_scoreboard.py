"""The scoreboard page: one row per chapter, its verdict per scale, its headline, its link, its folds."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from iclr22lib import book
from iclr22lib.core import scoreboard
from iclr22lib.core.results import Metric, Record, load_records


def record(chapter="ch01", scale="smoke", held=False, seeds=(0, 1, 2), extra=None, **kw) -> Record:
    fields = dict(
        chapter=chapter,
        title="Cold Brew" if chapter == "ch01" else "Getting started",
        claim="The student | beats the GCN",
        claim_held=held,
        scale=scale,
        seeds=tuple(seeds),
        metrics=(
            Metric("isolated: student accuracy", 70.0637, paper=69.62, unit="%"),
            Metric("student minus GCN (paper column: another data set)", -1.6985, paper=11.6, unit="points"),
            Metric("AUC", 0.924340625, paper=None),
        ),
        hardware="CPU x86_64, 2 threads (2 cores)",
        config={"scale": scale, "seed": seeds[0]},
        created="2026-11-24T14:32:55+00:00",
        extra=dict(extra or {}),
    )
    fields.update(kw)
    return Record(**fields)


def table_rows(page: str) -> list[list[str]]:
    """The cells of the summary table's body rows (the first table on the page)."""
    lines = page.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("| chapter")))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split(" | ")])
    return rows


def test_one_row_per_chapter_with_verdict_per_scale_best_first():
    recs = [record(), record(scale="full", held=True, seeds=range(10)), record("ch00", held=True)]
    page = scoreboard.render(recs, {"ch01": "chapters/ch01_cold_brew"})
    rows = table_rows(page)
    assert [re.search(r"ch\d\d", r[0]).group() for r in rows] == ["ch00", "ch01"]
    assert all(len(r) == 5 for r in rows)  # chapter, claim, headline, ours vs paper, verdict
    ch01 = rows[1]
    assert ch01[0] == "{doc}`ch01 Cold Brew <chapters/ch01_cold_brew>`"
    assert rows[0][0] == "ch00 Getting started"  # no page known: no link
    assert ch01[1] == "student MLP beats GCN on isolated nodes"
    assert ch01[4] == "{bdg-success}`held` full, 10\u00a0seeds {bdg-danger}`not held` smoke, 3\u00a0seeds"
    assert ch01[3] == "**70.1\u00a0%** vs 69.6\u00a0%"  # headline of the full run: the first metric
    assert page.count(":::{dropdown}") == 2


def test_headline_and_verdict_from_extra():
    rec = record(
        extra={"headline": "student minus GCN (paper column: another data set)", "verdict": "Inconclusive"}
    )
    assert scoreboard.verdict(rec) == "inconclusive"
    row = table_rows(scoreboard.render([rec]))[0]
    assert row[2] == "student minus GCN †"
    assert row[3] == "**-1.7\u00a0pts** vs +11.6\u00a0pts"
    assert row[4] == "{bdg-warning}`inconclusive` smoke, 3\u00a0seeds"
    assert "† The paper column comes from another setting" in scoreboard.render([rec])
    with pytest.raises(ValueError, match="not one of held, not held, inconclusive"):
        scoreboard.verdict(record(extra={"verdict": "maybe"}))
    with pytest.raises(ValueError, match="headline 'nope'"):
        scoreboard.headline(record(extra={"headline": "nope"}))


def test_folded_tables_hold_every_metric_escaped():
    page = scoreboard.render([record()])
    fold = page[page.index(":::{dropdown}") :]
    assert "| isolated: student accuracy | 70.1\u00a0% | 69.6\u00a0% | ↑ |" in fold
    assert "| AUC | 0.924 | – | ↑ |" in fold
    assert "student minus GCN (paper column: another data set) | -1.7\u00a0pts | +11.6\u00a0pts" in fold
    assert "Claim: The student \\| beats the GCN." in fold  # a | in text never opens a column
    assert "seeds 0, 1, 2 · CPU x86\\_64, 2 threads (2 cores) · 2026-11-24" in fold


@pytest.mark.parametrize(
    ("x", "unit", "text"),
    [
        (70.0637, "%", "70.1\u00a0%"),
        (-1.6985, "points", "-1.7\u00a0pts"),
        (0.81833, "", "0.818"),
        (0.011472, "", "0.0115"),
        (1234.56, "", "1,235"),
        (27.6148, "Spearman x100", "27.6\u00a0Spearman x100"),
        (10.27, "h (ours: device hours; paper: GPU-hours)", "10.3\u00a0h"),
        (None, "%", "–"),
    ],
)
def test_numbers_carry_their_unit(x, unit, text):
    assert scoreboard.format_value(x, unit) == text


def test_write_links_assembled_chapters_and_reads_records(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "ch01_smoke.json").write_text(json.dumps(dataclasses.asdict(record())))
    (tmp_path / "book" / "chapters").mkdir(parents=True)
    (tmp_path / "book" / "chapters" / "ch01_cold_brew.ipynb").write_text("{}")
    page = scoreboard.write(results, tmp_path / "book" / "scoreboard.md").read_text()
    assert table_rows(page)[0][0] == "{doc}`ch01 Cold Brew <chapters/ch01_cold_brew>`"
    assert "No chapter has written" in scoreboard.render([])
    subs = book.verdict_substitutions(results, ["ch00", "ch01"])
    assert subs == {
        "verdict_ch00": "not run yet",
        "verdict_ch01": "{bdg-danger}`not held` smoke, 3\u00a0seeds",
    }
    assert [r.chapter for r in load_records(results)] == ["ch01"]
