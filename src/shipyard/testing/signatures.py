"""An in-memory ``SignatureStore`` for tests: manifests by tag and digest, blobs, referrers by ``subject``.

``referrers_api=False`` behaves like a registry without the OCI 1.1 referrers API: referrers are then found
only through the ``sha256-<hex>`` tag index that ``put_manifest`` maintains, as the real client does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from shipyard.errors import NotFoundError
from shipyard.supplychain.signing.storage import Referrer

OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class MemorySignatureStore:
    def __init__(self, *, referrers_api: bool = True) -> None:
        self.referrers_api = referrers_api
        self.manifests: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.blobs: dict[tuple[str, str], bytes] = {}
        self.calls: list[str] = []
        self._by_subject: dict[tuple[str, str], dict[str, Referrer]] = {}

    def add_image(self, repo: str, tag: str, config: bytes = b'{"architecture":"amd64","os":"linux"}') -> str:
        """Push a tiny image (config + no layers) and return its manifest digest."""
        self.put_blob(repo, _digest(config), config)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": _digest(config),
                    "size": len(config),
                },
                "layers": [],
            },
            separators=(",", ":"),
        ).encode()
        return self.put_manifest(repo, tag, manifest, "application/vnd.oci.image.manifest.v1+json")

    def get_manifest(self, repo: str, reference: str) -> tuple[bytes, str] | None:
        self.calls.append(f"GET manifest {repo} {reference}")
        return self.manifests.get((repo, reference))

    def put_manifest(self, repo: str, reference: str, raw: bytes, media_type: str) -> str:
        self.calls.append(f"PUT manifest {repo} {reference}")
        digest = _digest(raw)
        self.manifests[(repo, reference)] = (raw, media_type)
        self.manifests[(repo, digest)] = (raw, media_type)
        doc = json.loads(raw)
        subject = (doc.get("subject") or {}).get("digest")
        if subject and not self.referrers_api:
            self._add_to_tag_index(repo, subject, raw, media_type)
        elif subject:
            entry = Referrer(media_type, digest, len(raw), doc.get("artifactType"), doc.get("annotations") or {})
            self._by_subject.setdefault((repo, subject), {})[digest] = entry
        return digest

    def _add_to_tag_index(self, repo: str, subject: str, raw: bytes, media_type: str) -> None:
        tag = subject.replace(":", "-")
        found = self.manifests.get((repo, tag))
        index: dict[str, Any] = (
            json.loads(found[0]) if found else {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
        )
        doc = json.loads(raw)
        index["manifests"].append(
            {"mediaType": media_type, "digest": _digest(raw), "size": len(raw), "artifactType": doc.get("artifactType")}
        )
        body = json.dumps(index).encode()
        self.manifests[(repo, tag)] = (body, OCI_INDEX)

    def get_blob(self, repo: str, digest: str) -> bytes:
        self.calls.append(f"GET blob {repo} {digest}")
        try:
            return self.blobs[(repo, digest)]
        except KeyError as exc:
            raise NotFoundError(f"blob {digest} not in {repo}") from exc

    def put_blob(self, repo: str, digest: str, data: bytes) -> None:
        self.calls.append(f"PUT blob {repo} {digest}")
        self.blobs[(repo, digest)] = data

    def referrers(self, repo: str, digest: str) -> list[Referrer]:
        if not self.referrers_api:
            found = self.manifests.get((repo, digest.replace(":", "-")))
            items = json.loads(found[0])["manifests"] if found else []
            return [Referrer(i["mediaType"], i["digest"], i["size"], i.get("artifactType")) for i in items]
        return list(self._by_subject.get((repo, digest), {}).values())

    def tags(self, repo: str) -> list[str]:
        return sorted({ref for (r, ref) in self.manifests if r == repo and not ref.startswith("sha256:")})
