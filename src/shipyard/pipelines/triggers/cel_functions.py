"""The Triggers CEL extension functions (tektoncd/triggers ``pkg/interceptors/cel/triggers.go`` and cel-go's
``ext.Strings``/``ext.Encoders``), written for cel-python, which calls ``x.f(a)`` as ``f(x, a)``.

Implemented: ``header.match(k, v)``, ``header.canonical(k)``, ``truncate``, ``split``, ``join``, ``lowerAscii``,
``upperAscii``, ``first``, ``last``, ``translate``, ``compareSecret``, ``parseJSON``, ``parseYAML``, ``parseURL``,
``marshalJSON``, ``base64.decode`` and the deprecated ``decodeb64``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import json
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from celpy import celtypes
from celpy.adapter import json_to_cel
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from shipyard.errors import NotFoundError
from shipyard.pipelines.triggers.base import SecretGetter, SecretRef
from shipyard.pipelines.triggers.headers import canonical_key


class CELFunctionError(ValueError):
    pass


def to_python(value: Any) -> Any:
    """A CEL value as plain JSON-compatible Python (bytes as base64, as Go's JSON encoder writes them)."""
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, celtypes.IntType | celtypes.UintType):
        return int(value)
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    if isinstance(value, celtypes.StringType):
        return str(value)
    if isinstance(value, celtypes.BytesType):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, celtypes.MapType | dict):
        return {str(k): to_python(v) for k, v in value.items()}
    if isinstance(value, celtypes.ListType | list | tuple):
        return [to_python(v) for v in value]
    if value is None:
        return None
    return str(value)


def _header_get(header: Any, key: Any) -> str:
    want = canonical_key(str(key))
    for k, values in header.items():
        if canonical_key(str(k)) == want:
            vals = list(values) if isinstance(values, list | celtypes.ListType) else [values]
            return str(vals[0]) if vals else ""
    return ""


def match(header: Any, key: Any, value: Any) -> celtypes.BoolType:
    return celtypes.BoolType(_header_get(header, key) == str(value))


def canonical(header: Any, key: Any) -> celtypes.StringType:
    return celtypes.StringType(_header_get(header, key))


def truncate(text: Any, n: Any) -> celtypes.StringType:
    return celtypes.StringType(str(text)[: max(0, int(n))])


def split(text: Any, sep: Any) -> celtypes.ListType:
    return celtypes.ListType([celtypes.StringType(p) for p in str(text).split(str(sep))])


def join(items: Any, sep: Any = "") -> celtypes.StringType:
    return celtypes.StringType(str(sep).join(str(i) for i in items))


def lower_ascii(text: Any) -> celtypes.StringType:
    return celtypes.StringType("".join(c.lower() if c.isascii() else c for c in str(text)))


def upper_ascii(text: Any) -> celtypes.StringType:
    return celtypes.StringType("".join(c.upper() if c.isascii() else c for c in str(text)))


def first(items: Any) -> Any:
    if not len(items):
        raise CELFunctionError("first() on an empty list")
    return items[0]


def last(items: Any) -> Any:
    if not len(items):
        raise CELFunctionError("last() on an empty list")
    return items[-1]


def translate(text: Any, pattern: Any, replacement: Any) -> celtypes.StringType:
    return celtypes.StringType(re.sub(str(pattern), str(replacement), str(text)))


def parse_json(text: Any) -> Any:
    try:
        data = json.loads(str(text))
    except ValueError as exc:
        raise CELFunctionError(f"failed to decode '{text}' in parseJSON: {exc}") from exc
    return json_to_cel(data)


def parse_yaml(text: Any) -> Any:
    try:
        data = YAML(typ="safe", pure=True).load(io.StringIO(str(text)))
    except YAMLError as exc:
        raise CELFunctionError(f"failed to decode '{text}' in parseYAML: {exc}") from exc
    return json_to_cel(json.loads(json.dumps(data, default=str)))


def parse_url(text: Any) -> Any:
    u = urllib.parse.urlsplit(str(text))
    query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
    out: dict[str, Any] = {
        "scheme": u.scheme,
        "host": u.netloc.rpartition("@")[2],
        "path": urllib.parse.unquote(u.path),
        "rawQuery": u.query,
        "fragment": u.fragment,
        "queryStrings": query,
        "query": {k: ",".join(v) for k, v in query.items()},
    }
    if "@" in u.netloc:
        out["auth"] = {"username": u.username or "", "password": u.password or ""}
    return json_to_cel(out)


def marshal_json(value: Any) -> celtypes.StringType:
    if not isinstance(value, celtypes.MapType | celtypes.ListType):
        raise CELFunctionError(f"unexpected type '{type(value).__name__}' passed to marshalJSON")
    return celtypes.StringType(json.dumps(to_python(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False))


def decode_b64(text: Any) -> celtypes.BytesType:
    try:
        return celtypes.BytesType(base64.b64decode(str(text), validate=True))
    except (binascii.Error, ValueError) as exc:
        raise CELFunctionError(f"failed to decode '{text}' in decodeb64: {exc}") from exc


def base64_decode(namespace: Any, text: Any) -> celtypes.BytesType:
    """``base64.decode(s)``: cel-python sees ``base64`` as a receiver, bound to ``BASE64_NAMESPACE``."""
    return decode_b64(text)


BASE64_NAMESPACE = celtypes.MapType({celtypes.StringType("__namespace__"): celtypes.StringType("base64")})


def make_compare_secret(secrets: SecretGetter) -> Callable[..., celtypes.BoolType]:
    def compare_secret(value: Any, key: Any, name: Any, *_namespace: Any) -> celtypes.BoolType:
        try:
            secret = secrets.get(SecretRef(secret_name=str(name), secret_key=str(key)))
        except NotFoundError as exc:
            raise CELFunctionError(f"failed to find secret '{name}' in compareSecret: {exc}") from exc
        return celtypes.BoolType(hmac.compare_digest(secret, str(value).encode()))

    return compare_secret


def functions(secrets: SecretGetter) -> dict[str, Callable[..., Any]]:
    return {
        "match": match,
        "canonical": canonical,
        "truncate": truncate,
        "split": split,
        "join": join,
        "lowerAscii": lower_ascii,
        "upperAscii": upper_ascii,
        "first": first,
        "last": last,
        "translate": translate,
        "compareSecret": make_compare_secret(secrets),
        "parseJSON": parse_json,
        "parseYAML": parse_yaml,
        "parseURL": parse_url,
        "marshalJSON": marshal_json,
        "decodeb64": decode_b64,
        "decode": base64_decode,
    }
