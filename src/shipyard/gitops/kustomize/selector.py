"""Patch targets (``api/types/selector.go``: group/version/kind/name/namespace as anchored regexes, plus label
and annotation selectors) and telling a JSON6902 patch from a strategic merge patch."""

from __future__ import annotations

import re
from typing import Any

from shipyard.errors import SpecError
from shipyard.gitops.kustomize.output import ensure_bounded, precheck
from shipyard.gitops.kustomize.resource import ResMap, Resource
from shipyard.resources.labels import matches
from shipyard.resources.loader import loads

_FIELDS = {"group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"}


def _anchored(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(f"(?:{pattern})", value) is not None
    except re.error as exc:
        raise SpecError(f"patch target pattern {pattern!r} is not a valid regular expression: {exc}") from exc


def target_matches(r: Resource, target: dict[str, Any]) -> bool:
    unknown = set(target) - _FIELDS
    if unknown:
        raise SpecError(f"unknown patch target field {sorted(unknown)[0]!r}", path="target")
    checks = (("group", r.group), ("version", r.version), ("kind", r.kind))
    for key, value in checks:
        if target.get(key) and not _anchored(str(target[key]), value):
            return False
    # kustomize resWrangler.Select: the original id first, then the current one.
    if target.get("namespace") and not any(_anchored(str(target["namespace"]), n) for n in r.id_namespaces()):
        return False
    if target.get("name") and not any(_anchored(str(target["name"]), n) for n in r.id_names()):
        return False
    if target.get("labelSelector") and not matches(str(target["labelSelector"]), r.meta.get("labels")):
        return False
    return not (
        target.get("annotationSelector") and not matches(str(target["annotationSelector"]), r.meta.get("annotations"))
    )


def select(rm: ResMap, target: dict[str, Any]) -> list[Resource]:
    if not isinstance(target, dict):
        raise SpecError("a patch target must be a mapping")
    return [r for r in rm.items if target_matches(r, target)]


def parse_patch_body(text: str, label: str) -> tuple[list[Any], bool]:
    """``([ops], True)`` for a JSON6902 op list, else ``([patch docs], False)``."""
    docs = [ensure_bounded(d.data, label) for d in loads(precheck(text, label), file=label)]
    if not docs:
        raise SpecError("the patch is empty", file=label)
    if len(docs) == 1 and isinstance(docs[0], list):
        return [docs[0]], True
    if any(not isinstance(d, dict) for d in docs):
        raise SpecError("a patch must be a JSON6902 operation list or strategic merge mapping(s)", file=label)
    return docs, False
