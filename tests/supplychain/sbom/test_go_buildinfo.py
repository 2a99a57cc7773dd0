"""Go buildinfo decoding against the vectors extracted from trivy's testdata (Go ``debug/buildinfo`` layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.supplychain.sbom.catalogers.buildinfo import parse_blob, read_elf
from shipyard.supplychain.sbom.catalogers.golang import main_version, stdlib_version
from shipyard.testing.sbomfs import elf_with_buildinfo, pointer_form_elf


def _text(info: object) -> str:
    return f"go\t{info.go_version}\n{info.modinfo}".strip()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name", ["go1.22-inline", "go1.22-goexperiment"], ids=["inline-flags-0x2", "inline-with-GOEXPERIMENT"]
)
def test_inline_format_blob_and_elf(shared: Path, name: str) -> None:
    base = shared / "vectors/go-buildinfo"
    blob = (base / f"{name}.buildinfo.bin").read_bytes()
    expected = (base / f"{name}.buildinfo.expected.txt").read_text().strip()
    info = parse_blob(blob)
    assert info is not None and _text(info) == expected
    from_elf = read_elf(elf_with_buildinfo(blob))  # found through the writable PT_LOAD segment
    assert from_elf is not None and _text(from_elf) == expected


def test_pointer_format_go115(shared: Path) -> None:
    expected = (shared / "vectors/go-buildinfo/go1.15-pointer-format.expected.txt").read_text()
    first, _, modinfo = expected.partition("\n")
    info = read_elf(pointer_form_elf(first.split("\t")[1], modinfo))
    assert info is not None and _text(info) == expected.strip()
    assert info.main is not None and info.main.version == "(devel)"
    assert [d.path for d in info.deps] == [
        "github.com/aquasecurity/go-pep440-version",
        "github.com/aquasecurity/go-version",
        "golang.org/x/xerrors",
    ]
    assert info.deps[0].version == "v0.0.0-20210121094942-22b2f8951d46"


def test_versions_from_settings(shared: Path) -> None:
    blob = (shared / "vectors/go-buildinfo/go1.22-inline.buildinfo.bin").read_bytes()
    info = parse_blob(blob)
    assert info is not None
    assert info.setting("-ldflags") == "-w -X main.version=v1.0.0"  # Go-quoted value unquoted
    assert main_version(info) == "v1.0.0"  # syft: (devel) main module takes -X main.version
    assert stdlib_version("go1.22.1 X:loopvar") == "1.22.1"


@pytest.mark.parametrize(
    "data",
    [b"", b"\x7fELF" + b"\0" * 60, b"MZ" + b"\0" * 100, elf_with_buildinfo(b"no magic here" * 4)],
    ids=["empty", "truncated-elf", "not-elf", "elf-without-buildinfo"],
)
def test_non_go_files_are_not_packages(data: bytes) -> None:
    assert read_elf(data) is None


@pytest.mark.parametrize(
    ("toolchain", "version"),
    [("go1.22.1 X:loopvar", "1.22.1"), ("go1.21", "1.21.0"), ("go1.21rc2", "1.21.0-rc.2"),
     ("go1.9beta1", "1.9.0-beta.1"), ("devel go1.23-abc", "devel")],
    ids=["experiments-dropped", "minor-release-gets-patch-0", "rc-as-semver-prerelease", "beta", "devel-kept"],
)  # fmt: skip
def test_stdlib_versions_as_go_vulndb_spells_them(toolchain: str, version: str) -> None:
    assert stdlib_version(toolchain) == version
