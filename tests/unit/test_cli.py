import subprocess
import sys

import pytest

from tests.conftest import REPO


def iclr22(*args):
    return subprocess.run(
        [sys.executable, "-m", "iclr22lib.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "ch00", "-p", "SCALE", "huge"], "iclr22: error: SCALE='huge' is not a scale for ch00; allowed: smoke, full"),
        (["run", "ch00", "--scale", "huge"], "allowed: smoke, full"),
        (["run", "ch99"], "iclr22: error: unknown chapter 'ch99'; available: ch00"),
        (["run", "ch00", "-p", "EPOCHS", "3"], "unknown parameter 'EPOCHS' for ch00; allowed: SCALE, SEED, DEVICE, DATASET"),
        (["run", "ch00", "-p", "SEED", "one"], "seed='one' has the wrong type str; expected an int"),
        (["run", "ch00", "-p", "DATASET", "pubmed"], "dataset='pubmed' is not allowed; choose one of 'cora', 'citeseer'"),
        (["data", "verify", "imagenet"], "unknown data set 'imagenet'"),
        (["data", "fetch"], "invalid choice: 'fetch'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["budget", "ch03"], "iclr22: error: ch03 has no full-scale budget estimate"),
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
