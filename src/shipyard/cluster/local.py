"""``LocalCluster``: the ``Cluster`` protocol in SQLite under the state home (namespace ``cluster``).

The embedded default that the sync agent applies to and the rollout controller and local runtime read. One row
per object, one row per watch event; the resourceVersion is the event sequence, so it is cluster-wide and
monotonic across processes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from shipyard.cluster.base import EventType, Obj, WatchEvent, normalize_kind_key
from shipyard.cluster.store import StoredCluster, Txn
from shipyard.store.db import Database, Migration

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE cluster_objects (
            kind_key TEXT NOT NULL,
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (kind_key, namespace, name)
        );
        CREATE TABLE cluster_events (
            rv INTEGER PRIMARY KEY,
            type TEXT NOT NULL,
            kind_key TEXT NOT NULL,
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE TABLE cluster_rv (id INTEGER PRIMARY KEY CHECK (id = 1), rv INTEGER NOT NULL);
        INSERT INTO cluster_rv(id, rv) VALUES (1, 0);
        """,
    )
]


class _SqlTxn:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.c = conn

    def read(self, kind_key: str, namespace: str, name: str) -> Obj | None:
        row = self.c.execute(
            "SELECT body FROM cluster_objects WHERE kind_key=? AND namespace=? AND name=?", (kind_key, namespace, name)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def scan(self, kind_key: str | None, namespace: str | None) -> Iterator[Obj]:
        sql = "SELECT body FROM cluster_objects WHERE 1=1"
        args: list[str] = []
        if kind_key is not None:
            sql += " AND kind_key=?"
            args.append(kind_key)
        if namespace is not None:
            sql += " AND namespace=?"
            args.append(namespace)
        for row in self.c.execute(sql, args).fetchall():
            yield json.loads(row[0])

    def write(self, kind_key: str, namespace: str, name: str, obj: Obj) -> None:
        self.c.execute(
            "INSERT INTO cluster_objects(kind_key, namespace, name, body) VALUES (?,?,?,?) "
            "ON CONFLICT(kind_key, namespace, name) DO UPDATE SET body=excluded.body",
            (kind_key, namespace, name, json.dumps(obj, sort_keys=True)),
        )

    def remove(self, kind_key: str, namespace: str, name: str) -> None:
        self.c.execute(
            "DELETE FROM cluster_objects WHERE kind_key=? AND namespace=? AND name=?", (kind_key, namespace, name)
        )

    def next_rv(self) -> int:
        self.c.execute("UPDATE cluster_rv SET rv = rv + 1 WHERE id = 1")
        return int(self.c.execute("SELECT rv FROM cluster_rv WHERE id = 1").fetchone()[0])

    def emit(self, event: WatchEvent) -> None:
        self.c.execute(
            "INSERT INTO cluster_events(rv, type, kind_key, namespace, name, body) VALUES (?,?,?,?,?,?)",
            (
                event.resource_version,
                event.type.value,
                event.kind_key,
                event.namespace,
                event.name,
                json.dumps(event.object, sort_keys=True),
            ),
        )


class LocalCluster(StoredCluster):
    """``LocalCluster(home)`` keeps objects in ``<home>/state.db`` (or a given ``Database``)."""

    def __init__(self, db: Database | str | Path, now: Callable[[], float] | None = None) -> None:
        import time

        super().__init__(now or time.time)
        if not isinstance(db, Database):
            p = Path(db)
            db = Database(p if p.suffix == ".db" else p / "state.db")
        self.db = db
        db.migrate("cluster", MIGRATIONS)

    def _txn(self) -> AbstractContextManager[Txn]:
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[Txn]:
        with self.db.transaction() as conn:
            yield _SqlTxn(conn)

    def changes(self, since: int = 0, kind_key: str | None = None) -> list[WatchEvent]:
        sql = "SELECT rv, type, kind_key, namespace, name, body FROM cluster_events WHERE rv > ?"
        args: list[object] = [since]
        if kind_key:
            sql += " AND kind_key = ?"
            args.append(normalize_kind_key(kind_key))
        rows = self.db.query(sql + " ORDER BY rv", args)
        return [
            WatchEvent(
                EventType(r["type"]), int(r["rv"]), r["kind_key"], r["namespace"], r["name"], json.loads(r["body"])
            )
            for r in rows
        ]

    def resource_version(self) -> int:
        return int(self.db.query("SELECT rv FROM cluster_rv WHERE id = 1")[0]["rv"])
