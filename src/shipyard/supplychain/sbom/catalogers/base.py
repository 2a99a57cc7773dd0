"""The one cataloger interface (syft's cataloger idea, reshaped for one streaming pass over the source).

A cataloger says which files it wants (``selects``, from path, size and mode alone); the runner streams those
files' bytes once through a per-run ``Collector``; ``finish`` turns what was collected into packages, with the
distro and the full list of paths at hand (for evidence like a sibling ``RECORD``).
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass
from typing import Protocol

from shipyard.supplychain.sbom.model import Distro, Location, Package
from shipyard.supplychain.sbom.source import FileEntry


@dataclass(frozen=True, slots=True)
class CatalogContext:
    distro: Distro | None
    paths: Set[str]
    layers: dict[str, str | None]
    """path → layer id, for evidence files that were not read."""

    def location(self, path: str) -> Location:
        return Location(path, self.layers.get(path))


class Collector(Protocol):
    def add(self, entry: FileEntry, data: bytes) -> None: ...

    def finish(self, ctx: CatalogContext) -> list[Package]: ...


class Cataloger(Protocol):
    name: str

    def selects(self, entry: FileEntry) -> bool: ...

    def retains(self, entry: FileEntry, data: bytes) -> bool:
        """Whether a selected file's bytes are worth keeping (lets image reads drop non-Go executables early)."""
        ...

    def collector(self) -> Collector: ...


_PEP503 = re.compile(r"[-_.]+")


def pep503(name: str) -> str:
    """PEP 503 normal form: lowercase, every run of ``-``, ``_`` and ``.`` becomes one ``-``."""
    return _PEP503.sub("-", name).lower()


def rfc822(text: str) -> list[dict[str, str]]:
    """Debian control / core-metadata style stanzas: ``Key: value`` with indented continuation lines.

    Stanzas are separated by blank lines; keys keep their case; continuation lines are joined with ``\\n``.
    """
    stanzas: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                stanzas.append(current)
            current, last = {}, None
            continue
        if line[0] in " \t":
            if last is not None:
                current[last] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        last = key.strip()
        current[last] = value.strip()
    if current:
        stanzas.append(current)
    return stanzas
