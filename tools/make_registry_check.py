"""Check ``iclr22lib/core/registry.json`` against the local data mirror and its SOURCE.md files.

Usage (from the project root)::

    python tools/make_registry_check.py [--registry PATH] [--data-root PATH]

The data root defaults to ``../shared/data`` (the local mirror). The script needs only the
standard library and reads the mirror without writing to it. It checks that

* the registry is valid JSON, written with 2-space indentation, data sets sorted by name,
  keys in schema order, files sorted by path;
* every data-set folder in the mirror has an entry and vice versa, and every file in a folder
  (except ``SOURCE.md``) is listed, with nothing extra;
* each file's size and sha256 equal the bytes on disk, and the folder's SOURCE.md states the
  same sha256 and size on a line that names the file;
* each ``url`` is either null or ``https://raw.githubusercontent.com/<owner>/<repo>/<40-hex>/<path>``,
  where the owner/repo, the full commit and the path in the repository all occur in SOURCE.md,
  and the commit also occurs in the data set's ``source``.

It prints one summary row per data set and exits with status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = ["description", "used_by", "source", "homepage", "licence", "files"]
FILE_KEYS = ["path", "size", "sha256", "url"]
RAW_URL = re.compile(
    r"^https://raw\.githubusercontent\.com/(?P<repo>[\w.-]+/[\w.-]+)/(?P<commit>[0-9a-f]{40})/(?P<path>\S+)$"
)
CHAPTER = re.compile(r"^ch\d\d$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def expand_braces(text: str) -> str:
    """Append brace expansions such as ``a/{x,y}.npz`` -> ``a/x.npz a/y.npz`` to ``text``."""
    extra = []
    for m in re.finditer(r"[\w./-]*\{[^{}]+\}[\w./-]*", text):
        parts = re.split(r"(\{[^{}]+\})", m.group(0))
        options = [p[1:-1].split(",") if p.startswith("{") else [p] for p in parts]
        extra.extend("".join(combo) for combo in itertools.product(*options))
    return text + "\n" + "\n".join(extra)


def data_files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p != folder / "SOURCE.md"
    )


def check(registry_path: Path, data_root: Path) -> tuple[list[str], list[tuple[str, int, int, int]]]:
    errors: list[str] = []
    rows: list[tuple[str, int, int, int]] = []
    text = registry_path.read_text(encoding="utf-8")
    reg = json.loads(text)
    if text != json.dumps(reg, indent=2, ensure_ascii=True) + "\n" and text != (
        json.dumps(reg, indent=2, ensure_ascii=False) + "\n"
    ):
        errors.append("registry is not in canonical 2-space json.dumps form (with trailing newline)")
    if list(reg) != sorted(reg):
        errors.append("data sets are not sorted by name")
    folders = sorted(p.name for p in data_root.iterdir() if p.is_dir())
    for missing in sorted(set(folders) - set(reg)):
        errors.append(f"{missing}: folder in the mirror has no registry entry")
    for extra in sorted(set(reg) - set(folders)):
        errors.append(f"{extra}: registry entry has no folder in the mirror")

    for name, entry in reg.items():
        folder = data_root / name
        if not folder.is_dir():
            continue
        err = errors.append
        if list(entry) != KEYS:
            err(f"{name}: keys {list(entry)} != {KEYS}")
        for key in ("description", "source", "homepage", "licence"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                err(f"{name}: {key} missing or empty")
        if not str(entry.get("homepage", "")).startswith("https://"):
            err(f"{name}: homepage is not https")
        used = entry.get("used_by", [])
        if not used or used != sorted(set(used)) or not all(CHAPTER.match(c) for c in used):
            err(f"{name}: used_by {used} is not a sorted list of chNN")
        source_md = (folder / "SOURCE.md").read_text(encoding="utf-8")
        source_lines = source_md.splitlines()
        searchable = expand_braces(source_md)
        files = entry.get("files", [])
        paths = [f.get("path") for f in files]
        if paths != sorted(paths):
            err(f"{name}: files are not sorted by path")
        on_disk = data_files(folder)
        for p in sorted(set(on_disk) - set(paths)):
            err(f"{name}: {p} is in the mirror but not in the registry")
        for p in sorted(set(paths) - set(on_disk)):
            err(f"{name}: {p} is in the registry but not in the mirror")
        total = 0
        with_url = 0
        for f in files:
            rel = f.get("path")
            if list(f) != FILE_KEYS:
                err(f"{name}/{rel}: keys {list(f)} != {FILE_KEYS}")
            path = folder / str(rel)
            if not path.is_file():
                continue
            size = path.stat().st_size
            digest = sha256_of(path)
            total += size
            if f.get("size") != size:
                err(f"{name}/{rel}: size {f.get('size')} != {size} on disk")
            if not SHA256.match(str(f.get("sha256"))) or f.get("sha256") != digest:
                err(f"{name}/{rel}: sha256 {f.get('sha256')} != {digest} on disk")
            md_rows = [line for line in source_lines if digest in line]
            if not md_rows:
                err(f"{name}/{rel}: sha256 not stated in SOURCE.md")
            elif not any(
                re.search(rf"(?<![0-9A-Za-z]){size}(?![0-9A-Za-z])", line.replace(",", ""))
                and path.name in line
                for line in md_rows
            ):
                err(f"{name}/{rel}: SOURCE.md line with its sha256 does not name the file with size {size}")
            url = f.get("url")
            if url is None:
                continue
            with_url += 1
            m = RAW_URL.match(str(url))
            if not m:
                err(f"{name}/{rel}: url {url!r} is not a raw.githubusercontent.com address at a full commit")
                continue
            if m["repo"] not in source_md:
                err(f"{name}/{rel}: repository {m['repo']} not named in SOURCE.md")
            if m["commit"] not in source_md:
                err(f"{name}/{rel}: commit {m['commit']} not given in full in SOURCE.md")
            if m["commit"] not in entry.get("source", ""):
                err(f"{name}/{rel}: url commit {m['commit']} is not in the data set's source")
            if m["path"] not in searchable:
                err(f"{name}/{rel}: path in repo {m['path']} not stated in SOURCE.md")
            if not m["path"].endswith("/" + path.name) and m["path"] != path.name:
                err(f"{name}/{rel}: url path {m['path']} does not end with the file name")
        rows.append((name, len(files), total, with_url))
    return errors, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--registry", type=Path, default=ROOT / "iclr22lib" / "core" / "registry.json")
    ap.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args(argv)
    errors, rows = check(args.registry, args.data_root)
    print(f"{'data set':<26} {'files':>5} {'bytes':>12} {'with url':>8}")
    for name, n, total, with_url in rows:
        print(f"{name:<26} {n:>5} {total:>12} {with_url:>8}")
    print(
        f"{'TOTAL':<26} {sum(r[1] for r in rows):>5} {sum(r[2] for r in rows):>12} {sum(r[3] for r in rows):>8}"
    )
    for e in errors:
        print("ERROR:", e, file=sys.stderr)
    print("OK" if not errors else f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
