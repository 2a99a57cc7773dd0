"""Alpine packages from ``/lib/apk/db/installed`` (apk-tools database; syft apk-db-cataloger).

Records are blank-line separated, one ``X:value`` line per field: ``P`` name, ``V`` version, ``A`` arch,
``o`` origin (the source package Alpine advisories name), ``L`` licence, ``F``/``R`` owned files.
"""

from __future__ import annotations

from packageurl import PackageURL

from shipyard.supplychain.sbom.catalogers.base import CatalogContext
from shipyard.supplychain.sbom.model import Distro, Location, Package, PackageType
from shipyard.supplychain.sbom.source import FileEntry

INSTALLED = "/lib/apk/db/installed"


_ROLLING = {"wolfi": "Wolfi", "chainguard": "Chainguard"}


def ecosystem(distro: Distro | None) -> str:
    """OSV ecosystem ``Alpine:v3.19`` (the ``v`` prefix is required; patch level dropped); ``Wolfi`` and
    ``Chainguard`` are rolling, without a release."""
    if distro is not None and distro.id in _ROLLING:
        return _ROLLING[distro.id]
    if distro is None or not distro.version_id:
        return "Alpine"
    major_minor = ".".join(distro.version_id.split(".")[:2])
    return f"Alpine:v{major_minor}"


def parse_installed(text: str) -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                records.append(current)
            current = {}
            continue
        if len(line) >= 2 and line[1] == ":" and line[0] not in current:
            current[line[0]] = line[2:]
    if current:
        records.append(current)
    return records


class ApkCataloger:
    name = "apk-db-cataloger"

    def selects(self, entry: FileEntry) -> bool:
        return entry.path == INSTALLED

    def retains(self, entry: FileEntry, data: bytes) -> bool:
        return True

    def collector(self) -> _Collector:
        return _Collector()


class _Collector:
    def __init__(self) -> None:
        self.records: list[tuple[FileEntry, dict[str, str]]] = []

    def add(self, entry: FileEntry, data: bytes) -> None:
        for rec in parse_installed(data.decode("utf-8", "replace")):
            if rec.get("P") and rec.get("V"):
                self.records.append((entry, rec))

    def finish(self, ctx: CatalogContext) -> list[Package]:
        # Only an Alpine-like distro names the namespace and the release (purl-spec apk type).
        apk_based = ctx.distro is not None and (ctx.distro.is_like("alpine") or ctx.distro.id in _ROLLING)
        distro = ctx.distro if apk_based else None
        namespace = distro.id if distro is not None else "alpine"
        out: list[Package] = []
        for entry, rec in self.records:
            name, version = rec["P"], rec["V"]
            origin = rec.get("o") or name
            qualifiers: dict[str, str] = {}
            if rec.get("A"):
                qualifiers["arch"] = rec["A"]
            if distro is not None and distro.version_id:
                qualifiers["distro"] = f"{distro.id}-{distro.version_id}"
            if origin != name:
                qualifiers["upstream"] = origin
            out.append(
                Package(
                    name=name,
                    version=version,
                    type=PackageType.APK,
                    purl=PackageURL("apk", namespace, name, version, qualifiers or None).to_string(),
                    ecosystem=ecosystem(distro),
                    advisory_name=origin,
                    licenses=(rec["L"],) if rec.get("L") else (),
                    locations=(Location(entry.path, entry.layer),),
                )
            )
        return out
