"""Image tags the way docker/metadata-action (v5/v6, ``src/tag.ts`` + ``src/meta.ts``) computes them.

Each ``tags`` line (``type=sha,format=short``, ``type=semver,pattern={{major}}.{{minor}}``, ``type=ref,event=pr``,
``type=raw,value=latest,enable={{is_default_branch}}``, or a bare value) is parsed with its default priority
(schedule 1000, semver/pep440 900, match 800, edge 700, ref 600, raw 200, sha 100) and processed in priority
order: the first value is the ``version``, the others are partial tags, and the first value-producing entry
decides ``latest`` under ``flavor latest=auto`` (ref tag, non-prerelease semver/pep440 and match do).
Values are sanitised with ``[^a-zA-Z0-9._-]+ → -``. ``now`` is an argument: the core reads no clock.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shipyard.errors import SpecError
from shipyard.images.reference import parse_reference
from shipyard.images.tagexpr import GitContext, Render, render_pep440, render_semver

__all__ = [
    "Flavor",
    "GitContext",
    "TagSpec",
    "Version",
    "compute_version",
    "image_tags",
    "mutable_tag_warning",
    "oci_labels",
    "parse_flavor",
    "parse_tag_spec",
    "sanitize_tag",
]

PRIORITY = {
    "schedule": 1000,
    "semver": 900,
    "pep440": 900,
    "match": 800,
    "edge": 700,
    "ref": 600,
    "raw": 200,
    "sha": 100,
}
DEFAULT_TAGS = ["type=schedule", "type=ref,event=branch", "type=ref,event=tag", "type=ref,event=pr"]


@dataclass
class TagSpec:
    type: str
    attrs: dict[str, str]


@dataclass(frozen=True, slots=True)
class Flavor:
    latest: str = "auto"  # auto | true | false
    prefix: str = ""
    prefix_latest: bool = False
    suffix: str = ""
    suffix_latest: bool = False


@dataclass
class Version:
    main: str | None = None
    partial: list[str] = field(default_factory=list)
    latest: bool | None = None


def _fields(line: str) -> list[str]:
    return [f.strip() for f in next(csv.reader([line], skipinitialspace=True), [])]


def parse_tag_spec(line: str) -> TagSpec:
    attrs: dict[str, str] = {}
    kind: str | None = None
    for f in _fields(line):
        key, eq, value = f.partition("=")
        if not eq:
            attrs["value"] = key.strip()
            continue
        key = key.strip().lower()
        if key == "type":
            if value.strip() not in PRIORITY:
                raise SpecError(f"unknown tag type attribute: {value.strip()}", path="tags")
            kind = value.strip()
        else:
            attrs[key] = value.strip()
    kind = kind or "raw"
    if kind == "schedule":
        attrs.setdefault("pattern", "nightly")
    elif kind in ("semver", "pep440", "match"):
        if "pattern" not in attrs:
            raise SpecError(f"missing pattern attribute for {line}", path="tags")
        attrs.setdefault("value", "")
        if kind == "match":
            attrs.setdefault("group", "0")
            if not attrs["group"].isdigit():
                raise SpecError(f"invalid match group for {line}", path="tags")
    elif kind == "edge":
        attrs.setdefault("branch", "")
    elif kind == "ref":
        if attrs.get("event") not in ("branch", "tag", "pr"):
            raise SpecError(f"missing or invalid event attribute for {line} (branch, tag or pr)", path="tags")
        if attrs["event"] == "pr":
            attrs.setdefault("prefix", "pr-")
    elif kind == "raw":
        if "value" not in attrs:
            raise SpecError(f"missing value attribute for {line}", path="tags")
    elif kind == "sha":
        attrs.setdefault("prefix", "sha-")
        attrs.setdefault("format", "short")
        if attrs["format"] not in ("short", "long"):
            raise SpecError(f"invalid format for {line} (short or long)", path="tags")
    attrs.setdefault("enable", "true")
    attrs.setdefault("priority", str(PRIORITY[kind]))
    return TagSpec(kind, attrs)


def parse_flavor(lines: Sequence[str]) -> Flavor:
    values: dict[str, str] = {}
    on_latest = {"prefix": False, "suffix": False}
    for line in lines:
        fields = _fields(line)
        if not fields:
            continue
        key, _, value = fields[0].partition("=")
        key = key.lower()
        if key not in ("latest", "prefix", "suffix"):
            raise SpecError(f"unknown flavor entry: {line}", path="flavor")
        values[key] = value
        for extra in fields[1:]:
            k, _, v = extra.partition("=")
            if k.lower() == "onlatest" and key in on_latest:
                on_latest[key] = v.lower() == "true"
    latest = values.get("latest", "auto")
    if latest not in ("auto", "true", "false"):
        raise SpecError(f"invalid latest flavor {latest!r}: auto, true or false", path="flavor")
    return Flavor(latest, values.get("prefix", ""), on_latest["prefix"], values.get("suffix", ""), on_latest["suffix"])


def sanitize_tag(tag: str) -> str:
    return re.sub(r"[^a-zA-Z0-9._-]+", "-", tag)


def compute_version(
    specs: Sequence[TagSpec], flavor: Flavor, ctx: GitContext, now: datetime, *, warnings: list[str] | None = None
) -> Version:
    r = Render(ctx, now)
    warn = warnings if warnings is not None else []
    version = Version()
    ordered = sorted(specs, key=lambda s: -int(s.attrs["priority"]))  # stable, like Array.sort in V8

    def value(v: str, spec: TagSpec) -> str:
        prefix = r.expand(spec.attrs["prefix"]) if "prefix" in spec.attrs else r.expand(flavor.prefix)
        suffix = r.expand(spec.attrs["suffix"]) if "suffix" in spec.attrs else r.expand(flavor.suffix)
        return f"{prefix}{v}{suffix}"

    def put(v: str, latest: bool) -> None:
        if not v:
            return
        v = sanitize_tag(v)
        if version.main is None:
            version.main = v
        elif v != version.main and v not in version.partial:
            version.partial.append(v)
        if version.latest is None:
            version.latest = latest if flavor.latest == "auto" else flavor.latest == "true"

    is_tag = ctx.ref.startswith("refs/tags/")
    for spec in ordered:
        enabled = r.expand(spec.attrs["enable"])
        if enabled not in ("true", "false"):
            raise SpecError(f"invalid value for enable attribute: {enabled}", path="tags")
        if enabled == "false":
            continue
        a, t = spec.attrs, spec.type
        if t == "schedule" and "schedule" in ctx.event:
            put(value(r.expand(a["pattern"]), spec), False)
        elif t in ("semver", "pep440") and (is_tag or a["value"]):
            raw = r.expand(a["value"]) if a["value"] else ctx.ref.removeprefix("refs/tags/").replace("/", "-")
            rendered = (
                render_semver(raw, a["pattern"], r, warn)
                if t == "semver"
                else render_pep440(raw, a["pattern"], r, warn)
            )
            if rendered is not None:
                put(value(rendered[0], spec), rendered[1])
        elif t == "match" and (is_tag or a["value"]):
            raw = r.expand(a["value"]) if a["value"] else ctx.ref.removeprefix("refs/tags/")
            pat = a["pattern"]
            rx = re.match(r"^/(.+)/(.*)$", pat)
            m = re.search(rx.group(1) if rx else pat, raw, re.IGNORECASE if rx and "i" in rx.group(2) else 0)
            if m is None or int(a["group"]) > (m.re.groups):
                warn.append(f"{pat} does not match {raw}")
                continue
            put(value(m.group(int(a["group"])) or "", spec), True)
        elif t == "ref":
            event = a["event"]
            if event == "branch" and ctx.ref.startswith("refs/heads/"):
                put(value(ctx.ref.removeprefix("refs/heads/"), spec), False)
            elif event == "tag" and is_tag:
                put(value(ctx.ref.removeprefix("refs/tags/"), spec), True)
            elif event == "pr" and ctx.ref.startswith("refs/pull/"):
                put(value(ctx.ref.removeprefix("refs/pull/").removesuffix("/merge"), spec), False)
        elif t == "edge" and ctx.ref.startswith("refs/heads/"):
            if (a["branch"] or ctx.default_branch) == ctx.ref.removeprefix("refs/heads/"):
                put(value("edge", spec), False)
        elif t == "raw":
            put(value(r.expand(a["value"]), spec), False)
        elif t == "sha" and ctx.sha:
            put(value(r.short_sha() if a["format"] == "short" else ctx.sha, spec), False)
    if version.latest is None:
        version.latest = False
    return version


def image_tags(images: Sequence[str], version: Version, flavor: Flavor) -> list[str]:
    """``getTags``: each image with the main version, the partials and latest."""
    if not version.main:
        return []
    out: list[str] = []
    for image in [i.lower() for i in images] or [""]:
        prefix = f"{image}:" if image else ""
        out.append(prefix + version.main)
        out.extend(prefix + p for p in version.partial)
        if version.latest:
            latest = (
                f"{flavor.prefix if flavor.prefix_latest else ''}latest{flavor.suffix if flavor.suffix_latest else ''}"
            )
            out.append(prefix + sanitize_tag(latest))
    return out


def oci_labels(
    version: Version,
    ctx: GitContext,
    now: datetime,
    *,
    repo_url: str = "",
    title: str = "",
    description: str = "",
    licenses: str = "",
    extra: Sequence[str] = (),
) -> dict[str, str]:
    """``getOCIAnnotationsWithCustoms``: standard labels, custom ``k=v`` overriding, sorted by key."""
    created = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    pairs = [
        ("org.opencontainers.image.title", title),
        ("org.opencontainers.image.description", description),
        ("org.opencontainers.image.url", repo_url),
        ("org.opencontainers.image.source", repo_url),
        ("org.opencontainers.image.version", version.main or ""),
        ("org.opencontainers.image.created", created),
        ("org.opencontainers.image.revision", ctx.sha),
        ("org.opencontainers.image.licenses", licenses),
    ]
    r = Render(ctx, now)
    for line in extra:
        k, eq, v = r.expand(line).partition("=")
        if eq:
            pairs.append((k, v))
    return dict(sorted(dict(pairs).items()))


def mutable_tag_warning(image: str) -> str | None:
    """A production deploy should pin a digest; a tag (``:latest`` worst of all) can move under it."""
    ref = parse_reference(image)
    if ref.digest:
        return None
    if ref.tag == "latest":
        return f"{image} uses the mutable tag :latest; deploy by digest (…@sha256:…) instead"
    return f"{image} refers to the mutable tag :{ref.tag}; pin the digest (…@sha256:…) for production"
