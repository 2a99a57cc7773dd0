"""What the SCM interceptors (github, gitlab, bitbucket) share: their ``eventTypes``/``secretRef`` params and
go-github's ``ValidateSignature`` (``<alg>=<hex HMAC of the raw body>``, compared in constant time)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping
from typing import Any

from shipyard.errors import SpecError
from shipyard.pipelines.triggers.base import SecretRef

_HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def check_params(params: Mapping[str, Any], valid: Collection[str], interceptor: str) -> None:
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise SpecError(f'unknown {interceptor} interceptor param "{unknown[0]}" (valid: {", ".join(valid)})')


def event_types(params: Mapping[str, Any]) -> list[str] | None:
    types = params.get("eventTypes")
    if types is not None and (not isinstance(types, list) or not all(isinstance(t, str) for t in types)):
        raise SpecError("eventTypes must be a list of strings")
    return types


def secret_ref(params: Mapping[str, Any]) -> SecretRef | None:
    value = params.get("secretRef")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise SpecError("secretRef must be a mapping with secretName and secretKey")
    unknown = sorted(set(value) - {"secretName", "secretKey"})
    if unknown:
        raise SpecError(f'secretRef: unknown field "{unknown[0]}"')
    return SecretRef(secret_name=str(value.get("secretName", "")), secret_key=str(value.get("secretKey", "")))


def signature_error(
    header: str, body: bytes, secret: bytes, algorithms: Collection[str] = ("sha1", "sha256", "sha512")
) -> str | None:
    """None when ``header`` is the right HMAC of ``body``; otherwise go-github's message."""
    if not header:
        return "missing signature"
    prefix, sep, hexsig = header.partition("=")
    if not sep:
        return f'error parsing signature "{header}"'
    if prefix not in algorithms:
        return f'unknown hash type prefix: "{prefix}"'
    try:
        given = bytes.fromhex(hexsig)
    except ValueError:
        return f'error decoding signature "{header}": encoding/hex: invalid byte'
    want = hmac.new(secret, body, _HASHES[prefix]).digest()
    return None if hmac.compare_digest(given, want) else "payload signature check failed"
