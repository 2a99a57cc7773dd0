"""DSSE envelopes and the pre-authentication encoding (go-securesystemslib ``dsse``).

PAE = ``"DSSEv1" SP len(type) SP type SP len(payload) SP payload`` with decimal byte lengths of the raw strings;
the signature covers PAE, never the base64. Parsers accept std and URL-safe base64 and a missing ``keyid``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from shipyard.supplychain.signing import gojson
from shipyard.supplychain.signing.errors import SignatureMismatchError
from shipyard.supplychain.signing.keys import PrivateKey, PublicKey, sign_bytes, verify_bytes

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def b64decode_any(value: str) -> bytes:
    """cosign ``b64Decode``: std base64, else URL-safe."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        try:
            padded = value + "=" * (-len(value) % 4)
            return base64.urlsafe_b64decode(padded)
        except (binascii.Error, ValueError) as exc:
            raise SignatureMismatchError("DSSE field is neither std nor URL-safe base64") from exc


@dataclass(frozen=True, slots=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[bytes, ...]
    keyids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """go-securesystemslib field order, keyid always present."""
        keyids = self.keyids or ("",) * len(self.signatures)
        return {
            "payloadType": self.payload_type,
            "payload": base64.b64encode(self.payload).decode(),
            "signatures": [
                {"keyid": kid, "sig": base64.b64encode(sig).decode()}
                for kid, sig in zip(keyids, self.signatures, strict=True)
            ],
        }

    def to_bytes(self) -> bytes:
        return gojson.marshal(self.to_json())

    def to_bundle_json(self) -> dict[str, Any]:
        """protojson form used in a Sigstore bundle (``keyid`` omitted when empty)."""
        return {
            "payload": base64.b64encode(self.payload).decode(),
            "payloadType": self.payload_type,
            "signatures": [{"sig": base64.b64encode(sig).decode()} for sig in self.signatures],
        }


def sign_envelope(key: PrivateKey, payload: bytes, payload_type: str = INTOTO_PAYLOAD_TYPE) -> Envelope:
    return Envelope(payload_type, payload, (sign_bytes(key, pae(payload_type, payload)),), ("",))


def parse_envelope(data: bytes | dict[str, Any]) -> Envelope:
    try:
        doc = json.loads(data) if isinstance(data, bytes) else data
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SignatureMismatchError(f"DSSE envelope is not JSON: {exc}") from exc
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("payload"), str)
        or not isinstance(doc.get("payloadType"), str)
    ):
        raise SignatureMismatchError("DSSE envelope lacks payload or payloadType")
    sigs = doc.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        raise SignatureMismatchError("DSSE envelope has no signatures")
    raw: list[bytes] = []
    keyids: list[str] = []
    for s in sigs:
        if not isinstance(s, dict) or not isinstance(s.get("sig"), str):
            raise SignatureMismatchError("DSSE signature entry lacks sig")
        raw.append(b64decode_any(s["sig"]))
        keyids.append(str(s.get("keyid", "")))
    return Envelope(doc["payloadType"], b64decode_any(doc["payload"]), tuple(raw), tuple(keyids))


def verify_envelope(envelope: Envelope, key: PublicKey, *, payload_type: str | None = INTOTO_PAYLOAD_TYPE) -> None:
    """At least one signature verifies over PAE; the payload type is the one expected."""
    if payload_type is not None and envelope.payload_type != payload_type:
        raise SignatureMismatchError(f"DSSE payloadType {envelope.payload_type!r} is not {payload_type!r}")
    message = pae(envelope.payload_type, envelope.payload)
    last: SignatureMismatchError | None = None
    for sig in envelope.signatures:
        try:
            verify_bytes(key, sig, message)
            return
        except SignatureMismatchError as exc:
            last = exc
    raise SignatureMismatchError("no DSSE signature verifies over the envelope's PAE") from last
