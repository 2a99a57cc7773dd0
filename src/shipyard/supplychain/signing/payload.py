"""The cosign simple-signing payload (sigstore ``pkg/signature/payload``), byte-exact.

``{"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},"type":"cosign container
image signature"},"optional":null}`` — compact Go JSON, no trailing newline, ``optional`` a sorted map or null.
A verifier checks only the digest and the requested annotations; ``docker-reference`` is ignored (SIGNATURE_SPEC).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.supplychain.signing import gojson
from shipyard.supplychain.signing.errors import ClaimMismatchError

SIMPLE_SIGNING_TYPE = "cosign container image signature"
SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"


@dataclass(frozen=True, slots=True)
class SimpleSigning:
    """A parsed simple-signing payload."""

    docker_reference: str
    digest: str
    optional: Mapping[str, Any] | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        return json.loads(make_payload(self.docker_reference, self.digest, self.optional))  # type: ignore[no-any-return]


def make_payload(docker_reference: str, digest: str, annotations: Mapping[str, Any] | None = None) -> bytes:
    """The exact bytes cosign signs for ``docker_reference@digest`` with ``-a`` annotations."""
    doc = {
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": digest},
            "type": SIMPLE_SIGNING_TYPE,
        },
        "optional": dict(annotations) if annotations else None,
    }
    return gojson.marshal(doc, sort_maps=True)


def parse_payload(data: bytes) -> SimpleSigning:
    """Parse a payload the way cosign unmarshals it: ``critical.type`` must be the cosign type."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ClaimMismatchError(f"simple-signing payload is not JSON: {exc}") from exc
    critical = doc.get("critical") if isinstance(doc, dict) else None
    if not isinstance(critical, dict):
        raise ClaimMismatchError("simple-signing payload has no critical section")
    if critical.get("type") != SIMPLE_SIGNING_TYPE:
        raise ClaimMismatchError(f"unknown simple-signing type {critical.get('type')!r}")
    image = critical.get("image") or {}
    identity = critical.get("identity") or {}
    digest = image.get("docker-manifest-digest") if isinstance(image, dict) else None
    if not isinstance(digest, str):
        raise ClaimMismatchError("simple-signing payload has no critical.image.docker-manifest-digest")
    ref = identity.get("docker-reference", "") if isinstance(identity, dict) else ""
    optional = doc.get("optional")
    return SimpleSigning(str(ref), digest, optional if isinstance(optional, dict) else None)


def annotations_match(have: Mapping[str, Any] | None, want: Mapping[str, Any] | None) -> bool:
    """cosign ``-a`` on verify: every wanted annotation is present with an equal value (subset match)."""
    if not want:
        return True
    have = have or {}
    return all(k in have and str(have[k]) == str(v) for k, v in want.items())


def check_claims(payload: SimpleSigning, digest: str, annotations: Mapping[str, Any] | None = None) -> None:
    """``SimpleClaimVerifier``: the payload names ``digest`` and carries the requested annotations."""
    if payload.digest != digest:
        raise ClaimMismatchError(f"payload digest {payload.digest} does not match the image digest {digest}")
    if not annotations_match(payload.optional, annotations):
        raise ClaimMismatchError(f"missing or incorrect annotation: want {dict(annotations or {})}")
