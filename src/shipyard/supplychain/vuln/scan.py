"""One scan, purely: SBOM + advisories + ignore rules + severity filter → a report, and the gate verdict.

Trivy semantics for ``--severity``: it selects which findings are reported; the gate (``--exit-code``) trips
when any reported finding remains after ignore rules. No severity list reports everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from shipyard.supplychain.sbom.model import Sbom, SourceInfo
from shipyard.supplychain.vuln.cvss import Severity
from shipyard.supplychain.vuln.ignore import Ignored, IgnoreRule, apply_ignore
from shipyard.supplychain.vuln.matcher import AdvisorySource, Finding, match


@dataclass(frozen=True, slots=True)
class ScanReport:
    target: SourceInfo
    packages: int
    findings: tuple[Finding, ...]
    ignored: tuple[Ignored, ...]
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    severities: tuple[Severity, ...]

    @property
    def failed(self) -> bool:
        """Whether a reported finding remains (what ``--exit-code`` acts on)."""
        return bool(self.findings)


def parse_severities(text: str) -> tuple[Severity, ...]:
    """``CRITICAL,HIGH`` → the two severities; ``ValueError`` naming the unknown one."""
    out: list[Severity] = []
    for part in text.split(","):
        if part.strip():
            sev = Severity.parse(part)
            if sev not in out:
                out.append(sev)
    return tuple(out)


def scan(
    sbom: Sbom,
    advisories: AdvisorySource,
    *,
    today: dt.date,
    ignore: Iterable[IgnoreRule] = (),
    severities: tuple[Severity, ...] = (),
) -> ScanReport:
    result = match(sbom.packages, advisories)
    selected = tuple(f for f in result.findings if not severities or f.severity.severity in severities)
    outcome = apply_ignore(selected, list(ignore), today=today)
    return ScanReport(
        target=sbom.source,
        packages=len(sbom.packages),
        findings=outcome.kept,
        ignored=outcome.ignored,
        problems=outcome.problems,
        notes=(*sbom.notes, *result.notes),
        severities=severities,
    )
