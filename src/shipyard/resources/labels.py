"""Kubernetes label selectors: ``matchLabels`` + ``matchExpressions`` (In/NotIn/Exists/DoesNotExist) and the
string form (``app=web,tier!=db,env in (a,b),!legacy``), as ``k8s.io/apimachinery/pkg/labels`` defines them.

Pure data in, bool out; shared by the cluster stores, kustomize patch targets and the sync engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shipyard.errors import SpecError

Selector = Mapping[str, Any] | str | None

_OPS = {"In", "NotIn", "Exists", "DoesNotExist"}
_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|=|!=)\s*([A-Za-z0-9_.-]*))?\s*$")


def _split_terms(text: str) -> list[str]:
    terms: list[str] = []
    depth = 0
    buf = ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(buf)
            buf = ""
        else:
            buf += ch
    if buf.strip():
        terms.append(buf)
    return terms


def parse_selector(text: str) -> dict[str, Any]:
    """The string form → ``{"matchLabels": {...}, "matchExpressions": [...]}``."""
    labels: dict[str, str] = {}
    exprs: list[dict[str, Any]] = []
    for term in _split_terms(text):
        m = _SET_RE.match(term)
        if not m:
            raise SpecError(f"invalid label selector term {term.strip()!r}", path="labelSelector")
        neg, key, setop, values, op, value = m.groups()
        if neg:
            if setop or op:
                raise SpecError(f"invalid label selector term {term.strip()!r}", path="labelSelector")
            exprs.append({"key": key, "operator": "DoesNotExist"})
        elif setop:
            vals = [v.strip() for v in values.split(",") if v.strip()]
            exprs.append({"key": key, "operator": "In" if setop == "in" else "NotIn", "values": vals})
        elif op in ("=", "=="):
            labels[key] = value
        elif op == "!=":
            exprs.append({"key": key, "operator": "NotIn", "values": [value]})
        else:
            exprs.append({"key": key, "operator": "Exists"})
    return {"matchLabels": labels, "matchExpressions": exprs}


def normalize_selector(selector: Selector) -> dict[str, Any] | None:
    if selector is None:
        return None
    if isinstance(selector, str):
        return parse_selector(selector)
    unknown = set(selector) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise SpecError(f"unknown label selector field {sorted(unknown)[0]!r}", path="labelSelector")
    for expr in selector.get("matchExpressions") or []:
        if expr.get("operator") not in _OPS:
            raise SpecError(
                f"label selector operator {expr.get('operator')!r} is not one of In, NotIn, Exists, DoesNotExist",
                path="labelSelector.matchExpressions",
            )
        if expr["operator"] in ("In", "NotIn") and not expr.get("values"):
            raise SpecError(f"operator {expr['operator']} needs values", path="labelSelector.matchExpressions")
    return dict(selector)


def matches(selector: Selector, labels: Mapping[str, str] | None) -> bool:
    """Whether ``labels`` satisfy ``selector``. ``None`` matches everything; an empty selector matches everything
    (a LabelSelector with no requirements selects all objects)."""
    sel = normalize_selector(selector)
    if sel is None:
        return True
    have = labels or {}
    for key, value in (sel.get("matchLabels") or {}).items():
        if have.get(key) != str(value):
            return False
    for expr in sel.get("matchExpressions") or []:
        key, op = expr["key"], expr["operator"]
        values = [str(v) for v in expr.get("values") or []]
        if op == "In" and (key not in have or have[key] not in values):
            return False
        if op == "NotIn" and key in have and have[key] in values:
            return False
        if op == "Exists" and key not in have:
            return False
        if op == "DoesNotExist" and key in have:
            return False
    return True
