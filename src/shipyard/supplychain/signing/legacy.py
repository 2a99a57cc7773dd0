"""cosign's legacy tag layout: ``sha256-<hex>.sig`` / ``.att`` image manifests, one layer per signature.

``pkg/oci/static``, ``pkg/oci/mutate``: each signature is a layer (simple-signing payload with the
``dev.cosignproject.cosign/signature`` annotation, or a DSSE envelope with a ``predicateType`` annotation); more
signatures are *appended* and the manifest re-pushed to the same tag. The config is go-containerregistry's empty
image config with ``rootfs.diff_ids`` = the layer digests and one zero-time history entry per layer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from shipyard.errors import DigestMismatchError
from shipyard.supplychain.signing import gojson
from shipyard.supplychain.signing.errors import SignatureMismatchError
from shipyard.supplychain.signing.storage import SignatureStore

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ANN_SIGNATURE = "dev.cosignproject.cosign/signature"
ANN_CERTIFICATE = "dev.sigstore.cosign/certificate"
ANN_CHAIN = "dev.sigstore.cosign/chain"
ANN_BUNDLE = "dev.sigstore.cosign/bundle"
ANN_RFC3161 = "dev.sigstore.cosign/rfc3161timestamp"
ANN_PREDICATE_TYPE = "predicateType"
MAX_LAYERS = 1000  # cosign maxLayers
_ZERO_TIME = "0001-01-01T00:00:00Z"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def legacy_tag(digest: str, suffix: str) -> str:
    """``normalizeWithSeparator``: ``sha256:abc`` → ``sha256-abc.sig``."""
    alg, _, hexd = digest.partition(":")
    return f"{alg}-{hexd}.{suffix}"


@dataclass(frozen=True, slots=True)
class Layer:
    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "size": self.size, "digest": self.digest}
        if self.annotations:
            out["annotations"] = dict(sorted(self.annotations.items()))
        return out


def config_blob(layers: list[Layer]) -> bytes:
    doc = {
        "architecture": "",
        "created": _ZERO_TIME,
        "history": [{"created": _ZERO_TIME} for _ in layers],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]},
        "config": {},
    }
    return gojson.marshal(doc)


def manifest_bytes(config: bytes, layers: list[Layer]) -> bytes:
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "size": len(config), "digest": sha256(config)},
        "layers": [layer.to_json() for layer in layers],
    }
    return gojson.marshal(doc)


def parse_layers(raw: bytes) -> list[Layer]:
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SignatureMismatchError(f"signature manifest is not JSON: {exc}") from exc
    layers = doc.get("layers") if isinstance(doc, dict) else None
    if not isinstance(layers, list):
        raise SignatureMismatchError("signature manifest has no layers")
    out = []
    for i, item in enumerate(layers):
        if not isinstance(item, dict) or not isinstance(item.get("digest"), str):
            raise SignatureMismatchError(f"signature manifest layer {i} lacks a digest")
        size, media_type, ann = item.get("size", 0), item.get("mediaType", ""), item.get("annotations") or {}
        # A hostile or broken manifest is a verification failure, never a crash (OCI descriptor: size int64,
        # annotations string→string).
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise SignatureMismatchError(f"signature manifest layer {i} has an invalid size {size!r}")
        if not isinstance(media_type, str):
            raise SignatureMismatchError(f"signature manifest layer {i} has an invalid mediaType")
        if not isinstance(ann, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in ann.items()):
            raise SignatureMismatchError(f"signature manifest layer {i} annotations are not a string map")
        out.append(Layer(media_type, item["digest"], size, dict(ann)))
    return out


def read_layers(store: SignatureStore, repo: str, tag: str) -> list[Layer]:
    found = store.get_manifest(repo, tag)
    return [] if found is None else parse_layers(found[0])


def fetch_layer(store: SignatureStore, repo: str, layer: Layer) -> bytes:
    """A layer's blob, refused unless it hashes to the digest the manifest names."""
    data = store.get_blob(repo, layer.digest)
    if sha256(data) != layer.digest:
        raise DigestMismatchError(f"signature layer content hashes to {sha256(data)}, manifest says {layer.digest}")
    return data


def append_layer(
    store: SignatureStore, repo: str, tag: str, data: bytes, layer: Layer, *, is_duplicate: Any = None
) -> tuple[str, bool]:
    """Append ``layer`` (content ``data``) to the manifest at ``tag``; returns (manifest digest, appended?)."""
    layers = read_layers(store, repo, tag)
    if is_duplicate is not None and any(is_duplicate(existing) for existing in layers):
        found = store.get_manifest(repo, tag)
        assert found is not None
        return sha256(found[0]), False
    if len(layers) >= MAX_LAYERS:
        raise SignatureMismatchError(f"{repo}:{tag} already holds {MAX_LAYERS} signatures (cosign maxLayers)")
    layers.append(layer)
    config = config_blob(layers)
    store.put_blob(repo, layer.digest, data)
    store.put_blob(repo, sha256(config), config)
    raw = manifest_bytes(config, layers)
    return store.put_manifest(repo, tag, raw, OCI_MANIFEST), True
