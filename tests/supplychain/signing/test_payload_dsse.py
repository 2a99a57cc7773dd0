"""Simple-signing payload bytes, DSSE PAE and envelopes, against the generated vectors (VECTORS.md generated/)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shipyard.supplychain.signing import dsse, keys, payload, statements
from shipyard.supplychain.signing.errors import ClaimMismatchError, SignatureMismatchError

DIGEST = "sha256:" + "d34db33f" * 8


def test_simple_signing_payload_is_byte_exact(shared: Path) -> None:
    made = payload.make_payload("registry.example.com/team/app", DIGEST)
    assert made == (shared / "vectors/generated/simplesigning.payload.json").read_bytes()


def test_payload_annotations_sorted_go_json() -> None:
    made = payload.make_payload("r.example/x", DIGEST, {"timestamp": "1458239713", "creator": "atomic <ci>"})
    assert made.endswith(b'"optional":{"creator":"atomic \\u003cci\\u003e","timestamp":"1458239713"}}')


def test_vector_signature_verifies_and_tampered_twin_fails(shared: Path) -> None:
    gen = shared / "vectors/generated"
    pub = keys.load_public_key((gen / "cosign.pub").read_bytes())
    sig = base64.b64decode((gen / "simplesigning.payload.sig").read_bytes())
    keys.verify_bytes(pub, sig, (gen / "simplesigning.payload.json").read_bytes())
    with pytest.raises(SignatureMismatchError):
        keys.verify_bytes(pub, sig, (gen / "simplesigning.payload.TAMPERED.json").read_bytes())


def test_signature_by_another_key_fails(shared: Path) -> None:
    gen = shared / "vectors/generated"
    other = keys.load_public_key(keys.generate_key_pair(b"x").public_pem)
    sig = base64.b64decode((gen / "simplesigning.payload.sig").read_bytes())
    with pytest.raises(SignatureMismatchError):
        keys.verify_bytes(other, sig, (gen / "simplesigning.payload.json").read_bytes())


def test_claims_check_digest_and_annotations() -> None:
    parsed = payload.parse_payload(payload.make_payload("r/x", DIGEST, {"env": "prod"}))
    payload.check_claims(parsed, DIGEST, {"env": "prod"})
    with pytest.raises(ClaimMismatchError, match="does not match the image digest"):
        payload.check_claims(parsed, "sha256:" + "0" * 64)
    with pytest.raises(ClaimMismatchError, match="annotation"):
        payload.check_claims(parsed, DIGEST, {"env": "dev"})
    with pytest.raises(ClaimMismatchError, match="unknown simple-signing type"):
        payload.parse_payload(b'{"critical":{"type":"x","image":{"docker-manifest-digest":"sha256:00"}}}')


def test_pae_matches_vector_and_envelope_verifies(shared: Path) -> None:
    gen = shared / "vectors/generated"
    env = dsse.parse_envelope((gen / "attestation.dsse.json").read_bytes())
    assert dsse.pae(env.payload_type, env.payload) == (gen / "dsse.pae.bin").read_bytes()
    pub = keys.load_public_key((gen / "cosign.pub").read_bytes())
    dsse.verify_envelope(env, pub)


def test_envelope_with_one_flipped_payload_byte_fails(shared: Path) -> None:
    gen = shared / "vectors/generated"
    env = dsse.parse_envelope((gen / "attestation.dsse.json").read_bytes())
    flipped = bytearray(env.payload)
    flipped[10] ^= 1
    bad = dsse.Envelope(env.payload_type, bytes(flipped), env.signatures)
    with pytest.raises(SignatureMismatchError, match="PAE"):
        dsse.verify_envelope(bad, keys.load_public_key((gen / "cosign.pub").read_bytes()))


def test_envelope_with_wrong_payload_type_is_rejected(shared: Path) -> None:
    gen = shared / "vectors/generated"
    env = dsse.parse_envelope((gen / "attestation.dsse.json").read_bytes())
    bad = dsse.Envelope("text/plain", env.payload, env.signatures)
    with pytest.raises(SignatureMismatchError, match="payloadType"):
        dsse.verify_envelope(bad, keys.load_public_key((gen / "cosign.pub").read_bytes()))


def test_custom_statement_bytes_match_cosign(shared: Path) -> None:
    gen = shared / "vectors/generated"
    env = dsse.parse_envelope((gen / "attestation.dsse.json").read_bytes())
    predicate = statements.build_predicate("custom", b'{"foo": "bar"}\n', now=datetime(2025, 1, 1, tzinfo=UTC))
    made = statements.attestation_statement(
        "registry.example.com/team/app", DIGEST, statements.CUSTOM_PREDICATE, predicate
    )
    assert made == env.payload


def test_sign_and_verify_envelope_round_trip_url_safe_b64() -> None:
    pair = keys.generate_key_pair(b"")
    key = keys.load_private_key(pair.private_pem, b"")
    env = dsse.sign_envelope(key, b'{"_type":"https://in-toto.io/Statement/v1"}')
    doc = env.to_json()
    doc["signatures"][0]["sig"] = base64.urlsafe_b64encode(env.signatures[0]).decode().rstrip("=")
    dsse.verify_envelope(dsse.parse_envelope(json.dumps(doc).encode()), keys.load_public_key(pair.public_pem))


@pytest.mark.parametrize(
    ("kind", "uri"),
    [
        ("spdxjson", "https://spdx.dev/Document"),
        ("cyclonedx", "https://cyclonedx.org/bom"),
        ("slsaprovenance", "https://slsa.dev/provenance/v0.2"),
        ("slsaprovenance1", "https://slsa.dev/provenance/v1"),
        ("custom", "https://cosign.sigstore.dev/attestation/v1"),
        ("https://example.com/p/v1", "https://example.com/p/v1"),
    ],
    ids=[
        "cosign PredicateSPDXJSON",
        "cosign PredicateCycloneDX",
        "cosign PredicateSLSA (v0.2)",
        "cosign slsaprovenance1",
        "cosign PredicateCustom",
        "any URI",
    ],
)
def test_predicate_type_table(kind: str, uri: str) -> None:
    assert statements.predicate_type_uri(kind) == uri
