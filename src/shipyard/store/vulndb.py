"""The offline vulnerability database: OSV records indexed in SQLite under the state home (``vulndb.db``).

``import_paths`` reads OSV JSON/YAML from files, directories and tarballs (streamed member by member, never
extracted), validates every record, and writes them all in one transaction: a malformed record, a hostile member
name (absolute, ``..``, links and devices named like records) or a truncated tarball fails the import with
nothing written. Records are keyed by id (a later import of the same id replaces it; importing a source again
replaces everything it held) and indexed by (ecosystem,
normal name) for each ``affected`` package, which is how ``lookup`` — the matcher's ``AdvisorySource`` — finds
them. ``status`` reports sources, counts per ecosystem, import time and whether the data is older than allowed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import NotFoundError, SpecError
from shipyard.store.db import Database, Migration
from shipyard.supplychain.sbom.layers import tar_stream
from shipyard.supplychain.sbom.source import normalise
from shipyard.supplychain.vuln.loading import is_record_name, load_record
from shipyard.supplychain.vuln.matcher import normal_name
from shipyard.supplychain.vuln.ordering import base
from shipyard.supplychain.vuln.osv import Vulnerability, parse_record

DEFAULT_MAX_AGE_DAYS = 7.0
# The largest real OSV records are a few hundred KiB; a member declaring more is refused before it is read
# (a gzip bomb inside a tarball would otherwise be read whole into memory).
MAX_RECORD_BYTES = 16 << 20
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE vulndb_records (
            id TEXT PRIMARY KEY, modified TEXT NOT NULL, source TEXT NOT NULL, body TEXT NOT NULL
        );
        CREATE TABLE vulndb_affected (
            ecosystem TEXT NOT NULL, name TEXT NOT NULL, record_id TEXT NOT NULL,
            PRIMARY KEY (ecosystem, name, record_id)
        ) WITHOUT ROWID;
        CREATE INDEX vulndb_affected_record ON vulndb_affected(record_id);
        CREATE TABLE vulndb_sources (path TEXT PRIMARY KEY, records INTEGER NOT NULL, imported_at REAL NOT NULL);
        """,
    )
]


@dataclass(frozen=True, slots=True)
class SourceStatus:
    path: str
    records: int
    imported_at: float


@dataclass(frozen=True, slots=True)
class DbStatus:
    path: str
    records: int
    ecosystems: dict[str, int]
    sources: tuple[SourceStatus, ...]
    imported_at: float | None
    age_seconds: float | None
    max_age_seconds: float
    newest_modified: str

    @property
    def stale(self) -> bool:
        return self.age_seconds is None or self.age_seconds > self.max_age_seconds


def _read_record(path: Path) -> bytes:
    if path.stat().st_size > MAX_RECORD_BYTES:
        raise SpecError(f"{path.stat().st_size} bytes; no OSV record is that big", file=str(path))
    return path.read_bytes()


def _records_in_tar(path: Path) -> Iterator[tuple[str, bytes]]:
    label = str(path)
    with open(path, "rb") as fh, tar_stream(fh, label) as tar:
        for member in tar:
            clean = normalise(member.name)
            if clean is None or member.name.startswith("/"):
                raise SpecError(f"hostile member name {member.name!r} (absolute or climbing with '..')", file=label)
            if not is_record_name(clean):
                continue
            if not member.isreg():
                raise SpecError(f"member {member.name!r} is a link or device, not a record file", file=label)
            if member.size > MAX_RECORD_BYTES:
                raise SpecError(f"member {member.name!r} is {member.size} bytes; no OSV record is that big", file=label)
            data = tar.extractfile(member)
            if data is not None:
                yield f"{label}!{clean}", data.read()


def _records_in(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames.sort()
            for name in sorted(filenames):
                full = Path(dirpath) / name
                if is_record_name(name) and full.is_file():
                    yield str(full), _read_record(full)
    elif path.is_file() and path.name.endswith(_TAR_SUFFIXES):
        yield from _records_in_tar(path)
    elif path.is_file():
        yield str(path), _read_record(path)
    else:
        raise NotFoundError(f"{path}: no such file or directory")


class VulnDB:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db = Database(self.path)
        self.db.migrate("vulndb", MIGRATIONS)
        self._cache: dict[str, Vulnerability] = {}

    @classmethod
    def at_home(cls, home: str | Path) -> VulnDB:
        return cls(Path(home) / "vulndb.db")

    def import_paths(self, paths: list[str | Path], *, now: float) -> list[SourceStatus]:
        """Read every record first, then write all in one transaction (nothing half-imported)."""
        parsed: list[tuple[str, Vulnerability]] = []
        counts: list[SourceStatus] = []
        for p in paths:
            source = str(Path(p).resolve())
            records = [load_record(data, name) for name, data in _records_in(Path(p))]
            parsed.extend((source, r) for r in records)
            counts.append(SourceStatus(source, len(records), now))
        with self.db.transaction() as conn:
            # A source imported again is a new snapshot of it: records it no longer holds go away.
            for s in counts:
                conn.execute(
                    "DELETE FROM vulndb_affected WHERE record_id IN (SELECT id FROM vulndb_records WHERE source = ?)",
                    (s.path,),
                )
                conn.execute("DELETE FROM vulndb_records WHERE source = ?", (s.path,))
            for source, rec in parsed:
                conn.execute("DELETE FROM vulndb_affected WHERE record_id = ?", (rec.id,))
                conn.execute(
                    "INSERT OR REPLACE INTO vulndb_records(id, modified, source, body) VALUES (?, ?, ?, ?)",
                    (rec.id, rec.modified, source, json.dumps(rec.raw, default=str, separators=(",", ":"))),
                )
                keys = {(base(a.ecosystem), normal_name(a.ecosystem, a.name)) for a in rec.affected}
                conn.executemany(
                    "INSERT OR IGNORE INTO vulndb_affected(ecosystem, name, record_id) VALUES (?, ?, ?)",
                    [(eco, name, rec.id) for eco, name in sorted(keys)],
                )
            for s in counts:
                conn.execute(
                    "INSERT OR REPLACE INTO vulndb_sources(path, records, imported_at) VALUES (?, ?, ?)",
                    (s.path, s.records, s.imported_at),
                )
        self._cache.clear()
        return counts

    def lookup(self, ecosystem: str, name: str) -> list[Vulnerability]:
        rows = self.db.query(
            "SELECT r.id, r.body FROM vulndb_affected a JOIN vulndb_records r ON r.id = a.record_id "
            "WHERE a.ecosystem = ? AND a.name = ? ORDER BY r.id",
            (ecosystem, name),
        )
        out: list[Vulnerability] = []
        for row in rows:
            rec = self._cache.get(row["id"])
            if rec is None:
                rec = parse_record(json.loads(row["body"]), file=f"{self.path}:{row['id']}")
                self._cache[row["id"]] = rec
            out.append(rec)
        return out

    def status(self, *, now: float, max_age_days: float = DEFAULT_MAX_AGE_DAYS) -> DbStatus:
        total = int(self.db.query("SELECT COUNT(*) AS n FROM vulndb_records")[0]["n"])
        ecosystems = {
            str(r["ecosystem"]): int(r["n"])
            for r in self.db.query(
                "SELECT ecosystem, COUNT(DISTINCT record_id) AS n FROM vulndb_affected GROUP BY ecosystem ORDER BY ecosystem"
            )
        }
        sources = tuple(
            SourceStatus(str(r["path"]), int(r["records"]), float(r["imported_at"]))
            for r in self.db.query("SELECT path, records, imported_at FROM vulndb_sources ORDER BY path")
        )
        imported = max((s.imported_at for s in sources), default=None)
        newest = self.db.query("SELECT MAX(modified) AS m FROM vulndb_records")[0]["m"] or ""
        return DbStatus(
            path=str(self.path),
            records=total,
            ecosystems=ecosystems,
            sources=sources,
            imported_at=imported,
            age_seconds=None if imported is None else max(0.0, now - imported),
            max_age_seconds=max_age_days * 86400.0,
            newest_modified=str(newest),
        )

    def close(self) -> None:
        self.db.close()
