"""CVSS base scores from vector strings.

v3.0/v3.1 are computed here (FIRST CVSS v3.1 Specification §7.1, §7.4, Appendix A): v3.1 rounds up with the
floating-point-safe ``Roundup`` of Appendix A, v3.0 with a plain ceiling to one decimal. v4.0 scores (the spec's
macro-vector lookup and interpolation) and v2 scores come from the ``cvss`` package (RedHat), wrapped so its
errors are ``ValueError``s. Qualitative ratings (v3.1 §5, v4.0 §6 alike): 0 NONE, 0.1-3.9 LOW, 4.0-6.9 MEDIUM,
7.0-8.9 HIGH, 9.0-10 CRITICAL.
"""

from __future__ import annotations

import enum
import math

_AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_AC = {"L": 0.77, "H": 0.44}
_PR_U = {"N": 0.85, "L": 0.62, "H": 0.27}
_PR_C = {"N": 0.85, "L": 0.68, "H": 0.5}
_UI = {"N": 0.85, "R": 0.62}
_CIA = {"H": 0.56, "L": 0.22, "N": 0.0}
_REQUIRED = ("AV", "AC", "PR", "UI", "S", "C", "I", "A")


class Severity(enum.StrEnum):
    UNKNOWN = "UNKNOWN"
    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        t = text.strip().upper()
        if t == "MODERATE":  # GitHub advisories' word for MEDIUM
            return cls.MEDIUM
        try:
            return cls(t)
        except ValueError as exc:
            raise ValueError(f"unknown severity {text!r}; use one of {', '.join(s.value for s in cls)}") from exc


_RANK = {
    Severity.UNKNOWN: 0,
    Severity.NONE: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}


def _roundup_31(x: float) -> float:
    i = round(x * 100000)
    if i % 10000 == 0:
        return i / 100000.0
    return (math.floor(i / 10000) + 1) / 10.0


def _roundup_30(x: float) -> float:
    return math.ceil(x * 10) / 10.0


def base_score_v3(vector: str) -> float:
    """Base score of a ``CVSS:3.x/AV:../AC:../...`` vector; ``ValueError`` when it is malformed."""
    parts = vector.strip().split("/")
    if not parts or parts[0] not in ("CVSS:3.0", "CVSS:3.1"):
        raise ValueError(f"not a CVSS v3 vector: {vector!r}")
    metrics: dict[str, str] = {}
    for part in parts[1:]:
        name, sep, value = part.partition(":")
        if not sep or name in metrics:
            raise ValueError(f"malformed CVSS v3 metric {part!r} in {vector!r}")
        metrics[name] = value
    missing = [m for m in _REQUIRED if m not in metrics]
    if missing:
        raise ValueError(f"CVSS v3 vector {vector!r} lacks {', '.join(missing)}")
    try:
        scope_changed = {"U": False, "C": True}[metrics["S"]]
        iss = 1 - (1 - _CIA[metrics["C"]]) * (1 - _CIA[metrics["I"]]) * (1 - _CIA[metrics["A"]])
        pr = (_PR_C if scope_changed else _PR_U)[metrics["PR"]]
        exploitability = 8.22 * _AV[metrics["AV"]] * _AC[metrics["AC"]] * pr * _UI[metrics["UI"]]
    except KeyError as exc:
        raise ValueError(f"unknown CVSS v3 metric value {exc.args[0]!r} in {vector!r}") from exc
    if scope_changed:
        impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
    else:
        impact = 6.42 * iss
    if impact <= 0:
        return 0.0
    roundup = _roundup_31 if parts[0] == "CVSS:3.1" else _roundup_30
    total = impact + exploitability
    return roundup(min(1.08 * total if scope_changed else total, 10.0))


def base_score_v4(vector: str) -> float:
    """Base score (CVSS-B) of a ``CVSS:4.0/...`` vector; ``ValueError`` when it is malformed."""
    from cvss import CVSS4  # type: ignore[import-untyped]
    from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

    if not vector.strip().startswith("CVSS:4.0/"):
        raise ValueError(f"not a CVSS v4.0 vector: {vector!r}")
    try:
        return float(CVSS4(vector.strip()).base_score)
    except CVSSError as exc:
        raise ValueError(f"malformed CVSS v4.0 vector {vector!r}: {exc}") from exc


def base_score_v2(vector: str) -> float:
    """Base score of a CVSS v2 vector (``AV:N/AC:L/Au:N/C:P/I:N/A:N``, optionally ``(...)``-wrapped)."""
    from cvss import CVSS2
    from cvss.exceptions import CVSSError

    text = vector.strip().removeprefix("(").removesuffix(")").removeprefix("CVSS:2.0/")
    try:
        return float(CVSS2(text).base_score)
    except CVSSError as exc:
        raise ValueError(f"malformed CVSS v2 vector {vector!r}: {exc}") from exc


def rating_v2(score: float) -> Severity:
    """NVD's v2 ranges: LOW 0-3.9, MEDIUM 4.0-6.9, HIGH 7.0-10.0 (v2 has no CRITICAL)."""
    if score < 4.0:
        return Severity.LOW
    return Severity.MEDIUM if score < 7.0 else Severity.HIGH


def rating(score: float) -> Severity:
    if score == 0:
        return Severity.NONE
    if score < 4.0:
        return Severity.LOW
    if score < 7.0:
        return Severity.MEDIUM
    if score < 9.0:
        return Severity.HIGH
    return Severity.CRITICAL
