"""JSON as Go's ``encoding/json`` reads and writes it, since Triggers' bindings pass event values through it.

Decoding into ``interface{}`` makes every number a float64; encoding writes maps with sorted keys and no spaces,
floats in their shortest form (``42``, ``1.5``, ``1e+21``, ``1e-7``), and escapes ``<``, ``>``, ``&``, U+2028
and U+2029 (HTML-safe output) while keeping other text as UTF-8. A lone string embedded in a template is the
marshalled string without its quotes (``pkg/template/jsonpath.go`` ``getResults``): ``a"b`` becomes ``a\\"b``.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _string(text: str) -> str:
    out = json.dumps(text, ensure_ascii=False)
    if any(c in out for c in _HTML):
        out = "".join(_HTML.get(c, c) for c in out)
    return out


def go_float(value: float) -> str:
    """strconv.AppendFloat(f, 'f' or 'e', -1, 64) as encoding/json chooses it."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"json: unsupported value: {value}")
    if value == 0:
        return "0"
    shortest = repr(float(value))
    if 1e-6 <= abs(value) < 1e21:
        text = format(Decimal(shortest), "f")
        return text[:-2] if text.endswith(".0") else text
    mantissa, _, exp = format(Decimal(shortest), "e").partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    sign = exp[0] if exp[0] in "+-" else "+"
    digits = exp.lstrip("+-").lstrip("0") or "0"
    return f"{mantissa}e{sign}{digits.zfill(2) if sign == '+' and len(digits) < 2 else digits}"


def marshal(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int | float):
        return go_float(float(value))
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(str(k))}:{marshal(value[k])}" for k in sorted(value, key=str)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(marshal(v) for v in value) + "]"
    raise ValueError(f"json: unsupported type {type(value).__name__}")


def embed(value: Any) -> str:
    """The text a binding substitutes for one JSONPath result."""
    if isinstance(value, str):
        return _string(value)[1:-1]
    return marshal(value)


def loads(data: bytes | str) -> Any:
    """Parse JSON with every number a float, as Go does into ``interface{}``; ``ValueError`` when invalid."""
    return json.loads(data, parse_int=float)
