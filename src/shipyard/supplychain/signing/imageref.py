"""Image references as the signing code needs them.

Parsing and normalisation are ``shipyard.images.reference``'s (docker/distribution rules: ``docker.io`` with
``library/`` for one-component names, ``latest`` when neither tag nor digest is given). This adds what signing
needs on top: only sha256/sha512 digests, and the name cosign writes into ``docker-reference``
(go-containerregistry prints Docker Hub as ``index.docker.io``).
"""

from __future__ import annotations

import re

from shipyard.errors import SpecError
from shipyard.images.reference import Reference, parse_reference

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$|^sha512:[0-9a-f]{128}$")


class ImageRef(Reference):
    """A ``Reference`` with the two things signing adds: the registry under cosign's name for it, and only
    sha256/sha512 digests."""

    __slots__ = ()

    @property
    def registry(self) -> str:
        return self.domain

    @property
    def docker_reference(self) -> str:
        """What cosign puts in ``critical.identity.docker-reference``."""
        registry = "index.docker.io" if self.domain == "docker.io" else self.domain
        return f"{registry}/{self.path}"

    def with_digest(self, digest: str) -> ImageRef:
        return ImageRef(self.domain, self.path, self.tag, check_digest(digest))


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
