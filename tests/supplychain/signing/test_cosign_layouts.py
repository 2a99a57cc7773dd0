"""Signing and verifying images in both cosign layouts, against the in-memory store.

``test_*_independent`` re-implement the cosign formats from the spec digest (supply-chain.md §1.3, §1.4, §1.6,
§3.2) with ``cryptography`` and ``json`` only, so a signature shipyard writes is checked without shipyard's own
verifier.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shipyard.errors import DigestMismatchError, NotFoundError
from shipyard.supplychain.signing import keys, sign, verify
from shipyard.supplychain.signing.errors import ClaimMismatchError, NoSignaturesError, SignatureMismatchError
from shipyard.supplychain.signing.storage import Referrer
from shipyard.testing.signatures import MemorySignatureStore

REPO = "127.0.0.1:5000/demo/app"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def keypair() -> tuple[keys.PrivateKey, keys.PublicKey, bytes]:
    pair = keys.generate_key_pair(b"pw")
    return keys.load_private_key(pair.private_pem, b"pw"), keys.load_public_key(pair.public_pem), pair.public_pem


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _ecdsa_ok(public_pem: bytes, signature: bytes, data: bytes) -> bool:
    pub = serialization.load_pem_public_key(public_pem)
    assert isinstance(pub, ec.EllipticCurvePublicKey)
    try:
        pub.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except Exception:
        return False
    return True


def test_legacy_signature_checked_by_independent_implementation(keypair: tuple) -> None:
    key, _pub, public_pem = keypair
    store = MemorySignatureStore()
    digest = store.add_image(REPO, "v1")
    result = sign.sign_image(store, f"{REPO}:v1", key, now=NOW, new_bundle_format=False, annotations={"env": "prod"})
    assert result.resolved_from_tag == "v1" and result.image.digest == digest
    # §1.2: tag sha256-<hex>.sig in the same repository.
    tag = "sha256-" + digest.split(":")[1] + ".sig"
    raw, media_type = store.manifests[(REPO, tag)]
    manifest = json.loads(raw)
    assert media_type == manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    (layer,) = manifest["layers"]
    assert layer["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    payload = store.blobs[(REPO, layer["digest"])]
    assert layer["digest"] == _sha(payload) and layer["size"] == len(payload)
    # §1.4: exact payload bytes, written out by hand.
    expected = (
        '{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/demo/app"},'
        f'"image":{{"docker-manifest-digest":"{digest}"}},"type":"cosign container image signature"}},'
        '"optional":{"env":"prod"}}'
    ).encode()
    assert payload == expected
    # §1.5: base64 std DER ECDSA P-256/SHA-256 over the payload bytes.
    signature = base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"], validate=True)
    assert _ecdsa_ok(public_pem, signature, payload)
    assert not _ecdsa_ok(public_pem, signature, payload.replace(b"prod", b"dev!"))
    # §1.3: config blob names the layer in rootfs.diff_ids.
    config = store.blobs[(REPO, manifest["config"]["digest"])]
    assert _sha(config) == manifest["config"]["digest"] and len(config) == manifest["config"]["size"]
    assert json.loads(config)["rootfs"] == {"type": "layers", "diff_ids": [layer["digest"]]}


def test_bundle_signature_checked_by_independent_implementation(keypair: tuple) -> None:
    key, _pub, public_pem = keypair
    store = MemorySignatureStore()
    digest = store.add_image(REPO, "v1")
    image_raw, image_mt = store.manifests[(REPO, digest)]
    result = sign.sign_image(store, f"{REPO}@{digest}", key, now=NOW)
    assert result.resolved_from_tag is None and result.layout == "bundle"
    raw, _ = store.manifests[(REPO, result.location)]
    assert _sha(raw) == result.location
    m = json.loads(raw)
    bundle_type = "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert m["artifactType"] == bundle_type and m["config"]["artifactType"] == bundle_type
    assert m["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    assert m["config"]["digest"] == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    assert m["subject"] == {"mediaType": image_mt, "digest": digest, "size": len(image_raw)}
    assert m["annotations"]["dev.sigstore.bundle.content"] == "dsse-envelope"
    assert m["annotations"]["dev.sigstore.bundle.predicateType"] == "https://sigstore.dev/cosign/sign/v1"
    assert m["annotations"]["org.opencontainers.image.created"] == "2026-01-02T03:04:05Z"
    (layer,) = m["layers"]
    blob = store.blobs[(REPO, layer["digest"])]
    assert layer["mediaType"] == bundle_type and _sha(blob) == layer["digest"]
    bundle = json.loads(blob)
    assert bundle["mediaType"] == bundle_type
    spki = serialization.load_pem_public_key(public_pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert (
        bundle["verificationMaterial"]["publicKey"]["hint"] == base64.b64encode(hashlib.sha256(spki).digest()).decode()
    )
    env = bundle["dsseEnvelope"]
    assert env["payloadType"] == "application/vnd.in-toto+json"
    body = base64.b64decode(env["payload"])
    pae = b"DSSEv1 28 application/vnd.in-toto+json " + str(len(body)).encode() + b" " + body
    assert _ecdsa_ok(public_pem, base64.b64decode(env["signatures"][0]["sig"]), pae)
    statement = json.loads(body)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://sigstore.dev/cosign/sign/v1"
    # sign.go: ResourceDescriptor{Digest, Annotations: structpb.NewStruct(nil)} → protojson "annotations": {}.
    assert statement["subject"] == [{"digest": {"sha256": digest.split(":")[1]}, "annotations": {}}]


@pytest.mark.parametrize("referrers_api", [True, False], ids=["OCI 1.1 referrers API", "referrers tag schema fallback"])
@pytest.mark.parametrize("new_format", [True, False], ids=["bundle layout", "legacy layout"])
def test_round_trip(keypair: tuple, referrers_api: bool, new_format: bool) -> None:
    key, pub, _ = keypair
    store = MemorySignatureStore(referrers_api=referrers_api)
    store.add_image(REPO, "v1")
    sign.sign_image(store, f"{REPO}:v1", key, now=NOW, new_bundle_format=new_format, annotations={"env": "prod"})
    sign.attest_image(
        store,
        f"{REPO}:v1",
        key,
        now=NOW,
        new_bundle_format=new_format,
        predicate=b'{"spdxVersion":"SPDX-2.3","name":"app"}',
        predicate_kind="spdxjson",
    )
    _, sigs = verify.verify_image(store, f"{REPO}:v1", verify.Verifier(key=pub, annotations={"env": "prod"}))
    assert [s.layout for s in sigs] == ["bundle" if new_format else "legacy"]
    _, atts = verify.verify_attestations(
        store, f"{REPO}:v1", verify.Verifier(key=pub), predicate_type="https://spdx.dev/Document"
    )
    (att,) = atts
    assert att.envelope is not None
    statement = json.loads(base64.b64decode(att.envelope["payload"]))
    assert statement["predicate"] == {"name": "app", "spdxVersion": "SPDX-2.3"}
    # cosign verify_attestation.go: verified attestations are filtered by type and the error names what was found.
    with pytest.raises(
        NoSignaturesError,
        match=re.escape(
            "none of the attestations matched the predicate type: https://cyclonedx.org/bom, "
            "found: https://spdx.dev/Document"
        ),
    ):
        verify.verify_attestations(
            store, f"{REPO}:v1", verify.Verifier(key=pub), predicate_type="https://cyclonedx.org/bom"
        )
    with pytest.raises(ClaimMismatchError):
        verify.verify_image(store, f"{REPO}:v1", verify.Verifier(key=pub, annotations={"env": "dev"}))


def test_legacy_signatures_append_and_dedupe(keypair: tuple) -> None:
    key, pub, _ = keypair
    other = keys.load_private_key(keys.generate_key_pair(b"").private_pem, b"")
    store = MemorySignatureStore()
    digest = store.add_image(REPO, "v1")
    first = sign.sign_image(store, f"{REPO}:v1", key, now=NOW, new_bundle_format=False)
    again = sign.sign_image(store, f"{REPO}:v1", key, now=NOW, new_bundle_format=False)
    sign.sign_image(store, f"{REPO}:v1", other, now=NOW, new_bundle_format=False)
    assert first.written and not again.written
    raw, _ = store.manifests[(REPO, first.location)]
    assert len(json.loads(raw)["layers"]) == 2
    _, sigs = verify.verify_image(
        store, f"{REPO}@{digest}", verify.Verifier(key=keys.load_public_key(keys.public_key_pem(other.public_key())))
    )
    assert len(sigs) == 1
    assert len(verify.verify_image(store, f"{REPO}@{digest}", verify.Verifier(key=pub))[1]) == 1


def test_signature_by_another_key_is_rejected(keypair: tuple) -> None:
    key, _, _ = keypair
    store = MemorySignatureStore()
    store.add_image(REPO, "v1")
    sign.sign_image(store, f"{REPO}:v1", key, now=NOW, new_bundle_format=False)
    stranger = keys.load_public_key(keys.generate_key_pair(b"").public_pem)
    with pytest.raises(SignatureMismatchError, match="invalid signature"):
        verify.verify_image(store, f"{REPO}:v1", verify.Verifier(key=stranger))


def test_tampered_payload_blob_is_a_digest_mismatch(keypair: tuple) -> None:
    key, pub, _ = keypair
    store = MemorySignatureStore()
    store.add_image(REPO, "v1")
    result = sign.sign_image(store, f"{REPO}:v1", key, now=NOW, new_bundle_format=False)
    layer = json.loads(store.manifests[(REPO, result.location)][0])["layers"][0]
    store.blobs[(REPO, layer["digest"])] = store.blobs[(REPO, layer["digest"])].replace(b"demo", b"evil")
    with pytest.raises(DigestMismatchError, match="hashes to"):
        verify.verify_image(store, f"{REPO}:v1", verify.Verifier(key=pub))


def test_tampered_payload_with_rewritten_manifest_fails_the_signature(keypair: tuple) -> None:
    key, pub, _ = keypair
    store = MemorySignatureStore()
    store.add_image(REPO, "v1")
    result = sign.sign_image(store, f"{REPO}:v1", key, now=NOW, new_bundle_format=False, annotations={"env": "dev"})
    manifest = json.loads(store.manifests[(REPO, result.location)][0])
    layer = manifest["layers"][0]
    forged = store.blobs[(REPO, layer["digest"])].replace(b'"dev"', b'"prd"')
    layer["digest"], layer["size"] = _sha(forged), len(forged)
    store.blobs[(REPO, layer["digest"])] = forged
    store.put_manifest(REPO, result.location, json.dumps(manifest).encode(), manifest["mediaType"])
    with pytest.raises(SignatureMismatchError):
        verify.verify_image(store, f"{REPO}:v1", verify.Verifier(key=pub))


def test_signature_copied_to_another_image_names_the_wrong_digest(keypair: tuple) -> None:
    key, pub, _ = keypair
    store = MemorySignatureStore()
    store.add_image(REPO, "v1")
    other = store.add_image(REPO, "v2", config=b'{"architecture":"arm64","os":"linux"}')
    result = sign.sign_image(store, f"{REPO}:v1", key, now=NOW, new_bundle_format=False)
    raw, mt = store.manifests[(REPO, result.location)]
    store.put_manifest(REPO, "sha256-" + other.split(":")[1] + ".sig", raw, mt)
    with pytest.raises(ClaimMismatchError, match="does not match the image digest"):
        verify.verify_image(store, f"{REPO}:v2", verify.Verifier(key=pub))


def test_manifest_digest_mismatch_and_missing_image(keypair: tuple) -> None:
    key, _pub, _ = keypair
    store = MemorySignatureStore()
    digest = store.add_image(REPO, "v1")
    store.manifests[(REPO, digest)] = (b'{"schemaVersion":2,"layers":[]}', "application/vnd.oci.image.manifest.v1+json")
    with pytest.raises(DigestMismatchError, match="hashes to"):
        sign.sign_image(store, f"{REPO}@{digest}", key, now=NOW)
    with pytest.raises(NotFoundError):
        sign.sign_image(store, f"{REPO}:nope", key, now=NOW)


def test_unsigned_image_has_no_signatures(keypair: tuple) -> None:
    _, pub, _ = keypair
    store = MemorySignatureStore()
    store.add_image(REPO, "v1")
    with pytest.raises(NoSignaturesError, match="no signatures found"):
        verify.verify_image(store, f"{REPO}:v1", verify.Verifier(key=pub))


def test_bundle_referrer_manifest_bytes_as_cosign_writes_them(keypair: tuple) -> None:
    """sigstore/cosign pkg/oci/remote/write.go ``WriteReferrer``/``WriteAttestationNewBundleFormat``: Go marshals
    ``referrerManifest{v1.Manifest, ArtifactType}`` — go-containerregistry pkg/v1/manifest.go field order, descriptor
    order mediaType/size/digest/annotations/artifactType — and titles the bundle layer ``sha256-<hex>.sigstore.json``.
    The bytes decide the referrer's digest, so they are written out by hand here."""
    key, _pub, _pem = keypair
    store = MemorySignatureStore()
    digest = store.add_image(REPO, "v1")
    image_raw, image_mt = store.manifests[(REPO, digest)]
    result = sign.sign_image(store, f"{REPO}@{digest}", key, now=NOW)
    raw, _ = store.manifests[(REPO, result.location)]
    layer_digest = json.loads(raw)["layers"][0]["digest"]
    bundle = store.blobs[(REPO, layer_digest)]
    bt = "application/vnd.dev.sigstore.bundle.v0.3+json"
    expected = (
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
        '"config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,'
        '"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",'
        f'"artifactType":"{bt}"}},'
        f'"layers":[{{"mediaType":"{bt}","size":{len(bundle)},"digest":"{layer_digest}",'
        f'"annotations":{{"org.opencontainers.image.title":"sha256-{layer_digest[7:]}.sigstore.json"}}}}],'
        '"annotations":{"dev.sigstore.bundle.content":"dsse-envelope",'
        '"dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1",'
        '"org.opencontainers.image.created":"2026-01-02T03:04:05Z"},'
        f'"subject":{{"mediaType":"{image_mt}","size":{len(image_raw)},"digest":"{digest}"}},'
        f'"artifactType":"{bt}"}}'
    ).encode()
    assert raw == expected
    # protojson leaves empty repeated fields out (protobuf-specs Bundle; EmitUnpopulated off).
    assert "tlogEntries" not in json.loads(bundle)["verificationMaterial"]


@pytest.mark.parametrize(
    "layer",
    [
        {"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": "sha256:" + "0" * 64, "size": "9"},
        {"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": "sha256:" + "0" * 64, "size": -1},
        {"mediaType": 7, "digest": "sha256:" + "0" * 64, "size": 9},
        {"mediaType": "x", "digest": "sha256:" + "0" * 64, "size": 9, "annotations": [["a", "b"]]},
        {"mediaType": "x", "digest": "sha256:" + "0" * 64, "size": 9, "annotations": {"a": 1}},
        {"mediaType": "x", "size": 9},
    ],
    ids=["size-not-int64", "size-negative", "mediaType-not-string", "annotations-not-map", "annotation-not-string",
         "no-digest"],
)  # fmt: skip
def test_hostile_sig_manifest_is_a_verification_error(keypair: tuple, layer: dict) -> None:
    """OCI image-spec descriptor.md: size is int64, annotations a string map. A broken ``.sig`` manifest is a
    specific verification error, never a crash and never a pass."""
    _key, pub, _pem = keypair
    store = MemorySignatureStore()
    digest = store.add_image(REPO, "v1")
    raw = json.dumps({"schemaVersion": 2, "layers": [layer]}).encode()
    store.put_manifest(
        REPO, "sha256-" + digest.split(":")[1] + ".sig", raw, "application/vnd.oci.image.manifest.v1+json"
    )
    with pytest.raises(SignatureMismatchError, match="signature manifest layer 0"):
        verify.verify_image(store, f"{REPO}:v1", verify.Verifier(key=pub))


@pytest.mark.parametrize(
    ("manifest", "error"),
    [
        ([1, 2], NoSignaturesError),
        ({"artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json", "layers": "x"}, NoSignaturesError),
        ({"artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json", "layers": [
            {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}]}, SignatureMismatchError),
    ],
    ids=["not-an-object-skipped", "layers-not-a-list-skipped", "bundle-layer-without-digest"],
)  # fmt: skip
def test_hostile_referrer_manifest_is_not_a_pass(keypair: tuple, manifest: object, error: type) -> None:
    """cosign GetBundles skips referrers that are not Sigstore bundles; one that claims to be a bundle but names no
    blob is an error. Either way nothing verifies."""
    _key, pub, _pem = keypair
    store = MemorySignatureStore()
    digest = store.add_image(REPO, "v1")
    image_raw, image_mt = store.manifests[(REPO, digest)]
    doc = manifest
    if isinstance(doc, dict):
        doc = {**doc, "subject": {"mediaType": image_mt, "digest": digest, "size": len(image_raw)}}
    raw = json.dumps(doc).encode()
    if not isinstance(doc, dict):
        # A registry listing a referrer whose bytes are not a manifest object.
        store.manifests[(REPO, _sha(raw))] = (raw, "application/vnd.oci.image.manifest.v1+json")
        store._by_subject.setdefault((REPO, digest), {})[_sha(raw)] = Referrer(
            "application/vnd.oci.image.manifest.v1+json", _sha(raw), len(raw), None
        )
    else:
        store.put_manifest(REPO, _sha(raw), raw, "application/vnd.oci.image.manifest.v1+json")
    with pytest.raises(error):
        verify.verify_image(store, f"{REPO}:v1", verify.Verifier(key=pub))


def test_legacy_att_layer_as_cosign_writes_it(keypair: tuple) -> None:
    """sigstore/cosign pkg/oci/static/signature.go: NewAttestation is NewSignature(payload, "") and Annotations()
    always sets dev.cosignproject.cosign/signature, so an .att layer carries it empty next to predicateType
    (cmd/cosign/cli/attest/attest.go); the layer is the DSSE envelope with media type
    application/vnd.dsse.envelope.v1+json."""
    key, _pub, _pem = keypair
    store = MemorySignatureStore()
    digest = store.add_image(REPO, "v1")
    sign.attest_image(
        store, f"{REPO}:v1", key, now=NOW, new_bundle_format=False, predicate=b"hello", predicate_kind="custom"
    )
    raw, _ = store.manifests[(REPO, "sha256-" + digest.split(":")[1] + ".att")]
    (layer,) = json.loads(raw)["layers"]
    assert layer["mediaType"] == "application/vnd.dsse.envelope.v1+json"
    assert layer["annotations"] == {
        "dev.cosignproject.cosign/signature": "",
        "predicateType": "https://cosign.sigstore.dev/attestation/v1",
    }
    envelope = json.loads(store.blobs[(REPO, layer["digest"])])
    assert list(envelope) == ["payloadType", "payload", "signatures"] and envelope["signatures"][0]["keyid"] == ""
