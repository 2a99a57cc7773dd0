"""The OCI Distribution client (distribution-spec ``spec.md``) that every shipyard component uses.

    client = RegistryClient(ClientOptions(insecure=False))
    ref = parse_reference("127.0.0.1:5000/demo/app:v1")
    client.push_blob(ref, digest, BlobSource.from_path(p))     # HEAD first; monolithic or chunked; resumable
    digest = client.put_manifest(ref, raw, media_type)         # by ref's tag (or pass reference=digest)
    raw, media_type, digest = client.get_manifest(ref)         # digest checked
    client.list_tags(ref); client.delete_manifest(ref, digest); client.referrers(ref, digest)

Blob uploads (``push_blob``) and blob downloads (``fetch_blob``) live in ``shipyard.registry.blobs``.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse

from shipyard.errors import DigestMismatchError, RegistryError
from shipyard.images.oci import (
    ALL_MANIFEST_TYPES,
    INDEX_TYPES,
    OCI_INDEX,
    Descriptor,
    Index,
    Manifest,
    media_type_of,
)
from shipyard.images.reference import Reference, validate_digest
from shipyard.registry.blobs import BlobOps
from shipyard.registry.http import registry_error

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
ACCEPT_MANIFESTS = ", ".join(sorted(ALL_MANIFEST_TYPES))


def referrers_tag(digest: str) -> str:
    """distribution-spec "Referrers Tag Schema": ``<alg>-<ref>``, alg truncated to 32, ref to 64, others → ``-``."""
    alg, _, hexpart = validate_digest(digest).partition(":")
    return re.sub(r"[^a-zA-Z0-9._-]", "-", f"{alg[:32]}-{hexpart[:64]}")


class RegistryClient(BlobOps):
    """Blob and manifest operations against one or more registries; credentials and tokens are cached."""

    def ping(self, ref: Reference) -> None:
        resp = self.request("GET", ref, f"{self.base_url(ref)}/v2/", scopes=())
        if resp.status_code != 200:
            raise registry_error(resp, f"{ref.domain} is not an OCI registry (GET /v2/)")

    # -- manifests -----------------------------------------------------------------------------------
    def put_manifest(self, ref: Reference, raw: bytes, media_type: str, reference: str | None = None) -> str:
        """PUT a manifest or index by tag or digest; returns its digest. Updates the referrers fallback tag when
        the document has a ``subject`` and the registry did not acknowledge it (no ``OCI-Subject`` header)."""
        target = reference or ref.identifier
        digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        if target.startswith("sha256:") and target != digest:
            raise DigestMismatchError(f"manifest bytes hash to {digest}, not {target}")
        resp = self.request(
            "PUT",
            ref,
            self.url(ref, f"manifests/{target}"),
            scopes=(f"repository:{ref.path}:pull,push",),
            headers={"Content-Type": media_type},
            body=raw,
        )
        if resp.status_code not in (200, 201, 202):
            raise registry_error(resp, f"push manifest {ref.repository}:{target}")
        echoed = resp.headers.get("docker-content-digest")
        if echoed and echoed != digest:
            raise DigestMismatchError(f"registry stored manifest as {echoed}, but its bytes hash to {digest}")
        subject = _subject_of(raw)
        if subject is not None and not resp.headers.get("oci-subject"):
            self._add_fallback_referrer(ref, subject, Descriptor(media_type, digest, len(raw)), raw)
        return digest

    def get_manifest(
        self, ref: Reference, reference: str | None = None, accept: str = ACCEPT_MANIFESTS
    ) -> tuple[bytes, str, str]:
        """GET a manifest or index; returns (bytes, media type, digest), the digest checked against the bytes."""
        target = reference or ref.identifier
        resp = self.request(
            "GET",
            ref,
            self.url(ref, f"manifests/{target}"),
            scopes=(f"repository:{ref.path}:pull",),
            headers={"Accept": accept},
        )
        if resp.status_code != 200:
            raise registry_error(resp, f"pull manifest {ref.repository}:{target}")
        raw = resp.content
        digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        expected = target if target.startswith("sha256:") else resp.headers.get("docker-content-digest")
        if expected and expected.startswith("sha256:") and expected != digest:
            raise DigestMismatchError(f"manifest {ref.repository}:{target} hashes to {digest}, expected {expected}")
        media_type = resp.headers.get("content-type", "").split(";")[0].strip()
        if media_type not in ALL_MANIFEST_TYPES:
            media_type = media_type_of(raw)
        return raw, media_type, digest

    def head_manifest(self, ref: Reference, reference: str | None = None) -> Descriptor | None:
        target = reference or ref.identifier
        resp = self.request(
            "HEAD",
            ref,
            self.url(ref, f"manifests/{target}"),
            scopes=(f"repository:{ref.path}:pull",),
            headers={"Accept": ACCEPT_MANIFESTS},
        )
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise registry_error(resp, f"HEAD manifest {ref.repository}:{target}")
        digest = resp.headers.get("docker-content-digest")
        if not digest:
            raw, media_type, digest = self.get_manifest(ref, target)
            return Descriptor(media_type, digest, len(raw))
        mt = resp.headers.get("content-type", "").split(";")[0].strip()
        return Descriptor(mt, digest, int(resp.headers.get("content-length", "0")))

    def delete_manifest(self, ref: Reference, digest: str) -> None:
        """DELETE by digest (distribution answers 400 to a DELETE by tag; resolve the tag first)."""
        validate_digest(digest)
        resp = self.request(
            "DELETE", ref, self.url(ref, f"manifests/{digest}"), scopes=(f"repository:{ref.path}:delete,pull,push",)
        )
        if resp.status_code not in (200, 202):
            raise registry_error(resp, f"delete manifest {ref.repository}@{digest}")

    def delete_blob(self, ref: Reference, digest: str) -> None:
        resp = self.request(
            "DELETE",
            ref,
            self.url(ref, f"blobs/{validate_digest(digest)}"),
            scopes=(f"repository:{ref.path}:delete,pull,push",),
        )
        if resp.status_code not in (200, 202):
            raise registry_error(resp, f"delete blob {ref.repository}@{digest}")

    # -- tags ----------------------------------------------------------------------------------------
    def list_tags(self, ref: Reference, *, page_size: int | None = None) -> list[str]:
        """All tags, following ``Link: <...>; rel="next"`` pages."""
        url: str | None = self.url(ref, "tags/list")
        params = {"n": str(page_size)} if page_size else None
        tags: list[str] = []
        while url:
            resp = self.request("GET", ref, url, scopes=(f"repository:{ref.path}:pull",), params=params)
            if resp.status_code == 404:
                raise registry_error(resp, f"list tags of {ref.repository}")
            if resp.status_code != 200:
                raise registry_error(resp, f"list tags of {ref.repository}")
            try:
                tags.extend(resp.json().get("tags") or [])
            except ValueError as exc:
                raise RegistryError(f"tag list of {ref.repository} is not JSON") from exc
            match = _LINK_NEXT.search(resp.headers.get("link", ""))
            url = urllib.parse.urljoin(str(resp.url), match.group(1)) if match else None
            params = None
        return tags

    # -- referrers -----------------------------------------------------------------------------------
    def referrers(self, ref: Reference, digest: str, artifact_type: str | None = None) -> list[Descriptor]:
        """Manifests whose ``subject`` is ``digest``: the referrers API, else the ``sha256-<hex>`` tag index."""
        params = {"artifactType": artifact_type} if artifact_type else None
        resp = self.request(
            "GET",
            ref,
            self.url(ref, f"referrers/{validate_digest(digest)}"),
            scopes=(f"repository:{ref.path}:pull",),
            params=params,
        )
        if resp.status_code == 200:
            items = list(Index.from_bytes(resp.content).manifests)
            filtered = "artifactType" in (resp.headers.get("oci-filters-applied") or "")
        elif resp.status_code == 404:
            items = self._fallback_index(ref, digest)
            filtered = False
        else:
            raise registry_error(resp, f"referrers of {ref.repository}@{digest}")
        if artifact_type and not filtered:
            items = [d for d in items if d.artifact_type == artifact_type]
        return items

    def _fallback_index(self, ref: Reference, subject: str) -> list[Descriptor]:
        try:
            raw, media_type, _ = self.get_manifest(ref, referrers_tag(subject), accept=OCI_INDEX)
        except RegistryError as exc:
            if exc.status == 404:
                return []
            raise
        if media_type not in INDEX_TYPES:
            raise RegistryError(f"tag {referrers_tag(subject)} of {ref.repository} is not an image index")
        return list(Index.from_bytes(raw).manifests)

    def _add_fallback_referrer(self, ref: Reference, subject: str, desc: Descriptor, raw: bytes) -> None:
        items = [d for d in self._fallback_index(ref, subject) if d.digest != desc.digest]
        artifact_type, annotations = _artifact_of(raw)
        items.append(Descriptor(desc.media_type, desc.digest, desc.size, annotations, artifact_type=artifact_type))
        index = Index(tuple(items))
        self.put_manifest(ref, index.to_bytes(), OCI_INDEX, reference=referrers_tag(subject))


def _subject_of(raw: bytes) -> str | None:
    mt = media_type_of(raw)
    doc: Manifest | Index = Index.from_bytes(raw) if mt in INDEX_TYPES else Manifest.from_bytes(raw)
    return doc.subject.digest if doc.subject else None


def _artifact_of(raw: bytes) -> tuple[str | None, dict[str, str]]:
    mt = media_type_of(raw)
    if mt in INDEX_TYPES:
        idx = Index.from_bytes(raw)
        return idx.artifact_type, dict(idx.annotations)
    m = Manifest.from_bytes(raw)
    # image-spec: artifactType, else the config mediaType, is what referrers report.
    return m.artifact_type or m.config.media_type, dict(m.annotations)
