"""``shipyard scan IMAGE|DIR|sbom:FILE``: match packages against the offline OSV database and gate on severity.

``--severity CRITICAL,HIGH`` chooses the severities reported; ``--exit-code N`` exits N when any reported finding
remains after the ignore file (Trivy's semantics). ``--ignore-file`` defaults to ``./.shipyardignore`` when it
exists. ``--format`` table (default), json or sarif; ``-o FILE`` writes there instead of stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from shipyard.cli.db import open_db, stale_warning
from shipyard.cli.output import console, err_console
from shipyard.cli.sbom import open_source
from shipyard.errors import NotFoundError, SpecError
from shipyard.store.files import atomic_write_text
from shipyard.store.vulndb import DEFAULT_MAX_AGE_DAYS
from shipyard.supplychain.sbom.catalog import catalog
from shipyard.supplychain.sbom.reader import read_sbom
from shipyard.supplychain.vuln.ignore import IgnoreRule, load_ignore
from shipyard.supplychain.vuln.report import HEADERS, table_rows, to_json_dict
from shipyard.supplychain.vuln.sarif import to_sarif_json
from shipyard.supplychain.vuln.scan import ScanReport, parse_severities, scan

FORMATS = ("table", "json", "sarif")
DEFAULT_IGNORE = ".shipyardignore"

app = typer.Typer(
    name="scan",
    help="Scan an image, a directory or an SBOM for known vulnerabilities (offline OSV data).",
    context_settings={"allow_interspersed_args": True},
)


def _print_table(report: ScanReport) -> None:
    from rich.table import Table

    table = Table(*HEADERS, box=None)
    for row in table_rows(report):
        table.add_row(row.package, row.installed, row.fixed_in, row.id, row.severity, row.title)
    console.print(table)
    by_sev: dict[str, int] = {}
    for f in report.findings:
        by_sev[f.severity.severity.value] = by_sev.get(f.severity.severity.value, 0) + 1
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(by_sev.items())) or "none"
    console.print(
        f"{report.target.name}: {report.packages} packages, {len(report.findings)} findings ({summary}), "
        f"{len(report.ignored)} ignored",
        markup=False,
    )


def _ignore_rules(path: Path | None) -> list[IgnoreRule]:
    if path is not None:
        return load_ignore(path)
    default = Path(DEFAULT_IGNORE)
    return load_ignore(default) if default.is_file() else []


@app.callback(invoke_without_command=True)
def scan_command(
    target: Annotated[str, typer.Argument(help="oci:DIR[:REF], dir:PATH, PATH, registry:REF, image name, sbom:FILE")],
    severity: Annotated[str, typer.Option("--severity", help="Severities to report, e.g. CRITICAL,HIGH")] = "",
    exit_code: Annotated[int, typer.Option("--exit-code", help="Exit with this code when findings remain")] = 0,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or sarif")] = "table",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the report to this file")] = None,
    ignore_file: Annotated[Path | None, typer.Option("--ignore-file", help="YAML ignore rules")] = None,
    max_age_days: Annotated[
        float, typer.Option("--max-age-days", help="Warn when the DB is older")
    ] = DEFAULT_MAX_AGE_DAYS,
) -> None:
    """Scan TARGET; exit with --exit-code when findings at the chosen severities remain."""
    if fmt not in FORMATS:
        raise SpecError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", path="--format")
    try:
        severities = parse_severities(severity)
    except ValueError as exc:
        raise SpecError(str(exc), path="--severity") from exc
    rules = _ignore_rules(ignore_file)
    db = open_db()
    status = db.status(now=time.time(), max_age_days=max_age_days)
    if status.records == 0:
        # A gate that passes because it had nothing to compare against would be worse than no gate.
        raise NotFoundError(f"the vulnerability database {status.path} is empty; run `shipyard db import PATH...`")
    warning = stale_warning(status)
    if warning:
        err_console.print(f"warning: {warning}", markup=False)
    sbom = read_sbom(target[len("sbom:") :]) if target.startswith("sbom:") else catalog(open_source(target))
    report = scan(sbom, db, today=dt.date.today(), ignore=rules, severities=severities)
    for problem in report.problems:
        err_console.print(f"warning: {problem}", markup=False)
    if fmt == "table" and output is None:
        _print_table(report)
    else:
        if fmt == "json":
            text = json.dumps(to_json_dict(report), indent=2, ensure_ascii=False) + "\n"
        elif fmt == "sarif":
            root = target[4:] if target.startswith("dir:") else target
            root_uri = Path(root).resolve().as_uri() if Path(root).is_dir() else None
            text = to_sarif_json(report, root_uri=root_uri)
        else:
            rows = table_rows(report)
            text = "\t".join(HEADERS) + "\n" + "".join("\t".join(vars_of(r)) + "\n" for r in rows)
        if output is not None:
            atomic_write_text(output, text)
            err_console.print(f"wrote {fmt} report to {output}", markup=False)
        else:
            typer.echo(text, nl=False)
    if report.failed and exit_code:
        raise typer.Exit(exit_code)


def vars_of(row: object) -> list[str]:
    return [str(getattr(row, f)) for f in ("package", "installed", "fixed_in", "id", "severity", "title")]
