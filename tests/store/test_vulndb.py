"""The OSV index: imports from directories and tarballs are all-or-nothing; hostile, truncated and malformed
input is refused with nothing written; status reports sources, counts and age."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from shipyard.errors import NotFoundError, SpecError
from shipyard.store.vulndb import VulnDB

NOW = 1_750_000_000.0
DAY = 86400.0


def _tgz(path: Path, members: list[tuple[str, bytes, bytes]]) -> Path:
    """(name, data, type) with type tarfile.REGTYPE or SYMTYPE."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = "/etc/passwd"
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def _record(rid: str, name: str = "demo") -> bytes:
    return json.dumps(
        {
            "id": rid,
            "modified": "2024-05-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": name}, "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}],
        }
    ).encode()  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> VulnDB:
    return VulnDB.at_home(tmp_path / "home")


def test_import_directory_and_lookup(db: VulnDB, shared: Path) -> None:
    (result,) = db.import_paths([shared / "vectors/osv/pypa-advisory-database"], now=NOW)
    assert result.records == 25
    assert sorted(r.id for r in db.lookup("PyPI", "jinja2")) == [
        "PYSEC-2014-8", "PYSEC-2014-82", "PYSEC-2019-217", "PYSEC-2019-220", "PYSEC-2021-66"]  # fmt: skip
    assert db.lookup("PyPI", "Jinja2") == []  # lookups take the normal name


def test_import_tarball_status_and_age(db: VulnDB, tmp_path: Path) -> None:
    tgz = _tgz(
        tmp_path / "osv.tar.gz",
        [("vulns/demo/A-1.json", _record("A-1"), tarfile.REGTYPE), ("vulns/demo/A-2.json", _record("A-2"), tarfile.REGTYPE),
         ("vulns/README.md", b"not a record", tarfile.REGTYPE)],
    )  # fmt: skip
    db.import_paths([tgz], now=NOW)
    status = db.status(now=NOW + 2 * DAY, max_age_days=7)
    assert (status.records, status.ecosystems, len(status.sources)) == (2, {"PyPI": 2}, 1)
    assert status.sources[0].path == str(tgz.resolve()) and status.sources[0].records == 2
    assert (status.age_seconds, status.stale) == (2 * DAY, False)
    assert db.status(now=NOW + 8 * DAY, max_age_days=7).stale
    # a re-import replaces records by id instead of duplicating them
    db.import_paths([tgz], now=NOW + 9 * DAY)
    again = db.status(now=NOW + 9 * DAY)
    assert again.records == 2 and not again.stale and len(db.lookup("PyPI", "demo")) == 2


def test_empty_database_is_stale(db: VulnDB) -> None:
    status = db.status(now=NOW)
    assert status.records == 0 and status.imported_at is None and status.stale


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [("../../evil.json", tarfile.REGTYPE, "hostile member name"),
     ("/abs/evil.json", tarfile.REGTYPE, "hostile member name"),
     ("vulns/link.json", tarfile.SYMTYPE, "is a link or device")],
    ids=["dotdot-traversal", "absolute-path", "symlink-named-like-a-record"],
)  # fmt: skip
def test_hostile_members_refuse_the_whole_import(
    db: VulnDB, tmp_path: Path, name: str, kind: bytes, message: str
) -> None:
    tgz = _tgz(
        tmp_path / "x.tgz", [("vulns/ok.json", _record("OK-1"), tarfile.REGTYPE), (name, _record("BAD-1"), kind)]
    )
    with pytest.raises(SpecError, match=message):
        db.import_paths([tgz], now=NOW)
    assert db.status(now=NOW).records == 0


def test_truncated_tarball(db: VulnDB, tmp_path: Path, shared: Path) -> None:
    data = (shared / "data/osv/golang-vulndb.tar.gz").read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(SpecError, match="truncated"):
        db.import_paths([cut], now=NOW)
    assert db.status(now=NOW).records == 0


def test_malformed_record_fails_everything(db: VulnDB, tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "G-1.json").write_bytes(_record("G-1"))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "B-1.json").write_text(json.dumps({"id": "B-1", "modified": "x", "affected": [{"package": {"name": "n"}}]}))
    with pytest.raises(SpecError, match=r"B-1.json affected\[0\].package.ecosystem: is required"):
        db.import_paths([good, bad], now=NOW)
    assert db.status(now=NOW).records == 0
    with pytest.raises(NotFoundError):
        db.import_paths([tmp_path / "missing"], now=NOW)


def test_whole_shared_osv_data(db: VulnDB, shared: Path) -> None:
    data = shared / "data/osv"
    results = db.import_paths([data / "pypa-advisory-database.tar.gz", data / "golang-vulndb.tar.gz"], now=NOW)
    assert [r.records for r in results] == [2661, 4291]
    status = db.status(now=NOW)
    assert status.records == 6952 and status.ecosystems == {"Go": 4291, "PyPI": 2661}
    assert {r.id for r in db.lookup("Go", "golang.org/x/net")} >= {"GO-2020-0014", "GO-2021-0238"}


def test_reimporting_a_source_replaces_its_snapshot(db: VulnDB, tmp_path: Path) -> None:
    src = tmp_path / "osv"
    src.mkdir()
    for rid in ("A-1", "A-2"):
        (src / f"{rid}.json").write_bytes(_record(rid))
    db.import_paths([src], now=NOW)
    (src / "A-2.json").unlink()  # withdrawn upstream and deleted from the snapshot
    db.import_paths([src], now=NOW + DAY)
    assert [r.id for r in db.lookup("PyPI", "demo")] == ["A-1"]
    assert db.status(now=NOW + DAY).records == 1


@pytest.mark.parametrize(("suffix", "mode"), [("tar.xz", "w:xz"), ("tar.bz2", "w:bz2"), ("tar", "w")])
def test_every_advertised_tarball_compression_imports(db: VulnDB, tmp_path: Path, suffix: str, mode: str) -> None:
    """``db import`` accepts .tar, .tar.gz/.tgz, .tar.bz2 and .tar.xz (the suffixes it advertises); xz and bzip2
    used to be read as plain tar and refused as 'truncated'."""
    path = tmp_path / f"osv.{suffix}"
    with tarfile.open(path, mode) as tar:
        data = _record("X-1")
        info = tarfile.TarInfo("vulns/demo/X-1.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    db.import_paths([path], now=NOW)
    assert [r.id for r in db.lookup("PyPI", "demo")] == ["X-1"]
    raw = path.read_bytes()
    (tmp_path / f"cut.{suffix}").write_bytes(raw[:600] if mode == "w" else raw[: len(raw) // 2])  # mid-record
    with pytest.raises(SpecError, match="truncated"):
        db.import_paths([tmp_path / f"cut.{suffix}"], now=NOW)


def test_oversized_record_is_refused_before_it_is_read(
    db: VulnDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tar member (or file) far larger than any OSV record — e.g. a gzip bomb — is refused by its declared size,
    and nothing is imported."""
    import shipyard.store.vulndb as vulndb

    monkeypatch.setattr(vulndb, "MAX_RECORD_BYTES", 100)
    big = _record("B-1") + b" " * 200
    tgz = _tgz(tmp_path / "osv.tar.gz", [("vulns/demo/B-1.json", big, tarfile.REGTYPE)])
    with pytest.raises(SpecError, match="no OSV record is that big"):
        db.import_paths([tgz], now=NOW)
    (tmp_path / "B-1.json").write_bytes(big)
    with pytest.raises(SpecError, match="no OSV record is that big"):
        db.import_paths([tmp_path / "B-1.json"], now=NOW)
    assert db.status(now=NOW).records == 0
