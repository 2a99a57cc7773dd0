"""An existing SBOM as a source of packages (``scan sbom:FILE``): SPDX 2.x JSON or CycloneDX JSON.

Packages are rebuilt from their purls, which carry everything matching needs: the type picks the OSV ecosystem,
``distro=`` qualifiers the release (``debian-12`` → ``Debian:12``, ``alpine-3.19.0`` → ``Alpine:v3.19``), and
``upstream=`` the source package Debian and Alpine advisories name. Declared licences are read back too, so a
document converts to the other format without loss. Packages without a usable purl are skipped and counted in
the SBOM's notes.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from shipyard.errors import SpecError
from shipyard.supplychain.sbom.catalogers.base import pep503
from shipyard.supplychain.sbom.model import Location, Package, PackageType, Sbom, SourceInfo, SourceKind

_TYPES = {
    "deb": PackageType.DEB,
    "apk": PackageType.APK,
    "pypi": PackageType.PYTHON,
    "npm": PackageType.NPM,
    "golang": PackageType.GO,
    "maven": PackageType.JAVA,
}


def _ecosystem(p: PackageURL) -> str:
    distro = str((p.qualifiers or {}).get("distro", "")) if isinstance(p.qualifiers, dict) else ""
    release = distro.rpartition("-")[2] if "-" in distro else ""
    if p.type == "deb":
        if p.namespace == "ubuntu":
            return f"Ubuntu:{release}" if release else "Ubuntu"
        return f"Debian:{release.split('.')[0]}" if release else "Debian"
    if p.type == "apk":
        return f"Alpine:v{'.'.join(release.split('.')[:2])}" if release else "Alpine"
    return {"pypi": "PyPI", "npm": "npm", "golang": "Go", "maven": "Maven"}[p.type]


def package_from_purl(purl: str, location: str) -> Package | None:
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return None
    if p.type not in _TYPES or not p.version:
        return None
    qualifiers = p.qualifiers if isinstance(p.qualifiers, dict) else {}
    upstream = str(qualifiers.get("upstream", ""))
    src_name, _, src_version = upstream.partition("@")
    name = f"{p.namespace}/{p.name}" if p.namespace and p.type in ("npm", "golang") else p.name
    advisory = {
        "deb": src_name or p.name,
        "apk": src_name or p.name,
        "pypi": pep503(p.name),
        "maven": f"{p.namespace}:{p.name}",
    }.get(p.type, name)
    return Package(
        name=name,
        version=p.version,
        type=_TYPES[p.type],
        purl=purl,
        ecosystem=_ecosystem(p),
        advisory_name=advisory,
        locations=(Location(location),),
        source_version=src_version,
    )


Found = tuple[str, tuple[str, ...]]  # (purl, licences)


def _spdx_licenses(declared: Any, refs: dict[str, str]) -> tuple[str, ...]:
    if not isinstance(declared, str) or declared in ("", "NOASSERTION", "NONE"):
        return ()
    # Our writer joins separate declarations with AND; split those back, keep anything else whole.
    parts = declared.split(" AND ") if "(" not in declared and " OR " not in declared else [declared]
    return tuple(refs.get(p.strip(), p.strip()) for p in parts)


def _cdx_licenses(entries: Any) -> tuple[str, ...]:
    out: list[str] = []
    for e in entries if isinstance(entries, list) else []:
        if not isinstance(e, dict):
            continue
        raw = e.get("license")
        lic: dict[str, Any] = raw if isinstance(raw, dict) else {}
        value = e.get("expression") or lic.get("id") or lic.get("name")
        if isinstance(value, str) and value:
            out.append(value)
    return tuple(out)


def _packages(doc: dict[str, Any]) -> tuple[str, list[Found]]:
    if "spdxVersion" in doc:
        refs = {
            str(x.get("licenseId")): str(x.get("extractedText"))
            for x in doc.get("hasExtractedLicensingInfos") or []
            if isinstance(x, dict)
        }
        found: list[Found] = []
        for pkg in doc.get("packages") or []:
            for ref in pkg.get("externalRefs") or []:
                if ref.get("referenceType") == "purl" and isinstance(ref.get("referenceLocator"), str):
                    found.append((ref["referenceLocator"], _spdx_licenses(pkg.get("licenseDeclared"), refs)))
        return str(doc.get("name") or ""), found
    if doc.get("bomFormat") == "CycloneDX":
        stack = list(doc.get("components") or [])
        found = []
        while stack:
            comp = stack.pop()
            if isinstance(comp, dict):
                if isinstance(comp.get("purl"), str):
                    found.append((comp["purl"], _cdx_licenses(comp.get("licenses"))))
                stack.extend(comp.get("components") or [])
        root = (doc.get("metadata") or {}).get("component") or {}
        return str(root.get("name") or ""), found
    raise SpecError("neither an SPDX JSON nor a CycloneDX JSON document")


def read_sbom(path: str | Path) -> Sbom:
    p = Path(path)
    try:
        doc = json.loads(p.read_bytes())
    except FileNotFoundError as exc:
        raise SpecError("no such file", file=str(p)) from exc
    except ValueError as exc:
        raise SpecError(f"not JSON: {exc}", file=str(p)) from exc
    if not isinstance(doc, dict):
        raise SpecError("an SBOM is a JSON object", file=str(p))
    try:
        name, found = _packages(doc)
    except SpecError as exc:
        raise SpecError(exc.issue.message, file=str(p)) from exc
    except (AttributeError, TypeError, KeyError, ValueError) as exc:
        # A field of the wrong JSON type (SPDX 2.3 / CycloneDX schemas give each field one type).
        raise SpecError(f"malformed SBOM: {type(exc).__name__}: {exc}", file=str(p)) from exc
    # The image itself (pkg:oci/...) is the SBOM's subject, not one of its packages.
    found = [f for f in found if not f[0].startswith("pkg:oci/")]
    packages = [
        replace(pkg, licenses=licenses)
        for purl, licenses in found
        if (pkg := package_from_purl(purl, str(p))) is not None
    ]
    skipped = len(found) - len(packages)
    notes = (f"{skipped} purl(s) that are invalid or of types shipyard does not match were skipped",) if skipped else ()
    info = SourceInfo(kind=SourceKind.SBOM, name=name or p.name)
    return Sbom(source=info, packages=tuple(packages), notes=notes).sorted()
