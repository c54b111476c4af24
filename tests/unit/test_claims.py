import json
import math

import numpy as np
import pytest

from iclr22lib.core.claims import Claim, claim_held, evaluate, record_fields


def claim(**kw):
    args = dict(text="ours beats base", ours="ours", baseline="base", direction="greater",
                threshold=0.0, threshold_source="sign only")  # fmt: skip
    args.update(kw)
    return Claim(**args)


def test_t_interval_matches_hand_computation():
    # d = [1, 2, 3, 4]: mean 2.5, sd 1.29099, t_{0.975,3} = 3.18245 → 2.5 ± 3.18245·1.29099/2 = 2.5 ± 2.05426
    v = evaluate(claim(), {"ours": [1.0, 2.0, 3.0, 4.0], "base": [0.0, 0.0, 0.0, 0.0]})
    assert v.estimate == pytest.approx(2.5)
    assert v.low == pytest.approx(0.44574, abs=1e-5) and v.high == pytest.approx(4.55426, abs=1e-5)
    assert v.n == 4 and v.outcome == "held" and claim_held(v)
    assert v.describe() == ("held: ours − base = +2.5 [0.4457, 4.554] "
                            "(95 % t interval, 4 seeds; needs > 0)")  # fmt: skip


def test_paired_not_unpaired():
    # large seed-to-seed spread, constant +1 gain per seed: only a paired statistic sees it
    ours, base = [11.0, 51.0, 91.0, 31.0], [10.0, 50.0, 90.0, 30.0]
    v = evaluate(
        claim(), {"ours": [o + e for o, e in zip(ours, [0, 0.1, -0.1, 0], strict=True)], "base": base}
    )
    assert v.outcome == "held" and 0.8 < v.low < v.high < 1.2


@pytest.mark.parametrize(
    ("direction", "d", "threshold", "outcome"),
    [
        ("greater", [2.0, 2.5, 3.0], 0.0, "held"),
        ("greater", [-2.0, -2.5, -3.0], 0.0, "not held"),
        ("greater", [-1.0, 1.0, 0.5], 0.0, "inconclusive"),
        ("less", [-2.0, -2.5, -3.0], 0.0, "held"),
        ("less", [2.0, 2.5, 3.0], 0.0, "not held"),
        ("less", [-1.0, 1.0, 0.5], 0.0, "inconclusive"),
        # nonzero threshold: a positive gain that is too small is "not held" under a margin of 10
        ("greater", [2.0, 2.5, 3.0], 10.0, "not held"),
        ("greater", [12.0, 12.5, 13.0], 10.0, "held"),
        ("greater", [8.0, 10.0, 12.0], 10.0, "inconclusive"),
        ("less", [-12.0, -12.5, -13.0], -10.0, "held"),
        ("less", [-2.0, -2.5, -3.0], -10.0, "not held"),
    ],
)
def test_outcomes(direction, d, threshold, outcome):
    c = claim(direction=direction, threshold=threshold, threshold_source="paper Table 3")
    v = evaluate(c, {"ours": d, "base": [0.0] * len(d)})
    assert v.outcome == outcome
    assert claim_held(v) is (outcome == "held")


def test_one_sample_claim():
    c = claim(text="OOD R² stays below 0.5", ours="r2", baseline=None, direction="less",
              threshold=0.5, threshold_source="paper §4")  # fmt: skip
    v = evaluate(c, {"r2": [0.1, 0.2, 0.15, 0.12]})
    assert v.outcome == "held" and v.high < 0.5 and v.estimate == pytest.approx(0.1425)
    assert v.describe().startswith("held: r2 = +0.1425 [")
    assert evaluate(c, {"r2": [0.8, 0.9, 0.85]}).outcome == "not held"


def test_bootstrap_reproducible_and_close_to_t():
    d = np.random.default_rng(1).normal(1.0, 2.0, size=200).tolist()
    cb = claim(statistic="bootstrap")
    v1, v2 = evaluate(cb, {"ours": d, "base": [0.0] * 200}), evaluate(cb, {"ours": d, "base": [0.0] * 200})
    assert (v1.low, v1.high, v1.outcome) == (v2.low, v2.high, v2.outcome)
    vt = evaluate(claim(), {"ours": d, "base": [0.0] * 200})
    width = vt.high - vt.low
    assert abs(v1.low - vt.low) < 0.05 * width and abs(v1.high - vt.high) < 0.05 * width
    assert v1.outcome == vt.outcome == "held"
    assert "95 % percentile bootstrap interval, 200 seeds" in v1.describe()


@pytest.mark.parametrize("statistic", ["t", "bootstrap"])
def test_sd_zero_is_a_point(statistic):
    v = evaluate(claim(statistic=statistic), {"ours": [0.7, 0.7, 0.7], "base": [0.5, 0.5, 0.5]})
    assert v.low == v.high == v.estimate == pytest.approx(0.2)
    assert not math.isnan(v.low) and v.outcome == "held"
    # zero difference exactly at the threshold: neither side, inconclusive
    assert (
        evaluate(claim(statistic=statistic), {"ours": [1.0] * 3, "base": [1.0] * 3}).outcome == "inconclusive"
    )


def test_too_few_seeds_is_inconclusive():
    v = evaluate(claim(), {"ours": [0.9], "base": [0.1]})
    assert v.outcome == "inconclusive" and v.n == 1 and v.estimate == pytest.approx(0.8)
    assert v.low == -math.inf and v.high == math.inf
    assert v.describe() == "inconclusive: ours − base = +0.8 (1 seed, a verdict needs ≥ 3; needs > 0)"
    assert evaluate(claim(min_seeds=2), {"ours": [0.9, 1.0], "base": [0.1, 0.1]}).outcome == "held"
    assert record_fields(v)["interval"] is None


def test_record_fields_is_json_and_scoreboard_ready():
    v = evaluate(claim(threshold=1.0, threshold_source="paper Table 3"),
                 {"ours": [1.0, 2.0, 3.0, 4.0], "base": [0.0] * 4})  # fmt: skip
    f = json.loads(json.dumps(record_fields(v), allow_nan=False))
    assert f["verdict"] == "inconclusive" and f["n_seeds"] == 4 and f["estimate"] == pytest.approx(2.5)
    assert f["interval"] == pytest.approx([0.44574, 4.55426], abs=1e-5)
    assert f["claim_rule"] == {"text": "ours beats base", "ours": "ours", "baseline": "base",
                               "direction": "greater", "threshold": 1.0, "threshold_source": "paper Table 3",
                               "statistic": "t", "level": 0.95, "min_seeds": 3}  # fmt: skip
    assert Claim(**f["claim_rule"]) == v.claim


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"direction": "higher"}, "allowed: greater, less"),
        ({"statistic": "wilcoxon"}, "allowed: t, bootstrap"),
        ({"level": 95.0}, "strictly between 0 and 1"),
        ({"level": 1.0}, "strictly between 0 and 1"),
        ({"min_seeds": 1}, "integer ≥ 2"),
        ({"threshold": math.nan, "threshold_source": "paper"}, "finite number"),
        ({"threshold": 2.0}, "'sign only' needs threshold 0.0"),
        ({"baseline": "ours"}, "must differ"),
        ({"text": " "}, "non-empty"),
    ],
)
def test_claim_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        claim(**kw)


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"ours": [1.0, 2.0, 3.0], "base": [1.0, 2.0]}, "aligned by seed"),
        ({"ours": [1.0, math.nan, 3.0], "base": [0.0] * 3}, "non-finite"),
        ({"ours": [1.0, 2.0, 3.0], "base": [0.0, math.inf, 0.0]}, "non-finite"),
        ({"ours": [1.0, 2.0, 3.0]}, "no per-seed values for metric 'base'"),
        ({"ours": [], "base": []}, "non-empty 1-D"),
    ],
)
def test_evaluate_refuses_bad_values(values, match):
    with pytest.raises(ValueError, match=match):
        evaluate(claim(), values)
