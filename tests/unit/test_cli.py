import subprocess
import sys
import time

import pytest

from iclr22lib import cli, pipeline
from iclr22lib.pipeline import config_modules
from tests.conftest import REPO

#: What a refusal must not import: it would cost seconds before the one-line message.
HEAVY = ("torch", "transformers", "gluonts", "nbformat", "papermill", "jupytext")
REFUSALS = [
    (["run", "ch99"], "unknown chapter 'ch99'"),
    (["run", "ch00", "-p", "SCALE", "huge"], "SCALE='huge' is not a scale for ch00"),
    (["run", "ch00", "-p", "DEVICE", "gpu7"], "DEVICE='gpu7' is not a device"),
    (["data", "verify", "no_such_dataset"], "unknown data set 'no_such_dataset'"),
]


def iclr22(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "iclr22lib.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "ch00", "-p", "SCALE", "huge"],
            "iclr22: error: SCALE='huge' is not a scale for ch00; allowed: smoke, full",
        ),
        (["run", "ch00", "--scale", "huge"], "allowed: smoke, full"),
        (["run", "ch99"], "iclr22: error: unknown chapter 'ch99'; available: ch00"),
        (
            ["run", "ch00", "-p", "EPOCHS", "3"],
            "unknown parameter 'EPOCHS' for ch00; allowed: SCALE, SEED, DEVICE, DATASET",
        ),
        (["run", "ch00", "-p", "SEED", "one"], "seed='one' has the wrong type str; expected an int"),
        (
            ["run", "ch00", "-p", "DATASET", "pubmed"],
            "dataset='pubmed' is not allowed; choose one of 'cora', 'citeseer'",
        ),
        (["data", "verify", "imagenet"], "unknown data set 'imagenet'"),
        (["data", "fetch"], "invalid choice: 'fetch'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["budget", "ch03"], "iclr22: error: ch03 has no full-scale budget estimate"),
        (["goldens", "ch00", "ch99"], "unknown chapter 'ch99'"),  # every name checked before any run
        (["budget", "ch99"], "unknown chapter 'ch99'"),
        ([], "the following arguments are required: command"),
    ],
)
def test_bad_arguments_exit_nonzero_with_one_line(args, message):
    proc = iclr22(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stdout == ""


def test_data_list_names_every_set():
    proc = iclr22("data", "list")
    assert proc.returncode == 0
    assert [line.split()[0] for line in proc.stdout.splitlines()][:3] == [
        "all-MiniLM-L6-v2-fp16", "cifar10_jpeg_subset", "citeseer",
    ]  # fmt: skip


def test_cli_and_config_modules_import_nothing_heavy():
    code = "; ".join(["import iclr22lib.cli", *(f"import {m}" for m in config_modules().values())])
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def _best_of(n, *cmd):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, *cmd], cwd=REPO, capture_output=True, text=True, timeout=120)
        times.append(time.perf_counter() - start)
    return min(times), proc


@pytest.mark.parametrize(("args", "message"), REFUSALS)
def test_refusals_are_fast_and_one_line(args, message):
    """Timed against the interpreter's own start-up on this machine, not against a wall clock."""
    baseline, _ = _best_of(3, "-c", "pass")
    took, proc = _best_of(3, "-m", "iclr22lib.cli", *args)
    assert proc.returncode == 2 and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert took < 8 * baseline, f"{took:.2f} s against {baseline:.2f} s for 'python -c pass'"


def test_runs_from_a_subdirectory_and_refuses_outside_the_book(tmp_path):
    proc = iclr22("run", "ch00", "-p", "SCALE", "huge", cwd=REPO / "tests" / "unit")
    assert proc.returncode == 2 and "SCALE='huge' is not a scale for ch00" in proc.stderr
    proc = iclr22("run", "ch00", cwd=tmp_path)
    assert proc.returncode == 2 and "no book here" in proc.stderr
    assert iclr22("data", "list", cwd=tmp_path).returncode == 0  # the data registry needs no book


def test_exit_codes_usage_2_runtime_1(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(REPO / "book")
    monkeypatch.setenv("ICLR22LIB_OFFLINE", "1")
    monkeypatch.setenv("ICLR22LIB_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("ICLR22LIB_RESULTS", str(tmp_path / "results"))
    assert cli.main(["run", "ch99"]) == 2
    assert cli.main(["run", "ch00", "-p", "DATASET", "pubmed"]) == 2
    assert cli.main(["data", "verify", "cora"]) == 1  # a registered data set that is missing: runtime

    def failing_run(source, output, parameters=None, **kw):
        raise pipeline.PipelineError("ch00_getting_started.py failed in cell 3: AssertionError: claim")

    monkeypatch.setattr(pipeline, "execute", failing_run)
    assert cli.main(["run", "ch00"]) == 1
    assert "failed in cell 3" in capsys.readouterr().err
