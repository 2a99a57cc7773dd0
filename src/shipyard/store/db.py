"""The SQLite database under ``.shipyard/``.

WAL mode so readers (``pipelinerun list``, the dashboard) never block the writer; ``synchronous=NORMAL`` is
durable across process crashes in WAL mode. Each component owns its tables and migrates them under its own
namespace, so packages evolve their schemas independently::

    db.migrate("pipelines", [Migration(1, "CREATE TABLE ..."), Migration(2, "ALTER TABLE ...")])
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.errors import StoreError


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    sql: str


class Database:
    """One connection per thread to one SQLite file; writes go through ``transaction()``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions (namespace TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None, check_same_thread=True)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute("PRAGMA busy_timeout=30000")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot open state database {self.path}: {exc}") from exc
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: committed on success, rolled back on any exception."""
        conn = self._conn()
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"state database {self.path} is unusable: {exc}") from exc
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return list(self._conn().execute(sql, params))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"query failed on {self.path}: {exc}") from exc

    def migrate(self, namespace: str, migrations: Sequence[Migration]) -> int:
        """Apply, in order, the migrations of ``namespace`` newer than its stored version. Returns the version."""
        versions = [m.version for m in migrations]
        if versions != sorted(set(versions)):
            raise StoreError(f"migrations of {namespace!r} must have strictly increasing versions")
        with self.transaction() as conn:
            row = conn.execute("SELECT version FROM schema_versions WHERE namespace = ?", (namespace,)).fetchone()
            current = int(row["version"]) if row else 0
            newest = versions[-1] if versions else 0
            if current > newest:
                raise StoreError(
                    f"state database {self.path} has {namespace} schema v{current}, newer than this shipyard "
                    f"knows (v{newest}); upgrade shipyard"
                )
            for m in migrations:
                if m.version > current:
                    for stmt in _statements(m.sql):
                        conn.execute(stmt)
                    current = m.version
            conn.execute(
                "INSERT INTO schema_versions(namespace, version) VALUES (?, ?) "
                "ON CONFLICT(namespace) DO UPDATE SET version = excluded.version",
                (namespace, current),
            )
        return current

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _statements(sql: str) -> list[str]:
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
