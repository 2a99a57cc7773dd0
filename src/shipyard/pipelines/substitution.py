"""``$(...)`` variable substitution, single pass, as Tekton's ``pkg/substitution`` does it.

A reference is looked up in a *scope*: a nested mapping such as ``{"params": {"x": "1"}, "context": {"taskRun":
{"name": "tr"}}, "tasks": {"t": {"results": {"r": "v"}}}}``. ``params.x``, ``params['x']``, ``params["x"]``,
``params.x[*]``, ``params.x[0]`` and ``params.obj.key`` all walk that mapping. Rules followed:

- one pass, no re-expansion of substituted text (``replacements.go`` uses a ``strings.Replacer``);
- an unknown reference is left as written (``ApplyReplacements`` only knows the keys it was given);
- a whole array or object is never put into a string; it expands only as a whole element of an array field
  (``ApplyArrayReplacements``), e.g. ``args: ["$(params.list[*])"]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Value = str | list[str] | dict[str, str]
Scope = Mapping[str, Any]

REF = re.compile(r"\$\(([^()]+)\)")
WHOLE = re.compile(r"^\$\(([^()]+)\)$")
STAR = "*"


def split_ref(expr: str) -> tuple[str | int, ...] | None:
    """``tasks.t.results.r[0]`` → ("tasks", "t", "results", "r", 0); ``params['a.b']`` → ("params", "a.b")."""
    parts: list[str | int] = []
    i, n = 0, len(expr)
    expect_name = True
    while i < n:
        c = expr[i]
        if c == "[":
            j = expr.find("]", i)
            if j < 0:
                return None
            inner = expr[i + 1 : j].strip()
            if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                parts.append(inner[1:-1])
            elif inner == STAR:
                parts.append(STAR)
            elif inner.isdigit():
                parts.append(int(inner))
            else:
                return None
            i = j + 1
            if i < n and expr[i] == ".":
                i += 1
                expect_name = True
            else:
                expect_name = False
            continue
        if not expect_name:
            return None
        j = i
        while j < n and expr[j] not in ".[":
            j += 1
        name = expr[i:j]
        if not name or any(ch.isspace() for ch in name):
            return None
        parts.append(name)
        i = j
        if i < n and expr[i] == ".":
            i += 1
            if i == n:
                return None
    return tuple(parts) if parts else None


def lookup(scope: Scope, parts: Sequence[str | int]) -> Value | None:
    """Walk ``scope``; ``None`` when the reference does not resolve."""
    node: Any = scope
    for k, part in enumerate(parts):
        if part == STAR:
            if k != len(parts) - 1 or not isinstance(node, list | dict):
                return None
            break
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
            node = node[part]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return None
    if isinstance(node, str):
        return node
    if isinstance(node, list) and all(isinstance(x, str) for x in node):
        return list(node)
    if isinstance(node, Mapping) and all(isinstance(x, str) for x in node.values()):
        return dict(node)
    return None


def resolve(scope: Scope, expr: str) -> Value | None:
    parts = split_ref(expr)
    return None if parts is None else lookup(scope, parts)


def substitute(text: str, scope: Scope) -> str:
    """Replace every string-valued reference in ``text``; everything else stays as written."""
    if "$(" not in text:
        return text

    def repl(m: re.Match[str]) -> str:
        value = resolve(scope, m.group(1))
        return value if isinstance(value, str) else m.group(0)

    return REF.sub(repl, text)


def substitute_list(items: Sequence[str], scope: Scope) -> list[str]:
    """An array field: an element that is exactly one array/object reference expands into its elements."""
    out: list[str] = []
    for item in items:
        m = WHOLE.match(item)
        if m:
            value = resolve(scope, m.group(1))
            if isinstance(value, list):
                out.extend(value)
                continue
            if isinstance(value, dict):
                out.extend(value.values())
                continue
        out.append(substitute(item, scope))
    return out


def substitute_value(value: Value, scope: Scope) -> Value:
    """A param value: a string that is exactly one array/object reference becomes that array/object."""
    if isinstance(value, str):
        m = WHOLE.match(value)
        if m:
            whole = resolve(scope, m.group(1))
            if isinstance(whole, list | dict):
                return whole
        return substitute(value, scope)
    if isinstance(value, list):
        return substitute_list(value, scope)
    return {k: substitute(v, scope) for k, v in value.items()}


def references(value: Any) -> list[str]:
    """Every ``$(...)`` expression inside a nested structure of strings, lists and mappings."""
    found: list[str] = []
    _walk(value, lambda s: found.extend(REF.findall(s)))
    return found


def _walk(value: Any, fn: Callable[[str], None]) -> None:
    # Concrete types first: this runs over every field of every task when a large pipeline is loaded.
    t = type(value)
    if t is str:
        if "$(" in value:
            fn(value)
    elif t is dict:
        for v in value.values():
            if type(v) is not str or "$(" in v:
                _walk(v, fn)
    elif t is list or t is tuple:
        for v in value:
            if type(v) is not str or "$(" in v:
                _walk(v, fn)
    elif isinstance(value, Mapping):
        for v in value.values():
            _walk(v, fn)


def substitute_tree(value: Any, scope: Scope, *, array_fields: frozenset[str] = frozenset()) -> Any:
    """Substitute every string in a nested structure; lists under a key in ``array_fields`` expand arrays."""
    if isinstance(value, str):
        return substitute(value, scope)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k in array_fields and isinstance(v, list) and all(isinstance(x, str) for x in v):
                out[k] = substitute_list(v, scope)
            else:
                out[k] = substitute_tree(v, scope, array_fields=array_fields)
        return out
    if isinstance(value, list):
        return [substitute_tree(v, scope, array_fields=array_fields) for v in value]
    return value
