"""in-toto statements as cosign writes them, and the ``--type`` → predicateType table.

``cosign attest --predicate F --type T`` (``pkg/cosign/attestation``) wraps the predicate in an in-toto
``Statement/v0.1`` with one subject ``{"name": <repo>, "digest": {"sha256": <hex>}}``. cosign 3's new-format image
signature is a ``Statement/v1`` with predicateType ``https://sigstore.dev/cosign/sign/v1`` and predicate ``{}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from shipyard.errors import SpecError
from shipyard.supplychain.signing import gojson
from shipyard.supplychain.signing.errors import ClaimMismatchError

STATEMENT_V01 = "https://in-toto.io/Statement/v0.1"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
CUSTOM_PREDICATE = "https://cosign.sigstore.dev/attestation/v1"
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
SLSA_V1 = "https://slsa.dev/provenance/v1"
SPDX = "https://spdx.dev/Document"
CYCLONEDX = "https://cyclonedx.org/bom"

# cosign cmd/cosign/cli/options/predicate.go PredicateTypeMap (v3.1).
PREDICATE_TYPES: dict[str, str] = {
    "custom": CUSTOM_PREDICATE,
    "slsaprovenance": SLSA_V02,
    "slsaprovenance02": SLSA_V02,
    "slsaprovenance1": SLSA_V1,
    "spdx": SPDX,
    "spdxjson": SPDX,
    "cyclonedx": CYCLONEDX,
    "link": "https://in-toto.io/Link/v1",
    "vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
    "openvex": "https://openvex.dev/ns",
}


def predicate_type_uri(kind: str) -> str:
    """``ParsePredicateType``: a known name, else a valid absolute URI."""
    if kind in PREDICATE_TYPES:
        return PREDICATE_TYPES[kind]
    parsed = urlparse(kind)
    if not parsed.scheme or not (parsed.netloc or parsed.path):
        raise SpecError(f"invalid predicate type: {kind} (use one of {', '.join(sorted(PREDICATE_TYPES))} or a URI)")
    return kind


def build_predicate(kind: str, raw: bytes, *, now: datetime) -> Any:
    """The predicate cosign builds from a ``--predicate`` file for ``--type kind``."""
    uri = predicate_type_uri(kind)
    if uri == CUSTOM_PREDICATE:
        return {
            "Data": raw.decode("utf-8", errors="replace"),
            "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    if kind == "spdx":
        return raw.decode("utf-8", errors="replace")  # tag-value text is carried as a string
    try:
        predicate = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"predicate for --type {kind} is not JSON: {exc}") from exc
    if not isinstance(predicate, dict):
        raise SpecError(f"predicate for --type {kind} must be a JSON object")
    if uri == SLSA_V02 and not isinstance(predicate.get("builder"), dict):
        raise SpecError("slsaprovenance (v0.2) predicate needs builder.id; use --type slsaprovenance1 for SLSA v1")
    if uri == SLSA_V1 and not isinstance(predicate.get("buildDefinition"), dict):
        raise SpecError("slsaprovenance1 predicate needs buildDefinition and runDetails (SLSA v1)")
    return predicate


def attestation_statement(repo: str, digest: str, predicate_type: str, predicate: Any) -> bytes:
    """``cosign attest`` statement bytes (v0.1 header in Go struct order, predicate maps sorted)."""
    alg, _, hexd = digest.partition(":")
    doc = {
        "_type": STATEMENT_V01,
        "predicateType": predicate_type,
        "subject": [{"name": repo, "digest": {alg: hexd}}],
        "predicate": predicate,
    }
    header = gojson.marshal({k: doc[k] for k in ("_type", "predicateType", "subject")})
    body = gojson.marshal(predicate, sort_maps=isinstance(predicate, dict) and "Data" not in predicate)
    return header[:-1] + b',"predicate":' + body + b"}"


def signature_statement(digest: str, annotations: Mapping[str, str] | None = None) -> bytes:
    """cosign 3 new-format image signature: in-toto v1, subject without name, predicate ``{}``.

    cosign (cmd/cosign/cli/sign/sign.go) sets ``Annotations: structpb.NewStruct(annotations)`` even without
    ``-a``; protojson writes a set message field, so the subject always carries ``"annotations"`` (``{}`` when
    there are none)."""
    alg, _, hexd = digest.partition(":")
    subject: dict[str, Any] = {"digest": {alg: hexd}, "annotations": dict(sorted((annotations or {}).items()))}
    return gojson.marshal(
        {"_type": STATEMENT_V1, "subject": [subject], "predicateType": COSIGN_SIGN_PREDICATE, "predicate": {}}
    )


@dataclass(frozen=True, slots=True)
class Statement:
    type: str
    predicate_type: str
    subjects: tuple[dict[str, Any], ...]
    predicate: Any
    raw: dict[str, Any]

    def digests(self, alg: str = "sha256") -> list[str]:
        out = []
        for s in self.subjects:
            d = s.get("digest")
            if isinstance(d, dict) and isinstance(d.get(alg), str):
                out.append(f"{alg}:{d[alg]}")
        return out


def parse_statement(payload: bytes) -> Statement:
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ClaimMismatchError(f"in-toto statement is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("_type") not in (STATEMENT_V01, STATEMENT_V1):
        raise ClaimMismatchError("payload is not an in-toto statement (_type)")
    subjects = doc.get("subject")
    if not isinstance(subjects, list) or not all(isinstance(s, dict) for s in subjects):
        raise ClaimMismatchError("in-toto statement has no subject list")
    return Statement(doc["_type"], str(doc.get("predicateType", "")), tuple(subjects), doc.get("predicate"), doc)


def check_subject(statement: Statement, digest: str, annotations: Mapping[str, str] | None = None) -> None:
    """``IntotoSubjectClaimVerifier``: some subject has the image digest (and the annotations, if asked)."""
    alg, _, hexd = digest.partition(":")
    for s in statement.subjects:
        d = s.get("digest")
        if isinstance(d, dict) and d.get(alg) == hexd:
            ann = s.get("annotations")
            have = ann if isinstance(ann, dict) else {}
            if all(str(have.get(k)) == str(v) for k, v in (annotations or {}).items()):
                return
    raise ClaimMismatchError(f"no in-toto subject matches the image digest {digest}")
