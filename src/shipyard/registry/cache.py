"""``--cache-repo``: the build's layer cache shared through a registry, kaniko style.

Each cache entry is a one-layer image tagged with its cache key (``<cache-repo>:<sha256 hex key>``): the layer,
a minimal config whose ``rootfs.diff_ids`` holds the layer's diff_id, and the annotation
``dev.shipyard.cache.diff_id``. An instruction that changed no files is an image with no layers. Pulled layers
go through the store's digest-checked writer; a registry that is down makes a cache miss, not a failed build.
"""

from __future__ import annotations

from typing import Any

from shipyard.errors import RegistryError
from shipyard.images.layout import OciLayout
from shipyard.images.oci import OCI_CONFIG, OCI_MANIFEST, Descriptor, Manifest, canonical_json, sha256_digest
from shipyard.images.reference import Reference
from shipyard.registry.blobs import BlobSource
from shipyard.registry.client import RegistryClient

DIFF_ID = "dev.shipyard.cache.diff_id"


class RegistryCache:
    def __init__(self, client: RegistryClient, layout: OciLayout, repo: Reference) -> None:
        self.client = client
        self.layout = layout
        self.repo = Reference(repo.domain, repo.path)
        self.errors: list[str] = []  # registry trouble, reported by the caller as warnings

    def get(self, key: str) -> dict[str, Any] | None:
        ref = self.repo.with_tag(key)
        try:
            if self.client.head_manifest(ref) is None:
                return None
            raw, _, _ = self.client.get_manifest(ref)
            manifest = Manifest.from_bytes(raw)
            if not manifest.layers:
                return {"layer": None}
            layer = manifest.layers[0]
            if not self.layout.has_blob(layer.digest):
                self.client.fetch_blob(ref, layer.digest, self.layout.writer)
        except RegistryError as exc:
            self.errors.append(f"cache {ref}: {exc}")
            return None
        return {"layer": layer.to_dict(), "diff_id": manifest.annotations.get(DIFF_ID, "")}

    def put(self, key: str, entry: dict[str, Any]) -> None:
        ref = self.repo.with_tag(key)
        layer = Descriptor.from_dict(entry["layer"]) if entry.get("layer") else None
        diff_ids = [entry["diff_id"]] if layer else []
        config = canonical_json({"architecture": "", "os": "", "rootfs": {"type": "layers", "diff_ids": diff_ids}})
        try:
            if layer is not None:
                self.client.push_blob(ref, layer.digest, BlobSource.from_path(self.layout.blob_path(layer.digest)))
            self.client.push_blob(ref, sha256_digest(config), BlobSource.from_bytes(config))
            manifest = Manifest(
                Descriptor(OCI_CONFIG, sha256_digest(config), len(config)),
                (layer,) if layer else (),
                annotations={DIFF_ID: entry["diff_id"]} if layer else {},
            )
            self.client.put_manifest(ref, manifest.to_bytes(), OCI_MANIFEST)
        except RegistryError as exc:
            self.errors.append(f"cache {ref}: {exc}")
