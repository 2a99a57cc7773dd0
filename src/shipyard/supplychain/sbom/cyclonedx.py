"""CycloneDX 1.6 JSON (``bom-1.6.schema.json``), shaped like syft's ``cyclonedx-json@1.6``.

``metadata.component`` is the image (type ``container``, version = manifest digest, SHA-256 hash) or the
directory (type ``file``); the distro, when known, is an ``operating-system`` component. Each package is a
``library`` with its purl; ``bom-ref`` = purl + ``package-id`` qualifier so two copies of one package at
different paths stay distinct. Licences are SPDX ids where the declared text is one, an ``expression`` for a
lone compound expression, else a ``name``. Locations and layers go in ``shipyard:location:N:*`` properties.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from typing import Any

from shipyard import __version__
from shipyard.supplychain.sbom.licenses import to_spdx
from shipyard.supplychain.sbom.model import Package, Sbom, SourceKind

SCHEMA = "http://cyclonedx.org/schema/bom-1.6.schema.json"
_CDX_ALG = {"SHA1": "SHA-1", "SHA256": "SHA-256", "SHA512": "SHA-512", "MD5": "MD5"}


def bom_ref(pkg: Package) -> str:
    sep = "&" if "?" in pkg.purl else "?"
    return f"{pkg.purl}{sep}package-id={pkg.id}"


def _licenses(pkg: Package) -> list[dict[str, Any]]:
    parsed = [to_spdx(t) for t in pkg.licenses]
    if len(parsed) == 1 and not parsed[0].is_ref and not parsed[0].is_single_id:
        return [{"expression": parsed[0].expression}]
    out: list[dict[str, Any]] = []
    for lic in parsed:
        if not lic.is_ref and lic.is_single_id:
            out.append({"license": {"id": lic.expression}})
        else:
            out.append({"license": {"name": lic.text}})
    return out


def _component(pkg: Package) -> dict[str, Any]:
    comp: dict[str, Any] = {
        "bom-ref": bom_ref(pkg),
        "type": "library",
        "name": pkg.name,
        "version": pkg.version,
        "purl": pkg.purl,
    }
    if pkg.checksums:
        comp["hashes"] = [{"alg": _CDX_ALG[alg], "content": value} for alg, value in pkg.checksums if alg in _CDX_ALG]
    licenses = _licenses(pkg)
    if licenses:
        comp["licenses"] = licenses
    props = [{"name": "shipyard:package:type", "value": pkg.type.value}]
    for i, loc in enumerate(pkg.locations):
        if loc.layer:
            props.append({"name": f"shipyard:location:{i}:layerID", "value": loc.layer})
        props.append({"name": f"shipyard:location:{i}:path", "value": loc.path})
    comp["properties"] = props
    return comp


def to_cyclonedx_dict(sbom: Sbom, *, timestamp: str, serial: str | None = None) -> dict[str, Any]:
    ordered = sbom.sorted()
    src = ordered.source
    root: dict[str, Any] = {
        "bom-ref": f"shipyard-root-{src.kind.value}",
        "type": "container" if src.kind is SourceKind.IMAGE else "file",
        "name": src.name,
    }
    if src.digest:
        root["version"] = src.digest
        alg, _, value = src.digest.partition(":")
        if alg == "sha256":
            root["hashes"] = [{"alg": "SHA-256", "content": value}]
    components = [_component(p) for p in ordered.packages]
    refs = [c["bom-ref"] for c in components]
    if ordered.distro is not None:
        os_ref = f"os:{ordered.distro.id}@{ordered.distro.version_id}"
        os_comp: dict[str, Any] = {"bom-ref": os_ref, "type": "operating-system", "name": ordered.distro.id}
        if ordered.distro.version_id:
            os_comp["version"] = ordered.distro.version_id
        if ordered.distro.pretty_name:
            os_comp["description"] = ordered.distro.pretty_name
        components.append(os_comp)
        refs.append(os_ref)
    return {
        "$schema": SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{serial or uuidlib.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {
                "components": [
                    {"type": "application", "author": "shipyard", "name": "shipyard", "version": __version__}
                ]
            },
            "component": root,
        },
        "components": components,
        "dependencies": [{"ref": root["bom-ref"], "dependsOn": refs}],
    }


def to_cyclonedx_json(sbom: Sbom, *, timestamp: str, serial: str | None = None) -> str:
    return json.dumps(to_cyclonedx_dict(sbom, timestamp=timestamp, serial=serial), indent=2, ensure_ascii=False) + "\n"
