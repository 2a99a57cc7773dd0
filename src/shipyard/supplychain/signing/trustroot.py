"""The Sigstore trusted root (``application/vnd.dev.sigstore.trustedroot+json;version=0.1``).

Transparency logs and CT logs by ``logId.keyId``; Fulcio CAs and timestamp authorities as certificate chains
(leaf-most first, root last) with their ``validFor`` windows. Used offline: the file is pinned, never fetched.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from shipyard.errors import SpecError
from shipyard.supplychain.signing.keys import PublicKey, load_public_key_der


def parse_time(value: str) -> datetime:
    """RFC 3339 as protojson writes Timestamps (``Z`` or offset, optional fraction)."""
    text = value.replace("Z", "+00:00")
    if "." in text:
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        tz = rest[len(digits) :]
        text = f"{head}.{(digits + '000000')[:6]}{tz}"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Validity:
    start: datetime | None
    end: datetime | None

    def contains(self, moment: datetime) -> bool:
        return (self.start is None or self.start <= moment) and (self.end is None or moment <= self.end)


@dataclass(frozen=True, slots=True)
class LogKey:
    """A transparency log (Rekor) or CT log key."""

    base_url: str
    log_id: bytes
    key: PublicKey
    key_details: str
    valid: Validity


@dataclass(frozen=True, slots=True)
class CertAuthority:
    """A Fulcio CA or a timestamp authority: its chain, leaf-most first."""

    uri: str
    chain: tuple[x509.Certificate, ...]
    valid: Validity


@dataclass(frozen=True, slots=True)
class TrustedRoot:
    tlogs: tuple[LogKey, ...]
    ctlogs: tuple[LogKey, ...]
    cas: tuple[CertAuthority, ...]
    tsas: tuple[CertAuthority, ...]

    def tlog(self, log_id: bytes) -> LogKey | None:
        return next((t for t in self.tlogs if t.log_id == log_id), None)


def _b64(value: Any, where: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SpecError(f"trusted root: {where} is not base64", path=where) from exc


def _validity(doc: Any) -> Validity:
    doc = doc if isinstance(doc, dict) else {}
    start = doc.get("start")
    end = doc.get("end")
    return Validity(parse_time(start) if start else None, parse_time(end) if end else None)


def _logs(items: Any, where: str) -> tuple[LogKey, ...]:
    out = []
    for i, item in enumerate(items or []):
        pk = item.get("publicKey") or {}
        raw = pk.get("rawBytes")
        if raw is None:
            continue
        out.append(
            LogKey(
                base_url=str(item.get("baseUrl", "")),
                log_id=_b64((item.get("logId") or {}).get("keyId", ""), f"{where}[{i}].logId.keyId"),
                key=load_public_key_der(_b64(raw, f"{where}[{i}].publicKey.rawBytes")),
                key_details=str(pk.get("keyDetails", "")),
                valid=_validity(pk.get("validFor")),
            )
        )
    return tuple(out)


def _cas(items: Any, where: str) -> tuple[CertAuthority, ...]:
    out = []
    for i, item in enumerate(items or []):
        certs = ((item.get("certChain") or {}).get("certificates")) or []
        try:
            chain = tuple(
                x509.load_der_x509_certificate(_b64(c.get("rawBytes"), f"{where}[{i}].certChain")) for c in certs
            )
        except ValueError as exc:
            raise SpecError(f"trusted root: {where}[{i}] has a malformed certificate: {exc}") from exc
        if chain:
            out.append(CertAuthority(str(item.get("uri", "")), chain, _validity(item.get("validFor"))))
    return tuple(out)


def load_trusted_root(data: bytes) -> TrustedRoot:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"trusted root is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or not str(doc.get("mediaType", "")).startswith(
        "application/vnd.dev.sigstore.trustedroot"
    ):
        raise SpecError("not a Sigstore trusted root (mediaType application/vnd.dev.sigstore.trustedroot+json)")
    try:
        return TrustedRoot(
            tlogs=_logs(doc.get("tlogs"), "tlogs"),
            ctlogs=_logs(doc.get("ctlogs"), "ctlogs"),
            cas=_cas(doc.get("certificateAuthorities"), "certificateAuthorities"),
            tsas=_cas(doc.get("timestampAuthorities"), "timestampAuthorities"),
        )
    except (AttributeError, TypeError, KeyError, ValueError) as exc:
        # A field of the wrong JSON type (protobuf-specs TrustedRoot has one type per field).
        raise SpecError(f"malformed trusted root: {type(exc).__name__}: {exc}") from exc
