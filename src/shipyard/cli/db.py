"""``shipyard db import PATH...`` and ``shipyard db status``: the offline OSV vulnerability database."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from shipyard.cli.output import OutputFormat, console, emit, err_console
from shipyard.cli.sbom import home
from shipyard.clock import rfc3339
from shipyard.store.vulndb import DEFAULT_MAX_AGE_DAYS, DbStatus, VulnDB

app = typer.Typer(name="db", help="The offline vulnerability database (OSV records) that `shipyard scan` uses.")

MaxAge = Annotated[float, typer.Option("--max-age-days", help="Warn when the data was imported longer ago than this")]


def open_db() -> VulnDB:
    return VulnDB.at_home(home())


def stale_warning(status: DbStatus) -> str | None:
    if status.imported_at is None:
        return "the vulnerability database is empty; run `shipyard db import PATH...`"
    if status.stale:
        days = (status.age_seconds or 0) / 86400
        limit = status.max_age_seconds / 86400
        return f"the vulnerability database was imported {days:.1f} days ago (more than {limit:g}); re-import it"
    return None


def status_dict(status: DbStatus) -> dict[str, Any]:
    return {
        "path": status.path,
        "records": status.records,
        "ecosystems": status.ecosystems,
        "sources": [
            {"path": s.path, "records": s.records, "importedAt": rfc3339(s.imported_at)} for s in status.sources
        ],
        "importedAt": rfc3339(status.imported_at) if status.imported_at is not None else None,
        "ageSeconds": status.age_seconds,
        "maxAgeSeconds": status.max_age_seconds,
        "stale": status.stale,
        "newestModified": status.newest_modified,
    }


@app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="OSV JSON/YAML files, directories or tarballs")],
) -> None:
    """Import OSV records; all or nothing."""
    db = open_db()
    started = time.monotonic()
    results = db.import_paths(list(paths), now=time.time())
    for r in results:
        console.print(f"{r.path}: {r.records} records", markup=False)
    total = sum(r.records for r in results)
    console.print(f"imported {total} records in {time.monotonic() - started:.1f}s into {db.path}", markup=False)


@app.command("status")
def status_command(
    output: Annotated[OutputFormat | None, typer.Option("-o", "--output", help="json or yaml")] = None,
    max_age_days: MaxAge = DEFAULT_MAX_AGE_DAYS,
) -> None:
    """Sources, record counts per ecosystem, and age."""
    status = open_db().status(now=time.time(), max_age_days=max_age_days)
    warning = stale_warning(status)
    if output is not None:
        emit(status_dict(status), output)
    else:
        console.print(f"database: {status.path}", markup=False)
        console.print(f"records:  {status.records}", markup=False)
        for eco, n in status.ecosystems.items():
            console.print(f"  {eco}: {n}", markup=False)
        for s in status.sources:
            console.print(f"source:   {s.path} ({s.records} records, imported {rfc3339(s.imported_at)})", markup=False)
    if warning:
        err_console.print(f"warning: {warning}", markup=False)
