"""docker/metadata-action tag rules (src/tag.ts, src/meta.ts; README "tags input" examples)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shipyard.errors import SpecError
from shipyard.images.tags import (
    GitContext,
    compute_version,
    image_tags,
    mutable_tag_warning,
    oci_labels,
    parse_flavor,
    parse_tag_spec,
)

SHA = "860c1904a1ce19322e91ac35af1ab07466440c37"
NOW = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
SEMVER3 = [
    "type=semver,pattern={{version}}",
    "type=semver,pattern={{major}}.{{minor}}",
    "type=semver,pattern={{major}}",
]

CASES = [
    # (id, ref, event, tag lines, flavor lines, expected tags)
    ("default-tags-on-main", "refs/heads/main", "push", [], [], ["img:main"]),
    ("default-tags-on-tag", "refs/tags/v1.2.3", "push", [], [], ["img:v1.2.3", "img:latest"]),
    ("semver-release", "refs/tags/v1.2.3", "push", SEMVER3, [], ["img:1.2.3", "img:1.2", "img:1", "img:latest"]),
    ("semver-prerelease-is-version-only", "refs/tags/v2.0.8-beta.67", "push", SEMVER3, [], ["img:2.0.8-beta.67"]),
    (
        "semver-raw-prerelease",
        "refs/tags/v2.0.8-beta.67",
        "push",
        ["type=semver,pattern={{raw}}"],
        [],
        ["img:v2.0.8-beta.67"],
    ),
    ("semver-major-zero", "refs/tags/v0.4.1", "push", ["type=semver,pattern={{major}}"], [], ["img:0", "img:latest"]),
    (
        "semver-v-prefix-pattern",
        "refs/tags/v1.2.3",
        "push",
        ["type=semver,pattern=v{{major}}"],
        [],
        ["img:v1", "img:latest"],
    ),
    ("semver-ignored-on-branch", "refs/heads/main", "push", SEMVER3, [], []),
    ("semver-invalid-tag-skipped", "refs/tags/release-1", "push", SEMVER3, [], []),
    (
        "semver-explicit-value",
        "refs/heads/main",
        "push",
        ["type=semver,pattern={{major}}.{{minor}},value=3.4.5"],
        [],
        ["img:3.4", "img:latest"],
    ),
    (
        "pep440-prerelease-normalised",
        "refs/tags/1.2.3beta2",
        "push",
        ["type=pep440,pattern={{version}}"],
        [],
        ["img:1.2.3b2"],
    ),
    (
        "pep440-release",
        "refs/tags/1.2.3",
        "push",
        ["type=pep440,pattern={{major}}.{{minor}}"],
        [],
        ["img:1.2", "img:latest"],
    ),
    (
        "ref-branch-slash-sanitised",
        "refs/heads/feature/my-branch",
        "push",
        ["type=ref,event=branch"],
        [],
        ["img:feature-my-branch"],
    ),
    ("ref-pr", "refs/pull/42/merge", "pull_request", ["type=ref,event=pr"], [], ["img:pr-42"]),
    (
        "ref-pr-custom-prefix",
        "refs/pull/42/merge",
        "pull_request",
        ["type=ref,event=pr,prefix=preview-"],
        [],
        ["img:preview-42"],
    ),
    ("sha-short", "refs/heads/main", "push", ["type=sha"], [], ["img:sha-860c190"]),
    ("sha-long-no-prefix", "refs/heads/main", "push", ["type=sha,format=long,prefix="], [], [f"img:{SHA}"]),
    (
        "raw-latest-on-default-branch",
        "refs/heads/main",
        "push",
        ["type=raw,value=latest,enable={{is_default_branch}}"],
        [],
        ["img:latest"],
    ),
    (
        "raw-latest-not-on-other-branch",
        "refs/heads/dev",
        "push",
        ["type=raw,value=latest,enable={{is_default_branch}}"],
        [],
        [],
    ),
    (
        "date-plus-sha",
        "refs/heads/main",
        "push",
        ["type=raw,value={{date 'YYYYMMDD'}}-{{sha}}"],
        [],
        ["img:20240115-860c190"],
    ),
    ("bare-value-is-raw", "refs/heads/main", "push", ["stable"], [], ["img:stable"]),
    ("edge-on-default-branch", "refs/heads/main", "push", ["type=edge"], [], ["img:edge"]),
    ("edge-other-branch", "refs/heads/dev", "push", ["type=edge,branch=dev"], [], ["img:edge"]),
    (
        "match-group",
        "refs/tags/v1.2.3-alpine",
        "push",
        ["type=match,pattern=\\d.\\d.\\d,group=0"],
        [],
        ["img:1.2.3", "img:latest"],
    ),
    ("schedule-nightly", "refs/heads/main", "schedule", ["type=schedule"], [], ["img:nightly"]),
    (
        "schedule-date-pattern",
        "refs/heads/main",
        "schedule",
        ["type=schedule,pattern={{date 'YYYYMMDD'}}"],
        [],
        ["img:20240115"],
    ),
    (
        "priority-semver-beats-sha",
        "refs/tags/v1.2.3",
        "push",
        ["type=sha", "type=semver,pattern={{version}}"],
        [],
        ["img:1.2.3", "img:sha-860c190", "img:latest"],
    ),
    (
        "flavor-latest-false",
        "refs/tags/v1.2.3",
        "push",
        ["type=semver,pattern={{version}}"],
        ["latest=false"],
        ["img:1.2.3"],
    ),
    (
        "flavor-latest-true-on-branch",
        "refs/heads/dev",
        "push",
        ["type=ref,event=branch"],
        ["latest=true"],
        ["img:dev", "img:latest"],
    ),
    (
        "flavor-prefix-onlatest",
        "refs/tags/v1.2.3",
        "push",
        ["type=semver,pattern={{version}}"],
        ["prefix=app-,onlatest=true"],
        ["img:app-1.2.3", "img:app-latest"],
    ),
    (
        "flavor-suffix-not-on-latest",
        "refs/tags/v1.2.3",
        "push",
        ["type=semver,pattern={{version}}"],
        ["suffix=-slim"],
        ["img:1.2.3-slim", "img:latest"],
    ),
    ("disabled-entry", "refs/heads/main", "push", ["type=sha,enable=false", "type=ref,event=branch"], [], ["img:main"]),
]


@pytest.mark.parametrize(
    ("ref", "event", "lines", "flavor", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_metadata_action_tags(ref: str, event: str, lines: list[str], flavor: list[str], expected: list[str]) -> None:
    ctx = GitContext(sha=SHA, ref=ref, event=event, default_branch="main")
    specs = [
        parse_tag_spec(line)
        for line in (lines or ["type=schedule", "type=ref,event=branch", "type=ref,event=tag", "type=ref,event=pr"])
    ]
    fl = parse_flavor(flavor)
    version = compute_version(specs, fl, ctx, NOW)
    assert image_tags(["IMG"], version, fl) == expected  # image names are lowercased


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("type=nope", "unknown tag type"),
        ("type=semver", "missing pattern"),
        ("type=ref", "event"),
        ("type=sha,format=mid", "invalid format"),
        ("type=raw", "missing value"),
    ],
    ids=["type", "semver-pattern", "ref-event", "sha-format", "raw-value"],
)
def test_invalid_tag_specs(line: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_tag_spec(line)


def test_invalid_enable_expression() -> None:
    ctx = GitContext(sha=SHA, ref="refs/heads/main")
    with pytest.raises(SpecError, match="enable"):
        compute_version([parse_tag_spec("type=sha,enable=maybe")], parse_flavor([]), ctx, NOW)


def test_labels_sorted_with_version_and_overrides() -> None:
    ctx = GitContext(sha=SHA, ref="refs/tags/v1.2.3")
    version = compute_version([parse_tag_spec(s) for s in SEMVER3], parse_flavor([]), ctx, NOW)
    labels = oci_labels(
        version, ctx, NOW, repo_url="https://github.com/o/r", title="r", extra=["org.opencontainers.image.title=custom"]
    )
    assert list(labels) == sorted(labels)
    assert labels["org.opencontainers.image.version"] == "1.2.3"
    assert labels["org.opencontainers.image.revision"] == SHA
    assert labels["org.opencontainers.image.created"] == "2024-01-15T10:30:00.000Z"
    assert labels["org.opencontainers.image.title"] == "custom"


@pytest.mark.parametrize(
    ("image", "warns"),
    [
        ("app:latest", ":latest"),
        ("app", ":latest"),
        ("app:sha-abc1234", "mutable tag :sha-abc1234"),
        ("app@sha256:" + "a" * 64, None),
    ],
    ids=["latest", "implicit-latest", "sha-tag", "digest"],
)
def test_mutable_tag_warning(image: str, warns: str | None) -> None:
    got = mutable_tag_warning(image)
    assert (got is None) if warns is None else (got is not None and warns in got)
