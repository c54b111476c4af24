"""Regression check of result records: a fresh run's metrics against the committed record's.

The goldens' checked cells print only what every CPU of a machine kind reproduces (integers, data
statistics, machinery checks). The metrics themselves move a little from one CPU to the next, as
vector kernels sum in another order and training drifts, so they are compared here, each within a
tolerance derived from its spread over seeds: a fresh run on another CPU should differ from the
committed one by no more than another seed would.

The spreads live in ``results/spread/<chapter>_<scale>.json``, written by ``tools/seed_spread.py``
from runs of the chapter at other seeds; each metric's entry holds the seeds, the values, their
sample standard deviation ``s`` and the tolerance :func:`tolerance` derives from it. Treating a run
on another CPU as a fresh draw of the seed noise, the difference between two runs has standard
deviation ``sqrt(2) sigma``; with ``sigma`` estimated by ``s`` from ``n`` runs, the two-sided
99 % prediction bound of that difference is ``t(0.995, n - 1) * sqrt(2) * s`` (about 14 s for
three runs: with so few seeds the bound is wide, honestly so). It is floored at :data:`FLOOR`
relative to the value, so that a metric no seed moves still admits rounding.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from iclr22lib.core.results import Record, load_record

#: Coverage of the prediction bound on the difference between two runs.
LEVEL = 0.99
#: Smallest tolerance, relative to the committed value (and absolute near zero): a metric that no seed
#: moves (a data statistic, a deterministic fit) still goes through float32 sums of thousands of terms,
#: which another CPU rounds differently at about this relative size.
FLOOR = 1e-4


def tolerance(sd: float, n: int, level: float = LEVEL) -> float:
    """Two-sided ``level`` prediction bound of the difference of two runs, from ``sd`` over ``n`` runs."""
    from scipy import stats

    return float(stats.t.ppf((1 + level) / 2, n - 1) * math.sqrt(2) * sd)


def spread(records: Sequence[Record]) -> dict[str, dict[str, Any]]:
    """Per-metric spread over runs of one chapter at different seeds (timing metrics left out).

    Returns ``{metric name: {"seeds": [...], "values": [...], "sd": s, "tol": tolerance(s, n)}}``;
    ``sd`` is the sample standard deviation (``ddof=1``), so at least two records are needed.
    """
    if len(records) < 2:
        raise ValueError(f"a seed spread needs at least two runs, got {len(records)}")
    chapters = {(r.chapter, r.scale) for r in records}
    if len(chapters) != 1:
        raise ValueError(f"records of one chapter and scale expected, got {sorted(chapters)}")
    out: dict[str, dict[str, Any]] = {}
    for metric in records[0].metrics:
        if metric.timing:
            continue
        values = [next((m.ours for m in r.metrics if m.name == metric.name), math.nan) for r in records]
        finite = [v for v in values if math.isfinite(v)]
        if len(finite) < 2:
            continue
        mean = sum(finite) / len(finite)
        sd = math.sqrt(sum((v - mean) ** 2 for v in finite) / (len(finite) - 1))
        out[metric.name] = {
            "seeds": [r.seeds[0] for r in records],
            "values": values,
            "sd": sd,
            "tol": tolerance(sd, len(finite)),
        }
    return out


def write_spread(records: Sequence[Record], path: str | os.PathLike) -> Path:
    """Write :func:`spread` of ``records`` to ``path`` as JSON and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "chapter": records[0].chapter,
        "scale": records[0].scale,
        "level": LEVEL,
        "metrics": spread(records),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, indent=2) + "\n")
    os.replace(tmp, path)
    return path


def compare(fresh: Record, committed: Record, tolerances: Mapping[str, float]) -> list[str]:
    """What differs between a fresh and a committed record: one line per problem, empty when none.

    Every non-timing metric of the committed record must be in the fresh one; those with a
    tolerance must lie within it (at least :data:`FLOOR`); those without are reported, so that a
    new metric cannot slip through unmeasured.
    """
    problems = []
    ours = {m.name: m for m in fresh.metrics}
    for m in committed.metrics:
        if m.timing:
            continue
        if m.name not in ours:
            problems.append(f"{committed.chapter}: metric {m.name!r} is missing from the fresh record")
            continue
        if m.name not in tolerances:
            problems.append(f"{committed.chapter}: metric {m.name!r} has no seed-spread tolerance")
            continue
        tol = max(tolerances[m.name], FLOOR * max(1.0, abs(m.ours)))
        got = ours[m.name].ours
        if not abs(got - m.ours) <= tol:
            problems.append(
                f"{committed.chapter}: {m.name!r} = {got:.6g}, committed {m.ours:.6g}, "
                f"beyond the tolerance {tol:.3g} ({100 * LEVEL:g} % bound from the seed spread)"
            )
    return problems


def compare_dirs(fresh_dir: str | os.PathLike, committed_dir: str | os.PathLike) -> tuple[int, list[str]]:
    """Compare every fresh record with the committed record and spread of the same chapter and scale.

    Returns the number of records compared and the problems found. A fresh record without a
    committed one, or without a spread file, is a problem.
    """
    fresh_dir, committed_dir = Path(fresh_dir), Path(committed_dir)
    problems: list[str] = []
    fresh_paths = sorted(fresh_dir.glob("ch*_*.json"))
    for path in fresh_paths:
        committed_path = committed_dir / path.name
        spread_path = committed_dir / "spread" / path.name
        if not committed_path.exists():
            problems.append(f"{path.stem}: no committed record {committed_path}")
            continue
        if not spread_path.exists():
            problems.append(f"{path.stem}: no seed spread {spread_path}: run tools/seed_spread.py")
            continue
        entries = json.loads(spread_path.read_text())["metrics"].items()
        tolerances = {k: tolerance(v["sd"], sum(map(math.isfinite, v["values"]))) for k, v in entries}
        problems += compare(load_record(path), load_record(committed_path), tolerances)
    return len(fresh_paths), problems


def main(argv: list[str] | None = None) -> int:
    """``python -m iclr22lib.core.regression FRESH [COMMITTED]``: exit 1 and list problems, if any."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        print("usage: python -m iclr22lib.core.regression FRESH_DIR [COMMITTED_DIR (default: results)]")
        return 2
    n, problems = compare_dirs(args[0], args[1] if len(args) > 1 else "results")
    for line in problems:
        print(f"record regression: {line}")
    print(f"record regression: {n} fresh record(s) compared, {len(problems)} problem(s)")
    return 1 if problems or n == 0 else 0


if __name__ == "__main__":
    raise SystemExit(main())
