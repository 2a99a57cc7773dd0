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
    entries = list(source.entries())
    paths = {e.path for e in entries}
    layers = {e.path: e.layer for e in entries}
    wanted: dict[str, list[int]] = {}
    for e in entries:
        if e.link is not None:
            continue
        hits = [i for i, c in enumerate(chosen) if c.selects(e)]
        if e.path in distro_mod.FILES:
            hits.append(-1)
        if hits:
            wanted[e.path] = hits
    collectors: list[Collector] = [c.collector() for c in chosen]
    release: dict[str, bytes] = {}

    def want(entry: FileEntry) -> bool:
        return entry.path in wanted

    for entry, data in source.contents(want):
        for i in wanted[entry.path]:
            if i < 0:
                release[entry.path] = data
            else:
                collectors[i].add(entry, data)
    distro = distro_mod.detect(release)
    ctx = CatalogContext(distro=distro, paths=paths, layers=layers)
    packages: dict[str, Package] = {}
    for collector in collectors:
        for pkg in collector.finish(ctx):
            packages.setdefault(pkg.id, pkg)  # the same package twice at one place is one package
    return Sbom(source=source.info, packages=tuple(packages.values()), distro=distro).sorted()
