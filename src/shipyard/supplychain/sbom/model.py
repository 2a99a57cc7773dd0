"""What an SBOM holds: packages found by catalogers, where they were found, and what was scanned.

Frozen dataclasses (STYLE.md 6). A ``Package`` carries everything both writers and the vulnerability matcher need:
its purl (purl-spec), the OSV ecosystem and the name advisories use for it (the *source* package for Debian and
Alpine, OSV schema "affected[].package.name"), licences as declared, and the files and layer that evidenced it.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field


class PackageType(enum.StrEnum):
    DEB = "deb"
    APK = "apk"
    PYTHON = "python"
    NPM = "npm"
    GO = "go-module"
    JAVA = "java-archive"


class SourceKind(enum.StrEnum):
    IMAGE = "image"
    DIRECTORY = "directory"
    SBOM = "sbom"


@dataclass(frozen=True, slots=True)
class Location:
    """A file that evidenced a package: its absolute path in the filesystem view and the layer it came from."""

    path: str
    layer: str | None = None


@dataclass(frozen=True, slots=True)
class Distro:
    """From ``/etc/os-release``: ``ID``, ``VERSION_ID``, ``ID_LIKE`` (os-release(5))."""

    id: str
    version_id: str = ""
    id_like: tuple[str, ...] = ()
    pretty_name: str = ""

    def is_like(self, name: str) -> bool:
        return self.id == name or name in self.id_like


@dataclass(frozen=True, slots=True)
class Package:
    name: str
    version: str
    type: PackageType
    purl: str
    ecosystem: str
    """OSV ecosystem string (``PyPI``, ``Go``, ``npm``, ``Maven``, ``Debian:12``, ``Alpine:v3.19``)."""
    advisory_name: str
    """The name OSV records use: the source package for Debian/Alpine, ``group:artifact`` for Maven."""
    licenses: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()
    source_version: str = ""
    """The source package's version when it differs (dpkg ``Source: name (version)``)."""
    checksums: tuple[tuple[str, str], ...] = ()
    """(SPDX algorithm, hex) of the artifact itself where there is one (a jar: ``("SHA1", ...)``, as syft)."""

    @property
    def layer(self) -> str | None:
        return self.locations[0].layer if self.locations else None

    @property
    def id(self) -> str:
        """16 hex digits, stable for the same package found at the same place (syft's package id idea)."""
        first = self.locations[0].path if self.locations else ""
        key = "\x00".join((self.type.value, self.name, self.version, self.purl, first))
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.type.value, self.name, self.version, self.locations[0].path if self.locations else "")


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What was catalogued: an image (name + manifest digest), a directory, or an existing SBOM."""

    kind: SourceKind
    name: str
    digest: str | None = None
    layers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sbom:
    source: SourceInfo
    packages: tuple[Package, ...]
    distro: Distro | None = None
    notes: tuple[str, ...] = field(default=())

    def sorted(self) -> Sbom:
        return Sbom(self.source, tuple(sorted(self.packages, key=Package.sort_key)), self.distro, self.notes)
