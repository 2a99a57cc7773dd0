"""Image references as the signing code needs them (docker/distribution normalisation, no I/O).

``shipyard.images.reference`` is a sibling core package and may not be imported from here (import-linter keeps
core packages independent), so this holds the few rules signing and policy depend on: the default registry
``docker.io`` with ``library/`` for one-component names, ``latest`` when neither tag nor digest is given, and
the name cosign writes into ``docker-reference`` (go-containerregistry prints Docker Hub as ``index.docker.io``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shipyard.errors import SpecError

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$|^sha512:[0-9a-f]{128}$")


@dataclass(frozen=True, slots=True)
class ImageRef:
    registry: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        return f"{self.registry}/{self.path}"

    @property
    def docker_reference(self) -> str:
        """What cosign puts in ``critical.identity.docker-reference``."""
        registry = "index.docker.io" if self.registry == "docker.io" else self.registry
        return f"{registry}/{self.path}"

    @property
    def identifier(self) -> str:
        return self.digest or self.tag or "latest"

    def with_digest(self, digest: str) -> ImageRef:
        return ImageRef(self.registry, self.path, self.tag, check_digest(digest))

    def __str__(self) -> str:
        out = self.repository
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


def check_digest(digest: str) -> str:
    if not _DIGEST.match(digest):
        raise SpecError(f"invalid digest {digest!r}: want sha256:<64 lowercase hex>", path="digest")
    return digest


def parse_image(ref: str) -> ImageRef:
    """Parse ``[registry/]path[:tag][@digest]`` with docker's defaults."""
    text = ref.strip()
    if not text or text != ref:
        raise SpecError(f"invalid image reference {ref!r}", path="image")
    rest, at, digest = text.partition("@")
    if at:
        check_digest(digest)
    tag = None
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not re.match(r"^[\w][\w.-]{0,127}$", tag):
            raise SpecError(f"invalid image reference {ref!r}: bad tag {tag!r}", path="image")
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = "docker.io", rest
    if registry == "index.docker.io":
        registry = "docker.io"
    if registry == "docker.io" and "/" not in path:
        path = f"library/{path}"
    if not path or path != path.lower() or not re.match(r"^[a-z0-9]+(?:(?:[._]|__|-+|/)[a-z0-9]+)*$", path):
        raise SpecError(f"invalid image reference {ref!r}: repository must be lowercase path components", path="image")
    if tag is None and not at:
        tag = "latest"
    return ImageRef(registry, path, tag, digest if at else None)
