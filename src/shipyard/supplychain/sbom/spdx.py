"""SPDX 2.3 JSON (spdx-spec support/2.3 ``schemas/spdx-schema.json``), shaped like syft's output.

The document DESCRIBES one root package (the image, with its manifest digest as checksum, or the directory);
the root CONTAINS every package. Packages carry their purl as a PACKAGE-MANAGER external reference,
``filesAnalyzed: false`` (no file list, so no verification code), and ``licenseDeclared`` as a valid SPDX
expression; declared texts that are not SPDX ids become ``LicenseRef-`` ids listed in
``hasExtractedLicensingInfos``. Output is deterministic for the same SBOM, ``created`` and ``uuid``.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid as uuidlib
from typing import Any

from shipyard import __version__
from shipyard.supplychain.sbom.licenses import to_spdx
from shipyard.supplychain.sbom.model import Package, PackageType, Sbom, SourceKind

_ID_CHARS = re.compile(r"[^A-Za-z0-9.\-]+")
# syft format/common/spdxhelpers/source_info.go: "<what the cataloger read>: <paths>".
_SOURCE_INFO = {
    PackageType.DEB: "acquired package info from DPKG DB",
    PackageType.APK: "acquired package info from APK DB",
    PackageType.PYTHON: "acquired package info from installed python package manifest file",
    PackageType.NPM: "acquired package info from installed node module manifest file",
    PackageType.GO: "acquired package info from go module information",
    PackageType.JAVA: "acquired package info from installed java archive",
}


def element_id(*parts: str) -> str:
    """``SPDXRef-`` + ``[A-Za-z0-9.-]+`` (SPDX 2.3 §3.2); everything else becomes ``-`` (syft SanitizeElementID)."""
    return "SPDXRef-" + "-".join(_ID_CHARS.sub("-", p).strip("-") for p in parts if p)


def _root(sbom: Sbom) -> dict[str, Any]:
    src = sbom.source
    kind = {SourceKind.IMAGE: "Image", SourceKind.DIRECTORY: "Directory", SourceKind.SBOM: "SBOM"}[src.kind]
    root: dict[str, Any] = {
        "name": src.name,
        "SPDXID": element_id("DocumentRoot", kind, src.name),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "primaryPackagePurpose": "CONTAINER" if src.kind is SourceKind.IMAGE else "FILE",
        "supplier": "NOASSERTION",
        # syft toRootPackage (spdxhelpers/to_format_model.go) asserts nothing about the root's licences/copyright.
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
    }
    if src.digest:
        alg, _, value = src.digest.partition(":")
        root["versionInfo"] = src.digest
        if alg == "sha256":
            root["checksums"] = [{"algorithm": "SHA256", "checksumValue": value}]
    return root


class _Licenses:
    def __init__(self) -> None:
        self.refs: dict[str, str] = {}

    def declared(self, pkg: Package) -> str:
        if not pkg.licenses:
            return "NOASSERTION"
        parts: list[str] = []
        for text in pkg.licenses:
            lic = to_spdx(text)
            expr = lic.expression
            if lic.is_ref:
                if self.refs.get(expr, text) != text:
                    expr = f"{expr}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
                self.refs[expr] = text
            parts.append(expr if lic.is_single_id else f"({expr})")
        return " AND ".join(parts) if len(parts) > 1 else parts[0].removeprefix("(").removesuffix(")")


def _package(pkg: Package, licenses: _Licenses) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": pkg.name,
        "SPDXID": element_id("Package", pkg.type.value, pkg.name, pkg.id),
        "versionInfo": pkg.version,
        "supplier": "NOASSERTION",
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "sourceInfo": _SOURCE_INFO.get(pkg.type, "acquired package info from the following paths")
        + ": "
        + ", ".join(loc.path for loc in pkg.locations),
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": licenses.declared(pkg),
        "copyrightText": "NOASSERTION",
        "externalRefs": [
            {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": pkg.purl}
        ],
    }
    if pkg.checksums:
        out["checksums"] = [{"algorithm": alg, "checksumValue": value} for alg, value in pkg.checksums]
    return out


def to_spdx_dict(sbom: Sbom, *, created: str, uuid: str | None = None) -> dict[str, Any]:
    ordered = sbom.sorted()
    uid = uuid or str(uuidlib.uuid4())
    root = _root(ordered)
    licenses = _Licenses()
    packages = [_package(p, licenses) for p in ordered.packages]
    relationships = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relatedSpdxElement": root["SPDXID"], "relationshipType": "DESCRIBES"}
    ]
    relationships += [
        {"spdxElementId": root["SPDXID"], "relatedSpdxElement": p["SPDXID"], "relationshipType": "CONTAINS"}
        for p in packages
    ]
    doc: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": ordered.source.name,
        "documentNamespace": f"https://shipyard.dev/spdx/{ordered.source.kind.value}/"
        f"{_ID_CHARS.sub('-', ordered.source.name).strip('-') or 'unnamed'}-{uid}",
        "creationInfo": {"created": created, "creators": ["Organization: shipyard", f"Tool: shipyard-{__version__}"]},
        "packages": [root, *packages],
        "relationships": relationships,
    }
    if licenses.refs:
        doc["hasExtractedLicensingInfos"] = [
            {"licenseId": ref, "extractedText": text, "name": text} for ref, text in sorted(licenses.refs.items())
        ]
    return doc


def to_spdx_json(sbom: Sbom, *, created: str, uuid: str | None = None) -> str:
    return json.dumps(to_spdx_dict(sbom, created=created, uuid=uuid), indent=2, ensure_ascii=False) + "\n"
