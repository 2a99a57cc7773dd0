"""Which images a resource runs, where they sit (JSON pointers), and Kyverno's way of naming them.

Kyverno ``ImageInfo``: the registry defaults to ``docker.io`` (no ``library/`` is added), the tag to ``latest`` when
there is no digest either;
``String()`` is ``registry/path:tag`` plus ``@digest`` when pinned; ``imageReferences`` globs match that string.
Pods keep containers under ``/spec``; Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and Argo Rollouts
under ``/spec/template/spec``; CronJobs under ``/spec/jobTemplate/spec/template/spec``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from shipyard.errors import SpecError

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "Rollout": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


@dataclass(frozen=True, slots=True)
class ImageInfo:
    raw: str
    registry: str
    path: str
    tag: str
    digest: str
    pointer: str  # JSON pointer of the image field
    container: str

    def __str__(self) -> str:
        out = f"{self.registry}/{self.path}"
        if self.tag:
            out += f":{self.tag}"
        return f"{out}@{self.digest}" if self.digest else out

    def pinned(self, digest: str) -> str:
        """``String()`` of the image once its digest is known (the value of Kyverno's digest patch)."""
        out = f"{self.registry}/{self.path}"
        return (f"{out}:{self.tag}" if self.tag else out) + f"@{digest}"

    @property
    def verify_ref(self) -> str:
        """The reference handed to the signature verifier (pinned when the digest is known)."""
        return (
            f"{self.registry}/{self.path}@{self.digest}" if self.digest else f"{self.registry}/{self.path}:{self.tag}"
        )


def image_info(raw: str, pointer: str = "", container: str = "") -> ImageInfo:
    name, at, digest = raw.partition("@")
    if at and not re.match(r"^sha256:[0-9a-f]{64}$", digest):
        raise SpecError(f"image {raw!r} has an invalid digest", path=pointer)
    tag = ""
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        name, tag = name[:colon], name[colon + 1 :]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "docker.io", name
    if not path:
        raise SpecError(f"image {raw!r} has no repository", path=pointer)
    if not tag and not at:
        tag = "latest"
    return ImageInfo(raw, registry, path, tag, digest if at else "", pointer, container)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pod_spec_path(kind: str) -> tuple[str, ...] | None:
    return POD_SPEC_PATHS.get(kind)


def resource_images(resource: Mapping[str, Any]) -> Iterator[ImageInfo]:
    """Every container image of a workload, in Kyverno's order (init, containers, ephemeral)."""
    kind = str(resource.get("kind", ""))
    path = pod_spec_path(kind)
    if path is None:
        return
    spec: Any = resource
    for part in path:
        spec = spec.get(part) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return
    base = "/" + "/".join(_escape(p) for p in path)
    for key in CONTAINER_LISTS:
        for i, container in enumerate(spec.get(key) or []):
            if isinstance(container, dict) and isinstance(container.get("image"), str):
                yield image_info(container["image"], f"{base}/{key}/{i}/image", str(container.get("name", "")))


def wildcard_regex(pattern: str) -> str:
    """Kyverno ``wildcard.Match``: ``*`` any run of characters, ``?`` exactly one; anchored."""
    return "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + "$"


def wildcard_match(pattern: str, value: str) -> bool:
    return re.match(wildcard_regex(pattern), value, flags=re.DOTALL) is not None


def image_matches(patterns: list[str], image: ImageInfo) -> bool:
    candidates = {str(image), image.raw, f"{image.registry}/{image.path}" + (f":{image.tag}" if image.tag else "")}
    return any(wildcard_match(p, c) for p in patterns for c in candidates)
