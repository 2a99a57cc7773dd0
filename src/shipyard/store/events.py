"""The append-only event log: every transition of every controller, for DORA metrics, the dashboard and
``--watch``. Rows are never updated or deleted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.store.db import Database, Migration

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            ts REAL NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            reason TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX events_object ON events(kind, name, seq);
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        """,
    )
]


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    ts: float
    kind: str
    name: str
    reason: str
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


class EventLog:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate("events", MIGRATIONS)

    def append(
        self,
        *,
        ts: float,
        kind: str,
        name: str,
        reason: str,
        message: str = "",
        data: Mapping[str, Any] | None = None,
    ) -> int:
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO events(ts, kind, name, reason, message, data) VALUES (?, ?, ?, ?, ?, ?)",
                (ts, kind, name, reason, message, json.dumps(dict(data or {}), sort_keys=True)),
            )
            return int(cur.lastrowid or 0)

    def read(
        self, *, kind: str | None = None, name: str | None = None, after: int = 0, limit: int = 10_000
    ) -> list[Event]:
        sql = "SELECT * FROM events WHERE seq > ?"
        params: list[Any] = [after]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        if name is not None:
            sql += " AND name = ?"
            params.append(name)
        sql += " ORDER BY seq LIMIT ?"
        params.append(limit)
        return [
            Event(
                seq=r["seq"],
                ts=r["ts"],
                kind=r["kind"],
                name=r["name"],
                reason=r["reason"],
                message=r["message"],
                data=json.loads(r["data"]),
            )
            for r in self.db.query(sql, params)
        ]
