"""Offline verification of a Sigstore bundle (sigstore-go ``Verify``; cosign ``verify --trusted-root``).

Order: verification material (key, or leaf chaining to a trusted Fulcio CA at its NotBefore, no root in the
bundle), transparency-log evidence (SET, inclusion proof + checkpoint, entry body = this signature), signed
times (integrated time, RFC 3161 genTime) each inside the leaf's validity, identity policy, then the signature
over the artifact (message signature) or over PAE (DSSE, whose in-toto subject must name the artifact).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from shipyard.supplychain.signing import certs, sct, tlog, tlogbody, tsa
from shipyard.supplychain.signing.bundle import Bundle
from shipyard.supplychain.signing.dsse import verify_envelope
from shipyard.supplychain.signing.errors import (
    CertificateError,
    ClaimMismatchError,
    IdentityMismatchError,
    KeyFormatError,
    SignatureMismatchError,
    TransparencyLogError,
)
from shipyard.supplychain.signing.keys import PublicKey, public_key_der, verify_bytes, verify_prehashed
from shipyard.supplychain.signing.statements import Statement, parse_statement
from shipyard.supplychain.signing.trustroot import TrustedRoot


@dataclass(frozen=True, slots=True)
class BundlePolicy:
    """What must hold: a key (key-signed bundles) or an identity (keyless), and whether a tlog entry is required."""

    key: PublicKey | None = None
    identity: certs.IdentityPolicy | None = None
    require_tlog: bool = True
    ignore_sct: bool = False  # cosign --insecure-ignore-sct


@dataclass(frozen=True, slots=True)
class VerifiedBundle:
    bundle: Bundle
    certificate: x509.Certificate | None
    signed_times: tuple[datetime, ...]
    statement: Statement | None


def _verifying_key(bundle: Bundle, policy: BundlePolicy) -> tuple[PublicKey, bytes]:
    """The key the signature must verify with, and the DER that the tlog body must carry."""
    leaf = bundle.leaf
    if leaf is None:
        if policy.key is None:
            raise KeyFormatError("bundle is signed with a public key but no key was provided (--key)")
        return policy.key, public_key_der(policy.key)
    if any(certs.is_self_signed(c) for c in bundle.chain[1:]):
        raise CertificateError("bundle certificate chain must not contain the root certificate")
    leaf_key = leaf.public_key()
    if policy.key is not None and public_key_der(policy.key) != public_key_der(leaf_key):  # type: ignore[arg-type]
        raise SignatureMismatchError("the bundle's certificate does not hold the given public key")
    return leaf_key, leaf.public_bytes(serialization.Encoding.DER)  # type: ignore[return-value]


def _tlog_times(bundle: Bundle, root: TrustedRoot, material: bytes, digest: bytes | None) -> list[datetime]:
    times: list[datetime] = []
    for entry in bundle.tlog_entries:
        if entry.set_signature is not None:
            tlog.verify_set(entry, root)
            if entry.integrated_at is not None:
                times.append(entry.integrated_at)
        # An inclusion proof counts only with its signed checkpoint. v0.1 bundles may carry a bare proof next to
        # the SET (sigstore-conformance bundle-with-root-cert_fail): it is not evidence, the SET must stand alone.
        proof = (
            entry.proof if entry.proof is not None and (entry.proof.checkpoint or bundle.version >= (0, 2)) else None
        )
        if proof is not None:
            tlog.verify_inclusion(entry, root)
        elif bundle.version >= (0, 2):
            raise TransparencyLogError("bundle v0.2+ requires an inclusion proof for every tlog entry")
        if entry.set_signature is None and proof is None:
            raise TransparencyLogError("tlog entry has neither a SET nor an inclusion proof with a signed checkpoint")
        if bundle.envelope is not None:
            tlogbody.check_dsse(entry, bundle.envelope.payload, bundle.envelope.signatures, material)
        else:
            assert bundle.message is not None
            tlogbody.check_hashedrekord(entry, digest or bundle.message.digest, bundle.message.signature, material)
    return times


def verify_bundle(
    bundle: Bundle,
    root: TrustedRoot,
    policy: BundlePolicy,
    *,
    artifact: bytes | None = None,
    artifact_digest: bytes | None = None,
) -> VerifiedBundle:
    """Verify ``bundle`` for ``artifact`` (or its SHA-256) under ``policy``; raise a specific error otherwise."""
    key, material = _verifying_key(bundle, policy)
    digest = hashlib.sha256(artifact).digest() if artifact is not None else artifact_digest
    if bundle.message is not None and digest is not None and bundle.message.digest != digest:
        raise ClaimMismatchError("the bundle signs a different artifact (message digest mismatch)")
    statement = None
    if bundle.envelope is not None:
        verify_envelope(bundle.envelope, key)
        statement = parse_statement(bundle.envelope.payload)
        if digest is not None and f"sha256:{digest.hex()}" not in statement.digests():
            raise ClaimMismatchError("no in-toto subject matches the artifact's digest")
    else:
        assert bundle.message is not None
        if artifact is not None:
            verify_bytes(key, bundle.message.signature, artifact)
        else:
            verify_prehashed(key, bundle.message.signature, digest or bundle.message.digest)
    if policy.require_tlog and not bundle.tlog_entries:
        raise TransparencyLogError("bundle has no transparency log entry (use --insecure-ignore-tlog to accept)")
    times = _tlog_times(bundle, root, material, digest)
    times += [tsa.verify_timestamp(t, bundle.signature(), root) for t in bundle.timestamps]
    leaf = bundle.leaf
    if leaf is not None:
        if not times:
            raise TransparencyLogError("no verified signing time (SET or RFC 3161 timestamp) for the certificate")
        ca = certs.verify_chain(leaf, root.cas)
        if not policy.ignore_sct:
            sct.verify_sct(leaf, ca.chain[0], root)
        for moment in times:
            certs.check_valid_at(leaf, moment, "signing time")
        if policy.identity is None:
            raise IdentityMismatchError(
                "keyless verification needs --certificate-identity and --certificate-oidc-issuer"
            )
        policy.identity.check(leaf)
    return VerifiedBundle(bundle, leaf, tuple(times), statement)
