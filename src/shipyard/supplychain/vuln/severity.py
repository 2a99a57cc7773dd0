"""A finding's severity: computed from the CVSS vector the record carries (the package's own
``affected[].severity`` first, then the record's; a v3.x vector before a v4.0 one, as Trivy prefers v3), else
the record's qualitative label (``database_specific.severity``, GitHub's LOW/MODERATE/HIGH/CRITICAL), else a
CVSS v2 vector rated by NVD's v2 ranges, else UNKNOWN. A vector that does not parse is skipped, never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass

from shipyard.supplychain.vuln.cvss import Severity, base_score_v2, base_score_v3, base_score_v4, rating, rating_v2
from shipyard.supplychain.vuln.osv import Affected, SeverityScore, Vulnerability


@dataclass(frozen=True, slots=True)
class Assessed:
    severity: Severity
    score: float | None = None
    vector: str = ""
    source: str = ""


def assess(record: Vulnerability, affected: Affected | None = None) -> Assessed:
    scores: list[SeverityScore] = [*(affected.severity if affected else ()), *record.severity]
    for s in scores:
        if s.type == "CVSS_V3":
            try:
                score = base_score_v3(s.score)
            except ValueError:
                continue
            return Assessed(rating(score), score, s.score, "cvss_v3")
    for s in scores:
        if s.type == "CVSS_V4":
            try:
                score = base_score_v4(s.score)
            except ValueError:
                continue
            return Assessed(rating(score), score, s.score, "cvss_v4")
    vector = next((s.score for s in scores if s.type == "CVSS_V4"), "")
    if record.database_severity:
        try:
            return Assessed(Severity.parse(record.database_severity), None, vector, "database_specific")
        except ValueError:
            pass
    for s in scores:
        if s.type == "CVSS_V2":
            try:
                score = base_score_v2(s.score)
            except ValueError:
                continue
            return Assessed(rating_v2(score), score, s.score, "cvss_v2")
    return Assessed(Severity.UNKNOWN, None, vector, "")


def worst(a: Assessed, b: Assessed) -> Assessed:
    if a.severity.rank != b.severity.rank:
        return a if a.severity.rank > b.severity.rank else b
    return a if (a.score or 0) >= (b.score or 0) else b
