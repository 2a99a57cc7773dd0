"""SLSA v1 provenance predicate (https://slsa.dev/spec/v1.0/provenance) and keyless legacy signatures verified with
``verify_image`` (certificate chain, SET, validity at the integrated time, identity, both issuer OIDs)."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from shipyard.errors import SpecError
from shipyard.supplychain.signing import certs, keys, legacy, provenance, sign, verify
from shipyard.supplychain.signing.errors import CertificateError, IdentityMismatchError, TransparencyLogError
from shipyard.supplychain.signing.trustroot import load_trusted_root
from shipyard.testing.keyless import FakeSigstore
from shipyard.testing.signatures import MemorySignatureStore

T0 = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
REPO = "registry.example.com/team/app"
WORKFLOW = "https://github.com/team/app/.github/workflows/ci.yaml@refs/heads/main"
GHA = "https://token.actions.githubusercontent.com"


def test_slsa_v1_predicate_fields() -> None:
    record = provenance.BuildRecord(
        builder_id="https://shipyard.dev/builders/local@v1",
        invocation_id="pipelinerun/ci-run-7",
        started_on=T0,
        finished_on=T0 + timedelta(seconds=95),
        params={"git-url": "https://git.example/app.git", "image": "registry.example.com/team/app"},
        source=provenance.SourceDependency("https://git.example/app.git", "9f1c" * 10, "refs/heads/main"),
        base_images=[provenance.ImageDependency("docker.io/library/python", "sha256:" + "ab" * 32)],
    )
    assert provenance.slsa_v1_predicate(record) == {
        "buildDefinition": {
            "buildType": "https://shipyard.dev/PipelineRun/v1",
            "externalParameters": {"git-url": "https://git.example/app.git", "image": "registry.example.com/team/app"},
            "resolvedDependencies": [
                {"uri": "git+https://git.example/app.git@refs/heads/main", "digest": {"gitCommit": "9f1c" * 10}},
                {"uri": "pkg:docker/docker.io/library/python", "digest": {"sha256": "ab" * 32}},
            ],
        },
        "runDetails": {
            "builder": {"id": "https://shipyard.dev/builders/local@v1"},
            "metadata": {
                "invocationId": "pipelinerun/ci-run-7",
                "startedOn": "2026-02-03T04:05:06Z",
                "finishedOn": "2026-02-03T04:06:41Z",
            },
        },
    }


@pytest.mark.parametrize(
    "record",
    [
        provenance.BuildRecord("", "x", T0, T0),
        provenance.BuildRecord("b", "x", T0, T0 - timedelta(seconds=1)),
        provenance.BuildRecord("b", "x", T0, T0, base_images=[provenance.ImageDependency("docker.io/x", "nodigest")]),
        provenance.BuildRecord("b", "x", T0.replace(tzinfo=None), T0.replace(tzinfo=None)),
    ],
    ids=["builder id required", "finish before start", "base image without digest", "naive timestamps"],
)
def test_bad_build_records(record: provenance.BuildRecord) -> None:
    with pytest.raises(SpecError):
        provenance.slsa_v1_predicate(record)


@pytest.fixture
def world() -> tuple[MemorySignatureStore, FakeSigstore]:
    store = MemorySignatureStore()
    store.add_image(REPO, "v1")
    return store, FakeSigstore(T0 - timedelta(days=1))


def _verifier(fake: FakeSigstore, identity: str = WORKFLOW, issuer: str = GHA) -> verify.Verifier:
    return verify.Verifier(
        identity=certs.IdentityPolicy(identity=identity, issuer=issuer),
        trusted_root=load_trusted_root(fake.trusted_root_json()),
    )


def test_keyless_legacy_signature_verifies(world: tuple) -> None:
    store, fake = world
    digest = fake.sign_legacy(store, f"{REPO}:v1", identity=WORKFLOW, issuer=GHA, at=T0)
    ref, found = verify.verify_image(store, f"{REPO}:v1", _verifier(fake))
    assert ref.digest == digest and found[0].certificate is not None
    # cosign PrintVerificationHeader says "verified offline" when the Rekor bundle was checked (bundleVerified).
    assert found[0].tlog_verified
    printed = verify.cosign_output(found[0])  # cosign verify's augmented optional section
    assert printed["optional"] == {"Subject": WORKFLOW, "Issuer": GHA, "1.3.6.1.4.1.57264.1.1": GHA}


def test_keyless_wrong_issuer_and_identity(world: tuple) -> None:
    store, fake = world
    fake.sign_legacy(store, f"{REPO}:v1", identity=WORKFLOW, issuer=GHA, at=T0)
    with pytest.raises(IdentityMismatchError, match="expected OIDC issuer"):
        verify.verify_image(store, f"{REPO}:v1", _verifier(fake, issuer="https://accounts.google.com"))
    with pytest.raises(IdentityMismatchError, match="expected identity"):
        verify.verify_image(store, f"{REPO}:v1", _verifier(fake, identity="https://github.com/evil/x"))


def test_keyless_expired_certificate(world: tuple) -> None:
    store, fake = world
    fake.sign_legacy(store, f"{REPO}:v1", identity=WORKFLOW, issuer=GHA, at=T0, integrated=T0 + timedelta(hours=1))
    with pytest.raises(CertificateError, match="expired or not yet valid"):
        verify.verify_image(store, f"{REPO}:v1", _verifier(fake))


def test_keyless_forged_set(world: tuple) -> None:
    store, fake = world
    other = FakeSigstore(T0 - timedelta(days=1))
    # same CA and CT log, but a Rekor key the trusted root does not know
    other.ca_key, other.ca_cert, other.ct_key, other._ct_spki = fake.ca_key, fake.ca_cert, fake.ct_key, fake._ct_spki
    other.sign_legacy(store, f"{REPO}:v1", identity=WORKFLOW, issuer=GHA, at=T0)
    with pytest.raises(TransparencyLogError, match="not in the trusted root"):
        verify.verify_image(store, f"{REPO}:v1", _verifier(fake))


def test_keyless_sct_from_unknown_ct_log(world: tuple) -> None:
    store, fake = world
    other = FakeSigstore(T0 - timedelta(days=1))
    other.ca_key, other.ca_cert, other.rekor_key, other.log_id = fake.ca_key, fake.ca_cert, fake.rekor_key, fake.log_id
    other.sign_legacy(store, f"{REPO}:v1", identity=WORKFLOW, issuer=GHA, at=T0)
    with pytest.raises(CertificateError, match="no valid embedded SCT: SCT from unknown CT log"):
        verify.verify_image(store, f"{REPO}:v1", _verifier(fake))
    relaxed = dataclasses.replace(_verifier(fake), ignore_sct=True)  # cosign --insecure-ignore-sct
    assert verify.verify_image(store, f"{REPO}:v1", relaxed)[1]


def _with_rekor_bundle(store: MemorySignatureStore, fake: FakeSigstore, public_pem: bytes, tag: str) -> None:
    """Add a Rekor bundle annotation (as cosign does after uploading to Rekor) to the key-signed .sig layer."""
    raw, mt = store.manifests[(REPO, tag)]
    manifest = json.loads(raw)
    layer = manifest["layers"][0]
    payload = store.blobs[(REPO, layer["digest"])]
    signature = base64.b64decode(layer["annotations"][legacy.ANN_SIGNATURE])
    layer["annotations"][legacy.ANN_BUNDLE] = fake.rekor_bundle(payload, signature, public_pem, T0)
    store.put_manifest(REPO, tag, json.dumps(manifest).encode(), mt)


def test_key_signed_signature_with_rekor_bundle(world: tuple) -> None:
    store, fake = world
    pair = keys.generate_key_pair(b"")
    result = sign.sign_image(
        store, f"{REPO}:v1", keys.load_private_key(pair.private_pem, b""), now=T0, new_bundle_format=False
    )
    pub = keys.load_public_key(pair.public_pem)
    strict = verify.Verifier(key=pub, ignore_tlog=False)
    with pytest.raises(TransparencyLogError, match="no verifiable Rekor bundle"):
        verify.verify_image(store, f"{REPO}:v1", strict)
    lenient = dataclasses.replace(strict, ignore_tlog=True)
    assert not verify.verify_image(store, f"{REPO}:v1", lenient)[1][0].tlog_verified
    _with_rekor_bundle(store, fake, pair.public_pem, result.location)
    rooted = dataclasses.replace(strict, trusted_root=load_trusted_root(fake.trusted_root_json()))
    assert verify.verify_image(store, f"{REPO}:v1", rooted)[1][0].tlog_verified
    stranger = FakeSigstore(T0 - timedelta(days=1))
    elsewhere = dataclasses.replace(strict, trusted_root=load_trusted_root(stranger.trusted_root_json()))
    with pytest.raises(TransparencyLogError, match="not in the trusted root"):
        verify.verify_image(store, f"{REPO}:v1", elsewhere)


def test_keyless_bundle_referrer_verifies_and_expires(world: tuple) -> None:
    store, fake = world
    digest = fake.sign_bundle(store, f"{REPO}:v1", identity=WORKFLOW, issuer=GHA, at=T0)
    ref, found = verify.verify_image(store, f"{REPO}:v1", _verifier(fake))
    assert ref.digest == digest and found[0].layout == "bundle" and found[0].certificate is not None
    assert found[0].tlog_verified
    late = MemorySignatureStore()
    late.add_image(REPO, "v1")
    fake.sign_bundle(late, f"{REPO}:v1", identity=WORKFLOW, issuer=GHA, at=T0, integrated=T0 + timedelta(hours=2))
    with pytest.raises(CertificateError, match="outside the certificate's validity"):
        verify.verify_image(late, f"{REPO}:v1", _verifier(fake))
