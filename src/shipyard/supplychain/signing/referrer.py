"""cosign 3's layout: a Sigstore bundle v0.3 in an OCI 1.1 artifact manifest whose ``subject`` is the image.

``WriteAttestationNewBundleFormat``: blobs ``{}`` (empty config) and the bundle JSON, then a manifest pushed by
digest with ``artifactType`` and config ``artifactType`` = the bundle media type and annotations
``dev.sigstore.bundle.content`` / ``dev.sigstore.bundle.predicateType`` / ``org.opencontainers.image.created``,
the bundle layer annotated ``org.opencontainers.image.title: sha256-<hex>.sigstore.json`` (``WriteReferrer``).
Discovery (``GetBundles``): the referrers of the image digest, skipping anything that is not a Sigstore bundle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from shipyard.errors import DigestMismatchError
from shipyard.supplychain.signing import gojson
from shipyard.supplychain.signing.bundle import BUNDLE_V03
from shipyard.supplychain.signing.errors import SignatureMismatchError
from shipyard.supplychain.signing.legacy import OCI_MANIFEST, sha256
from shipyard.supplychain.signing.storage import SignatureStore

EMPTY_CONFIG_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY_CONFIG = b"{}"
ANN_CONTENT = "dev.sigstore.bundle.content"
ANN_PREDICATE = "dev.sigstore.bundle.predicateType"
ANN_CREATED = "org.opencontainers.image.created"
ANN_TITLE = "org.opencontainers.image.title"


@dataclass(frozen=True, slots=True)
class Subject:
    media_type: str
    digest: str
    size: int


def bundle_manifest(bundle: bytes, subject: Subject, predicate_type: str, *, now: datetime) -> bytes:
    """The manifest bytes cosign 3 pushes: go-containerregistry ``v1.Manifest`` fields in struct order
    (schemaVersion, mediaType, config, layers, annotations, subject) then cosign's ``artifactType``; descriptors in
    ``v1.Descriptor`` order (mediaType, size, digest, annotations, artifactType); the bundle layer titled
    ``sha256-<hex>.sigstore.json`` (``WriteReferrer``)."""
    layer_digest = sha256(bundle)
    alg, _, hexd = layer_digest.partition(":")
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": EMPTY_CONFIG_TYPE,
            "size": len(EMPTY_CONFIG),
            "digest": sha256(EMPTY_CONFIG),
            "artifactType": BUNDLE_V03,
        },
        "layers": [
            {
                "mediaType": BUNDLE_V03,
                "size": len(bundle),
                "digest": layer_digest,
                "annotations": {ANN_TITLE: f"{alg}-{hexd}.sigstore.json"},
            }
        ],
        "annotations": {
            ANN_CONTENT: "dsse-envelope",
            ANN_PREDICATE: predicate_type,
            ANN_CREATED: now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "subject": {"mediaType": subject.media_type, "size": subject.size, "digest": subject.digest},
        "artifactType": BUNDLE_V03,
    }
    return gojson.marshal(doc, sort_maps=False)


def attach_bundle(
    store: SignatureStore, repo: str, bundle: bytes, subject: Subject, predicate_type: str, *, now: datetime
) -> str:
    """Upload the bundle as a referrer of ``subject``; return the referrer manifest's digest."""
    store.put_blob(repo, sha256(EMPTY_CONFIG), EMPTY_CONFIG)
    store.put_blob(repo, sha256(bundle), bundle)
    raw = bundle_manifest(bundle, subject, predicate_type, now=now)
    return store.put_manifest(repo, sha256(raw), raw, OCI_MANIFEST)


@dataclass(frozen=True, slots=True)
class FoundBundle:
    manifest_digest: str
    predicate_type: str
    bundle: bytes


def find_bundles(store: SignatureStore, repo: str, digest: str) -> list[FoundBundle]:
    """Every Sigstore bundle attached to ``digest``; other referrers are skipped silently (as cosign does)."""
    out: list[FoundBundle] = []
    for ref in store.referrers(repo, digest):
        if ref.artifact_type not in (None, BUNDLE_V03) or ref.media_type != OCI_MANIFEST:
            continue
        found = store.get_manifest(repo, ref.digest)
        if found is None:
            continue
        raw, _ = found
        if sha256(raw) != ref.digest:
            raise DigestMismatchError(f"referrer manifest hashes to {sha256(raw)}, not {ref.digest}")
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not isinstance(doc, dict):
            continue  # not a manifest: skipped like any non-sigstore referrer
        config = doc.get("config")
        config_type = config.get("artifactType") if isinstance(config, dict) else None
        if doc.get("artifactType") != BUNDLE_V03 and config_type != BUNDLE_V03:
            continue
        layers = doc.get("layers")
        for layer in layers if isinstance(layers, list) else []:
            if not isinstance(layer, dict) or layer.get("mediaType") != BUNDLE_V03:
                continue
            if not isinstance(layer.get("digest"), str):
                raise SignatureMismatchError(f"bundle referrer {ref.digest} has a bundle layer without a digest")
            data = store.get_blob(repo, layer["digest"])
            if sha256(data) != layer["digest"]:
                raise DigestMismatchError(f"bundle blob hashes to {sha256(data)}, manifest says {layer['digest']}")
            annotations = doc.get("annotations")
            predicate = str(annotations.get(ANN_PREDICATE, "")) if isinstance(annotations, dict) else ""
            out.append(FoundBundle(ref.digest, predicate, data))
    return out
