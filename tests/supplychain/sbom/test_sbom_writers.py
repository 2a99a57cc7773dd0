"""Both SBOM formats pass the official validators (spdx-tools, cyclonedx-python-lib JSON strict validator for
1.6), are deterministic apart from timestamps and serials, and read back to the same packages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from shipyard.errors import SpecError
from shipyard.supplychain.sbom.catalog import catalog
from shipyard.supplychain.sbom.cyclonedx import to_cyclonedx_dict, to_cyclonedx_json
from shipyard.supplychain.sbom.model import Sbom, SourceInfo, SourceKind
from shipyard.supplychain.sbom.reader import read_sbom
from shipyard.supplychain.sbom.source import DirectorySource
from shipyard.supplychain.sbom.spdx import element_id, to_spdx_dict, to_spdx_json
from shipyard.testing.sbomfs import make_rootfs

UUID = "3e671687-395b-41f5-a30f-a58921a69b79"
WHEN = "2025-01-01T00:00:00Z"


@pytest.fixture
def sbom(tmp_path: Path, shared: Path) -> Sbom:
    blob = (shared / "vectors/go-buildinfo/go1.22-inline.buildinfo.bin").read_bytes()
    found = catalog(DirectorySource(make_rootfs(tmp_path / "rootfs", blob), name="fixture"))
    # As an image, so the root carries a digest/checksum.
    return Sbom(
        SourceInfo(SourceKind.IMAGE, "registry.example.com/app", "sha256:" + "ab" * 32), found.packages, found.distro
    )


def test_spdx_validates_with_spdx_tools(sbom: Sbom, tmp_path: Path) -> None:
    path = tmp_path / "sbom.spdx.json"
    path.write_text(to_spdx_json(sbom, created=WHEN, uuid=UUID))
    document = parse_file(str(path))
    assert validate_full_spdx_document(document) == []
    assert len(document.packages) == len(sbom.packages) + 1


def test_spdx_shape(sbom: Sbom) -> None:
    doc = to_spdx_dict(sbom, created=WHEN, uuid=UUID)
    root = doc["packages"][0]
    assert root["SPDXID"] == "SPDXRef-DocumentRoot-Image-registry.example.com-app"
    assert root["checksums"] == [{"algorithm": "SHA256", "checksumValue": "ab" * 32}]
    rels = doc["relationships"]
    assert rels[0] == {
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relatedSpdxElement": root["SPDXID"],
        "relationshipType": "DESCRIBES",
    }
    assert {r["relationshipType"] for r in rels[1:]} == {"CONTAINS"} and len(rels) == len(sbom.packages) + 1
    by_name = {p["name"]: p for p in doc["packages"][1:]}
    assert by_name["Jinja2"]["externalRefs"] == [
        {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:pypi/jinja2@3.1.2"}
    ]
    assert by_name["bash"]["licenseDeclared"] == "BSD-3-Clause AND LicenseRef-GPL-3-plus"
    # deprecated SPDX ids (LGPL-2.1) are not rewritten to a guess (-only/-or-later): they stay declared text
    assert by_name["libc6"]["licenseDeclared"] == "LicenseRef-LGPL-2.1"
    assert by_name["libssl3"]["licenseDeclared"] == "NOASSERTION"
    (jar_sum,) = by_name["log4j-core"]["checksums"]  # the archive's SHA-1, as syft gives Java packages
    assert jar_sum["algorithm"] == "SHA1" and len(jar_sum["checksumValue"]) == 40
    assert "checksums" not in by_name["bash"]
    refs = {x["licenseId"]: x["extractedText"] for x in doc["hasExtractedLicensingInfos"]}
    assert refs["LicenseRef-GPL-3-plus"] == "GPL-3+"
    assert doc["documentNamespace"].endswith(UUID)
    # syft spdxhelpers/source_info.go: the phrase names what was read, then ": " and the evidence paths.
    assert by_name["Jinja2"]["sourceInfo"].startswith(
        "acquired package info from installed python package manifest file: /"
    )
    assert by_name["bash"]["sourceInfo"].startswith("acquired package info from DPKG DB: /var/lib/dpkg/status")
    # syft toRootPackage: the root asserts no licence or copyright.
    assert (root["licenseConcluded"], root["licenseDeclared"], root["copyrightText"]) == ("NOASSERTION",) * 3


def test_cyclonedx_validates_strictly(sbom: Sbom) -> None:
    text = to_cyclonedx_json(sbom, timestamp=WHEN, serial=UUID)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None


def test_cyclonedx_shape(sbom: Sbom) -> None:
    doc = to_cyclonedx_dict(sbom, timestamp=WHEN, serial=UUID)
    assert doc["serialNumber"] == f"urn:uuid:{UUID}"
    assert doc["metadata"]["component"]["type"] == "container"
    comps = {c["name"]: c for c in doc["components"]}
    assert comps["lodash"]["licenses"] == [{"license": {"id": "MIT"}}]
    assert comps["bash"]["licenses"] == [{"license": {"id": "BSD-3-Clause"}}, {"license": {"name": "GPL-3+"}}]
    assert comps["debian"]["type"] == "operating-system"
    assert comps["log4j-core"]["hashes"][0]["alg"] == "SHA-1"
    assert comps["lodash"]["bom-ref"].startswith("pkg:npm/lodash@4.17.11?package-id=")
    assert sorted(doc["dependencies"][0]["dependsOn"]) == sorted(c["bom-ref"] for c in doc["components"])


def test_output_is_deterministic(tmp_path: Path, shared: Path, sbom: Sbom) -> None:
    # A second catalogue of an identical tree, built elsewhere, gives byte-identical documents.
    blob = (shared / "vectors/go-buildinfo/go1.22-inline.buildinfo.bin").read_bytes()
    again = catalog(DirectorySource(make_rootfs(tmp_path / "other", blob), name="fixture"))
    again = Sbom(sbom.source, tuple(reversed(again.packages)), again.distro)
    assert to_spdx_json(again, created=WHEN, uuid=UUID) == to_spdx_json(sbom, created=WHEN, uuid=UUID)
    assert to_cyclonedx_json(again, timestamp=WHEN, serial=UUID) == to_cyclonedx_json(sbom, timestamp=WHEN, serial=UUID)


@pytest.mark.parametrize("fmt", ["spdx", "cyclonedx"])
def test_sbom_reads_back_to_the_same_packages(sbom: Sbom, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"sbom.{fmt}.json"
    text = to_spdx_json(sbom, created=WHEN) if fmt == "spdx" else to_cyclonedx_json(sbom, timestamp=WHEN)
    path.write_text(text)
    back = read_sbom(path)
    assert sorted((p.purl, p.ecosystem, p.advisory_name) for p in back.packages) == sorted(
        (p.purl, p.ecosystem, p.advisory_name) for p in sbom.packages
    )


def test_reader_rejects_other_documents(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(SpecError, match="neither an SPDX JSON nor a CycloneDX JSON"):
        read_sbom(bad)
    bad.write_text("{not json")
    with pytest.raises(SpecError, match="not JSON"):
        read_sbom(bad)
    # spdx-schema.json: packages[] are objects, externalRefs an array; CycloneDX metadata an object.
    for doc in (
        {"spdxVersion": "SPDX-2.3", "packages": ["pkg:pypi/x@1"]},
        {"spdxVersion": "SPDX-2.3", "packages": [{"name": "x", "externalRefs": 5}]},
        {"bomFormat": "CycloneDX", "components": 5},
        {"bomFormat": "CycloneDX", "metadata": "x"},
    ):
        bad.write_text(json.dumps(doc))
        with pytest.raises(SpecError, match="malformed SBOM"):
            read_sbom(bad)


@pytest.mark.parametrize(
    ("parts", "want"),
    [(("Package", "npm", "@angular/core", "ab12"), "SPDXRef-Package-npm-angular-core-ab12")],
    ids=["spdx-2.3-3.2-idstring-charset"],
)
def test_element_ids_are_sanitised(parts: tuple[str, ...], want: str) -> None:
    assert element_id(*parts) == want


@pytest.mark.parametrize(
    "name",
    ["syft-TestSPDXJSONImageEncoder.spdx.json", "syft-TestCycloneDxImageEncoder.cdx.json"],
    ids=["spdx", "cdx-1.7"],
)
def test_reads_syft_documents(shared: Path, name: str) -> None:
    back = read_sbom(shared / "vectors/sbom" / name)
    assert [(p.name, p.version, p.ecosystem) for p in back.packages] == [("package-2", "2.0.1", "Debian")]
    assert back.source.name == "user-image-input"
    assert back.notes == ("1 purl(s) that are invalid or of types shipyard does not match were skipped",)
