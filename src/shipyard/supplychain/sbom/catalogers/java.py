"""Java archives (syft java-archive-cataloger): ``META-INF/maven/<group>/<artifact>/pom.properties`` give
Maven coordinates; without them ``META-INF/MANIFEST.MF`` names the package. Jars nested in jars (Spring Boot
``BOOT-INF/lib``, ``WEB-INF/lib``) are read recursively, a few levels deep.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

from packageurl import PackageURL

from shipyard.supplychain.sbom.catalogers.base import CatalogContext
from shipyard.supplychain.sbom.model import Location, Package, PackageType
from shipyard.supplychain.sbom.source import FileEntry

ARCHIVES = (".jar", ".war", ".ear", ".par", ".sar", ".nar", ".jpi", ".hpi", ".kar", ".lpkg")
_MAX = 256 * 1024 * 1024
_DEPTH = 3
_NAME_VERSION = re.compile(r"^(?P<name>.+?)-(?P<version>\d[\w.\-]*)$")


def parse_manifest(text: str) -> dict[str, str]:
    """JAR manifest main section: ``Key: value``, continuation lines start with one space (72-byte wrapping)."""
    out: dict[str, str] = {}
    last: str | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line:
            break  # end of the main section
        if line.startswith(" ") and last is not None:
            out[last] += line[1:]
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            out[last] = value.strip()
    return out


def parse_properties(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        key, _, value = line.partition("=") if "=" in line else line.partition(":")
        out[key.strip()] = value.strip()
    return out


def _maven(group: str, artifact: str, version: str, licenses: tuple[str, ...], loc: Location, sha1: str) -> Package:
    return Package(
        name=artifact,
        version=version,
        type=PackageType.JAVA,
        purl=PackageURL("maven", group, artifact, version).to_string(),
        ecosystem="Maven",
        advisory_name=f"{group}:{artifact}",
        licenses=licenses,
        locations=(loc,),
        checksums=(("SHA1", sha1),),
    )


def read_archive(data: bytes, filename: str, loc: Location, depth: int = 0) -> list[Package]:
    sha1 = hashlib.sha1(data, usedforsecurity=False).hexdigest()  # Maven Central's and syft's archive digest
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        manifest = {}
        if "META-INF/MANIFEST.MF" in names:
            manifest = parse_manifest(archive.read("META-INF/MANIFEST.MF").decode("utf-8", "replace"))
        licenses = (manifest["Bundle-License"],) if manifest.get("Bundle-License") else ()
        out: list[Package] = []
        for name in sorted(names):
            if name.startswith("META-INF/maven/") and name.endswith("/pom.properties"):
                props = parse_properties(archive.read(name).decode("utf-8", "replace"))
                if props.get("groupId") and props.get("artifactId") and props.get("version"):
                    out.append(_maven(props["groupId"], props["artifactId"], props["version"], licenses, loc, sha1))
        if not out:
            stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            m = _NAME_VERSION.match(stem)
            artifact = manifest.get("Implementation-Title") or (m.group("name") if m else stem)
            version = (
                manifest.get("Implementation-Version")
                or manifest.get("Bundle-Version")
                or (m.group("version") if m else "")
            )
            group = manifest.get("Implementation-Vendor-Id") or manifest.get("Bundle-SymbolicName", "").split(";")[0]
            group = group.rsplit(".", 1)[0] if group and group.endswith(f".{artifact}") else group
            if artifact and version:
                out.append(_maven(group or artifact, artifact, version, licenses, loc, sha1))
        if depth < _DEPTH:
            for name in names:
                if name.lower().endswith(ARCHIVES):
                    inner = Location(f"{loc.path}!/{name}", loc.layer)
                    out.extend(read_archive(archive.read(name), name, inner, depth + 1))
        return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return []  # not an archive we can read: not evidence of a package


class JavaArchiveCataloger:
    name = "java-archive-cataloger"

    def selects(self, entry: FileEntry) -> bool:
        return entry.path.lower().endswith(ARCHIVES) and entry.size <= _MAX

    def retains(self, entry: FileEntry, data: bytes) -> bool:
        return True

    def collector(self) -> _Collector:
        return _Collector()


class _Collector:
    def __init__(self) -> None:
        self.found: list[Package] = []

    def add(self, entry: FileEntry, data: bytes) -> None:
        self.found.extend(read_archive(data, entry.path, Location(entry.path, entry.layer)))

    def finish(self, ctx: CatalogContext) -> list[Package]:
        return list(self.found)
