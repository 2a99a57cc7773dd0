"""Run the catalogers over a source in one streaming pass and assemble the SBOM."""

from __future__ import annotations

from collections.abc import Sequence

from shipyard.errors import SpecError
from shipyard.supplychain.sbom import distro as distro_mod
from shipyard.supplychain.sbom.catalogers import CATALOGERS, Cataloger
from shipyard.supplychain.sbom.catalogers.base import CatalogContext, Collector
from shipyard.supplychain.sbom.model import Package, Sbom
from shipyard.supplychain.sbom.source import FileEntry, Source


def select(names: Sequence[str] | None) -> list[Cataloger]:
    if names is None:
        return list(CATALOGERS.values())
    unknown = [n for n in names if n not in CATALOGERS]
    if unknown:
        raise SpecError(f"unknown cataloger {unknown[0]!r}; known: {', '.join(sorted(CATALOGERS))}", path="catalogers")
    return [CATALOGERS[n] for n in names]


def catalog(source: Source, catalogers: Sequence[Cataloger] | None = None) -> Sbom:
    chosen = list(catalogers) if catalogers is not None else list(CATALOGERS.values())
    release_files = set(distro_mod.FILES)

    def want(entry: FileEntry) -> bool:
        return entry.path in release_files or any(c.selects(entry) for c in chosen)

    def retain(entry: FileEntry, data: bytes) -> bool:
        return entry.path in release_files or any(c.selects(entry) and c.retains(entry, data) for c in chosen)

    collectors: list[Collector] = [c.collector() for c in chosen]
    release: dict[str, bytes] = {}
    for entry, data in source.contents(want, retain):
        if entry.path in release_files:
            release[entry.path] = data
        for cataloger, collector in zip(chosen, collectors, strict=True):
            if cataloger.selects(entry):
                collector.add(entry, data)
    entries = list(source.entries())
    distro = distro_mod.detect(release)
    ctx = CatalogContext(distro=distro, paths={e.path for e in entries}, layers={e.path: e.layer for e in entries})
    packages: dict[str, Package] = {}
    for collector in collectors:
        for pkg in collector.finish(ctx):
            packages.setdefault(pkg.id, pkg)  # the same package twice at one place is one package
    return Sbom(source=source.info, packages=tuple(packages.values()), distro=distro).sorted()
