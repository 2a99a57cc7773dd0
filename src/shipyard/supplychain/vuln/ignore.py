"""The ignore file (``.shipyardignore``): accepted findings, each with a reason, optionally until a date.

    ignore:
      - id: CVE-2019-10906          # a finding's id, any of its aliases, or a record id
        package: jinja2             # optional; compared in the package's ecosystem normal form (PEP 503)
        reason: sandbox not used    # required
        expires: 2026-12-31         # optional; the rule stops applying the day after

Malformed files (bad YAML, unknown fields, wrong types, bad dates) are ``SpecError``s with file:line. A rule
without a reason, or past its expiry, is kept in the report as a problem and not honoured: an exception must say
why it is safe, and must be looked at again when it lapses (grype's ``reason``; trivy's ``exp:``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from shipyard.errors import SpecError
from shipyard.resources.loader import Document, load_file, loads
from shipyard.resources.validate import Issues, validate_model
from shipyard.supplychain.vuln.matcher import Finding, normal_name


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    package: str | None = None
    reason: str | None = None
    expires: dt.date | None = None


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ignore: list[_Entry] = []


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    id: str
    package: str | None
    reason: str
    expires: dt.date | None
    where: str

    def covers(self, finding: Finding) -> bool:
        wanted = self.id.strip().casefold()
        if wanted not in {i.casefold() for i in finding.ids}:
            return False
        if self.package is None:
            return True
        eco = finding.package.ecosystem
        mine = normal_name(eco, self.package)
        return mine in (normal_name(eco, finding.package.name), normal_name(eco, finding.package.advisory_name))


@dataclass(frozen=True, slots=True)
class Ignored:
    finding: Finding
    rule: IgnoreRule


@dataclass(frozen=True, slots=True)
class IgnoreOutcome:
    kept: tuple[Finding, ...]
    ignored: tuple[Ignored, ...]
    problems: tuple[str, ...]


def _parse(doc: Document | None, file: str) -> list[IgnoreRule]:
    if doc is None:
        return []
    if not isinstance(doc.data, dict):
        raise SpecError("an ignore file is a mapping with an 'ignore' list", file=file, line=doc.line)
    issues = Issues(doc)
    model = validate_model(_File, doc, issues=issues)
    issues.raise_if_any()
    assert model is not None
    return [
        IgnoreRule(e.id, e.package, (e.reason or "").strip(), e.expires, f"{file}:{doc.line_of(('ignore', i)) or 0}")
        for i, e in enumerate(model.ignore)
    ]


def parse_ignore(text: str, file: str = "<ignore>") -> list[IgnoreRule]:
    docs = loads(text, file=file)
    if len(docs) > 1:
        raise SpecError("an ignore file holds one YAML document", file=file)
    return _parse(docs[0] if docs else None, file)


def load_ignore(path: str | Path) -> list[IgnoreRule]:
    docs = load_file(path)
    if len(docs) > 1:
        raise SpecError("an ignore file holds one YAML document", file=str(path))
    return _parse(docs[0] if docs else None, str(path))


def apply_ignore(findings: tuple[Finding, ...], rules: list[IgnoreRule], *, today: dt.date) -> IgnoreOutcome:
    problems: list[str] = []
    live: list[IgnoreRule] = []
    for rule in rules:
        if not rule.reason:
            problems.append(f"{rule.where}: ignore rule for {rule.id} has no reason; not honoured")
        elif rule.expires is not None and today > rule.expires:
            problems.append(
                f"{rule.where}: ignore rule for {rule.id} expired on {rule.expires.isoformat()}; not honoured"
            )
        else:
            live.append(rule)
    kept: list[Finding] = []
    ignored: list[Ignored] = []
    for finding in findings:
        cover = next((r for r in live if r.covers(finding)), None)
        if cover is None:
            kept.append(finding)
        else:
            ignored.append(Ignored(finding, cover))
    return IgnoreOutcome(tuple(kept), tuple(ignored), tuple(problems))
