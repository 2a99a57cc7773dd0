"""Embedded Signed Certificate Timestamps (RFC 6962 §3.2) in Fulcio certificates, checked against the trusted
root's CT logs (cosign verifies them unless ``--insecure-ignore-sct``).

The log signed ``version ‖ signature_type=0 ‖ timestamp(ms, u64) ‖ entry_type=precert(1) ‖ SHA-256(issuer SPKI)
‖ u24 len ‖ TBSCertificate without the SCT extension ‖ u16 len ‖ extensions``; ``cryptography`` gives the
precertificate TBS directly. One SCT from a known log, valid at its timestamp, is enough.
"""

from __future__ import annotations

import calendar
import hashlib
import struct
from datetime import UTC

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from shipyard.supplychain.signing.errors import CertificateError, SignatureMismatchError
from shipyard.supplychain.signing.keys import verify_bytes
from shipyard.supplychain.signing.trustroot import TrustedRoot


def _millis(sct: x509.certificate_transparency.SignedCertificateTimestamp) -> int:
    ts = sct.timestamp.replace(tzinfo=UTC)
    return calendar.timegm(ts.timetuple()) * 1000 + ts.microsecond // 1000


def signed_data(
    sct: x509.certificate_transparency.SignedCertificateTimestamp, leaf: x509.Certificate, issuer: x509.Certificate
) -> bytes:
    issuer_key_hash = hashlib.sha256(
        issuer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ).digest()
    tbs = leaf.tbs_precertificate_bytes
    ext = sct.extension_bytes
    return (
        bytes([0, 0])
        + struct.pack(">Q", _millis(sct))
        + struct.pack(">H", 1)
        + issuer_key_hash
        + len(tbs).to_bytes(3, "big")
        + tbs
        + struct.pack(">H", len(ext))
        + ext
    )


def verify_sct(leaf: x509.Certificate, issuer: x509.Certificate, root: TrustedRoot) -> None:
    try:
        scts = leaf.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps).value
    except x509.ExtensionNotFound as exc:
        raise CertificateError("certificate has no embedded SCT (use --insecure-ignore-sct to accept)") from exc
    problems: list[str] = []
    for sct in scts:
        log = next((c for c in root.ctlogs if c.log_id == sct.log_id), None)
        if log is None:
            problems.append(f"SCT from unknown CT log {sct.log_id.hex()}")
            continue
        if not log.valid.contains(sct.timestamp.replace(tzinfo=UTC)):
            problems.append("SCT timestamp outside the CT log key's validity")
            continue
        try:
            verify_bytes(log.key, sct.signature, signed_data(sct, leaf, issuer))
        except SignatureMismatchError:
            problems.append(f"SCT signature by CT log {sct.log_id.hex()} does not verify")
            continue
        return
    raise CertificateError("no valid embedded SCT: " + "; ".join(problems or ["empty SCT list"]))
