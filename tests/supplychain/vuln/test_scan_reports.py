"""Scan reports: SARIF 2.1.0 shaped like Trivy's and valid against the shared schema, the severity filter and
gate, the JSON/table writers, and the ignore file (reasons required, expiry, PEP 503 names, aliases)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from shipyard.errors import SpecError
from shipyard.supplychain.sbom.model import Location, Package, PackageType, Sbom, SourceInfo, SourceKind
from shipyard.supplychain.vuln.cvss import Severity
from shipyard.supplychain.vuln.ignore import parse_ignore
from shipyard.supplychain.vuln.loading import load_record
from shipyard.supplychain.vuln.matcher import MemoryAdvisories
from shipyard.supplychain.vuln.osv import parse_record
from shipyard.supplychain.vuln.report import table_rows, to_json_dict
from shipyard.supplychain.vuln.sarif import to_sarif_dict
from shipyard.supplychain.vuln.scan import ScanReport, parse_severities, scan

TODAY = dt.date(2025, 6, 1)


@pytest.fixture
def advisories(shared: Path) -> MemoryAdvisories:
    osv = shared / "vectors/osv"
    paths = [
        osv / "github-advisory-database/GHSA-jf85-cpcp-j695.json",
        osv / "pypa-advisory-database/jinja2/PYSEC-2019-217.yaml",
    ]
    records = [load_record(p.read_bytes(), str(p)) for p in paths]
    records.append(
        parse_record(
            {
                "id": "PYSEC-9999-1",
                "modified": "2024-01-01T00:00:00Z",
                "summary": "demo flaw",
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N"}],
                "affected": [{"package": {"ecosystem": "PyPI", "name": "shipyard-bar-pkg"}, "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]}],
            }
        )
    )  # fmt: skip
    return MemoryAdvisories(records)


def _pkg(kind: PackageType, eco: str, name: str, version: str, advisory: str, path: str) -> Package:
    return Package(
        name, version, kind, f"pkg:x/{name}@{version}", eco, advisory, locations=(Location(path, "sha256:l1"),)
    )


@pytest.fixture
def sbom() -> Sbom:
    return Sbom(
        SourceInfo(SourceKind.IMAGE, "registry.example.com/app:v1", "sha256:" + "cd" * 32),
        (
            _pkg(PackageType.NPM, "npm", "lodash", "4.17.11", "lodash", "/app/node_modules/lodash/package.json"),
            _pkg(PackageType.NPM, "npm", "lodash", "4.17.11", "lodash", "/other/node_modules/lodash/package.json"),
            _pkg(
                PackageType.PYTHON,
                "PyPI",
                "Jinja2",
                "2.10",
                "jinja2",
                "/usr/lib/python3/Jinja2-2.10.dist-info/METADATA",
            ),
            _pkg(PackageType.PYTHON, "PyPI", "shipyard_bar.pkg", "1.0", "shipyard-bar-pkg", "/site/x/METADATA"),
        ),
    )


def test_sarif_validates_against_the_2_1_0_schema(shared: Path, advisories: MemoryAdvisories, sbom: Sbom) -> None:
    schema = json.loads((shared / "data/schemas/sarif-schema-2.1.0.json").read_text())
    doc = to_sarif_dict(scan(sbom, advisories, today=TODAY), root_uri="file:///work/app")
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-schema-2.1.0.json")


def test_sarif_shaped_like_trivy(shared: Path, advisories: MemoryAdvisories, sbom: Sbom) -> None:
    golden = json.loads((shared / "vectors/trivy/alpine-310.sarif.golden.json").read_text())
    doc = to_sarif_dict(scan(sbom, advisories, today=TODAY))
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    # one rule per vulnerability, one result per (vulnerability, package location)
    assert sorted(rules) == ["CVE-2019-10744", "CVE-2019-10906", "PYSEC-9999-1"]
    assert len(run["results"]) == 4
    assert set(rules["CVE-2019-10744"]) == set(golden["runs"][0]["tool"]["driver"]["rules"][0])
    lodash = rules["CVE-2019-10744"]
    assert lodash["properties"]["security-severity"] == "9.1" and lodash["defaultConfiguration"]["level"] == "error"
    assert lodash["properties"]["tags"] == ["vulnerability", "security", "CRITICAL"]
    assert lodash["name"] == "LanguageSpecificPackageVulnerability"
    unknown = rules["CVE-2019-10906"]  # no CVSS in the record: Trivy's fixed map gives 0.0, level note
    assert (unknown["properties"]["security-severity"], unknown["defaultConfiguration"]["level"]) == ("0.0", "note")
    assert rules["PYSEC-9999-1"]["properties"]["security-severity"] == "8.1"
    result = next(r for r in run["results"] if r["ruleId"] == "CVE-2019-10744")
    assert set(result) == set(golden["runs"][0]["results"][0])
    assert result["ruleIndex"] == list(rules).index("CVE-2019-10744")
    loc = result["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"] == {
        "uri": "app/node_modules/lodash/package.json",
        "uriBaseId": "ROOTPATH",
    }
    assert loc["message"]["text"] == "app/node_modules/lodash/package.json: lodash@4.17.11"
    assert result["message"]["text"].startswith(
        "Package: lodash\nInstalled Version: 4.17.11\nVulnerability CVE-2019-10744\n"
    )


def test_severity_filter_and_gate(advisories: MemoryAdvisories, sbom: Sbom) -> None:
    everything = scan(sbom, advisories, today=TODAY)
    assert everything.failed and len(everything.findings) == 4
    gated = scan(sbom, advisories, today=TODAY, severities=parse_severities("CRITICAL,HIGH"))
    assert {(f.id, f.severity.severity) for f in gated.findings} == {
        ("CVE-2019-10744", Severity.CRITICAL),
        ("PYSEC-9999-1", Severity.HIGH),
    }
    assert not scan(sbom, advisories, today=TODAY, severities=(Severity.LOW,)).failed
    with pytest.raises(ValueError, match="unknown severity 'SEVERE'"):
        parse_severities("HIGH,SEVERE")


def test_table_rows_and_json(advisories: MemoryAdvisories, sbom: Sbom) -> None:
    report = scan(sbom, advisories, today=TODAY)
    rows = table_rows(report)
    # lodash is installed twice: the rows name as much of each path as tells them apart.
    assert (rows[0].package, rows[0].installed, rows[0].fixed_in, rows[0].id, rows[0].severity) == (
        "lodash (app/node_modules/lodash/package.json)", "4.17.11", "4.17.12", "CVE-2019-10744", "CRITICAL")  # fmt: skip
    assert rows[1].package == "lodash (other/node_modules/lodash/package.json)"
    doc = to_json_dict(report)
    assert doc["findings"][0]["cvssScore"] == 9.1 and doc["findings"][0]["records"] == ["GHSA-jf85-cpcp-j695"]
    assert json.loads(json.dumps(doc)) == doc


IGNORE = """\
ignore:
  - id: GHSA-jf85-cpcp-j695          # an alias of the CVE the finding is named by
    reason: lodash only runs in the build
  - id: PYSEC-9999-1
    package: Shipyard_Bar.PKG         # PEP 503: same as shipyard-bar-pkg
    reason: not reachable
    expires: 2025-12-31
  - id: CVE-2019-10906
    expires: 2030-01-01
"""


def _report(advisories: MemoryAdvisories, sbom: Sbom, text: str, today: dt.date = TODAY) -> ScanReport:
    return scan(sbom, advisories, today=today, ignore=parse_ignore(text, ".shipyardignore"))


def test_ignore_rules(advisories: MemoryAdvisories, sbom: Sbom) -> None:
    report = _report(advisories, sbom, IGNORE)
    assert [f.id for f in report.findings] == ["CVE-2019-10906"]  # reasonless rule is not honoured
    assert sorted(i.finding.id for i in report.ignored) == ["CVE-2019-10744", "CVE-2019-10744", "PYSEC-9999-1"]
    assert report.problems == (".shipyardignore:8: ignore rule for CVE-2019-10906 has no reason; not honoured",)


def test_expired_rules_are_reported_not_honoured(advisories: MemoryAdvisories, sbom: Sbom) -> None:
    report = _report(advisories, sbom, IGNORE, today=dt.date(2026, 1, 1))
    assert "PYSEC-9999-1" in {f.id for f in report.findings}
    assert ".shipyardignore:4: ignore rule for PYSEC-9999-1 expired on 2025-12-31; not honoured" in report.problems
    # the expiry day itself still counts
    assert "PYSEC-9999-1" not in {f.id for f in _report(advisories, sbom, IGNORE, dt.date(2025, 12, 31)).findings}


def test_package_scoped_rule_leaves_other_packages(advisories: MemoryAdvisories, sbom: Sbom) -> None:
    text = "ignore:\n  - id: CVE-2019-10744\n    package: lodash-es\n    reason: other package\n"
    assert len([f for f in _report(advisories, sbom, text).findings if f.id == "CVE-2019-10744"]) == 2


BAD_IGNORE = [
    ("ignore: [", "invalid YAML", "yaml-syntax"),
    ("- id: X\n", "is a mapping with an 'ignore' list", "not-a-mapping"),
    ("ignore:\n  - id: X\n    reasn: typo\n", 'unknown field "reasn" (did you mean "reason"?)', "unknown-field"),
    ("ignore:\n  - reason: r\n", "required field is missing", "id-required"),
    ("ignore:\n  - id: X\n    reason: r\n    expires: next year\n", "ignore[0].expires", "bad-date"),
    ("ignore: {id: X}\n", "ignore", "ignore-not-a-list"),
]


@pytest.mark.parametrize(("text", "message"), [pytest.param(t, m, id=i) for t, m, i in BAD_IGNORE])
def test_malformed_ignore_files(text: str, message: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_ignore(text, ".shipyardignore")
    assert message in str(err.value) and ".shipyardignore" in str(err.value)


def test_empty_ignore_file_is_no_rules() -> None:
    assert parse_ignore("", "x") == [] and parse_ignore("ignore: []\n", "x") == []


def test_dist_info_and_egg_info_of_one_package_are_two_packages(tmp_path: Path) -> None:
    """Debian's /usr/lib/python3/dist-packages can hold both ``cryptography-38.0.4.dist-info`` and
    ``cryptography.egg-info``. Syft catalogs each metadata location as its own package (anchore/syft#4024 keeps
    them apart) and Trivy keeps one finding per package path (pkg/result/filter.go dedupes on
    id/name/version/PkgPath), so both are reported; the table names the evidence (Trivy's ``name (file)``,
    pkg/report/table/vulnerability.go) so the rows differ."""
    from shipyard.supplychain.sbom.catalog import catalog
    from shipyard.supplychain.sbom.source import DirectorySource

    site = tmp_path / "usr/lib/python3/dist-packages"
    meta = b"Metadata-Version: 2.1\nName: cryptography\nVersion: 38.0.4\n"
    (site / "cryptography-38.0.4.dist-info").mkdir(parents=True)
    (site / "cryptography-38.0.4.dist-info/METADATA").write_bytes(meta)
    (site / "cryptography.egg-info").mkdir()
    (site / "cryptography.egg-info/PKG-INFO").write_bytes(meta)
    record = parse_record(
        {
            "id": "PYSEC-2023-254",
            "modified": "2024-01-01T00:00:00Z",
            "aliases": ["CVE-2023-49083"],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "cryptography"}, "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "41.0.6"}]}]}],
        }
    )  # fmt: skip
    sbom = catalog(DirectorySource(tmp_path))
    assert [p.locations[0].path.rsplit("/", 2)[-2] for p in sbom.packages] == [
        "cryptography-38.0.4.dist-info",
        "cryptography.egg-info",
    ]
    report = scan(sbom, MemoryAdvisories([record]), today=TODAY)
    assert [f.id for f in report.findings] == ["CVE-2023-49083", "CVE-2023-49083"]
    assert sorted(r.package for r in table_rows(report)) == [
        "cryptography (cryptography-38.0.4.dist-info)",
        "cryptography (cryptography.egg-info)",
    ]
    paths = [loc["path"] for f in to_json_dict(report)["findings"] for loc in f["package"]["locations"]]
    assert len(set(paths)) == 2
    # A package found once keeps its plain name.
    single = Sbom(sbom.source, sbom.packages[:1])
    assert [r.package for r in table_rows(scan(single, MemoryAdvisories([record]), today=TODAY))] == ["cryptography"]
