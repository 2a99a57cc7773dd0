"""Every sigstore-conformance bundle case gives the expected answer (VECTORS.md table), offline."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path

import pytest

from shipyard.errors import ShipyardError
from shipyard.supplychain.signing import bundle, bundle_verify, certs, keys, trustroot
from shipyard.supplychain.signing.errors import (
    CertificateError,
    ClaimMismatchError,
    IdentityMismatchError,
    KeyFormatError,
    SignatureMismatchError,
    TransparencyLogError,
)
from shipyard.testing.shared import SHARED

CONF = SHARED / "vectors/sigstore-conformance"
IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
ISSUER = "https://token.actions.githubusercontent.com"

VALID = [
    "happy-path-v0.1",
    "happy-path-v0.3",
    "happy-path-intoto-in-dsse-v3",
    "intoto-with-custom-trust-root",
    "managed-key-happy-path",
    "managed-key-and-trusted-root",
    "rekor2-happy-path",
]
# case -> (error class, message fragment) naming the stated reason for rejection.
INVALID: dict[str, tuple[type[ShipyardError], str]] = {
    "bundle-with-root-cert_fail": (CertificateError, "must not contain the root"),
    "dsse-invalid-sig_fail": (SignatureMismatchError, "PAE"),
    "dsse-mismatch-envelope_fail": (TransparencyLogError, "payload hash differs"),
    "incorrect-public-key_fail": (TransparencyLogError, "SET"),
    "integrated-time-in-future_fail": (CertificateError, "outside the certificate's validity"),
    "intoto-expired-certificate_fail": (CertificateError, "chain does not verify"),
    "invalid-inclusion-proof_fail": (TransparencyLogError, "inclusion proof"),
    "managed-key-no-key_fail": (KeyFormatError, "no key was provided"),
    "managed-key-wrong-key_fail": (KeyFormatError, "not a PKIX public key"),
    "set-invalid-signature_fail": (TransparencyLogError, "SET"),
    "signature-mismatch_fail": (SignatureMismatchError, "invalid signature"),
    "wrong-material_fail": (ClaimMismatchError, "different artifact"),
}


def _verify(case: Path) -> bundle_verify.VerifiedBundle:
    root_file = case / "trusted_root.json"
    root = trustroot.load_trusted_root(
        (root_file if root_file.exists() else CONF / "production_trusted_root.json").read_bytes()
    )
    artifact = (case / "artifact" if (case / "artifact").exists() else CONF / "a.txt").read_bytes()
    identity = (case / "identity").read_text().strip() if (case / "identity").exists() else IDENTITY
    issuer = (case / "issuer").read_text().strip() if (case / "issuer").exists() else ISSUER
    key = keys.load_public_key((case / "key.pub").read_bytes()) if (case / "key.pub").exists() else None
    policy = bundle_verify.BundlePolicy(key=key, identity=certs.IdentityPolicy(identity=identity, issuer=issuer))
    parsed = bundle.parse_bundle((case / "bundle.sigstore.json").read_bytes())
    return bundle_verify.verify_bundle(parsed, root, policy, artifact=artifact)


def test_the_case_lists_cover_every_vector() -> None:
    assert sorted(p.name for p in CONF.iterdir() if p.is_dir()) == sorted(VALID + list(INVALID))


@pytest.mark.parametrize("case", VALID, ids=VALID)
def test_valid_case_verifies(case: str) -> None:
    result = _verify(CONF / case)
    assert result.signed_times


@pytest.mark.parametrize("case", sorted(INVALID), ids=sorted(INVALID))
def test_fail_case_is_rejected_for_its_reason(case: str) -> None:
    error, message = INVALID[case]
    with pytest.raises(error, match=message):
        _verify(CONF / case)


TESTDATA = SHARED / "vectors/cosign-testdata"
SUBJECT = bytes.fromhex("732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4")


@pytest.mark.parametrize(
    ("identity", "issuer", "error"),
    [
        (certs.IdentityPolicy(identity="cody@soyland.com", issuer="https://github.com/login/oauth"), None, None),
        (certs.IdentityPolicy(identity_regexp="soyland", issuer_regexp="github"), None, None),
        (certs.IdentityPolicy(identity="other@x", issuer="https://github.com/login/oauth"), None, "expected identity"),
        (
            certs.IdentityPolicy(identity="cody@soyland.com", issuer="https://accounts.google.com"),
            None,
            "expected OIDC issuer",
        ),
        (
            certs.IdentityPolicy(identity_regexp="^soyland", issuer="https://github.com/login/oauth"),
            None,
            "matches regexp",
        ),
        (certs.IdentityPolicy(identity="cody@soyland.com"), None, "needs --certificate-identity"),
    ],
    ids=[
        "exact SAN + issuer",
        "unanchored regexp search (Go MatchString)",
        "wrong identity",
        "wrong issuer (.1.8)",
        "anchored regexp does not match",
        "issuer flag is required",
    ],
)
def test_cosign_attestation_bundle_identity_rules(
    identity: certs.IdentityPolicy, issuer: None, error: str | None
) -> None:
    root = trustroot.load_trusted_root((TESTDATA / "trusted_root_pgi.json").read_bytes())
    parsed = bundle.parse_bundle((TESTDATA / "oci-attestation.sigstore.json").read_bytes())
    policy = bundle_verify.BundlePolicy(identity=identity)
    if error is None:
        result = bundle_verify.verify_bundle(parsed, root, policy, artifact_digest=SUBJECT)
        assert result.statement is not None
        assert result.statement.predicate_type == "https://cosign.sigstore.dev/attestation/v1"
    else:
        with pytest.raises(IdentityMismatchError, match=error):
            bundle_verify.verify_bundle(parsed, root, policy, artifact_digest=SUBJECT)


def test_issuer_extension_oids_agree_on_real_certificate() -> None:
    parsed = bundle.parse_bundle((CONF / "happy-path-v0.3/bundle.sigstore.json").read_bytes())
    assert parsed.leaf is not None
    assert certs.issuer_of(parsed.leaf) == ISSUER  # .1.8 DER UTF8String
    assert certs.extension_value(parsed.leaf, "1.3.6.1.4.1.57264.1.1") == ISSUER  # .1.1 raw bytes
    assert certs.san_values(parsed.leaf) == [IDENTITY]


def test_sct_is_required_unless_ignored() -> None:
    """cosign verifies the certificate's embedded SCT against the trusted root's CT logs (--insecure-ignore-sct)."""
    import dataclasses

    root = trustroot.load_trusted_root((CONF / "production_trusted_root.json").read_bytes())
    no_ct = dataclasses.replace(root, ctlogs=())
    parsed = bundle.parse_bundle((CONF / "happy-path-v0.3/bundle.sigstore.json").read_bytes())
    identity = certs.IdentityPolicy(identity=IDENTITY, issuer=ISSUER)
    artifact = (CONF / "a.txt").read_bytes()
    with pytest.raises(CertificateError, match="no valid embedded SCT"):
        bundle_verify.verify_bundle(parsed, no_ct, bundle_verify.BundlePolicy(identity=identity), artifact=artifact)
    policy = bundle_verify.BundlePolicy(identity=identity, ignore_sct=True)
    assert bundle_verify.verify_bundle(parsed, no_ct, policy, artifact=artifact).signed_times


def _paths(doc: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        out.append((*prefix, key))
        out.extend(_paths(value, (*prefix, key)))
    return out


@pytest.mark.parametrize("case", ["happy-path-v0.3", "happy-path-intoto-in-dsse-v3"])
def test_every_field_of_the_wrong_json_type_is_a_clear_error(case: str) -> None:
    """protobuf-specs Bundle via protojson: each field has one JSON type. A bundle pulled from a registry with any
    field replaced by another type parses to a ShipyardError (or still parses), never a Python crash."""
    original = json.loads((CONF / case / "bundle.sigstore.json").read_bytes())
    for path in _paths(original):
        for wrong in ("x", 5, [], {}, None, True):
            doc = copy.deepcopy(original)
            parent = doc
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = wrong
            with contextlib.suppress(ShipyardError):
                bundle.parse_bundle(json.dumps(doc).encode())


def _entry_edit(edit: object) -> bytes:
    doc = json.loads((CONF / "happy-path-v0.3/bundle.sigstore.json").read_bytes())
    entry = doc["verificationMaterial"]["tlogEntries"][0]
    edit(entry)  # type: ignore[operator]
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda e: e["inclusionProof"].pop("checkpoint"), "inclusion proof missing required checkpoint"),
        (lambda e: e["inclusionProof"].update(checkpoint={"envelope": ""}), "missing required checkpoint"),
        (lambda e: e["kindVersion"].update(kind="dsse"), "kind and version mismatch"),
        (lambda e: e["kindVersion"].update(version="0.0.2"), "kind and version mismatch"),
    ],
    ids=["no-checkpoint", "empty-checkpoint", "kind-not-the-body's", "version-not-the-body's"],
)
def test_tlog_entry_rules_of_sigstore_go(edit: object, message: str) -> None:
    """sigstore-go pkg/tlog/entry.go ParseTransparencyLogEntry: 'inclusion proof missing required checkpoint' /
    'checkpoint empty' (a bare proof commits to nothing: anyone can compute one for a tree of their own), and
    'kind and version mismatch' between kindVersion and the canonicalized body."""
    root = trustroot.load_trusted_root((CONF / "production_trusted_root.json").read_bytes())
    policy = bundle_verify.BundlePolicy(identity=certs.IdentityPolicy(identity=IDENTITY, issuer=ISSUER))
    with pytest.raises(TransparencyLogError, match=message):
        parsed = bundle.parse_bundle(_entry_edit(edit))
        bundle_verify.verify_bundle(parsed, root, policy, artifact=(CONF / "a.txt").read_bytes())


def test_trusted_root_with_a_field_of_the_wrong_type_is_a_spec_error() -> None:
    """protobuf-specs TrustedRoot (trustroot.proto): one JSON type per field; anything else is a clear SpecError
    naming the trusted root, never a crash."""
    original = json.loads((CONF / "production_trusted_root.json").read_bytes())
    for path in _paths(original):
        for wrong in ("x", 5, [], {}, None, True):
            doc = copy.deepcopy(original)
            parent = doc
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = wrong
            with contextlib.suppress(ShipyardError):
                trustroot.load_trusted_root(json.dumps(doc).encode())
