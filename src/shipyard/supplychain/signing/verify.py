"""``cosign verify`` / ``verify-attestation``: read both layouts, keep what verifies, explain what did not.

Legacy ``.sig`` layers: the layer blob must hash to its digest, the annotation signature must verify over it
(key, or Fulcio certificate + chain + ``dev.sigstore.cosign/bundle`` SET against a trusted root), and the payload
must name the image digest (``SimpleClaimVerifier``). Legacy ``.att`` layers hold DSSE envelopes. Bundles found as
referrers are verified with ``verify_bundle`` against the image digest as the in-toto subject.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptography import x509

from shipyard.errors import NotFoundError, RegistryError, ShipyardError, VerificationError
from shipyard.supplychain.signing import certs, legacy, referrer, sct, statements, tlog, tlogbody
from shipyard.supplychain.signing.bundle import parse_bundle
from shipyard.supplychain.signing.bundle_verify import BundlePolicy, verify_bundle
from shipyard.supplychain.signing.dsse import DSSE_MEDIA_TYPE, Envelope, parse_envelope, verify_envelope
from shipyard.supplychain.signing.errors import (
    CertificateError,
    NoSignaturesError,
    TransparencyLogError,
)
from shipyard.supplychain.signing.imageref import ImageRef, parse_image
from shipyard.supplychain.signing.keys import PublicKey, public_key_der, verify_bytes
from shipyard.supplychain.signing.payload import SIMPLE_SIGNING_MEDIA_TYPE, check_claims, parse_payload
from shipyard.supplychain.signing.storage import SignatureStore, resolve
from shipyard.supplychain.signing.trustroot import TrustedRoot

T = TypeVar("T")
_EMPTY_ROOT = TrustedRoot((), (), (), ())


@dataclass(frozen=True, slots=True)
class Verifier:
    """Who must have signed: a key, or a keyless identity checked against a trusted root."""

    key: PublicKey | None = None
    identity: certs.IdentityPolicy | None = None
    trusted_root: TrustedRoot | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    ignore_tlog: bool = True  # key-signed entries need no Rekor entry (cosign --insecure-ignore-tlog)
    ignore_sct: bool = False  # cosign --insecure-ignore-sct / Kyverno ctlog.ignoreSCT


@dataclass(frozen=True, slots=True)
class Verified:
    layout: str  # "legacy" or "bundle"
    payload: dict[str, Any]  # simple-signing document or in-toto statement
    certificate: x509.Certificate | None
    envelope: dict[str, Any] | None = None  # DSSE envelope JSON, as cosign prints it
    tlog_verified: bool = False  # a Rekor entry (SET / inclusion proof) was checked offline ("bundleVerified")


BodyCheck = Callable[[tlog.TlogEntry, bytes], None]  # (entry, signer's DER) -> raise if the body is not this signature


def _legacy_entry(layer: legacy.Layer) -> tlog.TlogEntry | None:
    """The Rekor entry in a ``dev.sigstore.cosign/bundle`` annotation (cosign ``pkg/cosign/bundle``)."""
    raw_bundle = layer.annotations.get(legacy.ANN_BUNDLE)
    if not raw_bundle:
        return None
    try:
        doc = json.loads(raw_bundle)
        payload = doc["Payload"]
        body = base64.b64decode(payload["body"])
        kind = json.loads(body)
        return tlog.TlogEntry(
            log_index=int(payload["logIndex"]),
            log_id=bytes.fromhex(payload["logID"]),
            kind=str(kind.get("kind", "")),
            version=str(kind.get("apiVersion", "")),
            integrated_time=int(payload["integratedTime"]),
            set_signature=base64.b64decode(doc["SignedEntryTimestamp"]),
            proof=None,
            body=body,
        )
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as exc:
        raise TransparencyLogError(f"malformed dev.sigstore.cosign/bundle annotation: {exc}") from exc


def _legacy_cert(layer: legacy.Layer, verifier: Verifier, check_body: BodyCheck) -> PublicKey:
    """Keyless legacy layer: chain, SCT, SET (bundle annotation), entry body, identity; returns the leaf key."""
    root = verifier.trusted_root
    if root is None:
        raise CertificateError("signature carries a certificate; pass --trusted-root to verify it offline")
    leaf = certs.load_certificate(layer.annotations[legacy.ANN_CERTIFICATE].encode())
    ca = certs.verify_chain(leaf, root.cas)
    if not verifier.ignore_sct:
        sct.verify_sct(leaf, ca.chain[0], root)
    entry = _legacy_entry(layer)
    if entry is None:
        raise TransparencyLogError("keyless signature has no Rekor bundle annotation: no trusted signing time")
    tlog.verify_set(entry, root)
    check_body(entry, tlogbody.verifier_der(leaf, None))
    assert entry.integrated_at is not None
    certs.check_valid_at(leaf, entry.integrated_at, "Rekor integrated time")
    (verifier.identity or certs.IdentityPolicy()).check(leaf)
    return leaf.public_key()  # type: ignore[return-value]


def _layer_key(layer: legacy.Layer, verifier: Verifier, check_body: BodyCheck) -> PublicKey:
    if verifier.key is not None:
        entry = _legacy_entry(layer)
        if entry is not None and verifier.trusted_root is not None:
            # cosign checks a key-signed signature's Rekor bundle when it has the log's key.
            tlog.verify_set(entry, verifier.trusted_root)
            check_body(entry, tlogbody.verifier_der(None, public_key_der(verifier.key)))
        elif not verifier.ignore_tlog:
            raise TransparencyLogError("no verifiable Rekor bundle for this key-signed signature")
        return verifier.key
    if legacy.ANN_CERTIFICATE in layer.annotations:
        return _legacy_cert(layer, verifier, check_body)
    raise VerificationError("no --key given and the signature carries no certificate")


def verify_legacy_signature(
    store: SignatureStore, repo: str, layer: legacy.Layer, digest: str, verifier: Verifier
) -> Verified:
    data = legacy.fetch_layer(store, repo, layer)
    try:
        signature = base64.b64decode(layer.annotations.get(legacy.ANN_SIGNATURE, ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError("signature annotation is not base64") from exc
    digest_of_payload = hashlib.sha256(data).digest()
    key = _layer_key(
        layer, verifier, lambda entry, der: tlogbody.check_hashedrekord(entry, digest_of_payload, signature, der)
    )
    verify_bytes(key, signature, data)
    parsed = parse_payload(data)
    check_claims(parsed, digest, verifier.annotations)
    cert = certs.load_certificate(layer.annotations[legacy.ANN_CERTIFICATE].encode()) if verifier.key is None else None
    return Verified("legacy", json.loads(data), cert, tlog_verified=_tlog_checked(layer, verifier))


def verify_legacy_attestation(
    store: SignatureStore, repo: str, layer: legacy.Layer, digest: str, verifier: Verifier
) -> Verified:
    data = legacy.fetch_layer(store, repo, layer)
    envelope = parse_envelope(data)
    key = _layer_key(
        layer, verifier, lambda entry, der: tlogbody.check_dsse(entry, envelope.payload, envelope.signatures, der)
    )
    verify_envelope(envelope, key)
    statement = statements.parse_statement(envelope.payload)
    statements.check_subject(statement, digest, verifier.annotations)
    cert = certs.load_certificate(layer.annotations[legacy.ANN_CERTIFICATE].encode()) if verifier.key is None else None
    return Verified("legacy", statement.raw, cert, json.loads(data), _tlog_checked(layer, verifier))


def _tlog_checked(layer: legacy.Layer, verifier: Verifier) -> bool:
    """``_layer_key`` verified the layer's Rekor bundle (keyless always; key-signed when a trusted root was given)."""
    has_entry = legacy.ANN_BUNDLE in layer.annotations
    return has_entry and (verifier.key is None or verifier.trusted_root is not None)


def _bundle(found: referrer.FoundBundle, digest: str, verifier: Verifier) -> tuple[Verified, Envelope | None]:
    parsed = parse_bundle(found.bundle)
    if verifier.ignore_tlog and verifier.trusted_root is None and parsed.leaf is None:
        # cosign --insecure-ignore-tlog: a key-signed bundle's Rekor evidence is not checked without a trusted root.
        parsed = dataclasses.replace(parsed, tlog_entries=(), timestamps=())
    policy = BundlePolicy(
        key=verifier.key,
        identity=verifier.identity,
        require_tlog=not verifier.ignore_tlog,
        ignore_sct=verifier.ignore_sct,
    )
    result = verify_bundle(
        parsed, verifier.trusted_root or _EMPTY_ROOT, policy, artifact_digest=bytes.fromhex(digest.split(":", 1)[1])
    )
    if result.statement is None or parsed.envelope is None:
        raise VerificationError("bundle does not carry a DSSE envelope for the image")
    statements.check_subject(result.statement, digest, verifier.annotations)
    verified = Verified(
        "bundle",
        result.statement.raw,
        result.certificate,
        parsed.envelope.to_bundle_json(),
        tlog_verified=bool(parsed.tlog_entries),
    )
    return verified, parsed.envelope


def _collect(attempts: list[Callable[[], T]]) -> list[T]:
    ok: list[T] = []
    failures: list[ShipyardError] = []
    for attempt in attempts:
        try:
            ok.append(attempt())
        except (VerificationError, RegistryError, NotFoundError) as exc:  # a missing blob fails that signature only
            failures.append(exc)
    if ok:
        return ok
    if not failures:
        raise NoSignaturesError("no signatures found")
    kinds = {type(f) for f in failures}
    message = "; ".join(str(f) for f in failures)
    raise (kinds.pop() if len(kinds) == 1 else NoSignaturesError)(message)


def _pin(store: SignatureStore, image: str | ImageRef) -> ImageRef:
    ref = parse_image(image) if isinstance(image, str) else image
    return ref.with_digest(resolve(store, ref.repository, ref.identifier, ref.digest).digest)


def verify_image(store: SignatureStore, image: str | ImageRef, verifier: Verifier) -> tuple[ImageRef, list[Verified]]:
    """Every signature of ``image`` that verifies (both layouts); raise if none does."""
    ref = _pin(store, image)
    digest, repo = str(ref.digest), ref.repository
    attempts: list[Callable[[], Verified]] = []
    for layer in legacy.read_layers(store, repo, legacy.legacy_tag(digest, "sig")):
        if layer.media_type == SIMPLE_SIGNING_MEDIA_TYPE:
            attempts.append(lambda layer=layer: verify_legacy_signature(store, repo, layer, digest, verifier))  # type: ignore[misc]
    for found in referrer.find_bundles(store, repo, digest):
        if found.predicate_type in ("", statements.COSIGN_SIGN_PREDICATE):
            attempts.append(lambda found=found: _signature_bundle(found, digest, verifier))  # type: ignore[misc]
    try:
        return ref, _collect(attempts)
    except NoSignaturesError as exc:
        raise NoSignaturesError(f"no matching signatures for {ref}: {exc}") from exc


def _signature_bundle(found: referrer.FoundBundle, digest: str, verifier: Verifier) -> Verified:
    verified, _ = _bundle(found, digest, verifier)
    if verified.payload.get("predicateType") != statements.COSIGN_SIGN_PREDICATE:
        raise VerificationError("bundle is an attestation, not an image signature")
    return verified


def verify_attestations(
    store: SignatureStore, image: str | ImageRef, verifier: Verifier, *, predicate_type: str | None = None
) -> tuple[ImageRef, list[Verified]]:
    """Every attestation of ``image`` that verifies and has ``predicate_type`` (a URI) when given.

    As cosign's ``verify-attestation`` (verify_attestation.go): every attestation is verified first and the
    predicate type filters the verified statements, so asking for a type that is not there says which types were
    found ("none of the attestations matched the predicate type: T, found: A,B")."""
    ref = _pin(store, image)
    digest, repo = str(ref.digest), ref.repository
    attempts: list[Callable[[], Verified]] = []
    for layer in legacy.read_layers(store, repo, legacy.legacy_tag(digest, "att")):
        if layer.media_type == DSSE_MEDIA_TYPE:
            attempts.append(lambda layer=layer: verify_legacy_attestation(store, repo, layer, digest, verifier))  # type: ignore[misc]
    for found in referrer.find_bundles(store, repo, digest):
        if found.predicate_type != statements.COSIGN_SIGN_PREDICATE:
            attempts.append(lambda found=found: _bundle(found, digest, verifier)[0])  # type: ignore[misc]
    try:
        results = _collect(attempts)
    except NoSignaturesError as exc:
        raise NoSignaturesError(f"no matching attestations for {ref}: {exc}") from exc
    results = [r for r in results if r.payload.get("predicateType") != statements.COSIGN_SIGN_PREDICATE]
    if predicate_type:
        found_types = [str(r.payload.get("predicateType", "")) for r in results]
        results = [r for r in results if r.payload.get("predicateType") == predicate_type]
        if not results:
            raise NoSignaturesError(
                f"no matching attestations for {ref}: none of the attestations matched the predicate type: "
                f"{predicate_type}, found: {','.join(found_types)}"
            )
    if not results:
        raise NoSignaturesError(f"no matching attestations for {ref}: no signatures found")
    return ref, results


def cosign_output(found: Verified) -> dict[str, Any]:
    """What ``cosign verify`` prints for a signature: a simple-signing payload's ``optional`` gains the certificate's
    ``Subject`` (first SAN), ``Issuer`` and the Fulcio extensions by OID and by name (``verify/common.go``)."""
    payload = dict(found.payload)
    cert = found.certificate
    if cert is None or "critical" not in payload:
        return payload
    optional = dict(payload.get("optional") or {})
    sans = certs.san_values(cert)
    if sans:
        optional["Subject"] = sans[0]
    issuer = certs.issuer_of(cert)
    if issuer:
        optional["Issuer"] = issuer
        optional["1.3.6.1.4.1.57264.1.1"] = issuer
    for name, oid in certs.GITHUB_EXTENSIONS.items():
        value = certs.extension_value(cert, oid)
        if value is not None:
            optional[oid] = value
            optional[name] = value
    payload["optional"] = dict(sorted(optional.items()))  # a Go map: json.Marshal sorts its keys
    return payload
