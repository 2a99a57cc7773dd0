"""Sigstore bundles (protobuf-specs, protojson): parse v0.1 to v0.3, and build the v0.3 bundles shipyard writes.

int64 fields are JSON strings, bytes std base64. A v0.3 bundle carries the leaf in ``certificate``; v0.1/v0.2 an
``x509CertificateChain``; key-signed bundles a ``publicKey.hint``. Content is a ``messageSignature`` or a
``dsseEnvelope``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from shipyard.supplychain.signing.dsse import Envelope, parse_envelope
from shipyard.supplychain.signing.errors import CertificateError, SignatureMismatchError
from shipyard.supplychain.signing.tlog import TlogEntry, parse_entry

BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
_LEGACY_PREFIX = "application/vnd.dev.sigstore.bundle+json;version="


@dataclass(frozen=True, slots=True)
class MessageSignature:
    digest_algorithm: str
    digest: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class Bundle:
    media_type: str
    version: tuple[int, int]
    chain: tuple[x509.Certificate, ...]  # leaf first; empty for key-signed bundles
    key_hint: str | None
    tlog_entries: tuple[TlogEntry, ...]
    timestamps: tuple[bytes, ...]
    message: MessageSignature | None
    envelope: Envelope | None
    raw: dict[str, Any]

    @property
    def leaf(self) -> x509.Certificate | None:
        return self.chain[0] if self.chain else None

    def signature(self) -> bytes:
        if self.message is not None:
            return self.message.signature
        assert self.envelope is not None
        return self.envelope.signatures[0]


def _b64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureMismatchError(f"bundle field {what} is not base64") from exc


def _version(media_type: str) -> tuple[int, int]:
    if media_type == BUNDLE_V03:
        return (0, 3)
    if media_type.startswith(_LEGACY_PREFIX):
        text = media_type[len(_LEGACY_PREFIX) :]
    elif media_type.startswith("application/vnd.dev.sigstore.bundle.v") and media_type.endswith("+json"):
        text = media_type[len("application/vnd.dev.sigstore.bundle.v") : -len("+json")]
    else:
        raise SignatureMismatchError(f"unsupported bundle media type {media_type!r}")
    major, _, minor = text.partition(".")
    try:
        return (int(major), int(minor))
    except ValueError as exc:
        raise SignatureMismatchError(f"unsupported bundle media type {media_type!r}") from exc


def _cert(raw: Any, what: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(_b64(raw, what))
    except ValueError as exc:
        raise CertificateError(f"bundle {what} is not a DER certificate: {exc}") from exc


def parse_bundle(data: bytes | dict[str, Any]) -> Bundle:
    """Parse a bundle; any malformed part (a wrong JSON type anywhere) is a ``SignatureMismatchError``."""
    try:
        doc = json.loads(data) if isinstance(data, bytes) else data
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SignatureMismatchError(f"bundle is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise SignatureMismatchError("bundle is not a JSON object")
    try:
        return _parse_bundle(doc)
    except (AttributeError, TypeError, KeyError, ValueError) as exc:
        # A bundle comes from a registry anyone may push to: a field of the wrong JSON type is a broken bundle.
        raise SignatureMismatchError(f"malformed bundle: {type(exc).__name__}: {exc}") from exc


def _parse_bundle(doc: dict[str, Any]) -> Bundle:
    media_type = str(doc.get("mediaType", ""))
    version = _version(media_type)
    vm = doc.get("verificationMaterial")
    if not isinstance(vm, dict):
        raise SignatureMismatchError("bundle has no verificationMaterial")
    chain: tuple[x509.Certificate, ...] = ()
    if "certificate" in vm:
        chain = (_cert((vm["certificate"] or {}).get("rawBytes"), "certificate"),)
    elif "x509CertificateChain" in vm:
        certs = (vm["x509CertificateChain"] or {}).get("certificates") or []
        chain = tuple(_cert(c.get("rawBytes"), "x509CertificateChain") for c in certs)
        if not chain:
            raise CertificateError("bundle x509CertificateChain is empty")
    hint = None
    if "publicKey" in vm:
        hint = str((vm["publicKey"] or {}).get("hint", ""))
    entries = tuple(parse_entry(e) for e in vm.get("tlogEntries") or [])
    stamps = tuple(
        _b64(t.get("signedTimestamp"), "rfc3161 signedTimestamp")
        for t in ((vm.get("timestampVerificationData") or {}).get("rfc3161Timestamps") or [])
    )
    message = None
    envelope = None
    if isinstance(doc.get("messageSignature"), dict):
        ms = doc["messageSignature"]
        md = ms.get("messageDigest") or {}
        message = MessageSignature(
            str(md.get("algorithm", "")),
            _b64(md.get("digest", ""), "messageDigest"),
            _b64(ms.get("signature"), "signature"),
        )
    elif isinstance(doc.get("dsseEnvelope"), dict):
        envelope = parse_envelope(doc["dsseEnvelope"])
    else:
        raise SignatureMismatchError("bundle has neither messageSignature nor dsseEnvelope")
    return Bundle(media_type, version, chain, hint, entries, stamps, message, envelope, doc)


def build_dsse_bundle(
    envelope: Envelope, *, key_hint: str | None = None, certificate_der: bytes | None = None
) -> bytes:
    """A v0.3 bundle around ``envelope`` (key-signed: ``publicKey.hint``; no tlog entry — see docs/signing.md)."""
    material: dict[str, Any]
    if certificate_der is not None:
        material = {"certificate": {"rawBytes": base64.b64encode(certificate_der).decode()}}
    else:
        material = {"publicKey": {"hint": key_hint or ""}}
    # protojson (EmitUnpopulated off) leaves an empty repeated field out: no "tlogEntries": [] here.
    doc = {"mediaType": BUNDLE_V03, "verificationMaterial": material, "dsseEnvelope": envelope.to_bundle_json()}
    return json.dumps(doc, separators=(",", ":")).encode()
