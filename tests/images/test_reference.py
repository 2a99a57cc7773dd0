"""docker/distribution reference grammar and normalisation (reference/normalize_test.go, reference_test.go)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shipyard.errors import SpecError
from shipyard.images.reference import is_mutable, parse_reference

D = "sha256:" + "a" * 64

VALID = [
    # (input, domain, path, tag, digest, familiar)  — normalize_test.go TestParseNormalizedNamed cases
    ("busybox", "docker.io", "library/busybox", "latest", None, "busybox:latest"),
    ("busybox:1.36", "docker.io", "library/busybox", "1.36", None, "busybox:1.36"),
    ("library/busybox", "docker.io", "library/busybox", "latest", None, "busybox:latest"),
    ("docker.io/busybox", "docker.io", "library/busybox", "latest", None, "busybox:latest"),
    ("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", None, "busybox:latest"),
    ("user/repo", "docker.io", "user/repo", "latest", None, "user/repo:latest"),
    ("docker.io/user/repo:tag", "docker.io", "user/repo", "tag", None, "user/repo:tag"),
    ("localhost/app", "localhost", "app", "latest", None, "localhost/app:latest"),
    ("localhost:5000/a/b:v1", "localhost:5000", "a/b", "v1", None, "localhost:5000/a/b:v1"),
    ("127.0.0.1:5000/demo/app", "127.0.0.1:5000", "demo/app", "latest", None, "127.0.0.1:5000/demo/app:latest"),
    (
        "ghcr.io/org/team/app:sha-abc1234",
        "ghcr.io",
        "org/team/app",
        "sha-abc1234",
        None,
        "ghcr.io/org/team/app:sha-abc1234",
    ),
    (f"busybox@{D}", "docker.io", "library/busybox", None, D, f"busybox@{D}"),
    (f"busybox:1.36@{D}", "docker.io", "library/busybox", "1.36", D, f"busybox:1.36@{D}"),
    ("Foo.example.com/app", "Foo.example.com", "app", "latest", None, "Foo.example.com/app:latest"),
    ("UPPER/app", "UPPER", "app", "latest", None, "UPPER/app:latest"),  # uppercase first part is a domain
    ("[::1]:5000/app:v", "[::1]:5000", "app", "v", None, "[::1]:5000/app:v"),
    (
        "example.com/a.b_c__d-e---f/x.y",
        "example.com",
        "a.b_c__d-e---f/x.y",
        "latest",
        None,
        "example.com/a.b_c__d-e---f/x.y:latest",
    ),
    (
        "registry.example:443/x/y:A_b.c-1",
        "registry.example:443",
        "x/y",
        "A_b.c-1",
        None,
        "registry.example:443/x/y:A_b.c-1",
    ),
    (
        "123456789.dkr.ecr.us-east-1.amazonaws.com/order-service:abc1234",
        "123456789.dkr.ecr.us-east-1.amazonaws.com",
        "order-service",
        "abc1234",
        None,
        "123456789.dkr.ecr.us-east-1.amazonaws.com/order-service:abc1234",
    ),
]


@pytest.mark.parametrize(("text", "domain", "path", "tag", "digest", "familiar"), VALID, ids=[v[0][:40] for v in VALID])
def test_valid_references(
    text: str, domain: str, path: str, tag: str | None, digest: str | None, familiar: str
) -> None:
    ref = parse_reference(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)
    assert ref.familiar() == familiar
    assert parse_reference(str(ref)) == ref  # normalised form round-trips


INVALID = [
    ("", "empty"),
    (" busybox", "whitespace"),
    ("Busybox", "lowercase"),  # no domain: uppercase path is invalid
    ("docker.io/Library/busybox", "lowercase"),
    ("busybox:", "tag"),
    ("busybox:-bad", "tag"),
    ("busybox:" + "t" * 129, "tag"),
    ("busybox@sha256:abc", "digest"),
    ("busybox@sha256:" + "A" * 64, "digest"),
    ("busybox@md5:" + "a" * 31, "digest"),
    ("a" * 64, "image ID"),
    ("repo//double", "path component"),
    ("repo/-lead", "path component"),
    ("repo/trail-", "path component"),
    ("repo/a..b", "path component"),
    ("repo/a___b", "path component"),
    ("host:port/app", "host"),
    ("-host.example/app", "host"),
    ("example.com/" + "a" * 250, "longer than 255"),
    (":tagonly", "missing repository"),
    ("a.b_c/x", "host"),  # contains "." so it is a domain, and "_" is not allowed in one
]


@pytest.mark.parametrize(("text", "why"), INVALID, ids=[v[0][:30] or "empty" for v in INVALID])
def test_invalid_references(text: str, why: str) -> None:
    with pytest.raises(SpecError, match=why):
        parse_reference(text)


def test_identifier_prefers_digest_and_mutability() -> None:
    assert parse_reference(f"app:v1@{D}").identifier == D
    assert parse_reference("app").identifier == "latest"
    assert parse_reference("app", default_tag=None).tag is None
    assert is_mutable(parse_reference("app:latest"))
    assert not is_mutable(parse_reference(f"app@{D}"))


@pytest.mark.parametrize(
    ("text", "loopback"),
    [
        ("127.0.0.1:5000/a", True),
        ("localhost/a", True),
        ("[::1]:5000/a", True),
        ("127.5.5.5:1/a", True),
        ("ghcr.io/a", False),
        ("10.0.0.1:5000/a", False),
    ],
    ids=["v4", "localhost", "v6", "127/8", "remote", "private"],
)
def test_loopback_detection(text: str, loopback: bool) -> None:
    assert parse_reference(text).is_loopback() is loopback


_component = st.from_regex(r"[a-z0-9]{1,5}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,5}){0,2}", fullmatch=True)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_domain = st.sampled_from(
    ["", "localhost:5000/", "127.0.0.1:5000/", "ghcr.io/", "registry.example.com:443/", "docker.io/"]
)


@settings(deadline=None)  # a loaded CI machine must not turn slowness into a failure
@given(_domain, st.lists(_component, min_size=1, max_size=3), st.one_of(st.none(), _tag), st.booleans())
def test_normalised_references_round_trip(domain: str, path: list[str], tag: str | None, pinned: bool) -> None:
    # without an explicit registry a first component with "." or ":" *is* the registry (splitDockerDomain)
    assume(domain or len(path) == 1 or "." not in path[0])
    text = domain + "/".join(path) + (f":{tag}" if tag else "") + (f"@{D}" if pinned else "")
    ref = parse_reference(text)
    assert parse_reference(str(ref)) == ref
    assert parse_reference(ref.familiar()) == ref
    assert ref.path.endswith("/".join(path))
