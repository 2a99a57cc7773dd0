"""What is left of a document when its schema check fails: the lenient re-validation that lets the semantic checks
still run (so ``shipyard lint`` reports every problem at once), and the merging of pydantic's per-union-member
errors into one message per field."""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from shipyard.errors import FieldIssue

# pydantic reports a bad ParamValue once per member of the union (``value.str``, ``value.list[str]``,
# ``value.dict[str,str].a``); Tekton's ParamValue.UnmarshalJSON says it once.
_UNION_MEMBER = re.compile(r"^(?P<field>.*?)\.(?:str|list\[str\]|dict\[str,str\])(?:[.\[].*)?$")
PARAM_VALUE_TYPES = "must be a string, an array of strings or an object whose values are strings"


def merge_param_value_issues(items: list[FieldIssue]) -> list[FieldIssue]:
    out: list[FieldIssue] = []
    seen: set[str] = set()
    for item in items:
        m = _UNION_MEMBER.match(item.path)
        if m is None:
            out.append(item)
        elif m["field"] not in seen:
            seen.add(m["field"])
            out.append(FieldIssue(message=PARAM_VALUE_TYPES, file=item.file, line=item.line, path=m["field"]))
    return out


def lenient(model: type[BaseModel], data: Any) -> Any:
    """``data`` with every invalid field dropped, validated; None when that is not possible."""
    data = copy.deepcopy(data)
    for _ in range(10):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            changed = False
            for err in exc.errors():
                loc = [p for p in err["loc"] if isinstance(p, str | int)]
                if err["type"] == "missing":
                    loc = loc[:-1]
                changed = _drop(data, loc) or changed
            if not changed:
                return None
    return None


def _drop(data: Any, loc: list[str | int]) -> bool:
    """Delete the deepest existing mapping key along ``loc`` (list items are kept, so indexes stay right).

    When ``loc`` ends on a list item (a required field of it was already dropped, say ``params[0].value``), the
    mapping key holding that list goes instead, so the rest of the document is still checked."""
    node: Any = data
    parent: dict[Any, Any] | None = None
    key: Any = None
    outer: tuple[dict[Any, Any], Any] | None = None  # the last mapping key passed on the way down
    whole = True
    for part in loc:
        if isinstance(node, dict) and part in node:
            parent, key, node = node, part, node[part]
            outer = (parent, key)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            parent, key, node = None, None, node[part]
        else:
            whole = False
            break
    if whole and parent is None and outer is not None:
        parent, key = outer
    if parent is not None and key in parent:
        del parent[key]
        return True
    return False
