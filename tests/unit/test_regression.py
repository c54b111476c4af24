"""The records' regression check: seed spread, tolerances, and what it reports."""

import json
import math

import pytest

from iclr22lib.core import regression
from iclr22lib.core.results import Metric, load_record, save_record
from iclr22lib.prologue import config


def record(tmp_path, seed, values, *, timing=9.0, folder="runs"):
    cfg = config("smoke", seed=seed)
    metrics = [Metric("acc", values[0]), Metric("loss", values[1], higher_is_better=False)]
    metrics.append(Metric("time", timing, unit="s", timing=True))
    path = save_record(
        cfg, chapter="ch00", title="t", claim="c", claim_held=True, metrics=metrics,
        out_dir=tmp_path / folder / str(seed),
    )  # fmt: skip
    return load_record(path)


def test_spread_is_k_sample_sd_and_leaves_timings_out(tmp_path):
    recs = [record(tmp_path, s, v) for s, v in [(0, (0.80, 1.0)), (100, (0.82, 1.0)), (200, (0.84, 1.0))]]
    out = regression.spread(recs)
    assert set(out) == {"acc", "loss"}  # the timing metric is never compared
    assert out["acc"]["seeds"] == [0, 100, 200]
    assert out["acc"]["sd"] == pytest.approx(0.02)  # sample sd of 0.80, 0.82, 0.84
    # 99 % prediction bound of the difference of two runs: t(0.995, 2) * sqrt(2) * sd = 9.925 * 1.414 * 0.02
    assert out["acc"]["tol"] == pytest.approx(9.9248 * math.sqrt(2) * 0.02, rel=1e-4)
    assert out["loss"]["sd"] == 0.0
    with pytest.raises(ValueError, match="at least two"):
        regression.spread(recs[:1])


def test_compare_within_and_beyond_tolerance(tmp_path):
    committed = record(tmp_path, 0, (0.80, 1.0), timing=9.0)
    near = record(tmp_path, 1, (0.85, 1.0 + 5e-5), timing=500.0)  # timing differs wildly: not compared
    far = record(tmp_path, 2, (0.90, 1.0 + 2e-4))
    tol = {"acc": 0.06, "loss": 0.0}
    assert regression.compare(near, committed, tol) == []  # loss within the relative floor
    problems = regression.compare(far, committed, tol)
    assert len(problems) == 2 and "'acc' = 0.9" in problems[0] and "committed 0.8" in problems[0]
    assert "'loss' = 1.0002" in problems[1]  # beyond the relative floor
    assert "no seed-spread tolerance" in regression.compare(near, committed, {"acc": 1.0})[0]


def test_compare_dirs_needs_committed_record_and_spread(tmp_path):
    committed_dir, fresh_dir = tmp_path / "results", tmp_path / "fresh"
    recs = [record(tmp_path, s, v) for s, v in [(0, (0.80, 1.0)), (100, (0.90, 1.1))]]
    n, problems = regression.compare_dirs(tmp_path / "runs" / "0", committed_dir)
    assert n == 1 and "no committed record" in problems[0]
    (committed_dir).mkdir()
    (committed_dir / "ch00_smoke.json").write_text((tmp_path / "runs" / "0" / "ch00_smoke.json").read_text())
    assert "no seed spread" in regression.compare_dirs(tmp_path / "runs" / "0", committed_dir)[1][0]
    path = regression.write_spread(recs, committed_dir / "spread" / "ch00_smoke.json")
    body = json.loads(path.read_text())
    assert body["level"] == regression.LEVEL and math.isclose(
        body["metrics"]["acc"]["sd"], 0.1 / math.sqrt(2)
    )
    fresh_dir.mkdir()
    (fresh_dir / "ch00_smoke.json").write_text((tmp_path / "runs" / "100" / "ch00_smoke.json").read_text())
    assert regression.compare_dirs(fresh_dir, committed_dir) == (1, [])  # 0.1 apart, bound 63.66 * 0.1
