"""Supply-chain benchmark (issue 4): OSV import, SBOM of a Debian rootfs, and a scan of 1,000 packages.

Goals: import of the whole shared OSV data < 10 s, SBOM < 2 s, scan < 0.5 s. Each figure comes with a peer
measured in the same run: the import against decoding the same records without SQLite, the SBOM against a bare
walk of the tree, the SQLite-backed scan against the same scan with every record already in memory.

The Debian rootfs is ``debootstrap --variant=minbase --include=python3 bookworm`` (cached in
``$SHIPYARD_BENCH_ROOTFS`` or ``/tmp/shipyard-bench/debian-rootfs``; built when debootstrap, root and a mirror are
available). Otherwise a synthetic rootfs of comparable size is generated and the result says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from shipyard.store.vulndb import VulnDB  # noqa: E402
from shipyard.supplychain.sbom.catalog import catalog  # noqa: E402
from shipyard.supplychain.sbom.cyclonedx import to_cyclonedx_json  # noqa: E402
from shipyard.supplychain.sbom.layers import Layer, LayeredSource  # noqa: E402
from shipyard.supplychain.sbom.model import Package, PackageType, SourceInfo, SourceKind  # noqa: E402
from shipyard.supplychain.sbom.source import DirectorySource  # noqa: E402
from shipyard.supplychain.sbom.spdx import to_spdx_json  # noqa: E402
from shipyard.supplychain.vuln.loading import is_record_name, load_record  # noqa: E402
from shipyard.supplychain.vuln.matcher import MemoryAdvisories, match  # noqa: E402

SHARED = Path(os.environ.get("SHIPYARD_SHARED") or ROOT.parent / "shared")
TARBALLS = [SHARED / "data/osv/pypa-advisory-database.tar.gz", SHARED / "data/osv/golang-vulndb.tar.gz"]
ROOTFS = Path(os.environ.get("SHIPYARD_BENCH_ROOTFS") or "/tmp/shipyard-bench/debian-rootfs")


def _debootstrap(target: Path) -> bool:
    if (target / "var/lib/dpkg/status").is_file():
        return True
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        "debootstrap",
        "--variant=minbase",
        "--include=python3",
        "bookworm",
        str(target),
        "http://deb.debian.org/debian",
    ]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=1800)
    except (subprocess.SubprocessError, OSError):
        return False
    return (target / "var/lib/dpkg/status").is_file()


def _synthetic(target: Path, packages: int = 120, files_per_package: int = 40) -> None:
    """A Debian-like tree of comparable size: dpkg status, per-package .list files, docs, python dist-infos."""
    stanzas = []
    for i in range(packages):
        name = f"pkg{i}"
        stanzas.append(
            f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.{i}-1\n"
            f"Source: src{i // 3}\nDescription: synthetic\n"
        )
        doc = target / f"usr/share/doc/{name}"
        doc.mkdir(parents=True, exist_ok=True)
        (doc / "copyright").write_text("Files: *\nLicense: GPL-2+\n")
        info = target / "var/lib/dpkg/info"
        info.mkdir(parents=True, exist_ok=True)
        paths = [f"/usr/lib/{name}/f{j}" for j in range(files_per_package)]
        (info / f"{name}.list").write_text("\n".join(paths) + "\n")
        for p in paths:
            f = target / p.lstrip("/")
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(b"x" * 512)
    (target / "var/lib/dpkg/status").write_text("\n".join(stanzas))
    (target / "etc").mkdir(exist_ok=True)
    (target / "etc/os-release").write_text('ID=debian\nVERSION_ID="12"\n')
    for i in range(30):
        d = target / f"usr/lib/python3/dist-packages/lib{i}-1.0.dist-info"
        d.mkdir(parents=True, exist_ok=True)
        (d / "METADATA").write_text(f"Metadata-Version: 2.1\nName: lib{i}\nVersion: 1.0\nLicense: MIT\n")


def bench_import(home: Path) -> dict[str, Any]:
    db = VulnDB.at_home(home)
    started = time.perf_counter()
    results = db.import_paths(list(TARBALLS), now=time.time())
    import_s = time.perf_counter() - started
    # Peer: decode and validate the same records, no SQLite.
    started = time.perf_counter()
    decoded = 0
    for path in TARBALLS:
        with tarfile.open(path) as tar:
            for m in tar:
                if m.isreg() and is_record_name(m.name):
                    fh = tar.extractfile(m)
                    assert fh is not None
                    load_record(fh.read(), m.name)
                    decoded += 1
    parse_s = time.perf_counter() - started
    return {
        "import_records": sum(r.records for r in results),
        "import_s": round(import_s, 3),
        "import_parse_only_s": round(parse_s, 3),
        "import_vs_parse_ratio": round(import_s / parse_s, 2),
        "import_goal_met": import_s < 10.0,
    }


def bench_sbom(work: Path) -> dict[str, Any]:
    kind = "debootstrap minbase+python3 (bookworm)"
    root = ROOTFS
    if not _debootstrap(root):
        kind = "synthetic (debootstrap unavailable here)"
        root = work / "synthetic-rootfs"
        _synthetic(root)
    files = sum(len(f) for _, _, f in os.walk(root))
    started = time.perf_counter()
    for _dirpath, _dirs, names in os.walk(root):
        for n in names:
            os.lstat(os.path.join(_dirpath, n))
    walk_s = time.perf_counter() - started
    started = time.perf_counter()
    sbom = catalog(DirectorySource(root, name="debian-rootfs"))
    to_spdx_json(sbom, created="2025-01-01T00:00:00Z")
    to_cyclonedx_json(sbom, timestamp="2025-01-01T00:00:00Z")
    sbom_s = time.perf_counter() - started
    # The same tree as a one-layer image: read straight from the gzipped tar, nothing extracted.
    layer_path = work / "rootfs-layer.tar.gz"
    with tarfile.open(layer_path, "w:gz", compresslevel=1) as tar:
        tar.add(root, arcname=".")
    layer = Layer("sha256:bench", lambda: open(layer_path, "rb"), str(layer_path))  # noqa: SIM115 - closed by the reader
    started = time.perf_counter()
    image_sbom = catalog(LayeredSource([layer], SourceInfo(SourceKind.IMAGE, "debian-rootfs:layer")))
    image_s = time.perf_counter() - started
    return {
        "sbom_image_layer_s": round(image_s, 3),
        "sbom_image_layer_mb": round(layer_path.stat().st_size / 1e6, 1),
        "sbom_image_packages": len(image_sbom.packages),
        "sbom_rootfs": kind,
        "sbom_files": files,
        "sbom_packages": len(sbom.packages),
        "sbom_s": round(sbom_s, 3),
        "sbom_walk_only_s": round(walk_s, 3),
        "sbom_vs_walk_ratio": round(sbom_s / walk_s, 2) if walk_s else None,
        "sbom_goal_met": sbom_s < 2.0,
    }


def _thousand_packages(db: VulnDB) -> list[Package]:
    rows = db.db.query("SELECT DISTINCT ecosystem, name FROM vulndb_affected ORDER BY ecosystem, name LIMIT 1000")
    out = []
    for row in rows:
        eco, name = str(row["ecosystem"]), str(row["name"])
        kind = PackageType.PYTHON if eco == "PyPI" else PackageType.GO
        version = "1.0.0" if eco == "PyPI" else "v0.0.1"
        out.append(Package(name, version, kind, f"pkg:x/{name}@{version}", eco, name))
    return out


def bench_scan(home: Path) -> dict[str, Any]:
    packages = _thousand_packages(VulnDB.at_home(home))
    cold = VulnDB.at_home(home)  # fresh connection and empty record cache
    started = time.perf_counter()
    result = match(packages, cold)
    scan_s = time.perf_counter() - started
    records = []
    for path in TARBALLS:
        with tarfile.open(path) as tar:
            for m in tar:
                if m.isreg() and is_record_name(m.name):
                    fh = tar.extractfile(m)
                    assert fh is not None
                    records.append(load_record(fh.read(), m.name))
    memory = MemoryAdvisories(records)
    started = time.perf_counter()
    match(packages, memory)
    memory_s = time.perf_counter() - started
    return {
        "scan_packages": len(packages),
        "scan_findings": len(result.findings),
        "scan_s": round(scan_s, 3),
        "scan_in_memory_s": round(memory_s, 3),
        "scan_vs_in_memory_ratio": round(scan_s / memory_s, 2) if memory_s else None,
        "scan_goal_met": scan_s < 0.5,
    }


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-") as tmp:
        work = Path(tmp)
        out: dict[str, Any] = {}
        out.update(bench_import(work / "home"))
        out.update(bench_sbom(work))
        out.update(bench_scan(work / "home"))
        return out


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
