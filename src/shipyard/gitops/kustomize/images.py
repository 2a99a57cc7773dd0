"""kustomize's ``images:`` transformer and ``kustomize edit set image`` argument parsing, byte-exact.

Rules (kustomize ``api/internal/image/image.go``, ``api/filters/imagetag/updater.go``,
``kustomize/commands/edit/set/setimage.go``):

- Match: ``^NAME(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?$`` with NAME spliced in
  raw, so the whole repository (registry and path included) must equal NAME; an invalid NAME matches nothing.
- Split: ``:``/``@`` are searched only after the first ``/`` so a registry port stays in the name.
- Rewrite: newName replaces the name; newTag+digest → ``:tag@digest``; newTag → ``:tag`` (old digest dropped);
  digest → ``@digest`` (old tag dropped); tagSuffix → ``:<old tag><suffix>``; nothing → tag and digest kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.errors import SpecError

_TAG = r"(:[a-zA-Z0-9_.{}-]*)?"
_DIGEST = r"(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?"


@dataclass(frozen=True, slots=True)
class Image:
    """One ``images:`` entry of a kustomization."""

    name: str
    new_name: str = ""
    new_tag: str = ""
    digest: str = ""
    tag_suffix: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Image:
        def s(key: str) -> str:
            v = data.get(key)
            return "" if v is None else str(v)

        return cls(s("name"), s("newName"), s("newTag"), s("digest"), s("tagSuffix"))

    def to_dict(self) -> dict[str, str]:
        out = {"name": self.name}
        for key, val in (("newName", self.new_name), ("newTag", self.new_tag), ("digest", self.digest)):
            if val:
                out[key] = val
        if self.tag_suffix:
            out["tagSuffix"] = self.tag_suffix
        return out


_regex_cache: dict[str, re.Pattern[str] | None] = {}


def is_image_matched(value: str, name: str) -> bool:
    """kustomize ``IsImageMatched``: NAME is spliced raw into ``^NAME…$`` and Go's ``MatchString`` *searches*;
    invalid regex → no match. Go's RE2 accepts a repeated anchor, so ``name: "*/app"`` makes ``^*`` optional and
    the name a suffix match (``any.registry/app:1``) — kubectl kustomize does that, so we do too."""
    if name not in _regex_cache:
        anchor = "(?:^)" if name[:1] in ("*", "+", "?", "{") else "^"
        try:
            _regex_cache[name] = re.compile(anchor + name + _TAG + _DIGEST + "$")
        except re.error:
            _regex_cache[name] = None
    pattern = _regex_cache[name]
    return bool(pattern and pattern.search(value))


def split(image: str) -> tuple[str, str, str]:
    """``(name, tag, digest)``; tag and digest without their ``:``/``@``."""
    slash = image.find("/")
    start = slash + 1 if slash >= 0 else 0
    rest = image[start:]
    digest = ""
    at = rest.find("@")
    if at >= 0:
        digest = rest[at + 1 :]
        rest = rest[:at]
    tag = ""
    colon = rest.find(":")
    if colon >= 0:
        tag = rest[colon + 1 :]
        rest = rest[:colon]
    return image[:start] + rest, tag, digest


def rewrite(value: str, img: Image) -> str:
    name, tag, digest = split(value)
    if img.new_name:
        name = img.new_name
    if img.new_tag and img.digest:
        return f"{name}:{img.new_tag}@{img.digest}"
    if img.new_tag:
        return f"{name}:{img.new_tag}"
    if img.digest:
        return f"{name}@{img.digest}"
    if img.tag_suffix:
        return f"{name}:{tag}{img.tag_suffix}"
    out = name
    if tag:
        out += ":" + tag
    if digest:
        out += "@" + digest
    return out


def update_image(value: str, images: Iterable[Image]) -> str:
    for img in images:
        if is_image_matched(value, img.name):
            return rewrite(value, img)
    return value


def _walk_containers(node: Any, fn: Callable[[dict[str, Any]], None]) -> None:
    """kustomize's legacy walk: every ``containers``/``initContainers`` list at any depth."""
    if isinstance(node, dict):
        for key, val in node.items():
            if key in ("containers", "initContainers") and isinstance(val, list):
                for c in val:
                    if isinstance(c, dict):
                        fn(c)
            _walk_containers(val, fn)
    elif isinstance(node, list):
        for item in node:
            _walk_containers(item, fn)


def transform_images(
    obj: dict[str, Any], images: list[Image], extra: Sequence[tuple[str, tuple[str, ...], bool]] = ()
) -> None:
    if not images or obj.get("kind") == "CustomResourceDefinition":
        return

    def fix(container: dict[str, Any]) -> None:
        val = container.get("image")
        if isinstance(val, str):
            container["image"] = update_image(val, images)

    _walk_containers(obj, fix)
    # The fieldSpecs (spec/containers, spec/template/spec/containers, and initContainers) run after the legacy
    # walk and rewrite the same fields a second time; that is visible with tagSuffix ("7-debug-debug").
    for spec in (obj.get("spec"), ((obj.get("spec") or {}).get("template") or {}).get("spec")):
        if isinstance(spec, dict):
            for key in ("containers", "initContainers"):
                for c in spec.get(key) or []:
                    if isinstance(c, dict):
                        fix(c)
    # fieldSpec spec/volumes[]/image/reference (image volumes), directly and under a pod template.
    for spec in (obj.get("spec"), ((obj.get("spec") or {}).get("template") or {}).get("spec")):
        if isinstance(spec, dict):
            for vol in spec.get("volumes") or []:
                ref = (vol.get("image") or {}).get("reference") if isinstance(vol, dict) else None
                if isinstance(ref, str):
                    vol["image"]["reference"] = update_image(ref, images)
    # configurations: images field specs (a custom kind's own paths), applied after the builtin ones.
    for _, parts, _create in extra:
        for holder in _holders_of(obj, parts):
            if isinstance(holder.get(parts[-1]), str):
                holder[parts[-1]] = update_image(holder[parts[-1]], images)


def _holders_of(node: Any, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [h for item in node for h in _holders_of(item, parts)]
    if not isinstance(node, dict):
        return []
    return [node] if len(parts) == 1 else _holders_of(node.get(parts[0]), parts[1:])


def parse_set_image_arg(arg: str) -> Image:
    """``kustomize edit set image`` argument → the ``images:`` entry it writes (``*`` = keep existing).

    Forms: ``name=newName[:tag][@digest]``, ``name:tag[@digest]``, ``name@digest``, ``name=newName``; a bare
    ``name`` with no tag, digest or new name is rejected as kustomize does.
    """
    key, eq, value = arg.partition("=")
    if not eq:
        key, value = "", arg
    name, tag, digest = split(value)
    if not arg or name == arg or (eq and (not key or not value)):
        raise SpecError(
            f"invalid image argument {arg!r}; use NAME=NEWNAME[:TAG][@DIGEST], NAME:TAG[@DIGEST] or NAME@DIGEST"
        )
    if key:
        return Image(key, new_name=name, new_tag=tag, digest=digest)
    return Image(name, new_tag=tag, digest=digest)


def set_image(entries: list[dict[str, Any]], arg: str) -> list[dict[str, Any]]:
    """Apply one ``kustomize edit set image`` argument to an ``images:`` list; returns it sorted by name.

    The argument replaces the whole entry of the same name; ``*`` as new name, tag or digest keeps the existing
    value (or empties it when there is no existing entry).
    """
    img = parse_set_image_arg(arg)
    existing = next((e for e in entries if e.get("name") == img.name), None)
    old = Image.from_dict(existing) if existing else Image(img.name)
    img = Image(
        img.name,
        new_name=old.new_name if img.new_name == "*" else img.new_name,
        new_tag=old.new_tag if img.new_tag == "*" else img.new_tag,
        digest=old.digest if img.digest == "*" else img.digest,
    )
    out = [e for e in entries if e.get("name") != img.name]
    out.append(img.to_dict())
    return sorted(out, key=lambda e: str(e.get("name")))
