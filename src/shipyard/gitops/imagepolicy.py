"""Flux ImagePolicy selection (``image-reflector-controller/internal/policy``), evaluated against a registry's tags.

- ``filterTags.pattern`` is an *unanchored* search; ``extract`` expands Go-style ``$name``/``${name}``/``$1``
  into the value the policy orders (extracted → original tag; duplicates: last wins).
- ``semver``: Masterminds/semver v3 constraints; tags parsed strictly (``X.Y.Z[-pre][+build]`` after one optional
  leading ``v``); pre-releases only match a range that names a pre-release; greatest wins.
- ``alphabetical``: byte-wise; ``asc`` (default) picks the greatest, ``desc`` the smallest.
- ``numerical``: every candidate must parse as a float or the policy fails; ``asc`` picks the largest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shipyard.errors import SpecError


class TagLister(Protocol):
    """What a policy needs from a registry client (the images package's Distribution client satisfies it)."""

    def list_tags(self, repository: str) -> list[str]: ...


# ---- semver ----------------------------------------------------------------------------------------------

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


@dataclass(frozen=True, slots=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()

    def key(self) -> tuple[Any, ...]:
        # A release sorts after its pre-releases; numeric identifiers sort before alphanumeric ones.
        pre: tuple[Any, ...] = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)


def parse_version(tag: str) -> Version | None:
    """fluxcd/pkg/version.ParseVersion: strict semver after stripping one leading ``v``."""
    m = _SEMVER.match(tag[1:] if tag.startswith("v") else tag)
    if not m:
        return None
    return Version(int(m[1]), int(m[2]), int(m[3]), tuple(m[4].split(".")) if m[4] else ())


_PARTIAL = re.compile(r"^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def _partial(text: str) -> tuple[list[int | None], tuple[str, ...]]:
    m = _PARTIAL.match(text)
    if not m:
        raise SpecError(f"invalid semver constraint version {text!r}", path="policy.semver.range")
    nums: list[int | None] = []
    for g in (m[1], m[2], m[3]):
        nums.append(None if g is None or g in "xX*" else int(g))
    for i in range(1, 3):  # a wildcard makes everything after it a wildcard
        if nums[i - 1] is None:
            nums[i] = None
    return nums, tuple(m[4].split(".")) if m[4] else ()


Comparator = tuple[str, Version, bool]  # (op, version, constraint names a pre-release)


def _expand(op: str, text: str) -> list[Comparator]:
    nums, pre = _partial(text)
    major, minor, patch = nums
    has_pre = bool(pre)

    def v(a: int, b: int, c: int, p: tuple[str, ...] = ()) -> Version:
        return Version(a, b, c, p)

    lo = v(major or 0, minor or 0, patch or 0, pre)
    if op in ("", "=") and major is None:
        return [(">=", v(0, 0, 0), has_pre)]
    if op in ("", "=") and major is not None:
        if patch is not None:
            return [("=", lo, has_pre)]
        hi = v(major + 1, 0, 0) if minor is None else v(major, minor + 1, 0)
        return [(">=", lo, has_pre), ("<", hi, has_pre)]
    if op == "!=":
        return [("!=", lo, has_pre)]
    if op in ("~", "~>"):
        hi = v((major or 0) + 1, 0, 0) if minor is None else v(major or 0, minor + 1, 0)
        return [(">=", lo, has_pre), ("<", hi, has_pre)]
    if op == "^":
        if major is None:
            return [(">=", v(0, 0, 0), has_pre)]
        if major > 0 or minor is None:
            hi = v(major + 1, 0, 0)
        elif minor > 0 or patch is None:
            hi = v(0, minor + 1, 0)
        else:
            hi = v(0, 0, (patch or 0) + 1)
        return [(">=", lo, has_pre), ("<", hi, has_pre)]
    if op == ">":
        if patch is None and major is not None:
            lo = v(major + 1, 0, 0) if minor is None else v(major, minor + 1, 0)
            return [(">=", lo, has_pre)]
        return [(">", lo, has_pre)]
    if op == ">=":
        return [(">=", lo, has_pre)]
    if op == "<":
        return [("<", lo, has_pre)]
    if op == "<=":
        if patch is None and major is not None:
            hi = v(major + 1, 0, 0) if minor is None else v(major, minor + 1, 0)
            return [("<", hi, has_pre)]
        return [("<=", lo, has_pre)]
    raise SpecError(f"unknown semver operator {op!r}", path="policy.semver.range")


_TERM = re.compile(r"(!=|>=|<=|=>|=<|~>|[=<>~^])?\s*(v?[0-9xX*][0-9A-Za-z.+\-*]*|\*)")


def parse_range(text: str) -> list[list[Comparator]]:
    """``||``-separated alternatives of AND-ed comparators."""
    if not text.strip():
        raise SpecError("empty semver range", path="policy.semver.range")
    alternatives: list[list[Comparator]] = []
    for alt in text.split("||"):
        alt = alt.strip()
        hyphen = re.fullmatch(r"(\S+)\s+-\s+(\S+)", alt)
        if hyphen:
            comps = [c for c in _expand(">=", hyphen[1])] + _expand("<=", hyphen[2])
            alternatives.append(comps)
            continue
        comps = []
        pos = 0
        alt = alt.replace(",", " ")
        while pos < len(alt):
            if alt[pos].isspace():
                pos += 1
                continue
            m = _TERM.match(alt, pos)
            if not m:
                raise SpecError(f"invalid semver range {text!r} at {alt[pos:]!r}", path="policy.semver.range")
            op = {"=>": ">=", "=<": "<="}.get(m[1] or "", m[1] or "")
            comps.extend(_expand(op, m[2]))
            pos = m.end()
        alternatives.append(comps)
    return alternatives


def _check(op: str, want: Version, have: Version) -> bool:
    a, b = have.key(), want.key()
    return {"=": a == b, "!=": a != b, ">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


def satisfies(version: Version, rng: list[list[Comparator]]) -> bool:
    for comps in rng:
        ok = True
        for op, want, _ in comps:
            # Masterminds v3: a pre-release version only satisfies comparators that carry a pre-release on the
            # same major.minor.patch... in practice: only when the constraint names a pre-release at all.
            if version.pre and not any(c[2] for c in comps):
                ok = False
                break
            if not _check(op, want, version):
                ok = False
                break
        if ok:
            return True
    return False


# ---- policies --------------------------------------------------------------------------------------------


def _go_template(extract: str) -> str:
    """Go ``Regexp.Expand`` template → Python ``re`` template."""
    out = extract.replace("\\", "\\\\")
    out = re.sub(r"\$\{(\w+)\}", r"\\g<\1>", out)
    out = re.sub(r"\$(\w+)", r"\\g<\1>", out)
    return out.replace("$$", "$")


def filter_tags(tags: Iterable[str], pattern: str = "", extract: str = "") -> dict[str, str]:
    """Candidate value → original tag, in input order (duplicates: last wins)."""
    if not pattern:
        return {t: t for t in tags}
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise SpecError(f"invalid filterTags.pattern {pattern!r}: {exc}", path="filterTags.pattern") from exc
    out: dict[str, str] = {}
    for t in tags:
        m = rx.search(t)
        if not m:
            continue
        if extract:
            try:
                value = m.expand(_go_template(extract))
            except (IndexError, re.error):
                value = ""  # Go expands an unknown group to ""
            out[value] = t
        else:
            out[t] = t
    return out


def select_tag(tags: Sequence[str], policy: dict[str, Any], filter_spec: dict[str, Any] | None = None) -> str:
    """The tag an ImagePolicy ``spec.policy`` picks; ``SpecError`` when nothing qualifies."""
    fs = filter_spec or {}
    candidates = filter_tags(tags, str(fs.get("pattern") or ""), str(fs.get("extract") or ""))
    if len(policy) != 1:
        raise SpecError("policy needs exactly one of semver, alphabetical, numerical", path="policy")
    ((kind, conf),) = policy.items()
    conf = conf or {}
    if kind == "semver":
        rng = parse_range(str(conf.get("range", "")))
        best: tuple[Version, str] | None = None
        for value, tag in candidates.items():
            ver = parse_version(value)
            if ver is not None and satisfies(ver, rng) and (best is None or ver.key() > best[0].key()):
                best = (ver, tag)
        if best is None:
            raise SpecError(f"no tag satisfies semver range {conf.get('range')!r}", path="policy.semver.range")
        return best[1]
    order = str(conf.get("order", "asc")).upper()
    if order not in ("ASC", "DESC"):
        raise SpecError(f"order must be asc or desc, not {conf.get('order')!r}", path=f"policy.{kind}.order")
    if not candidates:
        raise SpecError("no tag matches filterTags", path="filterTags")
    if kind == "alphabetical":
        values = sorted(candidates, key=lambda s: s.encode("utf-8"))
        return candidates[values[-1] if order == "ASC" else values[0]]
    if kind == "numerical":
        parsed: list[tuple[float, str]] = []
        for value in candidates:
            try:
                f = float(value)
            except ValueError:
                raise SpecError(f"tag value {value!r} is not a number", path="policy.numerical") from None
            if math.isnan(f):
                raise SpecError(f"tag value {value!r} is not a number", path="policy.numerical")
            parsed.append((f, value))
        chosen = parsed[0]
        for item in parsed[1:]:
            # Flux: ties go to the later candidate.
            if (order == "ASC" and item[0] >= chosen[0]) or (order == "DESC" and item[0] <= chosen[0]):
                chosen = item
        return candidates[chosen[1]]
    raise SpecError(f"unknown policy {kind!r} (want semver, alphabetical or numerical)", path="policy")


def latest_tag(lister: TagLister, repository: str, policy: dict[str, Any], filter_spec: dict[str, Any] | None) -> str:
    return select_tag(lister.list_tags(repository), policy, filter_spec)
