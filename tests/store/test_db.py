from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shipyard.errors import StoreError
from shipyard.store import Database, EventLog, Migration, atomic_write_text


def test_migrations_apply_once_per_namespace(tmp_path: Path) -> None:
    db = Database(tmp_path / "state.db")
    m = [Migration(1, "CREATE TABLE a (x INTEGER);"), Migration(2, "ALTER TABLE a ADD COLUMN y TEXT;")]
    assert db.migrate("one", m) == 2
    assert db.migrate("one", m) == 2  # idempotent
    assert db.migrate("two", [Migration(1, "CREATE TABLE b (x INTEGER);")]) == 1
    assert db.query("PRAGMA journal_mode")[0][0] == "wal"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = Database(tmp_path / "state.db")
    db.migrate("one", [Migration(1, "CREATE TABLE a (x INTEGER);"), Migration(2, "SELECT 1;")])
    with pytest.raises(StoreError, match="newer than this shipyard knows"):
        db.migrate("one", [Migration(1, "CREATE TABLE a (x INTEGER);")])


def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    db = Database(tmp_path / "state.db")
    db.migrate("t", [Migration(1, "CREATE TABLE a (x INTEGER);")])
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("INSERT INTO a VALUES (1)")
        raise RuntimeError("boom")
    assert db.query("SELECT count(*) FROM a")[0][0] == 0


def test_event_log_is_append_only(tmp_path: Path) -> None:
    db = Database(tmp_path / "state.db")
    log = EventLog(db)
    seq = log.append(ts=1.0, kind="PipelineRun", name="r", reason="Started", data={"a": 1})
    log.append(ts=2.0, kind="PipelineRun", name="r", reason="Succeeded")
    assert [e.reason for e in log.read(kind="PipelineRun", name="r")] == ["Started", "Succeeded"]
    assert log.read(after=seq)[0].reason == "Succeeded"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), db.transaction() as conn:
        conn.execute("DELETE FROM events")


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "d" / "f.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]
