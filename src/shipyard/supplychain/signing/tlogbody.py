"""Does a Rekor entry body describe *this* signature? (cosign ``compareSigs``/``comparePublicKey``, sigstore-go.)

Entry kinds: ``hashedrekord`` 0.0.1 (hex hash, b64 signature, b64 PEM key/cert), ``hashedrekord`` 0.0.2 (Rekor v2:
b64 digest, verifier rawBytes), ``dsse`` 0.0.1 (payloadHash + signatures with b64 PEM verifiers) and ``intoto``
0.0.2 (payloadHash + double-base64 signatures with b64 PEM public keys).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from shipyard.supplychain.signing.errors import TransparencyLogError
from shipyard.supplychain.signing.keys import pem_blocks
from shipyard.supplychain.signing.tlog import TlogEntry


def _b64(value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TransparencyLogError("tlog entry body field is not base64") from exc


def _material_der(pem_or_der: bytes) -> bytes:
    """DER of the first PEM block (certificate or public key), or the bytes themselves if not PEM."""
    if pem_or_der.lstrip().startswith(b"-----BEGIN"):
        blocks = pem_blocks(pem_or_der)
        if blocks:
            return blocks[0][1]
    return pem_or_der


def verifier_der(cert: x509.Certificate | None, key_der: bytes | None) -> bytes:
    if cert is not None:
        return cert.public_bytes(serialization.Encoding.DER)
    return key_der or b""


def _get(doc: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(p)
    return doc


def check_hashedrekord(entry: TlogEntry, digest: bytes, signature: bytes, material: bytes) -> None:
    body = entry.body_json()
    if entry.version == "0.0.2":
        spec = _get(body, "spec", "hashedRekordV002") or {}
        got_digest = _b64(_get(spec, "data", "digest") or "")
        got_sig = _b64(_get(spec, "signature", "content") or "")
        verifier = _get(spec, "signature", "verifier") or {}
        raw = _get(verifier, "x509Certificate", "rawBytes") or _get(verifier, "publicKey", "rawBytes") or ""
        got_material = _b64(raw)
    else:
        spec = _get(body, "spec") or {}
        try:
            got_digest = bytes.fromhex(str(_get(spec, "data", "hash", "value") or ""))
        except ValueError as exc:
            raise TransparencyLogError("hashedrekord hash is not hex") from exc
        got_sig = _b64(_get(spec, "signature", "content") or "")
        got_material = _material_der(_b64(_get(spec, "signature", "publicKey", "content") or ""))
    if got_digest != digest:
        raise TransparencyLogError("tlog entry's artifact hash differs from the signed artifact's digest")
    if got_sig != signature:
        raise TransparencyLogError("tlog entry's signature differs from the bundle's signature")
    if got_material != material:
        raise TransparencyLogError("tlog entry's public key or certificate differs from the bundle's")


def check_dsse(entry: TlogEntry, payload: bytes, signatures: Sequence[bytes], material: bytes) -> None:
    body = entry.body_json()
    spec = _get(body, "spec") or {}
    payload_hash = hashlib.sha256(payload).hexdigest()
    if entry.kind == "intoto":
        content = _get(spec, "content") or {}
        got_hash = _get(content, "payloadHash", "value")
        got = []
        for s in _get(content, "envelope", "signatures") or []:
            inner = _b64(s.get("sig", "")).decode("ascii", errors="replace")
            got.append((_b64(inner), _material_der(_b64(s.get("publicKey", "")))))
    else:
        got_hash = _get(spec, "payloadHash", "value")
        got = [
            (_b64(s.get("signature", "")), _material_der(_b64(s.get("verifier", ""))))
            for s in spec.get("signatures") or []
        ]
    if got_hash != payload_hash:
        raise TransparencyLogError("tlog entry's payload hash differs from the DSSE envelope's payload")
    want = sorted((sig, material) for sig in signatures)
    if sorted(got) != want:
        raise TransparencyLogError("tlog entry's signatures differ from the DSSE envelope's signatures")
