"""Go modules compiled into executables (syft go-module-binary-cataloger): the main module, every ``dep`` (after
``=>`` replacements) and a synthetic ``stdlib`` package at the toolchain's version.

A main module built as ``(devel)`` takes its version from ``-ldflags -X <pkg>.version=...`` when present (syft's
heuristic for ``main.version``/``Version``), else stays ``(devel)``.
"""

from __future__ import annotations

import re

from packageurl import PackageURL

from shipyard.supplychain.sbom.catalogers.base import CatalogContext
from shipyard.supplychain.sbom.catalogers.buildinfo import MAGIC, BuildInfo, read_elf
from shipyard.supplychain.sbom.model import Location, Package, PackageType
from shipyard.supplychain.sbom.source import FileEntry

_LDFLAGS_VERSION = re.compile(r"-X\s+['\"]?\S*?\.(?:[vV]ersion|gitVersion)=['\"]?([^\s'\"]+)")
_MIN_SIZE = 1024


def golang_purl(module: str, version: str) -> str:
    namespace, _, name = module.rpartition("/")
    return PackageURL("golang", namespace or None, name, version).to_string()


_GO_RELEASE = re.compile(r"^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta|alpha)(\d+))?$")


def stdlib_version(go_version: str) -> str:
    """The toolchain as Go vulndb spells stdlib versions: ``go1.22.1 X:loopvar`` → ``1.22.1``, ``go1.21`` →
    ``1.21.0``, ``go1.21rc2`` → ``1.21.0-rc.2`` (experiments dropped). Other spellings lose only ``go``."""
    head = go_version.split(" ")[0]
    m = _GO_RELEASE.match(head)
    if m is None:
        return head.removeprefix("go")
    major, minor, patch, pre, pre_n = m.groups()
    version = f"{major}.{minor}.{patch or 0}"
    return f"{version}-{pre}.{pre_n}" if pre else version


def main_version(info: BuildInfo) -> str:
    version = info.main.version if info.main else "(devel)"
    if version == "(devel)":
        m = _LDFLAGS_VERSION.search(info.setting("-ldflags") or "")
        if m:
            return m.group(1)
    return version


class GoBinaryCataloger:
    name = "go-module-binary-cataloger"

    def selects(self, entry: FileEntry) -> bool:
        return entry.executable and entry.size >= _MIN_SIZE

    def retains(self, entry: FileEntry, data: bytes) -> bool:
        return MAGIC in data

    def collector(self) -> _Collector:
        return _Collector()


class _Collector:
    def __init__(self) -> None:
        self.found: list[tuple[FileEntry, BuildInfo]] = []

    def add(self, entry: FileEntry, data: bytes) -> None:
        info = read_elf(data)
        if info is not None:
            self.found.append((entry, info))

    def finish(self, ctx: CatalogContext) -> list[Package]:
        out: list[Package] = []
        for entry, info in self.found:
            loc = (Location(entry.path, entry.layer),)

            def pkg(name: str, version: str, purl: str, advisory: str, loc: tuple[Location, ...] = loc) -> Package:
                return Package(name, version, PackageType.GO, purl, "Go", advisory, (), loc)

            if info.main is not None:
                version = main_version(info)
                out.append(pkg(info.main.path, version, golang_purl(info.main.path, version), info.main.path))
            for dep in info.deps:
                out.append(pkg(dep.path, dep.version, golang_purl(dep.path, dep.version), dep.path))
            if info.go_version:
                std = stdlib_version(info.go_version)
                out.append(pkg("stdlib", std, PackageURL("golang", None, "stdlib", std).to_string(), "stdlib"))
        return out
