"""SARIF 2.1.0 shaped like Trivy's (``pkg/report/sarif.go``; golden ``vectors/trivy/alpine-310.sarif.golden.json``).

One run; one rule per vulnerability id (``ruleIndex`` into the deduplicated list), ``name``
``OsPackageVulnerability`` for distro packages else ``LanguageSpecificPackageVulnerability``; rule
``properties.security-severity`` = the CVSS base score ``%.1f``, else Trivy's fixed map (CRITICAL 9.5,
HIGH 8.0, MEDIUM 5.5, LOW 2.0, other 0.0); levels CRITICAL/HIGH → error, MEDIUM → warning, LOW/UNKNOWN → note.
Results point at the file that evidenced the package (line 1 when unknown), under ``ROOTPATH``.
"""

from __future__ import annotations

import json
from typing import Any

from shipyard import __version__
from shipyard.supplychain.sbom.model import PackageType
from shipyard.supplychain.vuln.cvss import Severity
from shipyard.supplychain.vuln.matcher import Finding
from shipyard.supplychain.vuln.scan import ScanReport

SCHEMA = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json"
_FIXED_SCORE = {Severity.CRITICAL: 9.5, Severity.HIGH: 8.0, Severity.MEDIUM: 5.5, Severity.LOW: 2.0}
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.UNKNOWN: "note",
}
_OS_TYPES = (PackageType.DEB, PackageType.APK)


def level(sev: Severity) -> str:
    return _LEVEL.get(sev, "none")


def security_severity(f: Finding) -> str:
    score = f.severity.score if f.severity.score is not None else _FIXED_SCORE.get(f.severity.severity, 0.0)
    return f"{score:.1f}"


def _rule(f: Finding) -> dict[str, Any]:
    sev = f.severity.severity.value
    fixed = ", ".join(f.fixed)
    link = f"[{f.id}]({f.url})" if f.url else f.id
    desc = f.description or f.title or f.id
    props: dict[str, Any] = {
        "tags": ["vulnerability", "security", sev],
        "precision": "very-high",
        "security-severity": security_severity(f),
    }
    if f.severity.vector.startswith("CVSS:3") and f.severity.score is not None:
        props["cvssv3_vector"] = f.severity.vector
        props["cvssv3_baseScore"] = f.severity.score
    elif f.severity.source == "cvss_v2" and f.severity.score is not None:
        props["cvssv2_vector"] = f.severity.vector
        props["cvssv2_score"] = f.severity.score
    elif f.severity.vector.startswith("CVSS:4"):
        props["cvssv40_vector"] = f.severity.vector
        if f.severity.score is not None:
            props["cvssv40_baseScore"] = f.severity.score
    rule: dict[str, Any] = {
        "id": f.id,
        "name": "OsPackageVulnerability" if f.package.type in _OS_TYPES else "LanguageSpecificPackageVulnerability",
        "shortDescription": {"text": f.title or f.id},
        "fullDescription": {"text": desc},
        "defaultConfiguration": {"level": level(f.severity.severity)},
        "help": {
            "text": f"Vulnerability {f.id}\nSeverity: {sev}\nPackage: {f.package.name}\nFixed Version: {fixed}\n"
            f"Link: {link}\n{desc}",
            "markdown": f"**Vulnerability {f.id}**\n| Severity | Package | Fixed Version | Link |\n"
            f"| --- | --- | --- | --- |\n|{sev}|{f.package.name}|{fixed}|{link}|\n\n{desc}",
        },
        "properties": props,
    }
    if f.url:
        rule["helpUri"] = f.url
    return rule


def _result(f: Finding, index: int) -> dict[str, Any]:
    path = f.package.locations[0].path.lstrip("/") if f.package.locations else ""
    sev = f.severity.severity.value
    link = f"[{f.id}]({f.url})" if f.url else f.id
    return {
        "ruleId": f.id,
        "ruleIndex": index,
        "level": level(f.severity.severity),
        "message": {
            "text": f"Package: {f.package.name}\nInstalled Version: {f.package.version}\nVulnerability {f.id}\n"
            f"Severity: {sev}\nFixed Version: {', '.join(f.fixed)}\nLink: {link}"
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": path or ".", "uriBaseId": "ROOTPATH"},
                    "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
                },
                "message": {"text": f"{path}: {f.package.name}@{f.package.version}"},
            }
        ],
    }


def to_sarif_dict(report: ScanReport, *, root_uri: str | None = None) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for f in report.findings:
        if f.id not in index:
            index[f.id] = len(rules)
            rules.append(_rule(f))
        results.append(_result(f, index[f.id]))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "fullName": "shipyard vulnerability scanner",
                "informationUri": "https://github.com/shipyard/shipyard",
                "name": "shipyard",
                "rules": rules,
                "version": __version__,
            }
        },
        "results": results,
        "columnKind": "utf16CodeUnits",
    }
    if root_uri:
        run["originalUriBaseIds"] = {"ROOTPATH": {"uri": root_uri.rstrip("/") + "/"}}
    if report.target.digest:
        run["properties"] = {
            "imageName": report.target.name,
            "repoDigests": [f"{report.target.name}@{report.target.digest}"],
        }
    return {"version": "2.1.0", "$schema": SCHEMA, "runs": [run]}


def to_sarif_json(report: ScanReport, *, root_uri: str | None = None) -> str:
    return json.dumps(to_sarif_dict(report, root_uri=root_uri), indent=2, ensure_ascii=False) + "\n"
