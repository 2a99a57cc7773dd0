"""The ``$(...)`` expressions of TriggerBindings (tektoncd/triggers ``pkg/template/jsonpath.go``).

``find_expressions`` splits a value on ``$(`` and takes each up to its first unbalanced ``)``, so
``$($(body.x))`` is ``$(body.x)``; a ``header.`` key is canonicalised (``$(header.x-github-event)`` reads
``X-Github-Event``). ``evaluate`` runs the relaxed JSONPath (``body.a.b`` is ``{.body.a.b}``) over the event with the
subset of Kubernetes JSONPath that bindings use: fields (``\\.`` escapes a dot), ``['k']``, ``[i]`` (negative
too), ``[a:b:c]``, ``[*]`` and filters ``[?(@.k == 'v')]``. A missing key is an error, as with
``AllowMissingKeys(false)``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shipyard.pipelines.triggers import gojson
from shipyard.pipelines.triggers.headers import canonical_key


class JSONPathError(ValueError):
    """An expression that does not parse or does not resolve against the event."""


def find_expressions(value: str) -> list[tuple[str, str]]:
    """``(expression to evaluate, original text to replace)`` for every ``$(...)`` in ``value``, in order."""
    out: list[tuple[str, str]] = []
    if "$(" not in value:
        return out
    for part in value.split("$(")[1:]:
        depth = 0
        for i, ch in enumerate(part):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    raw = part[:i]
                    original = f"$({raw})"
                    if raw.startswith("header."):
                        raw = "header." + canonical_key(raw[len("header.") :])
                    out.append((raw, original))
                    break
    return out


@dataclass(frozen=True, slots=True)
class _Field:
    name: str


@dataclass(frozen=True, slots=True)
class _Index:
    index: int


@dataclass(frozen=True, slots=True)
class _Slice:
    start: int | None
    stop: int | None
    step: int | None


@dataclass(frozen=True, slots=True)
class _Wildcard:
    pass


@dataclass(frozen=True, slots=True)
class _Filter:
    path: tuple[Any, ...]
    op: Callable[[Any, Any], bool] | None
    literal: Any


_Step = _Field | _Index | _Slice | _Wildcard | _Filter
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
_FILTER = re.compile(r"^\?\(\s*@((?:\.[^\s=!<>]+)*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)$")


def _literal(text: str) -> Any:
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    if t in ("true", "false"):
        return t == "true"
    try:
        return float(t) if any(c in t for c in ".eE") else int(t)
    except ValueError as exc:
        raise JSONPathError(f"unrecognized filter literal {t!r}") from exc


def _bracket(inner: str) -> _Step:
    s = inner.strip()
    if s == "*":
        return _Wildcard()
    if s.startswith("?"):
        m = _FILTER.match(s)
        if not m:
            raise JSONPathError(f"unrecognized filter [{inner}]")
        path = tuple(_parse(m.group(1))) if m.group(1) else ()
        op = _OPS[m.group(2)] if m.group(2) else None
        return _Filter(path, op, _literal(m.group(3)) if m.group(3) else None)
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return _Field(s[1:-1])
    try:
        if ":" in s:
            parts = [int(p) if p.strip() else None for p in s.split(":")]
            if len(parts) > 3:
                raise ValueError(s)
            parts += [None] * (3 - len(parts))
            return _Slice(parts[0], parts[1], parts[2])
        return _Index(int(s))
    except ValueError as exc:
        raise JSONPathError(f"invalid array index [{inner}]") from exc


def _parse(path: str) -> list[_Step]:
    steps: list[_Step] = []
    i, n = 0, len(path)
    while i < n:
        ch = path[i]
        if ch == ".":
            i += 1
            if i < n and path[i] == ".":
                raise JSONPathError("recursive descent (..) is not supported in bindings")
            name = ""
            while i < n and path[i] not in ".[":
                if path[i] == "\\" and i + 1 < n:
                    name += path[i + 1]
                    i += 2
                    continue
                name += path[i]
                i += 1
            if not name:
                raise JSONPathError(f"invalid field name in {path!r}")
            steps.append(_Wildcard() if name == "*" else _Field(name))
        elif ch == "[":
            depth, j = 0, i
            while j < n:
                if path[j] == "[":
                    depth += 1
                elif path[j] == "]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= n:
                raise JSONPathError(f"unterminated [ in {path!r}")
            steps.append(_bracket(path[i + 1 : j]))
            i = j + 1
        else:
            raise JSONPathError(f"unexpected {ch!r} in {path!r}")
    return steps


def _apply(step: _Step, value: Any) -> list[Any]:
    if isinstance(step, _Field):
        if not isinstance(value, dict) or step.name not in value:
            raise JSONPathError(f"{step.name} is not found")
        return [value[step.name]]
    if isinstance(step, _Wildcard):
        if isinstance(value, dict):
            return [value[k] for k in sorted(value)]
        if isinstance(value, list):
            return list(value)
        raise JSONPathError("[*] applied to a scalar")
    if not isinstance(value, list):
        raise JSONPathError(f"{type(value).__name__} is not array or slice")
    if isinstance(step, _Index):
        idx = step.index + len(value) if step.index < 0 else step.index
        if not 0 <= idx < len(value):
            raise JSONPathError(f"array index out of bounds: index {step.index}, length {len(value)}")
        return [value[idx]]
    if isinstance(step, _Slice):
        return value[slice(step.start, step.stop, step.step)]
    out = []
    for item in value:
        try:
            got = _walk(step.path, [item])
        except JSONPathError:
            continue
        if step.op is None:
            out.extend([item] if got else [])
        elif any(_compare(step.op, g, step.literal) for g in got):
            out.append(item)
    return out


def _compare(op: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    try:
        return bool(op(left, right))
    except TypeError:
        return False


def _walk(steps: tuple[Any, ...] | list[_Step], values: list[Any]) -> list[Any]:
    for step in steps:
        values = [r for v in values for r in _apply(step, v)]
    return values


def evaluate(expression: str, event: dict[str, Any]) -> str:
    """Resolve one unwrapped expression (``body.a.b``) against ``event`` to the text a binding substitutes."""
    expr = expression.strip()
    if expr.startswith("{") and expr.endswith("}"):
        expr = expr[1:-1]
    if not expr or "{" in expr or "}" in expr:
        raise JSONPathError(f"unexpected path string {expression!r}, expected a 'name1.name2' form")
    if not expr.startswith("."):
        expr = "." + expr
    values = _walk(_parse(expr), [event])
    if len(values) == 1:
        return gojson.embed(values[0])
    return gojson.marshal(values)
