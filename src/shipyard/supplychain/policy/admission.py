"""AdmissionReview v1 (``admission.k8s.io/v1``): read a request, answer allowed / denied / mutated.

The response echoes ``request.uid``; a denial carries ``status.code`` 403 and a message naming each refused image
and the attestor that failed; a mutation carries ``patchType: JSONPatch`` and the base64 of the RFC 6902 patch
(keys in JSON pointers escaped ``~0``/``~1``), which only a mutating webhook may return.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from shipyard.errors import SpecError
from shipyard.supplychain.policy.engine import Decision, PolicyEngine

API_VERSION = "admission.k8s.io/v1"


def parse_review(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"AdmissionReview is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("kind") != "AdmissionReview":
        raise SpecError("body is not an AdmissionReview", path="kind")
    if doc.get("apiVersion") != API_VERSION:
        raise SpecError(
            f"unsupported AdmissionReview apiVersion {doc.get('apiVersion')!r} (want {API_VERSION})", path="apiVersion"
        )
    request = doc.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("uid"), str):
        raise SpecError("AdmissionReview has no request.uid", path="request.uid")
    return request


def encode_patch(ops: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> str:
    return base64.b64encode(json.dumps(list(ops), separators=(",", ":")).encode()).decode()


def response_for(uid: str, decision: Decision, *, mutating: bool = True) -> dict[str, Any]:
    response: dict[str, Any] = {"uid": uid, "allowed": decision.allowed}
    if not decision.allowed:
        response["status"] = {"code": 403, "message": decision.message()}
    elif mutating and decision.patches:
        response["patchType"] = "JSONPatch"
        response["patch"] = encode_patch(decision.patches)
    if decision.warnings:
        response["warnings"] = list(decision.warnings)
    return {"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": response}


def review(engine: PolicyEngine, body: bytes, *, mutating: bool = True) -> dict[str, Any]:
    """Answer one AdmissionReview request body. Objects without images (or DELETE) are allowed untouched."""
    request = parse_review(body)
    obj: Mapping[str, Any] | None = request.get("object")
    operation = str(request.get("operation", "CREATE"))
    if operation == "DELETE" or not isinstance(obj, dict):
        return response_for(request["uid"], Decision(()), mutating=mutating)
    for field in ("metadata", "spec"):
        if field in obj and not isinstance(obj[field], dict):
            raise SpecError(f"request.object.{field} must be an object", path=f"request.object.{field}")
    namespace = request.get("namespace")
    decision = engine.evaluate(obj, namespace=str(namespace) if namespace else None, operation=operation)
    return response_for(request["uid"], decision, mutating=mutating)
