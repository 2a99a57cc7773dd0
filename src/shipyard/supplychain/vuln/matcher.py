"""Match catalogued packages against OSV advisories; one finding per vulnerability per package.

Advisories come from an ``AdvisorySource`` (the SQLite index in ``shipyard.store.vulndb``, or ``MemoryAdvisories``
in tests), looked up by ecosystem and the package's advisory name in its ecosystem's normal form (PEP 503 for
PyPI). Records that match one package and share an id or alias (PYSEC-… and GHSA-… both naming CVE-…) merge into
one finding, named by its CVE when one is known (as Trivy reports), else by the smallest record id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Protocol

from shipyard.supplychain.sbom.catalogers.base import pep503
from shipyard.supplychain.sbom.model import Package
from shipyard.supplychain.vuln.ordering import base, comparator, same_ecosystem
from shipyard.supplychain.vuln.osv import Vulnerability
from shipyard.supplychain.vuln.ranges import evaluate
from shipyard.supplychain.vuln.severity import Assessed, assess, worst


def normal_name(ecosystem: str, name: str) -> str:
    b = base(ecosystem)
    if b == "PyPI":
        return pep503(name)
    if b in ("npm", "Hex", "Pub"):
        return name.lower()
    return name


class AdvisorySource(Protocol):
    def lookup(self, ecosystem: str, name: str) -> list[Vulnerability]:
        """Records with an ``affected`` entry for (ecosystem base, normal name)."""
        ...


class MemoryAdvisories:
    def __init__(self, records: Iterable[Vulnerability]) -> None:
        self._index: dict[tuple[str, str], list[Vulnerability]] = {}
        for rec in records:
            keys = {(base(a.ecosystem), normal_name(a.ecosystem, a.name)) for a in rec.affected}
            for key in keys:
                self._index.setdefault(key, []).append(rec)

    def lookup(self, ecosystem: str, name: str) -> list[Vulnerability]:
        return list(self._index.get((ecosystem, name), ()))


@dataclass(frozen=True, slots=True)
class Finding:
    package: Package
    id: str
    aliases: tuple[str, ...]
    records: tuple[str, ...]
    severity: Assessed
    fixed: tuple[str, ...]
    title: str
    description: str
    url: str

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases, *self.records))


@dataclass(frozen=True, slots=True)
class MatchResult:
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]


def _primary(keys: set[str], records: Sequence[Vulnerability]) -> str:
    cves = sorted(k for k in keys if k.startswith("CVE-"))
    return cves[0] if cves else min(r.id for r in records)


def _merge(pkg: Package, hits: list[tuple[Vulnerability, Assessed, list[str]]]) -> list[Finding]:
    groups: list[tuple[set[str], list[tuple[Vulnerability, Assessed, list[str]]]]] = []
    for hit in hits:
        keys = {hit[0].id, *hit[0].aliases}
        joined = [g for g in groups if g[0] & keys]
        merged_keys, merged_hits = set(keys), [hit]
        for g in joined:
            merged_keys |= g[0]
            merged_hits = g[1] + merged_hits
            groups.remove(g)
        groups.append((merged_keys, merged_hits))
    cmp = comparator(pkg.ecosystem)
    out: list[Finding] = []
    for keys, group in groups:
        records = sorted((h[0] for h in group), key=lambda r: r.id)
        primary = _primary(keys, records)
        sev = group[0][1]
        for h in group[1:]:
            sev = worst(sev, h[1])
        fixed = sorted({f for h in group for f in h[2]})
        if cmp is not None:
            with contextlib.suppress(ValueError):  # unorderable fix versions keep their text order
                fixed = sorted(fixed, key=cmp_to_key(cmp))
        lead = next((r for r in records if r.summary), records[0])
        out.append(
            Finding(
                package=pkg,
                id=primary,
                aliases=tuple(sorted(keys - {primary})),
                records=tuple(r.id for r in records),
                severity=sev,
                fixed=tuple(fixed),
                title=lead.title,
                description=lead.details or lead.summary,
                url=next((r.primary_url for r in records if r.primary_url), ""),
            )
        )
    return out


def match(packages: Iterable[Package], source: AdvisorySource) -> MatchResult:
    findings: list[Finding] = []
    notes: set[str] = set()
    for pkg in packages:
        name = normal_name(pkg.ecosystem, pkg.advisory_name)
        version = pkg.source_version or pkg.version
        hits: list[tuple[Vulnerability, Assessed, list[str]]] = []
        for rec in source.lookup(base(pkg.ecosystem), name):
            if rec.withdrawn:
                continue
            assessed: Assessed | None = None
            fixed: list[str] = []
            # A record may list the package in several affected entries (one per range set): any one affects it,
            # and every entry's fixes are fixes.
            for aff in rec.affected:
                if not same_ecosystem(aff.ecosystem, pkg.ecosystem) or normal_name(aff.ecosystem, aff.name) != name:
                    continue
                verdict = evaluate(version, aff, pkg.ecosystem)
                notes.update(f"{rec.id}: {n}" for n in verdict.notes)
                if verdict.affected:
                    assessed = assess(rec, aff) if assessed is None else worst(assessed, assess(rec, aff))
                    fixed.extend(f for f in verdict.fixed if f not in fixed)
            if assessed is not None:
                hits.append((rec, assessed, fixed))
        findings.extend(_merge(pkg, hits))
    findings.sort(key=lambda f: (-f.severity.severity.rank, f.package.name, f.package.version, f.id))
    return MatchResult(tuple(findings), tuple(sorted(notes)))
