"""JSON bytes as Go's ``encoding/json`` writes them: compact, HTML-escaped, non-ASCII kept as UTF-8.

Go sorts map keys and keeps struct field order; every struct cosign signs (simple signing, in-toto header)
happens to declare its fields in sorted order or is written here with explicit order, so callers pass dicts
in the order Go would write them and ``sort_maps`` only for ``map[string]interface{}`` values.
"""

from __future__ import annotations

import json
from typing import Any

_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def marshal(value: Any, *, sort_maps: bool = False) -> bytes:
    """Go ``json.Marshal`` of ``value`` (keys in the given order unless ``sort_maps``)."""
    text = json.dumps(_sorted(value) if sort_maps else value, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in _GO_ESCAPES.items():
        text = text.replace(raw, escaped)
    return text.encode("utf-8")
