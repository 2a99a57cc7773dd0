"""Image references as the signing code needs them.

Parsing and normalisation are ``shipyard.images.reference``'s (docker/distribution rules: ``docker.io`` with
``library/`` for one-component names, ``latest`` when neither tag nor digest is given). This adds what signing
needs on top: only sha256/sha512 digests, and the name cosign writes into ``docker-reference``
(go-containerregistry prints Docker Hub as ``index.docker.io``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shipyard.errors import SpecError
from shipyard.images.reference import parse_reference

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
    """Parse ``[registry/]path[:tag][@digest]`` with docker's defaults (``shipyard.images.reference`` rules)."""
    parsed = parse_reference(ref)
    if parsed.digest is not None:
        check_digest(parsed.digest)
    return ImageRef(parsed.domain, parsed.path, parsed.tag, parsed.digest)
