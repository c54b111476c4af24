"""The ``iclr22`` command line: run chapters, re-make goldens, build the book, check data.

Run it from the book's repository root::

    iclr22 run ch00 -p SEED 1            # execute a chapter into book/chapters/
    iclr22 goldens                       # re-make the smoke goldens in tests/notebooks/
    iclr22 book                          # execute every chapter at smoke scale and build the HTML book
    iclr22 data list | verify [NAME...]  # the data registry
    iclr22 scoreboard                    # book/scoreboard.md from results/
    iclr22 budget ch05                   # planning estimate of the full preset's time on one H100

Bad arguments exit with status 2 and one line that says what was wrong.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from iclr22lib import pipeline
from iclr22lib.core import data, scoreboard
from iclr22lib.core.config import ConfigError

CHAPTERS_DIR = Path("book/chapters")
FULL_DIR = Path("book/full")
GOLDENS_DIR = Path("tests/notebooks")
RESULTS_DIR = Path("results")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        self.exit(2, f"iclr22: error: {message} (see 'iclr22 --help')\n")


def _parameters(pairs: list[list[str]] | None, scale: str | None) -> dict:
    params = {name: pipeline.parse_value(value) for name, value in (pairs or [])}
    if scale is not None:
        params["SCALE"] = scale
    return params


def _run_one(chapter: str, params: dict, out_dir: Path) -> Path:
    key, source = pipeline.find_chapter(chapter)
    pipeline.validate_parameters(key, pipeline.to_notebook(source), params)
    os.environ.setdefault("ICLR22LIB_RESULTS", str(RESULTS_DIR.resolve()))
    os.environ["ICLR22LIB_DATA"] = str(data.data_root().resolve())  # the kernel runs in another folder
    out = pipeline.execute(source, out_dir / f"{source.stem}.ipynb", params)
    print(f"{key}: executed into {out}")
    return out


def cmd_run(args) -> None:
    _run_one(args.chapter, _parameters(args.param, args.scale), Path(args.out))


def cmd_goldens(args) -> None:
    names = args.chapters or list(pipeline.chapters())
    for name in names:
        _run_one(name, {"SCALE": "smoke"}, GOLDENS_DIR)


def _assemble(from_goldens: bool) -> list[Path]:
    """Fill book/chapters/: a current full run if there is one, else the golden or a fresh smoke run."""
    out = []
    for key, source in pipeline.chapters().items():
        dest = CHAPTERS_DIR / f"{source.stem}.ipynb"
        full = FULL_DIR / dest.name
        golden = GOLDENS_DIR / dest.name
        if full.exists() and not pipeline.is_stale(full, source):
            pipeline.refresh_prose(full, source, dest)
            print(f"{key}: full-scale run from {full}")
        elif from_goldens:
            if not golden.exists() or pipeline.is_stale(golden, source):
                raise pipeline.PipelineError(
                    f"{key}: golden {golden} missing or stale: re-run `make goldens`"
                )
            pipeline.refresh_prose(golden, source, dest)
            print(f"{key}: smoke golden from {golden}")
        else:
            _run_one(key, {"SCALE": "smoke"}, CHAPTERS_DIR)
        out.append(dest)
    return out


def cmd_book(args) -> None:
    if args.scale == "full":  # (re-)run every chapter whose full run is missing or stale
        for key, source in pipeline.chapters().items():
            full = FULL_DIR / f"{source.stem}.ipynb"
            if not full.exists() or pipeline.is_stale(full, source):
                _run_one(key, {"SCALE": "full"}, FULL_DIR)
    notebooks = _assemble(args.from_goldens)
    if args.nbval:
        parallel = ["-n", "2", "--dist", "loadscope"] if importlib.util.find_spec("xdist") else []
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                *parallel,
                "--nbval-lax",
                "--nbval-current-env",
                "--nbval-sanitize-with",
                str(GOLDENS_DIR / "nbval_sanitize.cfg"),
                "-p",
                "no:cacheprovider",
                *map(str, notebooks),
            ],
            check=True,
        )
    scoreboard.write(RESULTS_DIR, "book/scoreboard.md")
    jb = Path(sys.executable).with_name("jupyter-book")
    subprocess.run(
        [str(jb) if jb.exists() else "jupyter-book", "build", ".", "-W", "--keep-going", "-q"], check=True
    )
    print(f"book built: {Path('_build/html/index.html').resolve()}")


def cmd_data(args) -> None:
    reg = data.registry()
    if args.action == "list":
        for name, spec in sorted(reg.items()):
            print(
                f"{name:<26} {len(spec.files):>3} files {spec.size / 1e6:>8.1f} MB  used by {', '.join(spec.used_by)}"
            )
        return
    bad = 0
    for name in args.names or sorted(reg):
        problems = data.verify(name)
        bad += bool(problems)
        print(
            f"{name}: " + ("ok" if not problems else "; ".join(f"{p}: {why}" for p, why in problems.items()))
        )
    print(f"data root: {data.data_root()}")
    if bad:
        raise data.DataError(f"{bad} data set(s) failed verification")


def cmd_scoreboard(args) -> None:
    path = scoreboard.write(args.results, args.out)
    print(f"scoreboard written: {path}")


def cmd_budget(args) -> None:
    from iclr22lib.core.budget import H100_EAGER, budget_table

    key, _ = pipeline.find_chapter(args.chapter)
    name = f"{pipeline.CONFIG_MODULES[key]}.budget"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name != name:
            raise
        raise pipeline.PipelineError(f"{key} has no full-scale budget estimate (no budget module)") from None
    rows, minutes = budget_table(module.full_workload(), H100_EAGER)
    width = max(len(r["work"]) for r in rows)
    print(f"{key} full preset, {H100_EAGER.name}; an estimate, not a measurement")
    for r in rows:
        print(
            f"  {r['work']:<{width}}  {r['steps']:>9,} steps  {r['GFLOP/step']:>9.3f} GFLOP  "
            f"{r['kernels/step']:>6} kernels  {r['est. min']:>6.1f} min"
        )
    print(f"  total: {minutes:.1f} min (limit 60)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="iclr22", description="Run, test and build the executable book of ten ICLR 2022 papers.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="execute one chapter with Papermill")
    run.add_argument("chapter", help="chapter id (ch00) or notebook stem")
    run.add_argument("--scale", help="shorthand for -p SCALE <scale>")
    run.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set a parameter of the chapter's parameters cell (repeatable)",
    )
    run.add_argument("--out", default=str(CHAPTERS_DIR), help="output folder (default: book/chapters)")
    run.set_defaults(func=cmd_run)

    gold = sub.add_parser("goldens", help="re-make the smoke goldens under tests/notebooks/")
    gold.add_argument("chapters", nargs="*", help="chapter ids (default: all)")
    gold.set_defaults(func=cmd_goldens)

    book = sub.add_parser("book", help="assemble the executed chapters and build the HTML book")
    book.add_argument(
        "--scale",
        choices=("smoke", "full"),
        default="smoke",
        help="full: first run every chapter at full scale into book/full/ (GPU)",
    )
    book.add_argument(
        "--from-goldens", action="store_true", help="use the committed goldens, execute nothing"
    )
    book.add_argument(
        "--nbval", action="store_true", help="nbval-check the executed chapters before building"
    )
    book.set_defaults(func=cmd_book)

    dat = sub.add_parser("data", help="list or verify the registered data sets")
    dat.add_argument("action", choices=("list", "verify"))
    dat.add_argument("names", nargs="*", help="data set names (default: all)")
    dat.set_defaults(func=cmd_data)

    sb = sub.add_parser("scoreboard", help="write the scoreboard page from result records")
    sb.add_argument("--results", default=str(RESULTS_DIR), help="folder of result records")
    sb.add_argument("--out", default="book/scoreboard.md", help="page to write")
    sb.set_defaults(func=cmd_scoreboard)
    bud = sub.add_parser("budget", help="planning estimate of a chapter's full preset on one H100")
    bud.add_argument("chapter", help="chapter id (ch02, ch05, ch07)")
    bud.set_defaults(func=cmd_budget)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ConfigError, data.DataError, pipeline.PipelineError) as err:
        print(f"iclr22: error: {err}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as err:
        print(
            f"iclr22: error: {' '.join(map(str, err.cmd[:3]))} ... failed with status {err.returncode}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
