"""Shared fixtures: where the real data live, and a clean environment for every test."""

from __future__ import annotations

from pathlib import Path

import pytest

from iclr22lib.core.data import data_root

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_results(tmp_path, monkeypatch):
    """No test writes result records into the repository."""
    monkeypatch.setenv("ICLR22LIB_RESULTS", str(tmp_path / "results"))


@pytest.fixture(scope="session")
def real_data_root() -> Path:
    """The data root holding the registered data sets (the shared mirror in development and CI)."""
    root = data_root()
    if not (root / "cora").is_dir():
        pytest.skip(f"no data sets under {root}: set ICLR22LIB_DATA")
    return root
