"""Persistence of pipeline runs in the state database (namespace ``pipelines``) and of step logs as files.

A run is a row in ``pipeline_runs`` (the submitted document, the documents its refs may name, run-level state and
the latest Tekton object), one row per TaskRun in ``pipeline_taskruns`` and one per skipped task in
``pipeline_skips``: each change is a small write, so persisting before acting stays O(1) per change. The process
that drives a run owns it (``owner_pid`` + the process's start time, so a reused pid is not mistaken for it); a
run whose owner is gone is *interrupted* and can be resumed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.errors import ConflictError, NotFoundError
from shipyard.store import Database, Migration

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE pipeline_runs (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            created REAL NOT NULL,
            phase TEXT NOT NULL,
            owner_pid INTEGER,
            owner_start TEXT,
            cancel TEXT,
            document TEXT NOT NULL,
            resources TEXT NOT NULL,
            options TEXT NOT NULL,
            meta TEXT NOT NULL,
            object TEXT
        );
        CREATE TABLE pipeline_taskruns (
            name TEXT PRIMARY KEY,
            run TEXT NOT NULL,
            pipeline_task TEXT NOT NULL,
            seq INTEGER NOT NULL,
            record TEXT NOT NULL
        );
        CREATE INDEX pipeline_taskruns_run ON pipeline_taskruns(run, seq);
        CREATE TABLE pipeline_skips (
            run TEXT NOT NULL,
            pipeline_task TEXT NOT NULL,
            reason TEXT NOT NULL,
            whens TEXT NOT NULL,
            PRIMARY KEY (run, pipeline_task)
        );
        """,
    )
]


def process_start(pid: int) -> str | None:
    """The start time of ``pid`` (clock ticks since boot, field 22 of /proc/pid/stat), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def owner_alive(pid: int | None, start: str | None) -> bool:
    return pid is not None and start is not None and process_start(pid) == start


@dataclass(frozen=True, slots=True)
class RunRow:
    name: str
    kind: str
    created: float
    phase: str  # running | done
    owner_pid: int | None
    owner_start: str | None
    cancel: str | None
    document: dict[str, Any]
    resources: list[dict[str, Any]]
    options: dict[str, Any]
    meta: dict[str, Any]
    object: dict[str, Any] | None

    @property
    def interrupted(self) -> bool:
        return self.phase == "running" and not owner_alive(self.owner_pid, self.owner_start)


class PipelineStore:
    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.db = Database(self.home / "state.db")
        self.db.migrate("pipelines", MIGRATIONS)
        self.logs_root = self.home / "pipelines" / "logs"
        self.runs_root = self.home / "pipelines" / "runs"

    # --- runs ----------------------------------------------------------------------------------------------
    def create(
        self,
        name: str,
        kind: str,
        *,
        document: dict[str, Any],
        resources: list[dict[str, Any]],
        options: dict[str, Any],
        meta: dict[str, Any],
    ) -> None:
        pid = os.getpid()
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM pipeline_runs WHERE name = ?", (name,)).fetchone():
                raise ConflictError(f'{kind} "{name}" already exists; use metadata.generateName or another name')
            conn.execute(
                "INSERT INTO pipeline_runs(name, kind, created, phase, owner_pid, owner_start, document, resources, options, meta) "
                "VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (name, kind, time.time(), pid, process_start(pid), _j(document), _j(resources), _j(options), _j(meta)),
            )

    def claim(self, name: str) -> RunRow:
        """Take over an interrupted run for this process; a run still driven elsewhere is a ConflictError."""
        pid = os.getpid()
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM pipeline_runs WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise NotFoundError(f'run "{name}" not found')
            run = _row(row)
            if run.phase == "done":
                raise ConflictError(f'{run.kind} "{name}" has already finished')
            if not run.interrupted and run.owner_pid != pid:
                raise ConflictError(f'{run.kind} "{name}" is still running (pid {run.owner_pid})')
            conn.execute(
                "UPDATE pipeline_runs SET owner_pid = ?, owner_start = ? WHERE name = ?",
                (pid, process_start(pid), name),
            )
        return self.get(name)

    def save_meta(
        self, name: str, meta: dict[str, Any], obj: dict[str, Any] | None = None, *, done: bool = False
    ) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE pipeline_runs SET meta = ?, object = COALESCE(?, object), phase = ? WHERE name = ?",
                (_j(meta), _j(obj) if obj is not None else None, "done" if done else "running", name),
            )

    def save_object(self, name: str, obj: dict[str, Any]) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE pipeline_runs SET object = ? WHERE name = ?", (_j(obj), name))

    def request_cancel(self, name: str, how: str) -> RunRow:
        with self.db.transaction() as conn:
            if conn.execute("UPDATE pipeline_runs SET cancel = ? WHERE name = ?", (how, name)).rowcount == 0:
                raise NotFoundError(f'run "{name}" not found')
        return self.get(name)

    def cancel_requested(self, name: str) -> str | None:
        rows = self.db.query("SELECT cancel FROM pipeline_runs WHERE name = ?", (name,))
        return str(rows[0]["cancel"]) if rows and rows[0]["cancel"] else None

    def get(self, name: str) -> RunRow:
        rows = self.db.query("SELECT * FROM pipeline_runs WHERE name = ?", (name,))
        if not rows:
            known = [r["name"] for r in self.db.query("SELECT name FROM pipeline_runs ORDER BY created DESC LIMIT 200")]
            from shipyard.resources.validate import did_you_mean

            raise NotFoundError(f'run "{name}" not found{did_you_mean(name, known)}')
        return _row(rows[0])

    def list_runs(self) -> list[RunRow]:
        return [_row(r) for r in self.db.query("SELECT * FROM pipeline_runs ORDER BY created")]

    # --- taskruns and skips --------------------------------------------------------------------------------
    def save_taskrun(self, run: str, pipeline_task: str, seq: int, record: dict[str, Any]) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO pipeline_taskruns(name, run, pipeline_task, seq, record) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET record = excluded.record",
                (record["name"], run, pipeline_task, seq, _j(record)),
            )

    def save_taskruns(self, run: str, items: list[tuple[str, int, dict[str, Any]]]) -> None:
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO pipeline_taskruns(name, run, pipeline_task, seq, record) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET record = excluded.record",
                [(rec["name"], run, pt, seq, _j(rec)) for pt, seq, rec in items],
            )

    def taskruns(self, run: str) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT record FROM pipeline_taskruns WHERE run = ? ORDER BY seq", (run,))
        return [json.loads(r["record"]) for r in rows]

    def save_skips(self, run: str, items: list[tuple[str, str, list[dict[str, Any]]]]) -> None:
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO pipeline_skips(run, pipeline_task, reason, whens) VALUES (?, ?, ?, ?)",
                [(run, pt, reason, _j(when)) for pt, reason, when in items],
            )

    def skips(self, run: str) -> dict[str, tuple[str, list[dict[str, Any]]]]:
        rows = self.db.query("SELECT pipeline_task, reason, whens FROM pipeline_skips WHERE run = ?", (run,))
        return {r["pipeline_task"]: (r["reason"], json.loads(r["whens"])) for r in rows}

    # --- logs ----------------------------------------------------------------------------------------------
    def log_path(self, run: str, taskrun: str, index: int, step: str) -> Path:
        return self.logs_root / run / taskrun / f"{index:03d}-{step}.log"

    def log_files(self, run: str) -> Iterator[tuple[str, str, Path]]:
        """(taskrun, step, file) in TaskRun creation order, steps in file-creation order."""
        names = [r["name"] for r in self.taskruns(run)] or [run]
        for tr in names:
            d = self.logs_root / run / tr
            if d.is_dir():
                for f in sorted(d.glob("*.log")):
                    yield tr, f.stem.split("-", 1)[1], f

    def run_dir(self, run: str) -> Path:
        return self.runs_root / run


def _j(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=False)


def _row(r: Any) -> RunRow:
    return RunRow(
        name=r["name"],
        kind=r["kind"],
        created=r["created"],
        phase=r["phase"],
        owner_pid=r["owner_pid"],
        owner_start=r["owner_start"],
        cancel=r["cancel"],
        document=json.loads(r["document"]),
        resources=json.loads(r["resources"]),
        options=json.loads(r["options"]),
        meta=json.loads(r["meta"]),
        object=json.loads(r["object"]) if r["object"] else None,
    )
