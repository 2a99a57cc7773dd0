"""Kyverno ``AnyAllConditions`` over an attestation's predicate (``pkg/engine/variables/operator``).

``{{ expr }}`` is JMESPath over the predicate (loaded as the JSON context, as Kyverno does for attestations); a
key or value that is exactly one ``{{ }}`` keeps the result's type, otherwise results are interpolated as text.
Each block passes when at least one ``any`` condition (if there are any) and every ``all`` condition hold; every
block must pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import jmespath  # type: ignore[import-untyped]
import jmespath.exceptions  # type: ignore[import-untyped]

from shipyard.errors import SpecError, UnsupportedError
from shipyard.resources.kyverno import AnyAllConditions, Condition
from shipyard.supplychain.policy.images import wildcard_match

_VAR = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def substitute(value: Any, context: Any) -> Any:
    if isinstance(value, list):
        return [substitute(v, context) for v in value]
    if not isinstance(value, str):
        return value
    whole = _VAR.fullmatch(value.strip())
    if whole:
        return _search(whole.group(1), context)
    return _VAR.sub(lambda m: _text(_search(m.group(1), context)), value)


def _search(expr: str, context: Any) -> Any:
    try:
        return jmespath.search(expr, context)
    except jmespath.exceptions.JMESPathError as exc:
        raise SpecError(f"invalid JMESPath expression {expr!r}: {exc}") from exc


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _equal(key: Any, value: Any) -> bool:
    if isinstance(key, str) and isinstance(value, str):
        return wildcard_match(value, key)
    if isinstance(key, bool) or isinstance(value, bool):
        return key is value or (key == value and type(key) is type(value))
    if isinstance(key, int | float) and isinstance(value, int | float):
        return float(key) == float(value)
    return bool(key == value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _contained(item: Any, values: Any) -> bool:
    return any(_equal(item, v) for v in _as_list(values))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _compare(op: str, key: Any, value: Any) -> bool:
    a, b = _number(key), _number(value)
    if a is None or b is None:
        return False
    return {"GreaterThan": a > b, "GreaterThanOrEquals": a >= b, "LessThan": a < b, "LessThanOrEquals": a <= b}[op]


def evaluate(condition: Condition, context: Any) -> bool:
    key = substitute(condition.key, context)
    value = substitute(condition.value, context)
    op = condition.operator
    if op in ("Equals", "Equal"):
        return _equal(key, value)
    if op in ("NotEquals", "NotEqual"):
        return not _equal(key, value)
    if op == "In":
        return all(_contained(k, value) for k in _as_list(key))
    if op == "NotIn":
        return not all(_contained(k, value) for k in _as_list(key))
    if op == "AnyIn":
        return any(_contained(k, value) for k in _as_list(key))
    if op == "AllIn":
        return all(_contained(k, value) for k in _as_list(key))
    if op == "AnyNotIn":
        return any(not _contained(k, value) for k in _as_list(key))
    if op == "AllNotIn":
        return all(not _contained(k, value) for k in _as_list(key))
    if op in ("GreaterThan", "GreaterThanOrEquals", "LessThan", "LessThanOrEquals"):
        return _compare(op, key, value)
    raise UnsupportedError(f"condition operator {op!r} is not supported by shipyard")


def check_all(blocks: Sequence[AnyAllConditions], context: Any) -> tuple[bool, str]:
    """(passed, message of the first failing condition)."""
    for block in blocks:
        if block.any and not any(evaluate(c, context) for c in block.any):
            first = block.any[0]
            return (
                False,
                first.message
                or f"none of the 'any' conditions hold (first: {first.key} {first.operator} {first.value})",
            )
        for c in block.all:
            if not evaluate(c, context):
                return False, c.message or f"condition {c.key} {c.operator} {c.value} does not hold"
    return True, ""
