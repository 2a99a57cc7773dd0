"""Edits of GitOps files that keep every other byte: ``kustomize edit set image`` on a kustomization (ruamel
round-trip, comments and quoting preserved) and Flux image-automation setter markers.

Both are pure text → text functions; a result equal to the input means "nothing to change" (idempotent
promotion relies on that).
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from shipyard.errors import SpecError
from shipyard.gitops.kustomize.images import Image, parse_set_image_arg, set_image

_FIELD_ORDER = ("name", "newName", "newTag", "digest", "tagSuffix")


def _yaml_for(text: str) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    # Keep the file's list style: "key:\n- item" (offset 0) or "key:\n  - item" (offset 2).
    offset = 0
    lines = text.splitlines()
    for prev, line in itertools.pairwise(lines):
        m = re.match(r"^(\s*)- ", line)
        k = re.match(r"^(\s*)[^\s#-][^:]*:\s*$", prev)
        if m and k:
            offset = max(0, len(m.group(1)) - len(k.group(1)))
            break
    y.indent(mapping=2, sequence=offset + 2, offset=offset)
    return y


def set_image_text(text: str, *args: str, file: str = "kustomization.yaml") -> str:
    """Apply ``kustomize edit set image ARG...`` to a kustomization's text."""
    y = _yaml_for(text)
    try:
        doc = y.load(text)
    except YAMLError as exc:
        raise SpecError(f"invalid YAML: {exc}", file=file) from exc
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise SpecError("a kustomization must be a YAML mapping", file=file)
    seq = doc.get("images")
    if seq is None:
        seq = CommentedSeq()
    if not isinstance(seq, CommentedSeq):
        raise SpecError("images must be a list", file=file, path="images")
    plain = [{k: str(v) for k, v in e.items()} for e in seq if isinstance(e, Mapping)]
    before = [dict(e) for e in plain]
    for arg in args:
        plain = set_image(plain, arg)
    if plain == before:
        return text
    by_name = {str(e.get("name")): e for e in seq if isinstance(e, CommentedMap)}
    new_items: list[Any] = []
    for entry in plain:
        node = by_name.get(entry["name"])
        if node is None:
            node = CommentedMap()
        for key in list(node.keys()):
            if key not in entry:
                del node[key]
        for key in _FIELD_ORDER:
            if key not in entry:
                continue
            if key not in node:
                pos = sum(1 for k in node if k in _FIELD_ORDER and _FIELD_ORDER.index(k) < _FIELD_ORDER.index(key))
                node.insert(pos, key, entry[key])
            elif str(node[key]) != entry[key]:
                node[key] = entry[key]
        new_items.append(node)
    seq[:] = new_items
    if "images" not in doc:
        doc["images"] = seq
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


# ---- Flux setters --------------------------------------------------------------------------------------------

_MARKER = re.compile(
    r"""^(?P<head>\s*(?:-\s+|[^#\n]*?:\s+))(?P<value>"[^"]*"|'[^']*'|[^\s#]+)(?P<tail>\s+#\s*(?P<json>\{\s*"\$imagepolicy"\s*:\s*"[^"]*"\s*\}).*)$"""
)


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """An ImagePolicy's ``status.latestRef``: repository name, tag and optional digest."""

    name: str
    tag: str
    digest: str = ""

    def full(self) -> str:
        return f"{self.name}:{self.tag}" + (f"@{self.digest}" if self.digest else "")


def apply_setters(text: str, policies: Mapping[str, PolicyRef]) -> str:
    """Rewrite every value marked ``# {"$imagepolicy": "NS:NAME[:tag|:name|:digest]"}`` whose policy
    ``NS:NAME`` is in ``policies``; everything else stays byte-identical."""
    if '"$imagepolicy"' not in text:
        return text
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        m = _MARKER.match(body)
        if not m:
            out.append(line)
            continue
        setter = str(json.loads(m.group("json"))["$imagepolicy"])
        parts = setter.split(":")
        policy = ":".join(parts[:2])
        field = parts[2] if len(parts) > 2 else ""
        ref = policies.get(policy)
        if ref is None or field not in ("", "tag", "name", "digest"):
            out.append(line)
            continue
        value = {"": ref.full(), "tag": ref.tag, "name": ref.name, "digest": ref.digest}[field]
        old = m.group("value")
        if old[:1] in "'\"":
            value = old[0] + value + old[0]
        out.append(m.group("head") + value + m.group("tail") + ending)
    return "".join(out)


def promotion_image(arg: str) -> Image:
    """``NAME=REF[:TAG][@DIGEST]`` as the kustomization entry a promotion writes."""
    return parse_set_image_arg(arg)
