"""Measure each chapter's seed spread at smoke scale: the tolerances of the records' regression check.

For every chapter named (default: all), runs the chapter with Papermill at the given seeds (default
100 and 200, far from the seeds 0, 1, 2, ... that a smoke run and its inner repeats use), reads the
records those runs write, adds the committed record ``results/<chapter>_smoke.json`` (seed 0), and
writes ``results/spread/<chapter>_smoke.json`` through :func:`iclr22lib.core.regression.write_spread`.
Run it after re-making a golden whose metrics changed::

    python tools/seed_spread.py ch06 ch10
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from iclr22lib import pipeline
from iclr22lib.core import regression
from iclr22lib.core.data import data_root
from iclr22lib.core.results import load_record

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("chapters", nargs="*", help="chapter ids (default: all)")
    p.add_argument("--seeds", type=int, nargs="+", default=[100, 200], help="seeds to run (default 100 200)")
    args = p.parse_args(argv)
    found = pipeline.chapters(REPO)
    os.environ["ICLR22LIB_DATA"] = str(data_root().resolve())  # the kernel runs in another folder
    for key in args.chapters or list(found):
        committed = load_record(REPO / "results" / f"{key}_smoke.json")
        records = [committed]
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["ICLR22LIB_RESULTS"] = tmp
            for seed in args.seeds:
                start = time.perf_counter()
                record = Path(tmp) / f"{key}_smoke.json"
                record.unlink(missing_ok=True)
                try:
                    pipeline.execute(found[key], Path(tmp) / f"{key}_seed{seed}.ipynb", {"SEED": seed})
                    status = "ran"
                except pipeline.PipelineError as err:  # a claim assert that fails at this seed
                    status = f"FAILED ({err})"
                print(f"{key} seed {seed}: {status} in {time.perf_counter() - start:.0f} s", flush=True)
                if record.exists():
                    records.append(load_record(record))
        if len(records) < 2:
            print(f"{key}: no record from the other seeds; spread not written")
            continue
        path = regression.write_spread(records, REPO / "results" / "spread" / f"{key}_smoke.json")
        print(f"{key}: spread over seeds {[r.seeds[0] for r in records]} written to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
