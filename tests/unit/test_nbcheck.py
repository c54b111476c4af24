"""Checked cells of a fresh run against a golden, without re-executing."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from iclr22lib import nbcheck


def notebook(path, text, glued, unchecked="1.234"):
    checked = new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(n)")
    checked.outputs = [
        new_output("stream", name="stdout", text=text),
        new_output("display_data", data={"application/papermill.record/text/plain": glued}),
    ]
    free = new_code_cell("print(x)")
    free.outputs = [new_output("stream", name="stdout", text=unchecked)]
    nbformat.write(new_notebook(cells=[new_markdown_cell("# t"), free, checked]), path)
    return path


def test_compare_checked(tmp_path):
    cfg = tmp_path / "sanitize.cfg"
    cfg.write_text("[durations]\nregex: \\d+ s\\b\nreplace: DURATION\n")
    golden = notebook(tmp_path / "golden.ipynb", "nodes: 2708\ntook 12 s\n", "0.0622")
    same = notebook(tmp_path / "a.ipynb", "nodes: 2708\ntook 97 s\n", "0.0643", unchecked="9.9")
    assert nbcheck.compare_checked(same, golden, cfg) == []  # glue, durations and unchecked cells ignored
    differs = notebook(tmp_path / "b.ipynb", "nodes: 2707\ntook 12 s\n", "0.0622")
    (problem,) = nbcheck.compare_checked(differs, golden, cfg)
    assert problem == "b cell 1: golden 'nodes: 2708', this run 'nodes: 2707'"


def test_compare_checked_refuses_misaligned_cells(tmp_path):
    cfg = tmp_path / "sanitize.cfg"
    cfg.write_text("")
    golden = notebook(tmp_path / "golden.ipynb", "x\n", "1")
    other = nbformat.read(golden, as_version=4)
    other.cells[2].source = "# NBVAL_CHECK_OUTPUT\nprint(m)"
    nbformat.write(other, tmp_path / "c.ipynb")
    assert "golden stale" in nbcheck.compare_checked(tmp_path / "c.ipynb", golden, cfg)[0]
