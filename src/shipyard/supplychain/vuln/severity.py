"""A finding's severity: computed from the CVSS v3 vector the record carries (the package's own
``affected[].severity`` first, then the record's), else the record's qualitative label
(``database_specific.severity``, GitHub's LOW/MODERATE/HIGH/CRITICAL), else UNKNOWN.

CVSS v4 base scores need the specification's macro-vector lookup table; shipyard does not compute them and
falls back to the record's label, keeping the vector for the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from shipyard.supplychain.vuln.cvss import Severity, base_score_v3, rating
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
    vector = next((s.score for s in scores if s.type == "CVSS_V4"), "")
    if record.database_severity:
        try:
            return Assessed(Severity.parse(record.database_severity), None, vector, "database_specific")
        except ValueError:
            pass
    return Assessed(Severity.UNKNOWN, None, vector, "")


def worst(a: Assessed, b: Assessed) -> Assessed:
    if a.severity.rank != b.severity.rank:
        return a if a.severity.rank > b.severity.rank else b
    return a if (a.score or 0) >= (b.score or 0) else b
