import nbformat
import pytest

from iclr22lib import pipeline
from iclr22lib.core.config import ConfigError

SOURCE = """# %% [markdown]
# # A chapter

# %% tags=["parameters"]
SCALE = "smoke"
SEED = 0
DEVICE = "auto"
DATASET = "cora"

# %%
print(SCALE, SEED)
"""


@pytest.fixture()
def source(tmp_path):
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / "ch00_demo.py"
    path.write_text(SOURCE)
    return path


def test_parse_value_like_papermill():
    assert [pipeline.parse_value(v) for v in ("1", "2.5", "True", "None", "cora", "1e-3")] == [
        1, 2.5, True, None, "cora", 0.001,
    ]  # fmt: skip


def test_parameters_cell(source):
    nb = pipeline.to_notebook(source)
    assert nb.metadata.kernelspec.name == "python3"
    expected = {"SCALE": "smoke", "SEED": 0, "DEVICE": "auto", "DATASET": "cora"}
    assert pipeline.parameter_names(nb) == expected
    assert pipeline.source_parameters(source) == expected  # the CLI's fast read, without Jupytext


def test_validate_parameters_before_any_kernel(source):
    defaults = pipeline.source_parameters(source)
    with pytest.raises(
        ConfigError, match="unknown parameter 'EPOCHS' for ch00; allowed: SCALE, SEED, DEVICE, DATASET"
    ):
        pipeline.validate_parameters("ch00", defaults, {"EPOCHS": 3})
    with pytest.raises(ConfigError, match=r"dataset='pubmed' is not allowed"):
        pipeline.validate_parameters("ch00", defaults, {"DATASET": "pubmed"})
    with pytest.raises(ConfigError, match="allowed: smoke, full"):
        pipeline.validate_parameters("ch00", defaults, {"SCALE": "huge"})
    with pytest.raises(ConfigError, match="SCALE='huge'"):  # the scale is checked before the names
        pipeline.validate_parameters("ch00", defaults, {"SCALE": "huge", "EPOCHS": 3})
    pipeline.validate_parameters("ch00", defaults, {"SEED": 4, "DATASET": "citeseer"})


def test_chapter_discovery(source):
    root = source.parents[1]
    (root / "notebooks" / "helpers.py").write_text("x = 1\n")
    assert pipeline.chapters(root) == {"ch00": source}
    assert pipeline.find_chapter("ch00_demo", root) == ("ch00", source)
    with pytest.raises(pipeline.UsageError, match="unknown chapter 'ch07'; available: ch00"):
        pipeline.find_chapter("ch07", root)


def test_book_root_is_found_from_below(source, tmp_path):
    root = source.parents[1]
    (root / "_toc.yml").write_text("format: jb-book\n")
    (root / "book" / "deep").mkdir(parents=True)
    assert pipeline.book_root(root / "book" / "deep") == root.resolve()
    with pytest.raises(pipeline.UsageError, match="no book here"):
        pipeline.book_root(tmp_path.parent)


def _executed(source, tmp_path):
    nb = pipeline.to_notebook(source)
    nb.metadata["papermill"] = {"duration": 1.0}
    for cell in nb.cells:
        cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    injected = nbformat.v4.new_code_cell('SCALE = "full"', metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(2, injected)
    pipeline.strip_volatile(nb)
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    return path


def test_strip_volatile_and_staleness(source, tmp_path):
    executed = _executed(source, tmp_path)
    nb = nbformat.read(executed, as_version=4)
    assert "papermill" not in nb.metadata and all("execution" not in c.metadata for c in nb.cells)
    assert nb.cells[1].metadata["tags"] == ["parameters"]  # tags survive
    assert not pipeline.is_stale(executed, source)  # the injected cell does not count
    source.write_text(SOURCE.replace("# # A chapter", "# # A better title"))
    assert not pipeline.is_stale(executed, source)  # prose alone is refreshed, not stale
    out = pipeline.refresh_prose(executed, source, tmp_path / "book" / "x.ipynb")
    assert nbformat.read(out, as_version=4).cells[0].source == "# A better title"
    source.write_text(SOURCE.replace("print(SCALE, SEED)", "print(SEED)"))
    assert pipeline.is_stale(executed, source)
    with pytest.raises(pipeline.PipelineError, match="stale"):
        pipeline.refresh_prose(executed, source, tmp_path / "y.ipynb")
