"""Patches: strategic merge (the common merge keys and ``$patch`` directives) and JSON6902 (RFC 6902).

Strategic merge follows ``k8s.io/apimachinery/pkg/util/strategicpatch`` for the fields GitOps repos touch: maps
merge recursively, ``null`` deletes a key, lists of objects merge by their patch-merge-key (below) and other
lists are replaced, ``$patch: delete|replace`` on a map or list element. kustomize (kyaml's merge2) does *not*
apply ``$retainKeys``, ``$deleteFromPrimitiveList/<field>`` or ``$setElementOrder/<field>``: it copies them into
the output as ordinary keys, which no API server accepts. We refuse them by name instead of guessing.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from shipyard.errors import SpecError, UnsupportedError

# x-kubernetes-patch-merge-key of the list fields in the core workload, service and RBAC types.
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "resourceClaims": "name",
    "topologySpreadConstraints": "topologyKey",
    "conditions": "type",
    "readinessGates": "conditionType",
    "ownerReferences": "uid",
}
# Primitive lists whose patch strategy is "merge" (set union) rather than replace.
MERGE_PRIMITIVE = {"finalizers"}

Deleted = object()
_UNAPPLIED = ("$retainKeys", "$deleteFromPrimitiveList/", "$setElementOrder/")


def _merge_key(field: str, parents: tuple[str, ...]) -> str | None:
    if field == "ports":
        # Container ports merge by containerPort; Service ports by port.
        return "containerPort" if any(p in ("containers", "initContainers") for p in parents) else "port"
    return MERGE_KEYS.get(field)


def strategic_merge(base: Any, patch: Any, parents: tuple[str, ...] = ()) -> Any:
    """Return ``base`` with ``patch`` applied; ``Deleted`` when a ``$patch: delete`` removes the whole thing."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "delete":
        return Deleted
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive not in (None, "merge"):
        raise SpecError(f"unknown $patch directive {directive!r} (want merge, replace or delete)")
    out: dict[str, Any] = copy.deepcopy(base) if isinstance(base, dict) else {}
    for key, val in patch.items():
        if key == "$patch":
            continue
        if key.startswith(_UNAPPLIED):
            raise UnsupportedError(
                f"strategic merge patch directive {key!r} at {'.'.join(parents) or '<root>'}: kustomize copies it "
                "into the output unapplied; use $patch: replace/delete or a JSON6902 patch"
            )
        if val is None:
            out.pop(key, None)
            continue
        if isinstance(val, dict):
            merged = strategic_merge(out.get(key), val, (*parents, key))
            if merged is Deleted:
                out.pop(key, None)
            else:
                out[key] = merged
        elif isinstance(val, list):
            out[key] = _merge_list(out.get(key), val, key, parents)
        else:
            out[key] = copy.deepcopy(val)
    return out


def _merge_list(base: Any, patch: list[Any], field: str, parents: tuple[str, ...]) -> list[Any]:
    if any(isinstance(x, dict) and x.get("$patch") == "replace" and len(x) == 1 for x in patch):
        return [copy.deepcopy(x) for x in patch if not (isinstance(x, dict) and x.get("$patch") == "replace")]
    current = copy.deepcopy(base) if isinstance(base, list) else []
    if field in MERGE_PRIMITIVE and all(not isinstance(x, dict | list) for x in patch):
        return list(patch) + [x for x in current if x not in patch]
    key = _merge_key(field, parents)
    if key is None or not all(isinstance(x, dict) for x in patch):
        return [copy.deepcopy(x) for x in patch]
    if field == "ports" and any(
        isinstance(x, dict) and x.get("protocol") not in (None, "") for x in [*current, *patch]
    ):
        return _merge_ports(current, patch, key, parents)
    # kyaml's associative-list merge: the patch's elements first, in patch order (merged with their original when
    # one exists), then the original elements the patch did not mention, in their order.
    first: list[Any] = []
    used: set[int] = set()
    for item in patch:
        if key not in item:
            raise SpecError(f"strategic merge patch: an element of {field} has no merge key {key!r}")
        idx = next(
            (i for i, c in enumerate(current) if i not in used and isinstance(c, dict) and c.get(key) == item[key]),
            None,
        )
        if idx is not None:
            used.add(idx)
        if item.get("$patch") == "delete":
            continue
        merged = strategic_merge({} if idx is None else current[idx], item, (*parents, field))
        if merged is not Deleted:
            first.append(merged)
    return first + [c for i, c in enumerate(current) if i not in used]


def _merge_ports(current: list[Any], patch: list[Any], key: str, parents: tuple[str, ...]) -> list[Any]:
    """Ports are keyed by (port, protocol) in kyaml once any element names a protocol: a patch element merges into
    the element with the same port *and* protocol, in place; one whose port exists only with another (or no)
    protocol is dropped; one with a new port goes first, in patch order. (Checked case by case against
    kubectl kustomize 5.8; without any protocol the single-key rule above applies.)"""

    def ident(x: Any) -> tuple[str, str]:
        return str(x.get(key)), str(x.get("protocol") or "")

    result: list[Any] = list(current)
    deleted: set[int] = set()
    new: list[Any] = []
    for item in patch:
        if key not in item:
            raise SpecError(f"strategic merge patch: an element of ports has no merge key {key!r}")
        exact = next((i for i, c in enumerate(result) if isinstance(c, dict) and ident(c) == ident(item)), None)
        if item.get("$patch") == "delete":
            if exact is not None:
                deleted.add(exact)
            continue
        if exact is not None:
            merged = strategic_merge(result[exact], item, (*parents, "ports"))
            if merged is Deleted:
                deleted.add(exact)
            else:
                result[exact] = merged
        elif not any(isinstance(c, dict) and str(c.get(key)) == str(item[key]) for c in current):
            merged = strategic_merge({}, item, (*parents, "ports"))
            if merged is not Deleted:
                new.append(merged)
    return new + [c for i, c in enumerate(result) if i not in deleted]


# ---- JSON6902 ---------------------------------------------------------------------------------------------


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise SpecError(f"JSON pointer {pointer!r} must start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _walk(doc: Any, tokens: list[str], pointer: str) -> Any:
    cur = doc
    for t in tokens:
        if isinstance(cur, dict):
            if t not in cur:
                raise SpecError(f"JSON6902 path {pointer!r}: no key {t!r}")
            cur = cur[t]
        elif isinstance(cur, list):
            cur = cur[_index(cur, t, pointer, allow_end=False)]
        else:
            raise SpecError(f"JSON6902 path {pointer!r}: cannot descend into a scalar at {t!r}")
    return cur


def _index(seq: list[Any], token: str, pointer: str, *, allow_end: bool) -> int:
    """kustomize's JSON patch (evanphx/json-patch with SupportNegativeIndices): ``-`` appends, a negative index
    counts from the end, leading zeros are read as a number."""
    if token == "-" and allow_end:
        return len(seq)
    if not re.fullmatch(r"-?[0-9]+", token):
        raise SpecError(f"JSON6902 path {pointer!r}: {token!r} is not an array index")
    i = int(token)
    if i < 0:
        # For add, -1 is the new last position (after the existing elements); otherwise the existing last one.
        size = len(seq) + (1 if allow_end else 0)
        if i < -size:
            raise SpecError(f"JSON6902 path {pointer!r}: index {i} out of range")
        i += size
    if i > len(seq) or (i == len(seq) and not allow_end):
        raise SpecError(f"JSON6902 path {pointer!r}: index {i} out of range")
    return i


def _add(doc: Any, pointer: str, value: Any) -> Any:
    tokens = _tokens(pointer)
    if not tokens:
        return copy.deepcopy(value)
    parent = _walk(doc, tokens[:-1], pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, pointer, allow_end=True), copy.deepcopy(value))
    else:
        raise SpecError(f"JSON6902 path {pointer!r}: parent is a scalar")
    return doc


def _remove(doc: Any, pointer: str) -> tuple[Any, Any]:
    tokens = _tokens(pointer)
    if not tokens:
        raise SpecError("JSON6902: cannot remove the whole document")
    parent = _walk(doc, tokens[:-1], pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise SpecError(f"JSON6902 remove {pointer!r}: no such key")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, last, pointer, allow_end=False))
    raise SpecError(f"JSON6902 path {pointer!r}: parent is a scalar")


def apply_json6902(doc: Any, ops: list[Any]) -> Any:
    out = copy.deepcopy(doc)
    for n, op in enumerate(ops):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise SpecError(f"JSON6902 operation {n} needs 'op' and 'path'")
        kind, path = op["op"], str(op["path"])
        if kind in ("add", "replace", "test") and "value" not in op:
            raise SpecError(f"JSON6902 {kind} at {path!r} needs a value")
        if kind == "add":
            out = _add(out, path, op["value"])
        elif kind == "remove":
            out, _ = _remove(out, path)
        elif kind == "replace":
            tokens = _tokens(path)
            if not tokens:
                out = copy.deepcopy(op["value"])
                continue
            parent = _walk(out, tokens[:-1], path)
            if isinstance(parent, dict):
                # Replacing a missing key of an existing mapping adds it, as kustomize's JSON patch library does.
                parent[tokens[-1]] = copy.deepcopy(op["value"])
            elif isinstance(parent, list):
                parent[_index(parent, tokens[-1], path, allow_end=False)] = copy.deepcopy(op["value"])
            else:
                raise SpecError(f"JSON6902 path {path!r}: parent is a scalar")
        elif kind in ("move", "copy"):
            src = str(op.get("from", ""))
            if kind == "move":
                out, value = _remove(out, src)
            else:
                value = copy.deepcopy(_walk(out, _tokens(src), src))
            out = _add(out, path, value)
        elif kind == "test":
            if _walk(out, _tokens(path), path) != op["value"]:
                raise SpecError(f"JSON6902 test at {path!r} failed")
        else:
            raise SpecError(f"JSON6902 operation {n}: unknown op {kind!r}")
    return out
