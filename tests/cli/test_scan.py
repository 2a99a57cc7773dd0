"""``shipyard db``, ``shipyard sbom`` and ``shipyard scan`` end to end on the fixture root filesystem, an OCI
layout of it, and SBOM files: outputs validate, and the exit code follows --severity/--exit-code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from typer.testing import CliRunner

from shipyard.cli.main import app
from shipyard.errors import NotFoundError, SpecError, UnsupportedError
from shipyard.testing.imagelayout import directory_entries, tar_bytes, write_layout
from shipyard.testing.registry import RunningRegistry, registry_available, start_registry
from shipyard.testing.sbomfs import make_rootfs

runner = CliRunner()


@pytest.fixture
def rootfs(tmp_path: Path, shared: Path) -> Path:
    blob = (shared / "vectors/go-buildinfo/go1.22-inline.buildinfo.bin").read_bytes()
    return make_rootfs(tmp_path / "rootfs", blob)


@pytest.fixture
def imported(shared: Path) -> None:
    osv = shared / "vectors/osv"
    result = runner.invoke(
        app, ["db", "import", str(osv / "pypa-advisory-database"), str(osv / "github-advisory-database")]
    )
    assert result.exit_code == 0, result.output
    assert "imported 26 records" in result.output


def test_db_status_json(imported: None) -> None:
    result = runner.invoke(app, ["db", "status", "-o", "json"])
    assert result.exit_code == 0
    status = json.loads(result.stdout)
    assert (status["records"], status["ecosystems"], status["stale"]) == (26, {"PyPI": 25, "npm": 1}, False)
    assert len(status["sources"]) == 2


def test_db_status_warns_when_old(imported: None) -> None:
    result = runner.invoke(app, ["db", "status", "--max-age-days", "0"])
    assert result.exit_code == 0 and "warning: the vulnerability database was imported" in result.output


def test_sbom_writes_both_formats(rootfs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    spdx, cdx = tmp_path / "a.spdx.json", tmp_path / "a.cdx.json"
    result = runner.invoke(app, ["sbom", f"dir:{rootfs}", "-o", f"spdx-json={spdx}", "-o", f"cyclonedx-json={cdx}"])
    assert result.exit_code == 0, result.output
    doc = json.loads(spdx.read_text())
    assert doc["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    assert len(doc["packages"]) == 17  # 16 packages + the root
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cdx.read_text()) is None


def test_sbom_rejects_unknown_formats(rootfs: Path) -> None:
    result = runner.invoke(app, ["sbom", str(rootfs), "-o", "syft-json"])
    assert isinstance(result.exception, SpecError) and "unknown output format 'syft-json'" in str(result.exception)


def test_sbom_accepts_syft_name_at_version_for_the_versions_it_writes(rootfs: Path, tmp_path: Path) -> None:
    """syft -o cyclonedx-json@1.6=F (syft's default CycloneDX is 1.7, so pipelines pin 1.6 this way) and
    spdx-json@2.3; another version is refused by name rather than silently written as 1.6."""
    cdx, spdx = tmp_path / "a.cdx.json", tmp_path / "a.spdx.json"
    ok = runner.invoke(app, ["sbom", str(rootfs), "-o", f"cyclonedx-json@1.6={cdx}", "-o", f"spdx-json@2.3={spdx}"])
    assert ok.exit_code == 0, ok.output
    assert (
        json.loads(cdx.read_text())["specVersion"] == "1.6"
        and json.loads(spdx.read_text())["spdxVersion"] == "SPDX-2.3"
    )
    other = runner.invoke(app, ["sbom", str(rootfs), "-o", f"cyclonedx-json@1.7={cdx}"])
    assert isinstance(other.exception, UnsupportedError) and "shipyard writes cyclonedx-json@1.6" in str(
        other.exception
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--severity", "CRITICAL,HIGH", "--exit-code", "1"], 1),  # lodash 4.17.11: CVE-2019-10744, CVSS 9.1
     (["--severity", "CRITICAL", "--exit-code", "7"], 7),
     (["--severity", "LOW,MEDIUM", "--exit-code", "1"], 0),  # nothing at those severities
     (["--exit-code", "1"], 1),  # no filter: any finding trips the gate
     (["--severity", "CRITICAL,HIGH"], 0)],  # no --exit-code: report only
    ids=["critical-found", "custom-code", "below-threshold", "no-filter", "exit-code-defaults-to-0"],
)  # fmt: skip
def test_exit_code_follows_severity(imported: None, rootfs: Path, args: list[str], code: int) -> None:
    result = runner.invoke(app, ["scan", str(rootfs), *args])
    assert result.exit_code == code, result.output


def test_ignore_file_with_reason_passes_the_gate(imported: None, rootfs: Path, tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text("ignore:\n  - id: CVE-2019-10744\n    package: lodash\n    reason: build-time only\n")
    ok = runner.invoke(
        app, ["scan", str(rootfs), "--severity", "CRITICAL", "--exit-code", "1", "--ignore-file", str(ignore)]
    )
    assert ok.exit_code == 0, ok.output
    ignore.write_text("ignore:\n  - id: CVE-2019-10744\n")
    bad = runner.invoke(
        app, ["scan", str(rootfs), "--severity", "CRITICAL", "--exit-code", "1", "--ignore-file", str(ignore)]
    )
    assert bad.exit_code == 1 and "has no reason; not honoured" in bad.output


def test_default_ignore_file_in_cwd(
    imported: None, rootfs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".shipyardignore").write_text("ignore:\n  - id: GHSA-jf85-cpcp-j695\n    reason: accepted\n")
    result = runner.invoke(app, ["scan", str(rootfs), "--severity", "CRITICAL", "--exit-code", "1"])
    assert result.exit_code == 0, result.output


def test_malformed_ignore_file(imported: None, rootfs: Path, tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text("ignore:\n  - id: X\n    reasom: typo\n")
    result = runner.invoke(app, ["scan", str(rootfs), "--ignore-file", str(ignore)])
    assert isinstance(result.exception, SpecError) and 'did you mean "reason"' in str(result.exception)


def test_sarif_from_an_sbom_validates(imported: None, rootfs: Path, tmp_path: Path, shared: Path) -> None:
    sbom = tmp_path / "sbom.cdx.json"
    assert runner.invoke(app, ["sbom", str(rootfs), "-o", f"cyclonedx-json={sbom}"]).exit_code == 0
    out = tmp_path / "report.sarif"
    result = runner.invoke(app, ["scan", f"sbom:{sbom}", "--format", "sarif", "-o", str(out)])
    assert result.exit_code == 0, result.output
    schema = json.loads((shared / "data/schemas/sarif-schema-2.1.0.json").read_text())
    doc = json.loads(out.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} >= {"CVE-2019-10744", "CVE-2020-14343"}


def test_scan_oci_layout_json(imported: None, rootfs: Path, tmp_path: Path) -> None:
    digest = write_layout(tmp_path / "layout", [tar_bytes(directory_entries(rootfs))], ref="demo:1")
    result = runner.invoke(app, ["scan", f"oci:{tmp_path / 'layout'}:demo:1", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["target"] == {"kind": "image", "name": "demo:1", "digest": digest}
    lodash = next(f for f in report["findings"] if f["id"] == "CVE-2019-10744")
    assert lodash["package"]["locations"][0]["layer"].startswith("sha256:")
    assert lodash["fixedVersions"] == ["4.17.12"] and lodash["severity"] == "CRITICAL"


def test_scan_refuses_an_empty_database(rootfs: Path) -> None:
    result = runner.invoke(app, ["scan", str(rootfs), "--exit-code", "1"])
    assert isinstance(result.exception, NotFoundError) and "is empty; run `shipyard db import" in str(result.exception)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [(["--format", "xml"], SpecError, "unknown format 'xml'"),
     (["--severity", "HIGH,SEVERE"], SpecError, "unknown severity 'SEVERE'")],
    ids=["bad-format", "bad-severity"],
)  # fmt: skip
def test_bad_flags(rootfs: Path, args: list[str], error: type, message: str) -> None:
    result = runner.invoke(app, ["scan", str(rootfs), *args])
    assert isinstance(result.exception, error) and message in str(result.exception)


def test_unknown_target() -> None:
    result = runner.invoke(app, ["scan", "no-such-image:latest"])
    assert isinstance(result.exception, NotFoundError)


def test_image_sboms_are_kept_with_the_digest(rootfs: Path, tmp_path: Path, shipyard_home: Path) -> None:
    from shipyard.store.sboms import SbomStore

    digest = write_layout(tmp_path / "layout", [tar_bytes(directory_entries(rootfs))], ref="demo:1")
    out = tmp_path / "demo.spdx.json"
    result = runner.invoke(app, ["sbom", f"oci:{tmp_path / 'layout'}:demo:1", "-o", f"spdx-json={out}"])
    assert result.exit_code == 0, result.output
    kept = SbomStore(shipyard_home)
    assert kept.formats(digest) == ["spdx-json"]
    assert kept.get(digest, "spdx-json").read_text() == out.read_text()
    with pytest.raises(NotFoundError):
        kept.get(digest, "cyclonedx-json")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    if not registry_available():
        pytest.fail("docker-registry is not installed: apt-get install -y --no-install-recommends docker-registry")
    reg = start_registry(tmp_path_factory.mktemp("scan-registry"))
    yield reg
    reg.stop()


@pytest.mark.integration
def test_scan_image_from_a_registry(
    imported: None, rootfs: Path, tmp_path: Path, registry: RunningRegistry, shipyard_home: Path
) -> None:
    from shipyard.images.layout import OciLayout
    from shipyard.images.reference import parse_reference
    from shipyard.registry.client import RegistryClient
    from shipyard.registry.http import ClientOptions
    from shipyard.registry.transfer import push_image

    digest = write_layout(tmp_path / "layout", [tar_bytes(directory_entries(rootfs))], ref="demo:1")
    layout = OciLayout(tmp_path / "layout")
    ref = parse_reference(registry.repo("scan/app", "v1"))
    push_image(RegistryClient(ClientOptions(insecure=True)), layout, layout.resolve("demo:1"), ref)

    result = runner.invoke(
        app, ["scan", f"registry:{ref}", "--severity", "CRITICAL", "--format", "json", "--exit-code", "4"]
    )
    assert result.exit_code == 4, result.output
    report = json.loads(result.stdout)
    assert report["target"]["digest"] == digest and report["target"]["name"] == str(ref)
    assert [f["id"] for f in report["findings"]] == ["CVE-2019-10744"]
    # pulled into the content store, so a plain name works afterwards
    again = runner.invoke(app, ["sbom", str(ref), "-o", "cyclonedx-json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["metadata"]["component"]["version"] == digest
    assert (shipyard_home / "oci" / "index.json").is_file()


def test_scan_an_image_named_in_the_content_store(imported: None, rootfs: Path, shipyard_home: Path) -> None:
    from shipyard.images.layout import OciLayout, store_path

    digest = write_layout(store_path(shipyard_home), [tar_bytes(directory_entries(rootfs))], ref="demo/app:v1")
    assert OciLayout(store_path(shipyard_home)).resolve("demo/app:v1").digest == digest  # the store reads it too
    result = runner.invoke(app, ["scan", "demo/app:v1", "--severity", "CRITICAL", "--exit-code", "1"])
    assert result.exit_code == 1 and "CVE-2019-10744" in result.output


def test_store_names_are_normalised_like_shipyard_image(imported: None, rootfs: Path, shipyard_home: Path) -> None:
    from shipyard.images.layout import store_path

    # `shipyard image import-rootfs DIR -t demo:rootfs` stores docker.io/library/demo:rootfs
    write_layout(store_path(shipyard_home), [tar_bytes(directory_entries(rootfs))], ref="docker.io/library/demo:rootfs")
    result = runner.invoke(app, ["scan", "demo:rootfs", "--severity", "CRITICAL", "--exit-code", "1"])
    assert result.exit_code == 1 and "CVE-2019-10744" in result.output


def test_convert_spdx_to_cyclonedx(rootfs: Path, tmp_path: Path) -> None:
    spdx, cdx = tmp_path / "a.spdx.json", tmp_path / "a.cdx.json"
    assert runner.invoke(app, ["sbom", str(rootfs), "-o", f"spdx-json={spdx}"]).exit_code == 0
    result = runner.invoke(app, ["sbom", f"sbom:{spdx}", "-o", f"cyclonedx-json={cdx}"])
    assert result.exit_code == 0, result.output
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cdx.read_text()) is None
    comps = {c["purl"]: c for c in json.loads(cdx.read_text())["components"] if "purl" in c}
    assert "pkg:npm/%40angular/core@12.3.1" in comps and len(comps) == 16
    bash = next(c for purl, c in comps.items() if purl.startswith("pkg:deb/debian/bash@"))
    assert bash["licenses"] == [{"license": {"id": "BSD-3-Clause"}}, {"license": {"name": "GPL-3+"}}]
