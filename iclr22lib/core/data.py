"""The data registry: every data set the book reads, with the size and sha256 of each file.

Data live outside the repository, under a *data root* resolved as: an explicit ``root=``,
then the environment variable ``ICLR22LIB_DATA``, then ``~/.cache/iclr22lib``. A data set
``name`` sits in ``<root>/<name>/`` with the relative file paths the registry lists.

Every load checks the sha256 of every file it returns. A missing file is downloaded from its
public address when one is registered and the library is not offline (``ICLR22LIB_OFFLINE=1``);
the download goes to a temporary file in the same folder and is renamed into place only after
its size and sum match, so a failed or corrupt download leaves nothing behind. Anything else
raises :class:`DataError` naming the data set, the expected path and sum, and what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

_CHUNK = 1 << 20

#: The Planetoid graphs in the registry (read by :mod:`iclr22lib.core.graphs`); here so that a chapter's
#: config can list them without importing torch.
PLANETOID = ("cora", "citeseer")


class DataError(RuntimeError):
    """A registered file is missing, corrupt or cannot be fetched."""


@dataclass(frozen=True)
class FileSpec:
    """One file of a data set: ``path`` relative to the data set folder, ``size`` in bytes."""

    path: str
    size: int
    sha256: str
    url: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """A registered data set and where it comes from."""

    name: str
    description: str
    files: tuple[FileSpec, ...]
    source: str = ""
    homepage: str = ""
    licence: str = ""
    used_by: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        """Total bytes of all files."""
        return sum(f.size for f in self.files)

    def file(self, path: str) -> FileSpec:
        """The spec of one file, by its relative path."""
        for f in self.files:
            if f.path == path:
                return f
        raise DataError(f"data set {self.name!r} has no file {path!r}; it has: {', '.join(self.paths())}")

    def paths(self) -> list[str]:
        return [f.path for f in self.files]


@cache
def registry() -> dict[str, DatasetSpec]:
    """All registered data sets by name (read once from ``registry.json``)."""
    raw = json.loads(resources.files("iclr22lib.core").joinpath("registry.json").read_text())
    out = {}
    for name, entry in raw.items():
        files = tuple(FileSpec(**f) for f in entry["files"])
        out[name] = DatasetSpec(
            name=name,
            description=entry["description"],
            files=files,
            source=entry.get("source", ""),
            homepage=entry.get("homepage", ""),
            licence=entry.get("licence", ""),
            used_by=tuple(entry.get("used_by", ())),
        )
    return out


def get_spec(name: str | DatasetSpec) -> DatasetSpec:
    """Look a data set up by name (a :class:`DatasetSpec` passes through)."""
    if isinstance(name, DatasetSpec):
        return name
    reg = registry()
    if name not in reg:
        raise DataError(f"unknown data set {name!r}; registered: {', '.join(sorted(reg))}")
    return reg[name]


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: ``root`` if given, else ``$ICLR22LIB_DATA``, else ``~/.cache/iclr22lib``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("ICLR22LIB_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "iclr22lib"


def offline() -> bool:
    """True when ``ICLR22LIB_OFFLINE`` is set to anything but ``""``/``"0"``: never touch the network."""
    return os.environ.get("ICLR22LIB_OFFLINE", "") not in ("", "0")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _problem(spec: DatasetSpec, f: FileSpec, path: Path) -> str | None:
    """Why ``path`` is not the registered file, or None when it is."""
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    if size != f.size:
        return f"size {size} bytes, expected {f.size}"
    got = sha256_file(path)
    if got != f.sha256:
        return f"sha256 {got}, expected {f.sha256}"
    return None


def _download(f: FileSpec, dest: Path, timeout: float = 60.0) -> None:
    """Fetch ``f.url`` into ``dest`` through a temporary file renamed only once the sum matches."""
    import urllib.request  # here, not at the top: the CLI imports this module and should start fast

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(f.url, timeout=timeout) as resp:
            while chunk := resp.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
        size = tmp.stat().st_size
        if size != f.size or h.hexdigest() != f.sha256:
            raise DataError(
                f"download of {f.url} gave {size} bytes with sha256 {h.hexdigest()}; expected {f.size} "
                f"bytes with sha256 {f.sha256}. Nothing was written to {dest}."
            )
        os.replace(tmp, dest)
    except DataError:
        raise
    except OSError as err:
        raise DataError(f"could not download {f.url} to {dest}: {err}. Nothing was written.") from err
    finally:
        tmp.unlink(missing_ok=True)


def fetch(
    name: str | DatasetSpec,
    root: str | os.PathLike | None = None,
    *,
    files: Iterable[str] | None = None,
) -> Path:
    """Verify (downloading what is missing and allowed) and return the folder of data set ``name``.

    ``files`` restricts the check to some relative paths; by default every file is checked.
    """
    spec = get_spec(name)
    folder = data_root(root) / spec.name
    wanted = spec.files if files is None else tuple(spec.file(p) for p in files)
    for f in wanted:
        path = folder / f.path
        problem = _problem(spec, f, path)
        if problem is None:
            continue
        if problem != "missing":
            raise DataError(
                f"data set {spec.name!r}: {path} is corrupt ({problem}). Delete it and fetch it again"
                + (f" from {f.url}" if f.url else "")
                + "."
            )
        if f.url is None or offline():
            why = "offline mode is on (ICLR22LIB_OFFLINE)" if f.url else "it has no public download address"
            raise DataError(
                f"data set {spec.name!r}: {path} is missing and {why}. Place the file there "
                f"(sha256 {f.sha256}, {f.size} bytes"
                + (f", from {f.url}" if f.url else f", see {spec.homepage or spec.source}")
                + "), or point ICLR22LIB_DATA at a data root that holds it."
            )
        _download(f, path)
    return folder


def verify(name: str | DatasetSpec, root: str | os.PathLike | None = None) -> dict[str, str]:
    """Check every file without downloading; returns ``{relative path: problem}`` (empty when all good)."""
    spec = get_spec(name)
    folder = data_root(root) / spec.name
    out = {}
    for f in spec.files:
        problem = _problem(spec, f, folder / f.path)
        if problem:
            out[f.path] = problem
    return out
