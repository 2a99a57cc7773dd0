"""Applications as rows: spec, last status and history, one row per app in the state database."""

from __future__ import annotations

import json
from typing import Any

from shipyard.errors import NotFoundError, SpecError
from shipyard.gitops.app import AppSpec
from shipyard.store.db import Database, Migration

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE gitops_apps (
            name TEXT PRIMARY KEY,
            spec TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT '{}',
            history TEXT NOT NULL DEFAULT '[]'
        );
        """,
    )
]


class AppStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate("gitops_apps", MIGRATIONS)

    def create(self, spec: AppSpec, *, replace: bool = False) -> None:
        with self.db.transaction() as conn:
            exists = conn.execute("SELECT 1 FROM gitops_apps WHERE name=?", (spec.name,)).fetchone()
            if exists and not replace:
                raise SpecError(f"application {spec.name!r} already exists")
            conn.execute(
                "INSERT INTO gitops_apps(name, spec) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET spec=excluded.spec",
                (spec.name, json.dumps(spec.to_dict())),
            )

    def row(self, name: str) -> tuple[AppSpec, dict[str, Any], list[dict[str, Any]]]:
        rows = self.db.query("SELECT spec, status, history FROM gitops_apps WHERE name=?", (name,))
        if not rows:
            raise NotFoundError(f"application {name!r} not found")
        r = rows[0]
        return AppSpec.from_dict(json.loads(r["spec"])), json.loads(r["status"]), json.loads(r["history"])

    def save(self, app: AppSpec, status: dict[str, Any], history: list[dict[str, Any]]) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE gitops_apps SET spec=?, status=?, history=? WHERE name=?",
                (json.dumps(app.to_dict()), json.dumps(status), json.dumps(history), app.name),
            )

    def names(self) -> list[str]:
        return [str(r["name"]) for r in self.db.query("SELECT name FROM gitops_apps ORDER BY name")]

    def delete(self, name: str) -> None:
        self.row(name)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM gitops_apps WHERE name=?", (name,))
