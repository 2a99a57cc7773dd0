"""``cosign sign`` and ``cosign attest`` with a key, in either storage layout.

Legacy (``--new-bundle-format=false``): a simple-signing payload (or a DSSE in-toto envelope) appended as a layer
to ``sha256-<hex>.sig`` (``.att``). Current (cosign 3 default): a DSSE envelope over an in-toto statement in a
Sigstore bundle v0.3, attached as an OCI 1.1 referrer. A tag is resolved to its digest first; the result says so.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shipyard.supplychain.signing import legacy, referrer, statements
from shipyard.supplychain.signing.bundle import build_dsse_bundle
from shipyard.supplychain.signing.dsse import DSSE_MEDIA_TYPE, sign_envelope
from shipyard.supplychain.signing.errors import SignatureMismatchError
from shipyard.supplychain.signing.imageref import ImageRef, parse_image
from shipyard.supplychain.signing.keys import PrivateKey, key_hint, sign_bytes, verify_bytes
from shipyard.supplychain.signing.payload import SIMPLE_SIGNING_MEDIA_TYPE, make_payload
from shipyard.supplychain.signing.storage import Resolved, SignatureStore, resolve


@dataclass(frozen=True, slots=True)
class SignResult:
    image: ImageRef  # pinned to the digest that was signed
    resolved_from_tag: str | None  # "v1" when the caller named a tag
    layout: str  # "legacy" or "bundle"
    location: str  # the .sig/.att tag, or the referrer manifest digest
    written: bool  # False when an identical signature was already there


def _pin(store: SignatureStore, image: str | ImageRef) -> tuple[ImageRef, Resolved]:
    ref = parse_image(image) if isinstance(image, str) else image
    found = resolve(store, ref.repository, ref.identifier, ref.digest)
    return ref.with_digest(found.digest), found


def _subject(found: Resolved) -> referrer.Subject:
    return referrer.Subject(found.media_type, found.digest, found.size)


def sign_image(
    store: SignatureStore,
    image: str | ImageRef,
    key: PrivateKey,
    *,
    now: datetime,
    annotations: Mapping[str, str] | None = None,
    new_bundle_format: bool = True,
) -> SignResult:
    """Sign the manifest ``image`` names; returns where the signature went."""
    ref, found = _pin(store, image)
    digest = found.digest
    if not new_bundle_format:
        payload = make_payload(ref.docker_reference, digest, annotations)
        signature = sign_bytes(key, payload)
        layer = legacy.Layer(
            SIMPLE_SIGNING_MEDIA_TYPE,
            legacy.sha256(payload),
            len(payload),
            {legacy.ANN_SIGNATURE: base64.b64encode(signature).decode()},
        )

        def duplicate(existing: legacy.Layer) -> bool:
            # cosign dupe detection: same payload, type and other annotations, and a signature by this key.
            if (existing.digest, existing.media_type) != (layer.digest, layer.media_type):
                return False
            others = {k: v for k, v in existing.annotations.items() if k != legacy.ANN_SIGNATURE}
            if others:
                return False
            try:
                sig = base64.b64decode(existing.annotations.get(legacy.ANN_SIGNATURE, ""))
                verify_bytes(key.public_key(), sig, payload)
            except (SignatureMismatchError, ValueError):
                return False
            return True

        tag = legacy.legacy_tag(digest, "sig")
        _, written = legacy.append_layer(store, ref.repository, tag, payload, layer, is_duplicate=duplicate)
        return SignResult(ref, found.from_tag, "legacy", tag, written)
    statement = statements.signature_statement(digest, annotations)
    envelope = sign_envelope(key, statement)
    bundle = build_dsse_bundle(envelope, key_hint=key_hint(key.public_key()))
    where = referrer.attach_bundle(
        store, ref.repository, bundle, _subject(found), statements.COSIGN_SIGN_PREDICATE, now=now
    )
    return SignResult(ref, found.from_tag, "bundle", where, True)


def attest_image(
    store: SignatureStore,
    image: str | ImageRef,
    key: PrivateKey,
    *,
    predicate: bytes,
    predicate_kind: str = "custom",
    now: datetime,
    new_bundle_format: bool = True,
) -> SignResult:
    """``cosign attest --predicate F --type T``: an in-toto statement about the image, signed as DSSE."""
    ref, found = _pin(store, image)
    uri = statements.predicate_type_uri(predicate_kind)
    body = statements.build_predicate(predicate_kind, predicate, now=now)
    statement = statements.attestation_statement(ref.docker_reference, found.digest, uri, body)
    envelope = sign_envelope(key, statement)
    if not new_bundle_format:
        data = envelope.to_bytes()
        # pkg/oci/static: an attestation is a signature whose signature lives in the payload, and Annotations()
        # always writes the signature key — so cosign's .att layers carry "dev.cosignproject.cosign/signature": "".
        annotations = {legacy.ANN_PREDICATE_TYPE: uri, legacy.ANN_SIGNATURE: ""}
        layer = legacy.Layer(DSSE_MEDIA_TYPE, legacy.sha256(data), len(data), annotations)
        tag = legacy.legacy_tag(found.digest, "att")
        _, written = legacy.append_layer(store, ref.repository, tag, data, layer)
        return SignResult(ref, found.from_tag, "legacy", tag, written)
    bundle = build_dsse_bundle(envelope, key_hint=key_hint(key.public_key()))
    where = referrer.attach_bundle(store, ref.repository, bundle, _subject(found), uri, now=now)
    return SignResult(ref, found.from_tag, "bundle", where, True)
