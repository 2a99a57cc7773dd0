"""JavaScript packages: installed ``node_modules/[@scope/]name/package.json`` and declared ``package-lock.json``
(v1 ``dependencies`` tree, v2/v3 ``packages`` map; syft javascript-package/lock catalogers).

A package found both installed and in a lockfile of the same project is one package with both files as evidence.
"""

from __future__ import annotations

import json
from typing import Any

from packageurl import PackageURL

from shipyard.supplychain.sbom.catalogers.base import CatalogContext
from shipyard.supplychain.sbom.model import Location, Package, PackageType
from shipyard.supplychain.sbom.source import FileEntry

_MAX = 64 * 1024 * 1024


def _license(meta: dict[str, Any]) -> tuple[str, ...]:
    lic = meta.get("license")
    if isinstance(lic, str) and lic.strip():
        return (lic.strip(),)
    if isinstance(lic, dict) and isinstance(lic.get("type"), str):
        return (lic["type"],)
    many = meta.get("licenses")
    if isinstance(many, list):
        out = [x["type"] if isinstance(x, dict) else x for x in many]
        return tuple(x for x in out if isinstance(x, str) and x)
    return ()


def is_installed_manifest(path: str) -> bool:
    _head, sep, tail = path.rpartition("/node_modules/")
    if not sep:
        return False
    parts = tail.split("/")
    if parts[-1] != "package.json":
        return False
    return len(parts) == 2 or (len(parts) == 3 and parts[0].startswith("@"))


def lock_entries(doc: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, version, licences) for every dependency a lockfile pins; the root project is not a dependency."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    packages = doc.get("packages")
    if isinstance(packages, dict):
        for key, meta in packages.items():
            if not key or not isinstance(meta, dict) or meta.get("link"):
                continue
            name = meta.get("name") or key.rpartition("node_modules/")[2]
            version = meta.get("version")
            if isinstance(name, str) and isinstance(version, str):
                out.append((name, version, _license(meta)))
        return out

    def walk(deps: Any) -> None:
        if not isinstance(deps, dict):
            return
        for name, meta in deps.items():
            if isinstance(meta, dict) and isinstance(meta.get("version"), str):
                out.append((name, meta["version"], ()))
                walk(meta.get("dependencies"))

    walk(doc.get("dependencies"))
    return out


class NpmCataloger:
    name = "javascript-package-cataloger"

    def selects(self, entry: FileEntry) -> bool:
        if entry.size > _MAX:
            return False
        if entry.path.endswith("/package-lock.json"):
            return "/node_modules/" not in entry.path
        return is_installed_manifest(entry.path)

    def retains(self, entry: FileEntry, data: bytes) -> bool:
        return True

    def collector(self) -> _Collector:
        return _Collector()


class _Collector:
    def __init__(self) -> None:
        self.found: dict[tuple[str, str, str], tuple[list[Location], tuple[str, ...]]] = {}

    def _put(self, project: str, name: str, version: str, licenses: tuple[str, ...], loc: Location) -> None:
        key = (project, name, version)
        if key in self.found:
            locs, old = self.found[key]
            locs.append(loc)
            self.found[key] = (locs, old or licenses)
        else:
            self.found[key] = ([loc], licenses)

    def add(self, entry: FileEntry, data: bytes) -> None:
        try:
            doc = json.loads(data)
        except ValueError:
            return  # a broken package.json is not evidence of a package
        if not isinstance(doc, dict):
            return
        loc = Location(entry.path, entry.layer)
        if entry.path.endswith("/package-lock.json"):
            project = entry.path.rsplit("/", 1)[0]
            for name, version, licenses in lock_entries(doc):
                self._put(project, name, version, licenses, loc)
            return
        pkg_name, pkg_version = doc.get("name"), doc.get("version")
        if isinstance(pkg_name, str) and isinstance(pkg_version, str) and pkg_name and pkg_version:
            project = entry.path.split("/node_modules/", 1)[0]
            self._put(project, pkg_name, pkg_version, _license(doc), loc)

    def finish(self, ctx: CatalogContext) -> list[Package]:
        out: list[Package] = []
        for (_, name, version), (locs, licenses) in self.found.items():
            scope, _, base = name.rpartition("/")
            out.append(
                Package(
                    name=name,
                    version=version,
                    type=PackageType.NPM,
                    purl=PackageURL("npm", scope or None, base, version).to_string(),
                    ecosystem="npm",
                    advisory_name=name,
                    licenses=licenses,
                    locations=tuple(sorted(locs, key=lambda x: x.path)),
                )
            )
        return out
