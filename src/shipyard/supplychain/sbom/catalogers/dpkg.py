"""Debian packages from ``/var/lib/dpkg/status`` and distroless ``/var/lib/dpkg/status.d/*`` (syft dpkg-db-cataloger).

Only stanzas whose ``Status`` says ``installed`` count (status.d entries carry no Status). ``Source: name (ver)``
names the source package that Debian advisories use; licences come from
``/usr/share/doc/<pkg>/copyright``: DEP-5 ``License:`` lines, or common-licenses references in free-form files.
"""

from __future__ import annotations

import re

from packageurl import PackageURL

from shipyard.supplychain.sbom.catalogers.base import CatalogContext, rfc822
from shipyard.supplychain.sbom.model import Distro, Location, Package, PackageType
from shipyard.supplychain.sbom.source import FileEntry

STATUS = "/var/lib/dpkg/status"
STATUS_D = "/var/lib/dpkg/status.d/"
_COPYRIGHT = re.compile(r"^/usr/share/doc/([^/]+)/copyright$")
_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?$")


def ecosystem(distro: Distro | None) -> str:
    """OSV ecosystem: ``Debian:12`` (major release), ``Ubuntu:22.04``, bare name without a version."""
    if distro is not None and distro.id == "ubuntu":
        return f"Ubuntu:{distro.version_id}" if distro.version_id else "Ubuntu"
    if distro is not None and distro.version_id:
        return f"Debian:{distro.version_id.split('.')[0]}"
    return "Debian"


_COMMON = re.compile(r"/usr/share/common-licenses/([A-Za-z0-9][A-Za-z0-9.+_-]*[A-Za-z0-9+])")


def copyright_licenses(text: str) -> list[str]:
    """``License:`` short names of a machine-readable (DEP-5) copyright file; for free-form files only the
    ``/usr/share/common-licenses/<name>`` references, since their ``License:`` lines are prose."""
    found: set[str] = set()
    if text.startswith("Format:") and "copyright-format" in text.split("\n", 1)[0]:
        for line in text.splitlines():
            if line.startswith("License:"):
                value = line[len("License:") :].strip()
                if value:
                    found.add(value)
    else:
        found.update(m.group(1) for m in _COMMON.finditer(text))
    return sorted(found)


class DpkgCataloger:
    name = "dpkg-db-cataloger"

    def selects(self, entry: FileEntry) -> bool:
        p = entry.path
        if p == STATUS:
            return True
        if p.startswith(STATUS_D):
            return not p.endswith(".md5sums")
        return _COPYRIGHT.match(p) is not None and entry.size < 1024 * 1024

    def retains(self, entry: FileEntry, data: bytes) -> bool:
        return True

    def collector(self) -> _Collector:
        return _Collector()


class _Collector:
    def __init__(self) -> None:
        self.stanzas: list[tuple[FileEntry, dict[str, str]]] = []
        self.licenses: dict[str, list[str]] = {}

    def add(self, entry: FileEntry, data: bytes) -> None:
        text = data.decode("utf-8", "replace")
        m = _COPYRIGHT.match(entry.path)
        if m:
            self.licenses[m.group(1)] = copyright_licenses(text)
            return
        for stanza in rfc822(text):
            status = stanza.get("Status")
            if status is not None and not status.endswith(" installed"):
                continue
            if stanza.get("Package") and stanza.get("Version"):
                self.stanzas.append((entry, stanza))

    def finish(self, ctx: CatalogContext) -> list[Package]:
        # Only a Debian-like distro names the namespace and the release (purl-spec deb type).
        distro = ctx.distro if ctx.distro is not None and ctx.distro.is_like("debian") else None
        namespace = distro.id if distro is not None else "debian"
        out: list[Package] = []
        for entry, st in self.stanzas:
            name, version, arch = st["Package"], st["Version"], st.get("Architecture", "")
            src_name, src_version = name, ""
            qualifiers: dict[str, str] = {}
            if arch:
                qualifiers["arch"] = arch
            if distro is not None and distro.version_id:
                qualifiers["distro"] = f"{distro.id}-{distro.version_id}"
            m = _SOURCE.match(st.get("Source", "").strip())
            if m:
                src_name, src_version = m.group(1), m.group(2) or ""
                qualifiers["upstream"] = f"{src_name}@{src_version}" if src_version else src_name
            purl = PackageURL("deb", namespace, name, version, qualifiers or None).to_string()
            locations = [Location(entry.path, entry.layer)]
            for evidence in (f"/var/lib/dpkg/info/{name}.list", f"/var/lib/dpkg/info/{name}:{arch}.list"):
                if evidence in ctx.paths:
                    locations.append(ctx.location(evidence))
            doc = f"/usr/share/doc/{name}/copyright"
            if doc in ctx.paths:
                locations.append(ctx.location(doc))
            out.append(
                Package(
                    name=name,
                    version=version,
                    type=PackageType.DEB,
                    purl=purl,
                    ecosystem=ecosystem(distro),
                    advisory_name=src_name,
                    licenses=tuple(self.licenses.get(name, ())),
                    locations=tuple(locations),
                    source_version=src_version,
                )
            )
        return out
