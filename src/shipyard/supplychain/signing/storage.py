"""Where signatures live: the narrow registry interface the signing core needs, injected by the caller.

The real implementation wraps ``shipyard.registry.RegistryClient`` (``shipyard.controllers.signature_registry``);
``shipyard.testing.signatures.MemorySignatureStore`` is the in-memory fake. ``repo`` is ``registry/path``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from shipyard.errors import DigestMismatchError, NotFoundError


@dataclass(frozen=True, slots=True)
class Referrer:
    """One entry of a referrers response (an OCI descriptor)."""

    media_type: str
    digest: str
    size: int
    artifact_type: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)


class SignatureStore(Protocol):
    def get_manifest(self, repo: str, reference: str) -> tuple[bytes, str] | None:
        """(bytes, media type) of the manifest at a tag or digest, or None when there is none (404)."""

    def put_manifest(self, repo: str, reference: str, raw: bytes, media_type: str) -> str:
        """Store a manifest at a tag or by its digest; return its digest. A manifest with a ``subject`` must be
        findable through ``referrers`` afterwards (the implementation maintains the fallback tag if needed)."""

    def get_blob(self, repo: str, digest: str) -> bytes:
        """The blob's bytes; the caller re-checks the digest."""

    def put_blob(self, repo: str, digest: str, data: bytes) -> None:
        """Upload a blob (a no-op when it already exists)."""

    def referrers(self, repo: str, digest: str) -> list[Referrer]:
        """Manifests whose subject is ``digest`` (referrers API or the ``sha256-<hex>`` tag schema)."""

    def tags(self, repo: str) -> list[str]:
        """Every tag of the repository."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """An image pinned to its manifest digest, with what a referrer ``subject`` needs."""

    repo: str
    digest: str
    media_type: str
    size: int
    from_tag: str | None  # the tag that was resolved, when the caller gave a tag


def resolve(store: SignatureStore, repo: str, identifier: str, digest: str | None = None) -> Resolved:
    """Fetch the manifest at ``identifier`` (tag or digest); its bytes must hash to the digest asked for."""
    found = store.get_manifest(repo, digest or identifier)
    if found is None:
        raise NotFoundError(f"image {repo}:{identifier} not found in the registry")
    raw, media_type = found
    actual = "sha256:" + hashlib.sha256(raw).hexdigest()
    if digest is not None and actual != digest:
        raise DigestMismatchError(f"manifest of {repo}@{digest} hashes to {actual}: the registry served other content")
    return Resolved(repo, actual, media_type, len(raw), None if digest else identifier)
