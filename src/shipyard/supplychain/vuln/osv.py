"""The OSV record model (ossf/osv-schema ``validation/schema.json``) and a strict parser for it.

Only what matching and reports use is modelled; the whole record stays available as ``raw``. A malformed record
is a ``SpecError`` naming the file and the field path (``affected[0].ranges[1].events[2]``), never a half-read
record: range types outside SEMVER/ECOSYSTEM/GIT, events with zero or several kinds, a range without
``introduced``, a range holding both ``fixed`` and ``last_affected``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from shipyard.errors import SpecError


class RangeType(enum.StrEnum):
    SEMVER = "SEMVER"
    ECOSYSTEM = "ECOSYSTEM"
    GIT = "GIT"


class EventKind(enum.StrEnum):
    INTRODUCED = "introduced"
    FIXED = "fixed"
    LAST_AFFECTED = "last_affected"
    LIMIT = "limit"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    version: str


@dataclass(frozen=True, slots=True)
class Range:
    type: RangeType
    events: tuple[Event, ...]
    repo: str = ""


@dataclass(frozen=True, slots=True)
class SeverityScore:
    type: str
    score: str


@dataclass(frozen=True, slots=True)
class Affected:
    ecosystem: str
    name: str
    ranges: tuple[Range, ...] = ()
    versions: frozenset[str] = frozenset()
    severity: tuple[SeverityScore, ...] = ()
    purl: str = ""


@dataclass(frozen=True, slots=True)
class Vulnerability:
    id: str
    modified: str
    summary: str = ""
    details: str = ""
    aliases: tuple[str, ...] = ()
    severity: tuple[SeverityScore, ...] = ()
    affected: tuple[Affected, ...] = ()
    references: tuple[tuple[str, str], ...] = ()
    withdrawn: str = ""
    database_severity: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def title(self) -> str:
        if self.summary:
            return self.summary
        first = self.details.strip().split("\n", 1)[0]
        return first[:120] + ("…" if len(first) > 120 else "")

    @property
    def primary_url(self) -> str:
        for kind, url in self.references:
            if kind == "ADVISORY":
                return url
        return self.references[0][1] if self.references else ""


class _Ctx:
    def __init__(self, file: str | None) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> SpecError:
        return SpecError(message, file=self.file, path=path)

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be an object, not {type(value).__name__}")
        return value

    def lst(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, f"must be a list, not {type(value).__name__}")
        return value

    def text(self, value: Any, path: str, *, required: bool = False) -> str:
        if value is None:
            if required:
                raise self.fail(path, "is required")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            # YAML timestamps arrive as datetimes; keep their ISO text.
            iso = getattr(value, "isoformat", None)
            if callable(iso):
                return str(iso())
            raise self.fail(path, f"must be a string, not {type(value).__name__}")
        return str(value)


def _severity(ctx: _Ctx, value: Any, path: str) -> tuple[SeverityScore, ...]:
    out = []
    for i, item in enumerate(ctx.lst(value, path)):
        obj = ctx.obj(item, f"{path}[{i}]")
        out.append(
            SeverityScore(
                ctx.text(obj.get("type"), f"{path}[{i}].type", required=True),
                ctx.text(obj.get("score"), f"{path}[{i}].score", required=True),
            )
        )
    return tuple(out)


def _range(ctx: _Ctx, value: Any, path: str) -> Range:
    obj = ctx.obj(value, path)
    type_text = ctx.text(obj.get("type"), f"{path}.type", required=True)
    try:
        rtype = RangeType(type_text)
    except ValueError:
        raise ctx.fail(
            f"{path}.type", f"unknown range type {type_text!r}; OSV defines SEMVER, ECOSYSTEM, GIT"
        ) from None
    events: list[Event] = []
    for i, ev in enumerate(ctx.lst(obj.get("events"), f"{path}.events")):
        ev_obj = ctx.obj(ev, f"{path}.events[{i}]")
        kinds = [k for k in ev_obj if k in EventKind.__members__.values()]
        if len(kinds) != 1 or len(ev_obj) != 1:
            raise ctx.fail(f"{path}.events[{i}]", "an event has exactly one of introduced, fixed, last_affected, limit")
        events.append(
            Event(EventKind(kinds[0]), ctx.text(ev_obj[kinds[0]], f"{path}.events[{i}].{kinds[0]}", required=True))
        )
    present = {e.kind for e in events}
    if EventKind.INTRODUCED not in present:
        raise ctx.fail(f"{path}.events", "a range must contain an introduced event")
    if {EventKind.FIXED, EventKind.LAST_AFFECTED} <= present:
        raise ctx.fail(f"{path}.events", "fixed and last_affected must not both appear in one range")
    repo = ctx.text(obj.get("repo"), f"{path}.repo", required=rtype is RangeType.GIT)
    return Range(rtype, tuple(events), repo)


def _affected(ctx: _Ctx, value: Any, path: str) -> Affected:
    obj = ctx.obj(value, path)
    pkg = ctx.obj(obj.get("package"), f"{path}.package")
    versions = frozenset(
        ctx.text(v, f"{path}.versions[{i}]") for i, v in enumerate(ctx.lst(obj.get("versions"), f"{path}.versions"))
    )
    return Affected(
        ecosystem=ctx.text(pkg.get("ecosystem"), f"{path}.package.ecosystem", required=True),
        name=ctx.text(pkg.get("name"), f"{path}.package.name", required=True),
        ranges=tuple(
            _range(ctx, r, f"{path}.ranges[{i}]") for i, r in enumerate(ctx.lst(obj.get("ranges"), f"{path}.ranges"))
        ),
        versions=versions,
        severity=_severity(ctx, obj.get("severity"), f"{path}.severity"),
        purl=ctx.text(pkg.get("purl"), f"{path}.package.purl"),
    )


def parse_record(data: Any, *, file: str | None = None) -> Vulnerability:
    ctx = _Ctx(file)
    obj = ctx.obj(data, "")
    refs = []
    for i, ref in enumerate(ctx.lst(obj.get("references"), "references")):
        r = ctx.obj(ref, f"references[{i}]")
        refs.append((ctx.text(r.get("type"), f"references[{i}].type"), ctx.text(r.get("url"), f"references[{i}].url")))
    dbs = obj.get("database_specific")
    db_severity = str(dbs["severity"]) if isinstance(dbs, dict) and isinstance(dbs.get("severity"), str) else ""
    return Vulnerability(
        id=ctx.text(obj.get("id"), "id", required=True),
        modified=ctx.text(obj.get("modified"), "modified", required=True),
        summary=ctx.text(obj.get("summary"), "summary"),
        details=ctx.text(obj.get("details"), "details"),
        aliases=tuple(ctx.text(a, f"aliases[{i}]") for i, a in enumerate(ctx.lst(obj.get("aliases"), "aliases"))),
        severity=_severity(ctx, obj.get("severity"), "severity"),
        affected=tuple(
            _affected(ctx, a, f"affected[{i}]") for i, a in enumerate(ctx.lst(obj.get("affected"), "affected"))
        ),
        references=tuple(refs),
        withdrawn=ctx.text(obj.get("withdrawn"), "withdrawn"),
        database_severity=db_severity,
        raw=obj,
    )
