import json
import math

import pytest

from iclr22lib.core.results import Metric, load_record, load_records, save_record
from iclr22lib.prologue import config


@pytest.fixture()
def cfg():
    return config("smoke", seed=3)


def save(cfg, out, **kw):
    args = dict(
        chapter="ch00",
        title="Getting started",
        claim="GCN beats MLP",
        claim_held=True,
        metrics=[Metric("GCN accuracy", 0.81234, paper=0.815), Metric("MLP accuracy", 0.57)],
        seeds=[3, 4, 5],
        out_dir=out,
    )
    args.update(kw)
    return save_record(cfg, **args)


def test_record_schema_round_trip(cfg, tmp_path):
    path = save(cfg, tmp_path)
    assert path.name == "ch00_smoke.json"
    raw = json.loads(path.read_text())
    assert set(raw) == {
        "chapter", "title", "claim", "claim_held", "scale", "seeds", "metrics", "hardware", "config",
        "library_version", "torch_version", "created", "notes", "schema", "extra",
    }  # fmt: skip
    assert raw["seeds"] == [3, 4, 5] and raw["config"]["seed"] == 3 and raw["config"]["dataset"] == "cora"
    assert raw["metrics"][0] == {"name": "GCN accuracy", "ours": 0.81234, "paper": 0.815,
                                 "higher_is_better": True, "unit": "", "timing": False}  # fmt: skip
    rec = load_record(path)
    assert rec.metrics[1].paper is None and rec.claim_held is True and rec.scale == "smoke"
    assert [r.chapter for r in load_records(tmp_path)] == ["ch00"]
    assert [p.name for p in tmp_path.iterdir()] == ["ch00_smoke.json"]  # no temporary left behind


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_metric_rejected(cfg, tmp_path, bad):
    with pytest.raises(ValueError, match="non-finite"):
        save(cfg, tmp_path, metrics=[Metric("loss", bad)])
    assert not list(tmp_path.iterdir())


def test_bad_chapter_and_empty_metrics_rejected(cfg, tmp_path):
    with pytest.raises(ValueError, match="must look like 'ch00'"):
        save(cfg, tmp_path, chapter="intro")
    with pytest.raises(ValueError, match="at least one metric"):
        save(cfg, tmp_path, metrics=[])


def test_wrong_schema_version_refused(cfg, tmp_path):
    path = save(cfg, tmp_path)
    raw = json.loads(path.read_text())
    raw["schema"] = 99
    path.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="schema 99"):
        load_record(path)
