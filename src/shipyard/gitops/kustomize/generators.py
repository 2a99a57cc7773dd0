"""``configMapGenerator``/``secretGenerator`` and kustomize's content hash suffix (``api/hasher/hasher.go``).

The hash is sha256 over Go ``encoding/json`` of ``{"data", "kind", "name"[, "binaryData"]}`` (Secret adds
``type``): sorted keys, compact, ``<>&`` HTML-escaped; the first 10 hex characters are then made
vowel-free with ``0→g 1→h 3→k a→m e→t``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from shipyard.errors import SpecError

_ENC = str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"})


def _go_json(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def encode_hash(hex_digest: str) -> str:
    return hex_digest[:10].translate(_ENC)


def content_hash(obj: dict[str, Any]) -> str:
    kind = obj.get("kind")
    # kustomize looks the name up as the single field "metadata/name", which never exists, so the hashed name is
    # always "" (hasher.go getNodeValues); we reproduce that so suffixes match byte for byte.
    m: dict[str, Any] = {"kind": kind, "name": "", "data": obj.get("data") or ""}
    if kind == "ConfigMap":
        if isinstance(obj.get("binaryData"), dict):
            m["binaryData"] = obj["binaryData"]
    elif kind == "Secret":
        m["type"] = obj.get("type", "")
        if isinstance(obj.get("stringData"), dict):
            m["stringData"] = obj["stringData"]
    else:
        raise SpecError(f"kustomize only hashes ConfigMaps and Secrets, not {kind}")
    return encode_hash(hashlib.sha256(_go_json(m).encode("utf-8")).hexdigest())


def encode_base64(raw: bytes) -> str:
    """Base64 as kustomize's generators write it: an encoding of 70 characters or more is broken into lines of
    70, each ending in a newline (so the value, and the hash over it, carry those newlines)."""
    text = base64.b64encode(raw).decode("ascii")
    if len(text) < 70:
        return text
    return "".join(text[i : i + 70] + "\n" for i in range(0, len(text), 70))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _within(root: Path, rel: str, where: str) -> Path:
    p = (root / rel).resolve()
    base = root.resolve()
    if p != base and base not in p.parents:
        raise SpecError(f"{where}: file {rel!r} is not in or below the kustomization directory {root}")
    if not p.is_file():
        raise SpecError(f"{where}: file {rel!r} not found in {root}")
    return p


def _env_pairs(text: str, where: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key, eq, value = line.partition("=")
        if not eq:
            # kustomize would read the variable from its own environment; a build must not depend on that.
            raise SpecError(f"{where} line {n}: {key!r} has no '=value' (environment lookups are not supported)")
        out.append((key.strip(), value))
    return out


def generator_data(root: Path, spec: dict[str, Any], where: str) -> tuple[dict[str, str], dict[str, str]]:
    """``(data, binaryData)`` from literals, files and envs, in kustomize's order, duplicates rejected."""
    data: dict[str, str] = {}
    binary: dict[str, str] = {}

    def put(key: str, value: str) -> None:
        if key in data or key in binary:
            raise SpecError(f"{where}: key {key!r} is defined more than once")
        data[key] = value

    envs = list(spec.get("envs") or [])
    if spec.get("env"):
        envs.append(spec["env"])
    for env in envs:
        for key, value in _env_pairs(_within(root, str(env), where).read_text(encoding="utf-8"), where):
            put(key, value)
    for lit in spec.get("literals") or []:
        key, eq, value = str(lit).partition("=")
        if not eq or not key:
            raise SpecError(f"{where}: literal {lit!r} is not KEY=VALUE")
        put(key.strip(), _unquote(value))
    for f in spec.get("files") or []:
        key, eq, rel = str(f).partition("=")
        if not eq:
            rel, key = key, Path(key).name
        raw = _within(root, rel, where).read_bytes()
        try:
            put(key, raw.decode("utf-8"))
        except UnicodeDecodeError:
            if key in data or key in binary:
                raise SpecError(f"{where}: key {key!r} is defined more than once") from None
            binary[key] = encode_base64(raw)
    return data, binary


def merge_options(global_opts: dict[str, Any] | None, local: dict[str, Any] | None) -> dict[str, Any]:
    g, loc = global_opts or {}, local or {}
    out: dict[str, Any] = {
        "labels": {**(g.get("labels") or {}), **(loc.get("labels") or {})},
        "annotations": {**(g.get("annotations") or {}), **(loc.get("annotations") or {})},
        # MergeGlobalOptionsIntoLocal: a global true cannot be switched off by a generator's own false.
        "disableNameSuffixHash": bool(g.get("disableNameSuffixHash")) or bool(loc.get("disableNameSuffixHash")),
        "immutable": bool(g.get("immutable")) or bool(loc.get("immutable")),
    }
    return out


def make_generated(kind: str, root: Path, spec: dict[str, Any], opts: dict[str, Any], where: str) -> dict[str, Any]:
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError(f"{where}: a generator needs a name")
    data, binary = generator_data(root, spec, where)
    meta: dict[str, Any] = {"name": name}
    if spec.get("namespace"):
        meta["namespace"] = spec["namespace"]
    if opts["labels"]:
        meta["labels"] = {k: str(v) for k, v in opts["labels"].items()}
    if opts["annotations"]:
        meta["annotations"] = {k: str(v) for k, v in opts["annotations"].items()}
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": meta}
    if kind == "Secret":
        enc = {k: encode_base64(v.encode("utf-8")) for k, v in data.items()}
        enc.update(binary)
        if enc:
            obj["data"] = enc
        obj["type"] = str(spec.get("type") or "Opaque")
    else:
        if data:
            obj["data"] = data
        if binary:
            obj["binaryData"] = binary
    if opts["immutable"]:
        obj["immutable"] = True
    return obj
