"""OSV range semantics (osv-schema docs "Evaluation"): is one version affected by one ``affected[]`` entry?

A version listed in ``versions`` is affected. Otherwise, for each SEMVER/ECOSYSTEM range that the version is
before the limits of (no ``limit`` event, or below one, ``*`` being infinity), walk the events sorted by the
ecosystem's order (``introduced: "0"`` first): ``introduced <= v`` → affected, ``fixed <= v`` → not,
``last_affected < v`` → not; the last word wins. GIT ranges name commits, not versions: they are skipped and the
caller is told. Versions that the order cannot parse make that range unevaluable, also reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cmp_to_key

from shipyard.supplychain.vuln import semver
from shipyard.supplychain.vuln.ordering import Compare, comparator
from shipyard.supplychain.vuln.osv import Affected, Event, EventKind, Range, RangeType


@dataclass(slots=True)
class Verdict:
    affected: bool = False
    fixed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _sorted(events: tuple[Event, ...], cmp: Compare) -> list[Event]:
    def order(a: Event, b: Event) -> int:
        za = a.kind is EventKind.INTRODUCED and a.version == "0"
        zb = b.kind is EventKind.INTRODUCED and b.version == "0"
        if za or zb:
            return (zb - za) if za != zb else 0
        return cmp(a.version, b.version)

    return sorted(events, key=cmp_to_key(order))


def in_range(version: str, rng: Range, cmp: Compare) -> bool:
    """``ValueError`` when a version in play cannot be ordered."""
    limits = [e for e in rng.events if e.kind is EventKind.LIMIT]
    if limits and not any(e.version == "*" or cmp(version, e.version) < 0 for e in limits):
        return False
    affected = False
    for ev in _sorted(tuple(e for e in rng.events if e.kind is not EventKind.LIMIT), cmp):
        if ev.kind is EventKind.INTRODUCED:
            if ev.version == "0" or cmp(ev.version, version) <= 0:
                affected = True
        elif ev.kind is EventKind.FIXED:
            if cmp(ev.version, version) <= 0:
                affected = False
        elif ev.kind is EventKind.LAST_AFFECTED and cmp(ev.version, version) < 0:
            affected = False
    return affected


def _strip_v(version: str) -> str:
    return version[1:] if version[:1] == "v" and version[1:2].isdigit() else version


def evaluate(version: str, affected: Affected, ecosystem: str) -> Verdict:
    verdict = Verdict()
    go_like = ecosystem.split(":", 1)[0] == "Go"
    # OSV SEMVER and Go data carry versions without the "v" Go module versions have.
    bare = _strip_v(version) if go_like else version
    if version in affected.versions or bare in affected.versions:
        verdict.affected = True
    for rng in affected.ranges:
        if rng.type is RangeType.GIT:
            verdict.notes.append(f"GIT range on {rng.repo or 'a repository'} skipped: commits are not versions")
            continue
        cmp = semver.compare if rng.type is RangeType.SEMVER else comparator(ecosystem)
        if cmp is None:
            verdict.notes.append(f"no version order for ecosystem {ecosystem!r}: only listed versions matched")
            continue
        probe = _strip_v(version) if rng.type is RangeType.SEMVER or go_like else version
        try:
            hit = in_range(probe, rng, cmp)
        except ValueError as exc:
            verdict.notes.append(f"range not evaluated: {exc}")
            continue
        if hit:
            verdict.affected = True
            fixes = [e.version for e in rng.events if e.kind is EventKind.FIXED]
            verdict.fixed.extend(f for f in fixes if f not in verdict.fixed)
    return verdict
