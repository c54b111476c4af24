"""The ``iclr22`` command line: run chapters, re-make goldens, build the book, check data.

Run it anywhere inside the book's repository (it finds the root, the folder holding ``notebooks/``
and ``_toc.yml``, itself)::

    iclr22 run ch00 -p SEED 1            # execute a chapter into book/chapters/
    iclr22 goldens                       # re-make the smoke goldens in tests/notebooks/
    iclr22 book                          # execute every chapter at smoke scale and build the HTML book
    iclr22 data list | verify [NAME...]  # the data registry
    iclr22 scoreboard                    # book/scoreboard.md from results/
    iclr22 budget ch05                   # planning estimate of the full preset's time on one H100

Bad arguments (an unknown chapter, parameter, scale, device or data set, a wrong type or value)
exit with status 2 and one line that says what was wrong, in well under a second: nothing heavy
(torch, nbformat, a chapter's libraries) is imported before they are checked. A run that fails (a
chapter's cell, corrupt data, a subprocess) exits with status 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from iclr22lib import pipeline
from iclr22lib.core import data
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


def _run_one(root: Path, chapter: str, params: dict, out_dir: Path) -> Path:
    return _run_many(root, [chapter], params, out_dir)[0]


def _run_many(root: Path, chapters: list[str], params: dict, out_dir: Path, jobs: int = 1) -> list[Path]:
    """Execute chapters with the same parameters into ``out_dir``, ``jobs`` at a time.

    Every chapter's parameters are checked before any kernel starts. With ``jobs > 1`` each kernel
    gets ``cores // jobs`` threads (``OMP_NUM_THREADS``), so that parallel chapters do not
    oversubscribe the machine; the outputs then come from that thread count.
    """
    from concurrent.futures import ThreadPoolExecutor

    found = [pipeline.find_chapter(c, root) for c in chapters]
    for key, source in found:
        pipeline.validate_parameters(key, pipeline.source_parameters(source), params)
    os.environ.setdefault("ICLR22LIB_RESULTS", str(root / RESULTS_DIR))
    os.environ["ICLR22LIB_DATA"] = str(data.data_root().resolve())  # the kernel runs in another folder
    if jobs > 1:  # set once, before any kernel starts: every kernel inherits the same environment
        os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // jobs))
        os.environ["TQDM_DISABLE"] = "1"

    def run(item: tuple[str, Path]) -> Path:
        key, source = item
        out = pipeline.execute(source, out_dir / f"{source.stem}.ipynb", params)
        print(f"{key}: executed into {out}", flush=True)
        return out

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run, found))


def cmd_run(args) -> None:
    params = _parameters(args.param, args.scale)
    _run_one(args.root, args.chapter, params, Path(args.out) if args.out else args.root / CHAPTERS_DIR)


def cmd_goldens(args) -> None:
    names = args.chapters or list(pipeline.chapters(args.root))
    _run_many(args.root, names, {"SCALE": "smoke"}, args.root / GOLDENS_DIR, args.jobs)


def _assemble(root: Path, from_goldens: bool, jobs: int = 1) -> tuple[list[Path], list[Path]]:
    """Fill book/chapters/: a current full run if there is one, else the golden or a fresh smoke run.

    Returns every chapter's notebook in book/chapters/ and those of them executed just now.
    """
    chapters = pipeline.chapters(root)

    def current_full(source: Path) -> bool:
        full = root / FULL_DIR / f"{source.stem}.ipynb"
        return full.exists() and not pipeline.is_stale(full, source)

    fresh = [] if from_goldens else [k for k, src in chapters.items() if not current_full(src)]
    executed = _run_many(root, fresh, {"SCALE": "smoke"}, root / CHAPTERS_DIR, jobs) if fresh else []
    out = []
    for key, source in chapters.items():
        dest = root / CHAPTERS_DIR / f"{source.stem}.ipynb"
        full = root / FULL_DIR / dest.name
        golden = root / GOLDENS_DIR / dest.name
        if current_full(source):
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
            print(f"{key}: smoke run just made")
        importlib.import_module("iclr22lib.book").prepare_chapter(
            dest, root / RESULTS_DIR
        )  # banner; hide injected cell
        out.append(dest)
    return out, executed


def cmd_book(args) -> None:
    from iclr22lib.core import scoreboard

    root = args.root
    if args.scale == "full":  # (re-)run every chapter whose full run is missing or stale
        for key, source in pipeline.chapters(root).items():
            full = root / FULL_DIR / f"{source.stem}.ipynb"
            if not full.exists() or pipeline.is_stale(full, source):
                _run_one(root, key, {"SCALE": "full"}, root / FULL_DIR)
    committed = tempfile.TemporaryDirectory()
    if args.check:  # the committed records, before fresh runs overwrite them
        shutil.copytree(root / RESULTS_DIR, committed.name, dirs_exist_ok=True)
    _, executed = _assemble(root, args.from_goldens, args.jobs)
    if args.check:
        _check_against_goldens(root, executed, Path(committed.name))
    committed.cleanup()
    scoreboard.write(root / RESULTS_DIR, root / "book/scoreboard.md")
    jb = Path(sys.executable).with_name("jupyter-book")
    subprocess.run(
        [str(jb) if jb.exists() else "jupyter-book", "build", ".", "-W", "--keep-going", "-q"],
        check=True,
        cwd=root,
    )
    print(f"book built: {root / '_build/html/index.html'}")


def _check_against_goldens(root: Path, executed: list[Path], committed: Path) -> None:
    """The fresh runs' checked cells against the goldens', and their records against the committed ones."""
    from iclr22lib import nbcheck
    from iclr22lib.core import regression

    problems = []
    for nb in executed:
        problems += nbcheck.compare_checked(
            nb, root / GOLDENS_DIR / nb.name, root / GOLDENS_DIR / "nbval_sanitize.cfg"
        )
    fresh = Path(os.environ.get("ICLR22LIB_RESULTS", root / RESULTS_DIR))
    with tempfile.TemporaryDirectory() as tmp:  # only the records of the chapters run just now
        for nb in executed:
            record = fresh / f"{nb.name[:4]}_smoke.json"
            if record.exists():
                shutil.copy(record, tmp)
        problems += regression.compare_dirs(tmp, committed)[1]
    for line in problems:
        print(f"check: {line}")
    print(
        f"check: {len(executed)} fresh chapter(s) against their goldens and records, {len(problems)} problem(s)"
    )
    if problems:
        raise pipeline.PipelineError(
            f"{len(problems)} checked output(s) or metric(s) differ from the goldens"
        )


def cmd_data(args) -> None:
    reg = data.registry()
    if args.action == "list":
        for name, spec in sorted(reg.items()):
            print(
                f"{name:<26} {len(spec.files):>3} files {spec.size / 1e6:>8.1f} MB  used by {', '.join(spec.used_by)}"
            )
        return
    unknown = [n for n in args.names if n not in reg]
    if unknown:
        raise pipeline.UsageError(f"unknown data set {unknown[0]!r}; registered: {', '.join(sorted(reg))}")
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
    from iclr22lib.core import scoreboard

    path = scoreboard.write(
        args.results or args.root / RESULTS_DIR, args.out or args.root / "book/scoreboard.md"
    )
    print(f"scoreboard written: {path}")


def cmd_budget(args) -> None:
    key, _ = pipeline.find_chapter(args.chapter, args.root)
    name = f"{pipeline.package(key)}.budget"
    if importlib.util.find_spec(name) is None:
        raise pipeline.UsageError(f"{key} has no full-scale budget estimate (no budget module)")
    from iclr22lib.core.budget import H100_EAGER, budget_table  # torch: only once the chapter has one

    module = importlib.import_module(name)
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
    run.add_argument("--out", help="output folder (default: book/chapters under the book's root)")
    run.set_defaults(func=cmd_run)

    gold = sub.add_parser("goldens", help="re-make the smoke goldens under tests/notebooks/")
    gold.add_argument("chapters", nargs="*", help="chapter ids (default: all)")
    gold.add_argument("-j", "--jobs", type=int, default=1, help="chapters run at once (default 1)")
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
        "--check",
        action="store_true",
        help="compare the chapters run now with the goldens (checked cells) and committed records (metrics)",
    )
    book.add_argument("-j", "--jobs", type=int, default=1, help="chapters run at once (default 1)")
    book.set_defaults(func=cmd_book)

    dat = sub.add_parser("data", help="list or verify the registered data sets")
    dat.add_argument("action", choices=("list", "verify"))
    dat.add_argument("names", nargs="*", help="data set names (default: all)")
    dat.set_defaults(func=cmd_data)

    sb = sub.add_parser("scoreboard", help="write the scoreboard page from result records")
    sb.add_argument("--results", help="folder of result records (default: results/ under the book's root)")
    sb.add_argument("--out", help="page to write (default: book/scoreboard.md under the book's root)")
    sb.set_defaults(func=cmd_scoreboard)
    bud = sub.add_parser("budget", help="planning estimate of a chapter's full preset on one H100")
    bud.add_argument("chapter", help="chapter id (ch02, ch05, ch07)")
    bud.set_defaults(func=cmd_budget)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0 on success, 2 for a bad argument (usage), 1 when the work itself failed."""
    args = build_parser().parse_args(argv)
    try:
        args.root = pipeline.book_root() if args.command != "data" else None
        args.func(args)
    except (ConfigError, pipeline.UsageError) as err:
        print(f"iclr22: error: {err}", file=sys.stderr)
        return 2
    except (data.DataError, pipeline.PipelineError) as err:
        print(f"iclr22: error: {err}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as err:
        print(
            f"iclr22: error: {' '.join(map(str, err.cmd[:3]))} ... failed with status {err.returncode}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
