"""SBOMs: catalogue a filesystem view (a directory, an image's layers, an OCI layout) into packages and write
SPDX 2.3 / CycloneDX 1.6 JSON; read existing SBOMs back.

    sbom = catalog(open_layout("/path/to/layout", "app:v1"))       # or catalog(DirectorySource(path))
    spdx = to_spdx_json(sbom, created="2025-01-01T00:00:00Z")
    cdx = to_cyclonedx_json(sbom, timestamp="2025-01-01T00:00:00Z")
"""

from shipyard.supplychain.sbom.catalog import catalog
from shipyard.supplychain.sbom.cyclonedx import to_cyclonedx_json
from shipyard.supplychain.sbom.layers import Layer, LayeredSource
from shipyard.supplychain.sbom.model import Package, Sbom, SourceInfo, SourceKind
from shipyard.supplychain.sbom.oci_layout import open_layout
from shipyard.supplychain.sbom.reader import read_sbom
from shipyard.supplychain.sbom.source import DirectorySource, Source
from shipyard.supplychain.sbom.spdx import to_spdx_json

# in-toto predicate types for `cosign attest --type spdxjson|cyclonedx` (cosign options/predicate.go).
PREDICATE_TYPES = {"spdx-json": "https://spdx.dev/Document", "cyclonedx-json": "https://cyclonedx.org/bom"}

__all__ = [
    "PREDICATE_TYPES",
    "DirectorySource",
    "Layer",
    "LayeredSource",
    "Package",
    "Sbom",
    "Source",
    "SourceInfo",
    "SourceKind",
    "catalog",
    "open_layout",
    "read_sbom",
    "to_cyclonedx_json",
    "to_spdx_json",
]
