"""Run nbval on the smoke goldens as other CPUs of this machine kind would compute them.

Machines of one kind share an image but not a processor: one host has AVX-512, the next only AVX2.
PyTorch then takes other vector kernels (ATen's dispatch), MKL and oneDNN other code paths, and
OpenBLAS (NumPy, SciPy) other kernels, so floating-point sums come out in another order. Each
profile below forces this machine onto one such path, through the libraries' own switches:

- ``ATEN_CPU_CAPABILITY``: ATen's vectorised kernels (``default`` is scalar code, ``avx2``, ``avx512``);
- ``MKL_CBWR``: MKL's conditional numerical reproducibility, which fixes its code path
  (``COMPATIBLE`` is the most conservative, ``AVX2`` the AVX2 one);
- ``ONEDNN_MAX_CPU_ISA``: the widest instruction set oneDNN (convolutions) may use;
- ``OPENBLAS_CORETYPE``: the OpenBLAS kernel family (``Haswell`` is AVX2, ``Prescott`` SSE3);
- ``NPY_DISABLE_CPU_FEATURES``: NumPy's own dispatched SIMD loops (``exp``, ``log``, sorting, ...):
  ``X86_V4`` is its AVX-512 group, ``X86_V3`` its AVX2 group (a feature the CPU lacks is ignored).

A cell that differs under a profile prints something one CPU of the kind does not reproduce: it
must not be a ``# NBVAL_CHECK_OUTPUT`` cell in that form. Run before re-making goldens::

    python tools/crosscheck.py                    # every profile, every golden
    python tools/crosscheck.py -p avx2 ch06 ch10  # one profile, two chapters

It prints one line per profile with the cells that differ and exits 1 when any does.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLDENS = REPO / "tests" / "notebooks"

PROFILES: dict[str, dict[str, str]] = {
    "avx2": {
        "ATEN_CPU_CAPABILITY": "avx2",
        "MKL_CBWR": "AVX2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "OPENBLAS_CORETYPE": "Haswell",
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    },
    "default": {
        "ATEN_CPU_CAPABILITY": "default",
        "MKL_CBWR": "COMPATIBLE",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
        "OPENBLAS_CORETYPE": "Prescott",
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
    },
}

_FAILED = re.compile(r"^FAILED \S*?([^/\s]+)\.ipynb::Cell (\d+)", re.M)


def run_profile(name: str, goldens: list[Path], workers: int) -> tuple[list[str], float]:
    """nbval on ``goldens`` under profile ``name``: the differing cells (``ch06 cell 9``) and seconds."""
    env = {**os.environ, **PROFILES[name], "ICLR22LIB_RESULTS": tempfile.mkdtemp(prefix="crosscheck-")}
    if workers > 1:  # one thread per worker, as `make nbval` runs them
        env["OMP_NUM_THREADS"] = "1"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rf",
        "-p",
        "no:cacheprovider",
        "--nbval-lax",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        str(GOLDENS / "nbval_sanitize.cfg"),
        *([f"-n{workers}", "--dist", "loadscope"] if workers > 1 else []),
        *map(str, goldens),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.stdout.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"crosscheck: pytest failed to run under profile {name} (status {proc.returncode})")
    cells = sorted({f"{stem[:4]} cell {cell}" for stem, cell in _FAILED.findall(proc.stdout)})
    return cells, seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("chapters", nargs="*", help="chapter ids (default: every golden)")
    p.add_argument("-p", "--profile", action="append", choices=sorted(PROFILES), help="default: all")
    p.add_argument("-n", "--workers", type=int, default=2, help="pytest-xdist workers (default 2)")
    args = p.parse_args(argv)
    goldens = sorted(GOLDENS.glob("ch*.ipynb"))
    if args.chapters:
        goldens = [g for g in goldens if g.name[:4] in args.chapters]
        if not goldens:
            p.error(f"no golden for {', '.join(args.chapters)}")
    bad = 0
    for name in args.profile or list(PROFILES):
        cells, seconds = run_profile(name, goldens, args.workers)
        bad += bool(cells)
        print(f"{name:<8} {seconds:6.0f} s  " + (", ".join(cells) if cells else "every checked cell matches"))
        sys.stdout.flush()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
