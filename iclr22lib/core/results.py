"""Result records: one small JSON file per chapter and scale, the source of the scoreboard.

A record holds the chapter's headline metrics next to the paper's numbers for the same
quantities, the claim in one sentence and whether it held in this run, plus what produced it
(scale, seeds, hardware, library and torch versions, time). Records are written to
``$ICLR22LIB_RESULTS`` (the book's build sets it to the repository's ``results/``) or,
by default, ``~/.cache/iclr22lib/results``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib.metadata import version as _version
from pathlib import Path
from typing import Any

import iclr22lib
from iclr22lib.core.config import RunConfig

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Metric:
    """One headline number: ours, the paper's (None when the paper has none), and which way is better.

    ``timing`` marks a cost measured in time: it depends on the machine, so the records' regression
    check (:mod:`iclr22lib.core.regression`) never compares it.
    """

    name: str
    ours: float
    paper: float | None = None
    higher_is_better: bool = True
    unit: str = ""
    timing: bool = False


@dataclass(frozen=True)
class Record:
    """A chapter's result at one scale. ``claim_held`` is decided by the chapter's own asserts."""

    chapter: str
    title: str
    claim: str
    claim_held: bool
    scale: str
    seeds: tuple[int, ...]
    metrics: tuple[Metric, ...]
    hardware: str
    config: dict[str, Any]
    library_version: str = iclr22lib.__version__
    torch_version: str = _version("torch")
    created: str = ""
    notes: str = ""
    schema: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)


def _hardware(device: str) -> str:
    from iclr22lib.core.device import hardware_summary  # torch: only when a record is written

    return hardware_summary(device)


def results_dir(path: str | os.PathLike | None = None) -> Path:
    """Where records go: ``path``, else ``$ICLR22LIB_RESULTS``, else ``~/.cache/iclr22lib/results``."""
    if path is not None:
        return Path(path)
    env = os.environ.get("ICLR22LIB_RESULTS")
    return Path(env) if env else Path.home() / ".cache" / "iclr22lib" / "results"


def _validate(rec: Record) -> None:
    if not rec.chapter.startswith("ch") or not rec.chapter[2:4].isdigit():
        raise ValueError(f"chapter id {rec.chapter!r} must look like 'ch00'..'ch10'")
    if not rec.metrics:
        raise ValueError("a record needs at least one metric")
    for m in rec.metrics:
        if not isinstance(m.ours, (int, float)) or not math.isfinite(m.ours):
            raise ValueError(f"metric {m.name!r} has a non-finite value {m.ours!r}")


def save_record(
    cfg: RunConfig,
    *,
    chapter: str,
    title: str,
    claim: str,
    claim_held: bool,
    metrics: Sequence[Metric],
    seeds: Sequence[int] | None = None,
    notes: str = "",
    extra: Mapping[str, Any] | None = None,
    out_dir: str | os.PathLike | None = None,
) -> Path:
    """Write ``<results dir>/<chapter>_<scale>.json`` atomically and return its path."""
    rec = Record(
        chapter=chapter,
        title=title,
        claim=claim,
        claim_held=bool(claim_held),
        scale=cfg.scale,
        seeds=tuple(int(s) for s in (seeds if seeds is not None else (cfg.seed,))),
        metrics=tuple(
            Metric(m.name, float(m.ours), m.paper, m.higher_is_better, m.unit, m.timing) for m in metrics
        ),
        hardware=_hardware(cfg.device),
        config=cfg.to_dict(),
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        notes=notes,
        extra=dict(extra or {}),
    )
    _validate(rec)
    folder = results_dir(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{chapter}_{cfg.scale}.json"
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=folder)
    with os.fdopen(fd, "w") as fh:
        json.dump(asdict(rec), fh, indent=2, sort_keys=False)
        fh.write("\n")
    os.replace(tmp, dest)
    return dest


def load_record(path: str | os.PathLike) -> Record:
    """Read and validate one record file."""
    raw = json.loads(Path(path).read_text())
    if raw.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"{path}: schema {raw.get('schema')!r}, this library reads {SCHEMA_VERSION}")
    raw["metrics"] = tuple(Metric(**m) for m in raw["metrics"])
    raw["seeds"] = tuple(raw["seeds"])
    rec = Record(**raw)
    _validate(rec)
    return rec


def load_records(folder: str | os.PathLike | None = None) -> list[Record]:
    """All records in a folder, sorted by chapter then scale."""
    paths = sorted(results_dir(folder).glob("ch*_*.json"))
    return sorted((load_record(p) for p in paths), key=lambda r: (r.chapter, r.scale))
