"""Report writers for people and scripts: table rows (package, installed, fixed in, id, severity, title) and JSON.

SARIF lives in ``sarif.py``. Writers return data or text; the CLI prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard.supplychain.vuln.matcher import Finding
from shipyard.supplychain.vuln.scan import ScanReport


@dataclass(frozen=True, slots=True)
class TableRow:
    package: str
    installed: str
    fixed_in: str
    id: str
    severity: str
    title: str


HEADERS = ("Package", "Installed", "Fixed in", "Id", "Severity", "Title")


def table_rows(report: ScanReport) -> list[TableRow]:
    return [
        TableRow(
            package=f.package.name,
            installed=f.package.version,
            fixed_in=", ".join(f.fixed),
            id=f.id,
            severity=f.severity.severity.value,
            title=f.title,
        )
        for f in report.findings
    ]


def _finding(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.id,
        "aliases": list(f.aliases),
        "records": list(f.records),
        "package": {
            "name": f.package.name,
            "version": f.package.version,
            "type": f.package.type.value,
            "purl": f.package.purl,
            "ecosystem": f.package.ecosystem,
            "locations": [{"path": loc.path, "layer": loc.layer} for loc in f.package.locations],
        },
        "severity": f.severity.severity.value,
        "fixedVersions": list(f.fixed),
        "title": f.title,
        "url": f.url,
    }
    if f.severity.score is not None:
        out["cvssScore"] = f.severity.score
    if f.severity.vector:
        out["cvssVector"] = f.severity.vector
    return out


def to_json_dict(report: ScanReport) -> dict[str, Any]:
    return {
        "target": {
            "kind": report.target.kind.value,
            "name": report.target.name,
            "digest": report.target.digest,
        },
        "packages": report.packages,
        "severities": [s.value for s in report.severities],
        "findings": [_finding(f) for f in report.findings],
        "ignored": [
            {"finding": _finding(i.finding), "rule": {"id": i.rule.id, "reason": i.rule.reason, "where": i.rule.where}}
            for i in report.ignored
        ],
        "problems": list(report.problems),
        "notes": list(report.notes),
    }
