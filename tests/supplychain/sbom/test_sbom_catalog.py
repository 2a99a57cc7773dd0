"""Golden tests: the fixture root filesystem (shipyard.testing.sbomfs) gives exactly these packages, purls and
licences, from a directory, from layer tarballs with whiteouts, and from an OCI image layout."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from shipyard.errors import NotFoundError, SpecError, UnsupportedError
from shipyard.supplychain.sbom.archive import open_archive
from shipyard.supplychain.sbom.catalog import catalog, select
from shipyard.supplychain.sbom.layers import Layer, LayeredSource
from shipyard.supplychain.sbom.model import SourceInfo, SourceKind
from shipyard.supplychain.sbom.oci_layout import open_layout
from shipyard.supplychain.sbom.source import DirectorySource
from shipyard.testing.imagelayout import directory_entries, tar_bytes, write_layout
from shipyard.testing.sbomfs import make_rootfs

# (type, name, version, purl, licences, first evidence path)
GOLDEN = [
    ("apk", "libcrypto3", "3.1.4-r5", "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl",
     ("Apache-2.0",), "/lib/apk/db/installed"),
    ("apk", "musl", "1.2.4-r2", "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64", ("MIT",), "/lib/apk/db/installed"),
    ("deb", "bash", "5.2.15-2+b2", "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12",
     ("BSD-3-clause", "GPL-3+"), "/var/lib/dpkg/status"),
    ("deb", "libc6", "2.36-9+deb12u4", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
     ("LGPL-2.1",), "/var/lib/dpkg/status"),
    ("deb", "libssl3", "3.0.11-1~deb12u2+b1",
     "pkg:deb/debian/libssl3@3.0.11-1~deb12u2%2Bb1?arch=amd64&distro=debian-12&upstream=openssl%403.0.11-1~deb12u2",
     (), "/var/lib/dpkg/status"),
    ("deb", "tzdata", "2024a-0+deb12u1", "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12",
     (), "/var/lib/dpkg/status.d/tzdata"),
    ("go-module", "github.com/aquasecurity/test", "v1.0.0", "pkg:golang/github.com/aquasecurity/test@v1.0.0", (),
     "/usr/local/bin/gotool"),
    ("go-module", "stdlib", "1.22.1", "pkg:golang/stdlib@1.22.1", (), "/usr/local/bin/gotool"),
    ("java-archive", "log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
     ("https://www.apache.org/licenses/LICENSE-2.0.txt",), "/opt/app/lib/log4j-core-2.14.1.jar"),
    ("java-archive", "plain", "1.2", "pkg:maven/plain/plain@1.2", (), "/opt/app/lib/plain-1.2.jar"),
    ("npm", "@angular/core", "12.3.1", "pkg:npm/%40angular/core@12.3.1", ("MIT",),
     "/srv/app/node_modules/@angular/core/package.json"),
    ("npm", "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0", ("WTFPL",), "/srv/app/package-lock.json"),
    ("npm", "lodash", "4.17.11", "pkg:npm/lodash@4.17.11", ("MIT",), "/srv/app/node_modules/lodash/package.json"),
    ("python", "Jinja2", "3.1.2", "pkg:pypi/jinja2@3.1.2", ("BSD-3-Clause",),
     "/usr/lib/python3/dist-packages/Jinja2-3.1.2.dist-info/METADATA"),
    ("python", "PyYAML", "5.3", "pkg:pypi/pyyaml@5.3", ("MIT",), "/usr/lib/python3/dist-packages/PyYAML-5.3.egg-info"),
    ("python", "shipyard_bar.pkg", "1.0", "pkg:pypi/shipyard-bar-pkg@1.0", ("MIT License",),
     "/usr/lib/python3/dist-packages/shipyard_bar.pkg-1.0.dist-info/METADATA"),
]  # fmt: skip


@pytest.fixture
def rootfs(tmp_path: Path, shared: Path) -> Path:
    blob = (shared / "vectors/go-buildinfo/go1.22-inline.buildinfo.bin").read_bytes()
    return make_rootfs(tmp_path / "rootfs", blob)


def _rows(sbom: object) -> list[tuple[object, ...]]:
    return [
        (p.type.value, p.name, p.version, p.purl, p.licenses, p.locations[0].path)
        for p in sbom.packages  # type: ignore[attr-defined]
    ]


def test_directory_golden(rootfs: Path) -> None:
    sbom = catalog(DirectorySource(rootfs))
    assert _rows(sbom) == GOLDEN
    assert sbom.distro is not None and (sbom.distro.id, sbom.distro.version_id) == ("debian", "12")


def test_evidence_files_and_advisory_names(rootfs: Path) -> None:
    pkgs = {p.name: p for p in catalog(DirectorySource(rootfs)).packages}
    # dpkg: the .list and copyright files are evidence too (syft dpkg-db-cataloger)
    assert [loc.path for loc in pkgs["bash"].locations] == [
        "/var/lib/dpkg/status",
        "/var/lib/dpkg/info/bash.list",
        "/usr/share/doc/bash/copyright",
    ]
    assert [loc.path for loc in pkgs["Jinja2"].locations][1].endswith("Jinja2-3.1.2.dist-info/RECORD")
    assert [loc.path for loc in pkgs["lodash"].locations] == [
        "/srv/app/node_modules/lodash/package.json",
        "/srv/app/package-lock.json",
    ]
    # OSV names: source package for Debian/Alpine, PEP 503 for PyPI, group:artifact for Maven
    assert (pkgs["libssl3"].advisory_name, pkgs["libssl3"].source_version) == ("openssl", "3.0.11-1~deb12u2")
    assert pkgs["libcrypto3"].advisory_name == "openssl"
    assert pkgs["shipyard_bar.pkg"].advisory_name == "shipyard-bar-pkg"
    assert pkgs["log4j-core"].advisory_name == "org.apache.logging.log4j:log4j-core"
    assert pkgs["bash"].ecosystem == "Debian:12" and pkgs["musl"].ecosystem == "Alpine"


def test_catalogers_can_be_chosen(rootfs: Path) -> None:
    sbom = catalog(DirectorySource(rootfs), select(["apk-db-cataloger"]))
    assert [p.name for p in sbom.packages] == ["libcrypto3", "musl"]
    with pytest.raises(SpecError, match="unknown cataloger 'rpm'"):
        select(["rpm"])


def _tar(entries: list[tuple[str, bytes | None, int]], *, gz: bool = False) -> bytes:
    return tar_bytes(entries, gz=gz)


def _tree(root: Path) -> list[tuple[str, bytes | None, int]]:
    return directory_entries(root)


def _layer(data: bytes, layer_id: str) -> Layer:
    return Layer(layer_id, lambda: io.BufferedReader(io.BytesIO(data)), layer_id)  # type: ignore[arg-type]


UPPER = [
    ("var/lib/dpkg/status.d/.wh.tzdata", b"", 0o644),  # deletes a lower file
    ("srv/app/node_modules/.wh..wh..opq", b"", 0o644),  # hides every lower child, keeps this layer's
    ("srv/app/node_modules/lodash/package.json", json.dumps({"name": "lodash", "version": "4.17.21"}).encode(), 0o644),
    ("opt/app/lib/.wh.plain-1.2.jar", b"", 0o644),
]


@pytest.mark.parametrize("order", [1, -1], ids=["whiteouts-first", "whiteouts-after-siblings-layer.md"])
def test_layers_apply_whiteouts_and_opaque_dirs(rootfs: Path, order: int) -> None:
    lower = _layer(_tar(_tree(rootfs), gz=True), "sha256:lower")
    upper = _layer(_tar(UPPER[::order]), "sha256:upper")
    src = LayeredSource([lower, upper], SourceInfo(SourceKind.IMAGE, "test"))
    pkgs = {(p.name, p.version): p for p in catalog(src).packages}
    assert ("tzdata", "2024a-0+deb12u1") not in pkgs
    assert ("plain", "1.2") not in pkgs
    assert ("@angular/core", "12.3.1") not in pkgs  # hidden by the opaque directory
    assert pkgs[("lodash", "4.17.21")].layer == "sha256:upper"
    # the lockfile (lower layer) still declares the old lodash
    assert [(loc.path, loc.layer) for loc in pkgs[("lodash", "4.17.11")].locations] == [
        ("/srv/app/package-lock.json", "sha256:lower")
    ]
    assert pkgs[("bash", "5.2.15-2+b2")].layer == "sha256:lower"
    assert len(pkgs) == len(GOLDEN) - 3 + 1


@pytest.mark.parametrize(
    ("name", "message"),
    [("../../etc/passwd", "escapes the root"), ("a/.wh.", "bare whiteout")],
    ids=["member-climbs-above-root", "bare-whiteout-invalid-image-spec-layer.md"],
)
def test_hostile_layers_are_refused(name: str, message: str) -> None:
    src = LayeredSource([_layer(_tar([(name, b"x", 0o644)]), "l")], SourceInfo(SourceKind.IMAGE, "x"))
    with pytest.raises(SpecError, match=message):
        list(src.entries())


@pytest.mark.parametrize("gz", [True, False], ids=["tar+gzip", "tar"])
def test_truncated_layer_is_a_clear_error(rootfs: Path, gz: bool) -> None:
    data = _tar(_tree(rootfs), gz=gz)
    src = LayeredSource([_layer(data[: len(data) // 2], "l")], SourceInfo(SourceKind.IMAGE, "x"))
    with pytest.raises(SpecError, match="truncated"):
        catalog(src)


def test_oci_layout_source(rootfs: Path, tmp_path: Path) -> None:
    layers = [_tar(_tree(rootfs), gz=True), _tar(UPPER, gz=True)]
    digest = write_layout(tmp_path / "layout", layers)
    src = open_layout(tmp_path / "layout", "app:v1")
    sbom = catalog(src)
    assert sbom.source.digest == digest and sbom.source.kind is SourceKind.IMAGE
    assert sbom.source.layers[1] == f"sha256:{hashlib.sha256(gzip.decompress(layers[1])).hexdigest()}"
    lodash = next(p for p in sbom.packages if p.name == "lodash" and p.version == "4.17.21")
    assert lodash.layer == sbom.source.layers[1]
    with pytest.raises(NotFoundError, match="no image named 'other'"):
        open_layout(tmp_path / "layout", "other")


def test_os_release_symlink_as_in_debian(rootfs: Path) -> None:
    # Debian ships /etc/os-release -> ../usr/lib/os-release; symlinks are never followed, the target is read.
    (rootfs / "etc/os-release").unlink()
    (rootfs / "usr/lib/os-release").write_text('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\n')
    (rootfs / "etc/os-release").symlink_to("../usr/lib/os-release")
    pkgs = {p.name: p for p in catalog(DirectorySource(rootfs)).packages}
    assert pkgs["bash"].purl == "pkg:deb/ubuntu/bash@5.2.15-2%2Bb2?arch=amd64&distro=ubuntu-22.04"
    assert pkgs["bash"].ecosystem == "Ubuntu:22.04"


def _outer_tar(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_oci_archive_read_in_place(rootfs: Path, tmp_path: Path) -> None:
    layers = [_tar(_tree(rootfs), gz=True), _tar(UPPER, gz=True)]
    digest = write_layout(tmp_path / "layout", layers, ref="app:v1")
    files = {
        p.relative_to(tmp_path / "layout").as_posix(): p.read_bytes()
        for p in (tmp_path / "layout").rglob("*")
        if p.is_file()
    }
    archive = _outer_tar(tmp_path / "app.tar", files)
    sbom = catalog(open_archive(archive, "app:v1"))
    assert sbom.source.digest == digest
    assert ("lodash", "4.17.21") in {(p.name, p.version) for p in sbom.packages}


def test_legacy_docker_archive(rootfs: Path, tmp_path: Path) -> None:
    lower, upper = _tar(_tree(rootfs)), _tar(UPPER)  # docker save writes uncompressed layer.tar files
    config = json.dumps(
        {"rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(x).hexdigest() for x in (lower, upper)]}}
    ).encode()
    manifest = [{"Config": "abc.json", "RepoTags": ["demo/app:1.0"], "Layers": ["l1/layer.tar", "l2/layer.tar"]}]
    archive = _outer_tar(
        tmp_path / "docker.tar",
        {
            "manifest.json": json.dumps(manifest).encode(),
            "abc.json": config,
            "l1/layer.tar": lower,
            "l2/layer.tar": upper,
        },
    )
    sbom = catalog(open_archive(archive))
    assert sbom.source.name == "demo/app:1.0" and sbom.source.digest is None
    lodash = next(p for p in sbom.packages if p.name == "lodash" and p.version == "4.17.21")
    assert lodash.layer == "sha256:" + hashlib.sha256(upper).hexdigest()
    with pytest.raises(NotFoundError, match="no image tagged 'other:1'"):
        open_archive(archive, "other:1")


def test_archives_must_be_plain_and_whole(tmp_path: Path) -> None:
    gz = tmp_path / "img.tar.gz"
    gz.write_bytes(gzip.compress(b"x" * 100))
    with pytest.raises(UnsupportedError, match="compressed"):
        open_archive(gz)
    empty = _outer_tar(tmp_path / "empty.tar", {"hello.txt": b"hi"})
    with pytest.raises(NotFoundError, match="neither an OCI archive"):
        open_archive(empty)
    cut = tmp_path / "cut.tar"
    cut.write_bytes(_outer_tar(tmp_path / "full.tar", {"manifest.json": b"[" * 5000}).read_bytes()[:700])
    with pytest.raises(SpecError, match="truncated"):
        open_archive(cut)


def test_hard_links_in_a_layer_share_their_target_bytes() -> None:
    buf = io.BytesIO()
    meta = b"Metadata-Version: 2.1\nName: linked\nVersion: 1.0\n"
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("usr/lib/python3/a/linked-1.0.dist-info/METADATA")
        info.size = len(meta)
        tar.addfile(info, io.BytesIO(meta))
        link = tarfile.TarInfo("usr/lib/python3/b/linked-1.0.dist-info/METADATA")
        link.type = tarfile.LNKTYPE
        link.linkname = "usr/lib/python3/a/linked-1.0.dist-info/METADATA"
        tar.addfile(link)
    src = LayeredSource([_layer(buf.getvalue(), "l")], SourceInfo(SourceKind.IMAGE, "x"))
    paths = [p.locations[0].path for p in catalog(src).packages]
    assert paths == [
        "/usr/lib/python3/a/linked-1.0.dist-info/METADATA",
        "/usr/lib/python3/b/linked-1.0.dist-info/METADATA",
    ]


def test_wolfi_packages_use_the_wolfi_ecosystem(rootfs: Path) -> None:
    (rootfs / "etc/os-release").write_text('ID=wolfi\nNAME="Wolfi"\nVERSION_ID=20230201\n')
    pkgs = {p.name: p for p in catalog(DirectorySource(rootfs), select(["apk-db-cataloger"])).packages}
    assert pkgs["musl"].ecosystem == "Wolfi"
    assert pkgs["musl"].purl == "pkg:apk/wolfi/musl@1.2.4-r2?arch=x86_64&distro=wolfi-20230201"


def test_oci_layout_blob_that_does_not_match_its_digest_is_refused(rootfs: Path, tmp_path: Path) -> None:
    """image-spec image-layout.md: a blob's content MUST match its digest. The SBOM names the image by the manifest
    digest and is attested to it, so a manifest whose bytes were changed is a DigestMismatchError, not an SBOM."""
    from shipyard.errors import DigestMismatchError

    digest = write_layout(tmp_path / "layout", [_tar(_tree(rootfs), gz=True)])
    blob = tmp_path / "layout/blobs/sha256" / digest.split(":")[1]
    manifest = json.loads(blob.read_bytes())
    manifest["annotations"] = {"tampered": "yes"}
    blob.write_text(json.dumps(manifest))
    with pytest.raises(DigestMismatchError, match=f"blob {digest} hashes to sha256:"):
        open_layout(tmp_path / "layout", "app:v1")


def test_oci_layout_layer_blob_that_does_not_match_its_digest_is_refused(rootfs: Path, tmp_path: Path) -> None:
    """image-spec descriptor.md: content is verified against the descriptor's digest. A layer blob replaced on
    disk (here: the same files plus one) must not yield an SBOM for the image digest the manifest names."""
    from shipyard.errors import DigestMismatchError

    write_layout(tmp_path / "layout", [_tar(_tree(rootfs), gz=True)])
    manifest_digest = json.loads((tmp_path / "layout/index.json").read_text())["manifests"][0]["digest"]
    manifest = json.loads((tmp_path / "layout/blobs/sha256" / manifest_digest.split(":")[1]).read_bytes())
    layer_digest = manifest["layers"][0]["digest"]
    other = _tar([*_tree(rootfs), ("./etc/extra", b"x", 0o644)], gz=True)
    (tmp_path / "layout/blobs/sha256" / layer_digest.split(":")[1]).write_bytes(other)
    with pytest.raises(DigestMismatchError, match=f"its descriptor says {layer_digest}"):
        catalog(open_layout(tmp_path / "layout", "app:v1"))
