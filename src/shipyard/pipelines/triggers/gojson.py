"""JSON text as Go's ``encoding/json`` writes it, since Triggers' bindings and overlays pass values through it.

Go marshals maps with sorted keys and no spaces, and escapes ``<``, ``>``, ``&``, U+2028 and U+2029 (HTML-safe
output); non-ASCII text is kept as UTF-8. A lone string embedded in a template is the marshalled string without its
quotes (``pkg/template/jsonpath.go`` ``getResults``), so ``a"b`` becomes ``a\\"b``.
"""

from __future__ import annotations

import json
from typing import Any

_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _html_escape(text: str) -> str:
    if not any(c in text for c in _HTML):
        return text
    return "".join(_HTML.get(c, c) for c in text)


def marshal(value: Any) -> str:
    return _html_escape(json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False))


def embed(value: Any) -> str:
    """The text a binding substitutes for one JSONPath result."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return marshal(value)[1:-1]
    return marshal(value)


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises ``ValueError`` with the decoder's message."""
    return json.loads(data)
