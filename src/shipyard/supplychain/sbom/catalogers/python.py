"""Installed Python distributions: ``*.dist-info/METADATA``, ``*.egg-info/PKG-INFO`` and single-file
``*.egg-info`` (core metadata, PyPA "Recording installed projects"; syft python-installed-package-cataloger).

Licence precedence: ``License-Expression`` (PEP 639), then a one-line ``License`` field, then the
``License ::`` trove classifiers. ``RECORD`` (dist-info) or ``installed-files.txt`` (egg-info) beside the metadata
are recorded as evidence.
"""

from __future__ import annotations

from email.parser import HeaderParser

from packageurl import PackageURL

from shipyard.supplychain.sbom.catalogers.base import CatalogContext, pep503
from shipyard.supplychain.sbom.model import Location, Package, PackageType
from shipyard.supplychain.sbom.source import FileEntry

_MAX = 4 * 1024 * 1024


def metadata_licenses(headers: dict[str, list[str]]) -> tuple[str, ...]:
    expr = [v.strip() for v in headers.get("license-expression", []) if v.strip()]
    if expr:
        return (expr[0],)
    lic = [v.strip() for v in headers.get("license", []) if v.strip()]
    if lic and "\n" not in lic[0] and len(lic[0]) <= 80 and lic[0].upper() != "UNKNOWN":
        return (lic[0],)
    found: list[str] = []
    for classifier in headers.get("classifier", []):
        parts = [p.strip() for p in classifier.split("::")]
        if parts[0] == "License" and len(parts) > 1 and parts[-1] not in found and parts[-1] != "OSI Approved":
            found.append(parts[-1])
    return tuple(found)


def parse_metadata(data: bytes) -> dict[str, list[str]]:
    # Only the header block matters; the description body after the first blank line is skipped.
    text = data.decode("utf-8", "replace")
    msg = HeaderParser().parsestr(text, headersonly=True)
    headers: dict[str, list[str]] = {}
    for key, value in msg.items():
        headers.setdefault(key.lower(), []).append(str(value))
    return headers


class PythonCataloger:
    name = "python-installed-package-cataloger"

    def selects(self, entry: FileEntry) -> bool:
        p = entry.path
        if entry.size > _MAX:
            return False
        parent = p.rsplit("/", 2)[-2] if p.count("/") >= 2 else ""
        if p.endswith("/METADATA") and parent.endswith(".dist-info"):
            return True
        if p.endswith("/PKG-INFO") and parent.endswith(".egg-info"):
            return True
        return p.endswith(".egg-info") and entry.link is None

    def retains(self, entry: FileEntry, data: bytes) -> bool:
        return True

    def collector(self) -> _Collector:
        return _Collector()


class _Collector:
    def __init__(self) -> None:
        self.found: list[tuple[FileEntry, dict[str, list[str]]]] = []

    def add(self, entry: FileEntry, data: bytes) -> None:
        headers = parse_metadata(data)
        if headers.get("name") and headers.get("version"):
            self.found.append((entry, headers))

    def finish(self, ctx: CatalogContext) -> list[Package]:
        out: list[Package] = []
        for entry, headers in self.found:
            name, version = headers["name"][0].strip(), headers["version"][0].strip()
            locations = [Location(entry.path, entry.layer)]
            directory = entry.path.rsplit("/", 1)[0]
            for evidence in (f"{directory}/RECORD", f"{directory}/installed-files.txt"):
                if evidence != entry.path and evidence in ctx.paths:
                    locations.append(ctx.location(evidence))
            out.append(
                Package(
                    name=name,
                    version=version,
                    type=PackageType.PYTHON,
                    purl=PackageURL("pypi", None, pep503(name), version).to_string(),
                    ecosystem="PyPI",
                    advisory_name=pep503(name),
                    licenses=metadata_licenses(headers),
                    locations=tuple(locations),
                )
            )
        return out
