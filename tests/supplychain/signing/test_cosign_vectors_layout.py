"""Reading signatures laid out by cosign (VECTORS.md generated/: a ``.sig`` manifest, its config, payload and
signature, and a DSSE attestation), and writing the same config bytes for the same payload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shipyard.supplychain.signing import keys, legacy, verify
from shipyard.supplychain.signing.errors import ClaimMismatchError, SignatureMismatchError
from shipyard.testing.signatures import MemorySignatureStore

DIGEST = "sha256:" + "d34db33f" * 8
REPO = "registry.example.com/team/app"


def _load(shared: Path) -> tuple[MemorySignatureStore, legacy.Layer, keys.PublicKey]:
    gen = shared / "vectors/generated"
    manifest = (gen / "sig-manifest.json").read_bytes()
    store = MemorySignatureStore()
    store.put_manifest(REPO, legacy.legacy_tag(DIGEST, "sig"), manifest, "application/vnd.oci.image.manifest.v1+json")
    payload = (gen / "simplesigning.payload.json").read_bytes()
    store.put_blob(REPO, legacy.sha256(payload), payload)
    (layer,) = legacy.read_layers(store, REPO, legacy.legacy_tag(DIGEST, "sig"))
    return store, layer, keys.load_public_key((gen / "cosign.pub").read_bytes())


def test_cosign_sig_layer_verifies(shared: Path) -> None:
    store, layer, pub = _load(shared)
    result = verify.verify_legacy_signature(store, REPO, layer, DIGEST, verify.Verifier(key=pub))
    assert result.payload["critical"]["image"]["docker-manifest-digest"] == DIGEST


def test_cosign_sig_layer_for_another_digest_is_refused(shared: Path) -> None:
    store, layer, pub = _load(shared)
    with pytest.raises(ClaimMismatchError):
        verify.verify_legacy_signature(store, REPO, layer, "sha256:" + "0" * 64, verify.Verifier(key=pub))


def test_tampered_twin_with_cosign_signature_fails(shared: Path) -> None:
    store, layer, pub = _load(shared)
    tampered = (shared / "vectors/generated/simplesigning.payload.TAMPERED.json").read_bytes()
    store.put_blob(REPO, legacy.sha256(tampered), tampered)
    forged = legacy.Layer(layer.media_type, legacy.sha256(tampered), len(tampered), layer.annotations)
    with pytest.raises(SignatureMismatchError):
        verify.verify_legacy_signature(store, REPO, forged, DIGEST, verify.Verifier(key=pub))


def test_config_blob_is_byte_identical_to_cosigns(shared: Path) -> None:
    gen = shared / "vectors/generated"
    manifest = json.loads((gen / "sig-manifest.json").read_bytes())
    layers = [
        legacy.Layer(m["mediaType"], m["digest"], m["size"], m.get("annotations", {})) for m in manifest["layers"]
    ]
    config = legacy.config_blob(layers)
    assert config == (gen / "sig-config.json").read_bytes()
    assert json.loads(legacy.manifest_bytes(config, layers)) == manifest


def test_cosign_dsse_attestation_layer_verifies(shared: Path) -> None:
    gen = shared / "vectors/generated"
    envelope = (gen / "attestation.dsse.json").read_bytes()
    store = MemorySignatureStore()
    store.put_blob(REPO, legacy.sha256(envelope), envelope)
    layer = legacy.Layer(
        "application/vnd.dsse.envelope.v1+json",
        legacy.sha256(envelope),
        len(envelope),
        {"predicateType": "https://cosign.sigstore.dev/attestation/v1"},
    )
    pub = keys.load_public_key((gen / "cosign.pub").read_bytes())
    result = verify.verify_legacy_attestation(store, REPO, layer, DIGEST, verify.Verifier(key=pub))
    assert result.payload["predicate"] == {"Data": '{"foo": "bar"}\n', "Timestamp": "2025-01-01T00:00:00Z"}
    with pytest.raises(ClaimMismatchError, match="no in-toto subject"):
        verify.verify_legacy_attestation(store, REPO, layer, "sha256:" + "1" * 64, verify.Verifier(key=pub))
