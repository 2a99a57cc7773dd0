"""Image references: the docker/distribution reference grammar and its normalisation.

Grammar (distribution/reference ``regexp.go``)::

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [domain "/"] remote-name
    domain     := host [":" port]          host: a DNS name, "localhost" or a bracketed IPv6 address
    remote-name:= path-component ("/" path-component)*
    path-component := [a-z0-9]+ ((\\.|_|__|-+) [a-z0-9]+)*
    tag        := [\\w][\\w.-]{0,127}
    digest     := algorithm ":" hex (hex of at least 32 characters)

Normalisation (``normalize.go`` ``splitDockerDomain``): the first component is a domain only when it contains
"." or ":" or is "localhost"; otherwise the domain is ``docker.io``; ``index.docker.io`` becomes ``docker.io``;
a one-component name on docker.io gets ``library/``. A name is at most 255 characters and lowercase.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from shipyard.errors import SpecError

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
NAME_TOTAL_LENGTH_MAX = 255

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_COMPONENT_RE = re.compile(rf"^{_COMPONENT}$")
_DOMAIN_NAME = (
    r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
)
_DOMAIN_RE = re.compile(rf"^(?:{_DOMAIN_NAME}|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_ANCHORED_HEX64 = re.compile(r"^[a-f0-9]{64}$")
_KNOWN_DIGEST_LENGTHS = {"sha256": 64, "sha512": 128}


def _bad(ref: str, why: str) -> SpecError:
    return SpecError(f"invalid image reference {ref!r}: {why}", path="image")


def validate_digest(digest: str) -> str:
    """Return ``digest`` if it is ``algorithm:hex`` with the right length for known algorithms."""
    if not _DIGEST_RE.match(digest):
        raise SpecError(f"invalid digest {digest!r}: want algorithm:hex, e.g. sha256:<64 hex>", path="digest")
    alg, _, hexpart = digest.partition(":")
    want = _KNOWN_DIGEST_LENGTHS.get(alg)
    if want is not None and (len(hexpart) != want or hexpart != hexpart.lower()):
        raise SpecError(f"invalid digest {digest!r}: {alg} needs {want} lowercase hex characters", path="digest")
    return digest


@dataclass(frozen=True, slots=True)
class Reference:
    """A parsed, normalised image reference. ``tag`` and ``digest`` may both be set (``name:tag@digest``)."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        """``domain/path``: the fully qualified repository name."""
        return f"{self.domain}/{self.path}"

    @property
    def name(self) -> str:
        return self.repository

    @property
    def identifier(self) -> str:
        """What a registry's ``/manifests/<reference>`` wants: the digest when pinned, else the tag."""
        if self.digest:
            return self.digest
        return self.tag or "latest"

    def with_tag(self, tag: str) -> Reference:
        if not _TAG_RE.match(tag):
            raise _bad(tag, "a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
        return Reference(self.domain, self.path, tag, None)

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.domain, self.path, self.tag, validate_digest(digest))

    def __str__(self) -> str:
        out = self.repository
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    def familiar(self) -> str:
        """The short form docker prints: ``busybox:1.36`` rather than ``docker.io/library/busybox:1.36``."""
        path = self.path
        first = path.split("/", 1)[0]
        # keep docker.io/ when dropping it would make the first component read as a registry host
        ambiguous = "/" in path and ("." in first or ":" in first or first == "localhost")
        if self.domain == DEFAULT_DOMAIN and not ambiguous:
            if path.startswith(OFFICIAL_REPO_PREFIX) and path.count("/") == 1:
                path = path[len(OFFICIAL_REPO_PREFIX) :]
            out = path
        else:
            out = f"{self.domain}/{path}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    def is_loopback(self) -> bool:
        """True for ``localhost``, 127.0.0.0/8 and ::1: registries docker talks to over plain HTTP."""
        host = self.domain.rsplit(":", 1)[0] if not self.domain.startswith("[") else self.domain[1:].split("]")[0]
        if host == "localhost" or host.endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if not sep or ("." not in first and ":" not in first and first != "localhost" and first.lower() == first):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, rest
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_REPO_PREFIX + remainder
    return domain, remainder


def parse_reference(ref: str, *, default_tag: str | None = "latest") -> Reference:
    """Parse and normalise ``ref`` (``ParseNormalizedNamed`` + ``TagNameOnly``).

    ``default_tag`` is added when neither tag nor digest is given (pass ``None`` to keep the name bare).
    """
    if not ref:
        raise _bad(ref, "empty reference")
    if ref != ref.strip():
        raise _bad(ref, "leading or trailing whitespace")
    if _ANCHORED_HEX64.match(ref):
        raise _bad(ref, "a 64-character hex string is an image ID, not a repository name")
    rest, at, digest = ref.partition("@")
    if at:
        validate_digest(digest)
    # A tag is the part after the last ":" that comes after the last "/" (a port is before a "/").
    tag: str | None = None
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG_RE.match(tag):
            raise _bad(ref, f"tag {tag!r} must match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}")
    if not rest:
        raise _bad(ref, "missing repository name")
    domain, path = _split_domain(rest)
    if not _DOMAIN_RE.match(domain):
        raise _bad(ref, f"registry host {domain!r} is not a valid host[:port]")
    if any(c.isupper() for c in path):
        raise _bad(ref, "repository name must be lowercase")
    for component in path.split("/"):
        if not _COMPONENT_RE.match(component):
            raise _bad(
                ref, f"path component {component!r} must be lowercase letters, digits and single separators (. _ __ -)"
            )
    if len(f"{domain}/{path}") > NAME_TOTAL_LENGTH_MAX:
        raise _bad(ref, f"repository name is longer than {NAME_TOTAL_LENGTH_MAX} characters")
    if tag is None and not at and default_tag is not None:
        tag = default_tag
    return Reference(domain=domain, path=path, tag=tag, digest=digest if at else None)


def is_mutable(ref: Reference) -> bool:
    """A reference without a digest can change under you (``:latest``, branch tags)."""
    return ref.digest is None
