"""Catalogers, one module each behind the ``Cataloger`` protocol in ``base.py``, chosen by name."""

from __future__ import annotations

from shipyard.supplychain.sbom.catalogers.apk import ApkCataloger
from shipyard.supplychain.sbom.catalogers.base import Cataloger
from shipyard.supplychain.sbom.catalogers.dpkg import DpkgCataloger
from shipyard.supplychain.sbom.catalogers.golang import GoBinaryCataloger
from shipyard.supplychain.sbom.catalogers.java import JavaArchiveCataloger
from shipyard.supplychain.sbom.catalogers.npm import NpmCataloger
from shipyard.supplychain.sbom.catalogers.python import PythonCataloger

CATALOGERS: dict[str, Cataloger] = {
    c.name: c
    for c in (
        DpkgCataloger(),
        ApkCataloger(),
        PythonCataloger(),
        NpmCataloger(),
        GoBinaryCataloger(),
        JavaArchiveCataloger(),
    )
}

__all__ = ["CATALOGERS", "Cataloger"]
