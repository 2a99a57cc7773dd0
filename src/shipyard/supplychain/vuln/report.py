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


def _evidence_path(f: Finding) -> list[str]:
    """The evidence path's components; installed Python metadata (``…/x.dist-info/METADATA``,
    ``…/x.egg-info/PKG-INFO``) is named by its directory, the file name there says nothing."""
    path = f.package.locations[0].path if f.package.locations else ""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[-1] in ("METADATA", "PKG-INFO") and parts[-2].endswith((".dist-info", ".egg-info")):
        parts = parts[:-1]
    return parts


def _labels(group: list[Finding]) -> list[str]:
    """The shortest trailing part of each evidence path that tells the group's packages apart."""
    paths = [_evidence_path(f) for f in group]
    longest = max(len(p) for p in paths)
    for k in range(1, longest + 1):
        labels = ["/".join(p[-k:]) for p in paths]
        if len(set(labels)) == len(labels):
            return labels
    return ["/".join(p) for p in paths]


def table_rows(report: ScanReport) -> list[TableRow]:
    """One row per finding. The same package found at two places (Debian's dist-packages holds both
    ``x-1.0.dist-info`` and ``x.egg-info``; two ``node_modules``) is two packages, as Syft catalogs it and as Trivy
    reports it (its dedupe key includes PkgPath, pkg/result/filter.go). Their rows then name the evidence, like
    Trivy's ``name (file)`` (pkg/report/table/vulnerability.go), with as much of the path as tells them apart."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, f in enumerate(report.findings):
        groups.setdefault((f.package.name, f.package.version, f.id), []).append(i)
    names = [f.package.name for f in report.findings]
    for members in groups.values():
        if len(members) > 1:
            for i, label in zip(members, _labels([report.findings[i] for i in members]), strict=True):
                if label:
                    names[i] = f"{names[i]} ({label})"
    return [
        TableRow(
            package=names[i],
            installed=f.package.version,
            fixed_in=", ".join(f.fixed),
            id=f.id,
            severity=f.severity.severity.value,
            title=f.title,
        )
        for i, f in enumerate(report.findings)
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
