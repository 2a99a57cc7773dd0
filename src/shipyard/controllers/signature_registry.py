"""The real ``SignatureStore``: cosign signatures and bundles read and written through the OCI Distribution client.

    store = RegistrySignatureStore(RegistryClient(ClientOptions(insecure=True)))
    sign_image(store, "127.0.0.1:5000/demo/app:v1", key, now=...)

Repositories arrive as ``registry/path`` strings from the signing core; a 404 on a manifest is "none there".
The client keeps the referrers tag index (``sha256-<hex>``) up to date for registries without the OCI 1.1
referrers API, so bundles attached here are found by ``cosign verify`` either way.
"""

from __future__ import annotations

from shipyard.errors import RegistryError
from shipyard.images.reference import Reference, parse_reference
from shipyard.registry.blobs import BlobSource
from shipyard.registry.client import RegistryClient
from shipyard.supplychain.signing.storage import Referrer


class RegistrySignatureStore:
    def __init__(self, client: RegistryClient) -> None:
        self.client = client

    @staticmethod
    def _ref(repo: str) -> Reference:
        return parse_reference(repo, default_tag=None)

    def get_manifest(self, repo: str, reference: str) -> tuple[bytes, str] | None:
        try:
            raw, media_type, _ = self.client.get_manifest(self._ref(repo), reference)
        except RegistryError as exc:
            if exc.status == 404:
                return None
            raise
        return raw, media_type

    def put_manifest(self, repo: str, reference: str, raw: bytes, media_type: str) -> str:
        return self.client.put_manifest(self._ref(repo), raw, media_type, reference=reference)

    def get_blob(self, repo: str, digest: str) -> bytes:
        return self.client.get_blob(self._ref(repo), digest)

    def put_blob(self, repo: str, digest: str, data: bytes) -> None:
        self.client.push_blob(self._ref(repo), digest, BlobSource.from_bytes(data))  # HEADs first

    def referrers(self, repo: str, digest: str) -> list[Referrer]:
        return [
            Referrer(d.media_type, d.digest, d.size, d.artifact_type, dict(d.annotations))
            for d in self.client.referrers(self._ref(repo), digest)
        ]

    def tags(self, repo: str) -> list[str]:
        try:
            return self.client.list_tags(self._ref(repo))
        except RegistryError as exc:
            if exc.status == 404:
                return []
            raise
