"""The expressions inside docker/metadata-action tag values: handlebars-style ``{{branch}}``, ``{{tag}}``,
``{{sha}}``, ``{{base_ref}}``, ``{{is_default_branch}}``, ``{{date 'YYYYMMDD' tz='UTC'}}`` (moment format tokens),
and the semver / PEP 440 ``{{raw}} {{version}} {{major}} {{minor}} {{patch}}`` fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from packaging.version import InvalidVersion
from packaging.version import Version as Pep440

from shipyard.errors import SpecError

_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
_MUSTACHE = re.compile(r"\{\{\s*([a-z_]+)((?:\s+(?:'[^']*'|\"[^\"]*\"|[a-z_]+=(?:'[^']*'|\"[^\"]*\")))*)\s*\}\}")
_MOMENT = re.compile(r"YYYY|YY|MM|M|DD|D|HH|H|mm|m|ss|s|\[[^\]]*\]")


@dataclass(frozen=True, slots=True)
class GitContext:
    sha: str
    ref: str  # refs/heads/main, refs/tags/v1.2.3, refs/pull/42/merge
    event: str = "push"  # push | pull_request | schedule | workflow_dispatch ...
    default_branch: str = "main"
    commit_date: datetime | None = None
    base_ref: str = ""


def _moment(fmt: str, when: datetime) -> str:
    def token(m: re.Match[str]) -> str:
        t = m.group(0)
        if t.startswith("["):
            return t[1:-1]
        return {
            "YYYY": f"{when.year:04d}", "YY": f"{when.year % 100:02d}", "MM": f"{when.month:02d}", "M": str(when.month),
            "DD": f"{when.day:02d}", "D": str(when.day), "HH": f"{when.hour:02d}", "H": str(when.hour),
            "mm": f"{when.minute:02d}", "m": str(when.minute), "ss": f"{when.second:02d}", "s": str(when.second),
        }[t]  # fmt: skip

    return _MOMENT.sub(token, fmt)


class Render:
    def __init__(self, ctx: GitContext, now: datetime, short_sha_length: int = 7) -> None:
        self.ctx, self.now, self.short = ctx, now, short_sha_length

    def short_sha(self) -> str:
        return self.ctx.sha[: self.short]

    def branch(self) -> str:
        return self.ctx.ref.removeprefix("refs/heads/") if self.ctx.ref.startswith("refs/heads/") else ""

    def is_default_branch(self) -> bool:
        branch = self.ctx.ref.removeprefix("refs/heads/")
        if not branch:
            return False
        if branch == self.ctx.default_branch:
            return True
        return any(e in self.ctx.event for e in ("create", "discussion", "issues", "schedule"))

    def expand(self, template: str, extra: Mapping[str, str] | None = None) -> str:
        def sub(m: re.Match[str]) -> str:
            name, args = m.group(1), m.group(2) or ""
            if extra is not None and name in extra:
                return extra[name]
            if name in ("date", "commit_date"):
                fmt = re.search(r"'([^']*)'|\"([^\"]*)\"", args)
                tz = re.search(r"tz=(?:'([^']*)'|\"([^\"]*)\")", args)
                when = self.now if name == "date" else (self.ctx.commit_date or self.now)
                zone = (tz.group(1) or tz.group(2)) if tz else "UTC"
                return _moment((fmt.group(1) or fmt.group(2)) if fmt else "", when.astimezone(ZoneInfo(zone)))
            values = {
                "branch": self.branch(),
                "tag": self.ctx.ref.removeprefix("refs/tags/") if self.ctx.ref.startswith("refs/tags/") else "",
                "sha": self.short_sha(),
                "base_ref": self.ctx.base_ref,
                "is_default_branch": str(self.is_default_branch()).lower(),
                "is_not_default_branch": str(not self.is_default_branch()).lower(),
            }
            if name not in values:
                raise SpecError(f"unknown expression {{{{{name}}}}} in {template!r}", path="tags")
            return values[name]

        return _MUSTACHE.sub(sub, template)


def render_semver(raw: str, pattern: str, r: Render, warn: list[str]) -> tuple[str, bool] | None:
    m = _SEMVER.match(raw.strip())
    if m is None:
        warn.append(f"{raw} is not a valid semver. More info: https://semver.org/")
        return None
    major, minor, patch, pre = m.group(1), m.group(2), m.group(3), m.group(4)
    version = f"{major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
    fields = {"raw": raw, "version": version, "major": major, "minor": minor, "patch": patch}
    if pre:  # pre-releases always render {{version}} (or {{raw}} when the pattern is exactly that)
        return (raw if pattern.strip() == "{{raw}}" else version), False
    return r.expand(pattern, fields), True


def render_pep440(raw: str, pattern: str, r: Render, warn: list[str]) -> tuple[str, bool] | None:
    try:
        v = Pep440(raw)
    except InvalidVersion:
        warn.append(f"{raw} does not conform to PEP 440")
        return None
    if v.is_prerelease or v.is_postrelease or v.is_devrelease:
        return (raw if pattern.strip() == "{{raw}}" else str(v)), False
    rel = [*v.release, 0, 0]
    fields = {"raw": raw, "version": str(v), "major": str(rel[0]), "minor": str(rel[1]), "patch": str(rel[2])}
    return r.expand(pattern, fields), True
