import hashlib
import http.server
import re
import threading
from functools import partial

import pytest

from iclr22lib.core import data
from iclr22lib.core.data import DataError, DatasetSpec, FileSpec, fetch, registry, verify

PAYLOAD = b"node,label\n" + b"".join(f"{i},{i % 7}\n".encode() for i in range(2000))


def spec_for(payload: bytes, url: str | None = None, name: str = "toy") -> DatasetSpec:
    f = FileSpec("sub/table.csv", len(payload), hashlib.sha256(payload).hexdigest(), url)
    return DatasetSpec(
        name=name, description="a toy data set", files=(f,), homepage="https://example.org/toy"
    )


@pytest.fixture()
def server(tmp_path):
    """A static HTTP server on 127.0.0.1 serving ``tmp_path/www``; yields its base URL."""
    www = tmp_path / "www"
    www.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _online(monkeypatch):
    monkeypatch.delenv("ICLR22LIB_OFFLINE", raising=False)


def test_good_file_is_returned(tmp_path):
    (tmp_path / "toy" / "sub").mkdir(parents=True)
    (tmp_path / "toy" / "sub" / "table.csv").write_bytes(PAYLOAD)
    assert fetch(spec_for(PAYLOAD), root=tmp_path) == tmp_path / "toy"
    assert verify(spec_for(PAYLOAD), root=tmp_path) == {}


def test_corrupt_file_names_path_and_sums(tmp_path):
    path = tmp_path / "toy" / "sub" / "table.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(PAYLOAD[:-2] + b"X\n")  # same size, other bytes
    spec = spec_for(PAYLOAD)
    with pytest.raises(DataError) as err:
        fetch(spec, root=tmp_path)
    msg = str(err.value)
    assert "'toy'" in msg and str(path) in msg and spec.files[0].sha256 in msg and "is corrupt" in msg
    assert hashlib.sha256(path.read_bytes()).hexdigest() in msg


def test_truncated_file_reports_size(tmp_path):
    path = tmp_path / "toy" / "sub" / "table.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(PAYLOAD[:100])
    with pytest.raises(DataError, match=rf"size 100 bytes, expected {len(PAYLOAD)}"):
        fetch(spec_for(PAYLOAD), root=tmp_path)
    assert verify(spec_for(PAYLOAD), root=tmp_path) == {
        "sub/table.csv": f"size 100 bytes, expected {len(PAYLOAD)}"
    }


def test_missing_file_without_address(tmp_path):
    with pytest.raises(DataError) as err:
        fetch(spec_for(PAYLOAD), root=tmp_path)
    msg = str(err.value)
    assert "is missing and it has no public download address" in msg
    assert str(tmp_path / "toy" / "sub" / "table.csv") in msg and "ICLR22LIB_DATA" in msg


def test_offline_mode_never_downloads(tmp_path, server, monkeypatch):
    www, base = server
    (www / "table.csv").write_bytes(PAYLOAD)
    monkeypatch.setenv("ICLR22LIB_OFFLINE", "1")
    with pytest.raises(DataError, match="offline mode is on"):
        fetch(spec_for(PAYLOAD, f"{base}/table.csv"), root=tmp_path)
    assert not (tmp_path / "toy").exists() or not any((tmp_path / "toy").rglob("*.csv"))


def test_download_checked_and_renamed(tmp_path, server):
    www, base = server
    (www / "table.csv").write_bytes(PAYLOAD)
    folder = fetch(spec_for(PAYLOAD, f"{base}/table.csv"), root=tmp_path / "root")
    assert (folder / "sub" / "table.csv").read_bytes() == PAYLOAD
    assert sorted(p.name for p in (folder / "sub").iterdir()) == ["table.csv"]  # no temporary left


def test_corrupt_download_leaves_nothing(tmp_path, server):
    www, base = server
    (www / "table.csv").write_bytes(PAYLOAD.replace(b"6", b"5"))
    with pytest.raises(DataError, match="Nothing was written"):
        fetch(spec_for(PAYLOAD, f"{base}/table.csv"), root=tmp_path / "root")
    leftovers = list((tmp_path / "root").rglob("*"))
    assert all(p.is_dir() for p in leftovers), leftovers


def test_failed_download_leaves_nothing(tmp_path, server):
    _, base = server
    with pytest.raises(DataError, match="could not download"):
        fetch(spec_for(PAYLOAD, f"{base}/absent.csv"), root=tmp_path / "root")
    assert all(p.is_dir() for p in (tmp_path / "root").rglob("*"))


def test_unknown_names():
    with pytest.raises(DataError, match=r"unknown data set 'imagenet'; registered: .*cora"):
        fetch("imagenet")
    with pytest.raises(DataError, match="has no file 'nope'"):
        registry()["cora"].file("nope")


def test_root_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("ICLR22LIB_DATA", str(tmp_path / "env"))
    assert data.data_root() == tmp_path / "env"
    assert data.data_root(tmp_path / "explicit") == tmp_path / "explicit"
    monkeypatch.delenv("ICLR22LIB_DATA")
    assert data.data_root().parts[-2:] == (".cache", "iclr22lib")


def test_registry_entries_are_well_formed():
    reg = registry()
    assert {"cora", "citeseer", "ml-100k", "sts", "eth_ucy", "cifar10_jpeg_subset"} <= set(reg)
    for spec in reg.values():
        assert spec.description and spec.licence and spec.files
        assert len({f.path for f in spec.files}) == len(spec.files)
        for f in spec.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256) and f.size > 0
            assert f.url is None or f.url.startswith("https://")
    assert reg["cora"].size == 572444  # the published Planetoid files, SOURCE.md total


def test_registry_matches_the_mirror(real_data_root):
    """Every registered file is present in the data root with its registered size and sum."""
    problems = {name: verify(name, real_data_root) for name in registry()}
    assert {k: v for k, v in problems.items() if v} == {}
