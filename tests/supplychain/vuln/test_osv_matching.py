"""Matching against real OSV records from shared/data/osv and shared/vectors/osv: pinned vulnerable and fixed
versions chosen from the records, and OSV range semantics (osv-schema docs "Evaluation") on small records."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shipyard.supplychain.sbom.model import Package, PackageType
from shipyard.supplychain.vuln.cvss import Severity
from shipyard.supplychain.vuln.loading import load_record
from shipyard.supplychain.vuln.matcher import MatchResult, MemoryAdvisories, match
from shipyard.supplychain.vuln.osv import Vulnerability, parse_record

PYPA_DIRS = ("jinja2", "django", "requests", "werkzeug", "urllib3")
GO_MODULES = (b'"golang.org/x/net"', b'"stdlib"')


def _members(path: Path) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(path) as tar:
        for m in tar:
            if m.isreg() and m.name.endswith((".yaml", ".json")):
                fh = tar.extractfile(m)
                assert fh is not None
                yield m.name, fh.read()


@pytest.fixture(scope="module")
def advisories() -> MemoryAdvisories:
    from shipyard.testing.shared import SHARED

    records: list[Vulnerability] = []
    for name, data in _members(SHARED / "data/osv/pypa-advisory-database.tar.gz"):
        if name.split("/")[1] in PYPA_DIRS:
            records.append(load_record(data, name))
    for name, data in _members(SHARED / "data/osv/golang-vulndb.tar.gz"):
        if any(m in data for m in GO_MODULES):
            records.append(load_record(data, name))
    for path in sorted((SHARED / "vectors/osv/github-advisory-database").glob("*.json")):
        records.append(load_record(path.read_bytes(), str(path)))
    return MemoryAdvisories(records)


def pkg(ecosystem: str, name: str, version: str, advisory: str | None = None, source_version: str = "") -> Package:
    kind = {"PyPI": PackageType.PYTHON, "Go": PackageType.GO, "npm": PackageType.NPM}.get(ecosystem, PackageType.DEB)
    return Package(
        name, version, kind, f"pkg:x/{name}@{version}", ecosystem, advisory or name, source_version=source_version
    )


def ids(result: MatchResult) -> set[str]:
    return {i for f in result.findings for i in f.ids}


# (ecosystem, package, version, record id, reported?, why)
CASES = [
    ("PyPI", "Jinja2", "2.10", "PYSEC-2019-217", True, "introduced 0, fixed 2.10.1"),
    ("PyPI", "Jinja2", "2.10.1", "PYSEC-2019-217", False, "the fixed version itself is not affected"),
    ("PyPI", "jinja2", "2.10.1", "PYSEC-2021-66", True, "still below the 2.11.3 fix of CVE-2020-28493"),
    ("PyPI", "Jinja2", "2.11.3", "PYSEC-2021-66", False, "fixed in 2.11.3"),
    ("PyPI", "Django", "3.2.0", "PYSEC-2021-7", True, "third introduced/fixed pair: 3.2 <= v < 3.2.1"),
    ("PyPI", "Django", "3.2.1", "PYSEC-2021-7", False, "fixed 3.2.1"),
    ("PyPI", "Django", "3.0.5", "PYSEC-2021-7", False, "between ranges: after 2.2.21, before 3.1"),
    ("PyPI", "Django", "3.2.1", "PYSEC-2021-8", True, "next advisory, fixed 3.2.2"),
    ("PyPI", "requests", "2.2.1", "PYSEC-2014-13", True, "VECTORS.md: introduced 0, fixed 2.3.0"),
    ("PyPI", "requests", "2.3.0", "PYSEC-2014-13", False, "VECTORS.md: fixed"),
    ("PyPI", "requests", "0.12.01", "PYSEC-2014-13", True, "VECTORS.md: listed in versions"),
    ("PyPI", "Werkzeug", "2.3.7", "PYSEC-2023-221", True, "fixed 2.3.8"),
    ("PyPI", "werkzeug", "3.0.0", "PYSEC-2023-221", True, "second range 3.0.0 <= v < 3.0.1"),
    ("PyPI", "werkzeug", "3.0.1", "PYSEC-2023-221", False, "fixed 3.0.1"),
    ("Go", "golang.org/x/net", "v0.0.0-20181201002055-351d144fa1fc", "GO-2020-0014", True,
     "VECTORS.md: pseudo-version before the 20190125 fix"),
    ("Go", "golang.org/x/net", "v0.1.0", "GO-2020-0014", False, "VECTORS.md: v0.1.0 is after the fix"),
    ("Go", "stdlib", "1.20.0", "GO-2023-1568", True, "stdlib fixed 1.20.1"),
    ("Go", "stdlib", "1.20.1", "GO-2023-1568", False, "stdlib fixed 1.20.1"),
    ("npm", "lodash", "4.17.11", "GHSA-jf85-cpcp-j695", True, "VECTORS.md: fixed 4.17.12"),
    ("npm", "lodash", "4.17.12", "GHSA-jf85-cpcp-j695", False, "VECTORS.md: fixed"),
    ("npm", "lodash-es", "4.17.12", "GHSA-jf85-cpcp-j695", True, "VECTORS.md: lodash-es fixed 4.17.14"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("eco", "name", "version", "record", "reported"),
    [pytest.param(*c[:5], id=f"{c[1]}@{c[2]}-{c[3]}-{c[5]}") for c in CASES],
)
def test_real_records(
    advisories: MemoryAdvisories, eco: str, name: str, version: str, record: str, reported: bool
) -> None:
    advisory = name.lower() if eco == "PyPI" else name
    result = match([pkg(eco, name, version, advisory)], advisories)
    assert (record in ids(result)) is reported


def test_one_finding_per_vulnerability_with_aliases(advisories: MemoryAdvisories) -> None:
    result = match([pkg("PyPI", "Jinja2", "2.10", "jinja2")], advisories)
    by_id = {f.id: f for f in result.findings}
    f = by_id["CVE-2019-10906"]  # named by its CVE, as Trivy reports
    assert f.records == ("PYSEC-2019-217",) and "GHSA-462w-v97r-4m45" in f.aliases
    assert f.fixed == ("2.10.1",)
    assert len(result.findings) == len({f.id for f in result.findings})


def test_severity_from_cvss_vector(advisories: MemoryAdvisories) -> None:
    (lodash,) = match([pkg("npm", "lodash", "4.17.11")], advisories).findings
    # CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H = 9.1, CRITICAL (matches GHSA database_specific)
    assert (lodash.severity.score, lodash.severity.severity) == (9.1, Severity.CRITICAL)
    werkzeug = next(
        f for f in match([pkg("PyPI", "werkzeug", "2.3.7")], advisories).findings if "PYSEC-2023-221" in f.ids
    )
    assert (werkzeug.severity.score, werkzeug.severity.severity) == (7.5, Severity.HIGH)


def test_git_ranges_are_skipped_with_a_note(advisories: MemoryAdvisories) -> None:
    result = match([pkg("PyPI", "werkzeug", "2.3.7")], advisories)
    assert any("PYSEC-2023-221: GIT range on https://github.com/pallets/werkzeug skipped" in n for n in result.notes)


def _record(affected: list[dict[str, Any]], rid: str = "TEST-1", **extra: Any) -> Vulnerability:
    return parse_record({"id": rid, "modified": "2024-01-01T00:00:00Z", "affected": affected, **extra})


def _aff(eco: str, name: str, events: list[dict[str, str]], rtype: str = "ECOSYSTEM", **extra: Any) -> dict[str, Any]:
    return {"package": {"ecosystem": eco, "name": name}, "ranges": [{"type": rtype, "events": events}], **extra}


SEMANTICS = [
    ([{"introduced": "1.0"}, {"last_affected": "1.4"}], "1.4", True, "last_affected is itself affected"),
    ([{"introduced": "1.0"}, {"last_affected": "1.4"}], "1.4.1", False, "after last_affected"),
    ([{"introduced": "0"}, {"limit": "2.0"}], "1.9", True, "below the limit"),
    ([{"introduced": "0"}, {"limit": "2.0"}], "2.0", False, "BeforeLimits: v must be below a limit"),
    ([{"introduced": "0"}, {"limit": "*"}], "99.0", True, "limit * is infinity"),
    ([{"fixed": "2.0"}, {"introduced": "1.0"}], "1.5", True, "events sort by version, not by position"),
    ([{"introduced": "1.0"}], "0.9", False, "before introduced"),
    ([{"introduced": "1.0"}], "5.0", True, "no fix: affected from introduced on"),
    ([{"introduced": "1.0rc1"}, {"fixed": "1.0.post1"}], "1.0", True, "PEP 440 pre and post releases"),
]


@pytest.mark.parametrize(("events", "version", "affected"), [pytest.param(*c[:3], id=c[3]) for c in SEMANTICS])
def test_range_semantics(events: list[dict[str, str]], version: str, affected: bool) -> None:
    src = MemoryAdvisories([_record([_aff("PyPI", "demo", events)])])
    assert bool(match([pkg("PyPI", "demo", version)], src).findings) is affected


def test_semver_range_accepts_v_prefixed_go_versions() -> None:
    src = MemoryAdvisories(
        [_record([_aff("Go", "example.com/m", [{"introduced": "0"}, {"fixed": "1.2.0"}], "SEMVER")])]
    )
    assert match([pkg("Go", "example.com/m", "v1.1.9")], src).findings
    assert not match([pkg("Go", "example.com/m", "v1.2.0")], src).findings


def test_distro_packages_match_by_source_package_and_release() -> None:
    debian = _record([_aff("Debian:12", "openssl", [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}])], "DSA-1")
    old = _record([_aff("Debian:11", "openssl", [{"introduced": "0"}])], "DSA-OLD")
    alpine = _record([_aff("Alpine:v3.19", "openssl", [{"introduced": "0"}, {"fixed": "3.1.4-r6"}])], "ALPINE-1")
    src = MemoryAdvisories([debian, old, alpine])
    libssl = pkg("Debian:12", "libssl3", "3.0.11-1~deb12u2+b1", "openssl", source_version="3.0.11-1~deb12u2")
    libcrypto = Package(
        "libcrypto3", "3.1.4-r5", PackageType.APK, "pkg:apk/alpine/libcrypto3", "Alpine:v3.19", "openssl"
    )
    assert ids(match([libssl], src)) == {"DSA-1"}  # Debian 11 advisory does not apply to Debian 12
    assert ids(match([libcrypto], src)) == {"ALPINE-1"}
    fixed = pkg("Debian:12", "libssl3", "3.0.13-1~deb12u1", "openssl", source_version="3.0.13-1~deb12u1")
    assert not match([fixed], src).findings


def test_records_sharing_an_alias_merge() -> None:
    a = _record([_aff("PyPI", "demo", [{"introduced": "0"}, {"fixed": "2.0"}])], "PYSEC-9", aliases=["CVE-2024-1"])
    b = _record(
        [_aff("PyPI", "demo", [{"introduced": "0"}, {"fixed": "2.1"}])],
        "GHSA-aaaa-bbbb-cccc",
        aliases=["CVE-2024-1"],
        database_specific={"severity": "MODERATE"},
    )
    (finding,) = match([pkg("PyPI", "demo", "1.0")], MemoryAdvisories([a, b])).findings
    assert finding.id == "CVE-2024-1"
    assert finding.records == ("GHSA-aaaa-bbbb-cccc", "PYSEC-9")
    assert finding.fixed == ("2.0", "2.1")
    assert finding.severity.severity is Severity.MEDIUM  # GitHub's MODERATE


def test_withdrawn_records_do_not_match() -> None:
    rec = _record([_aff("PyPI", "demo", [{"introduced": "0"}])], withdrawn="2024-02-01T00:00:00Z")
    assert not match([pkg("PyPI", "demo", "1.0")], MemoryAdvisories([rec])).findings


def test_pep503_names_match() -> None:
    rec = _record([_aff("PyPI", "Shipyard_Bar.pkg", [{"introduced": "0"}])])
    assert match([pkg("PyPI", "shipyard_bar.pkg", "1.0", "shipyard-bar-pkg")], MemoryAdvisories([rec])).findings


def test_a_record_listing_the_package_twice_is_one_finding_with_every_fix() -> None:
    rec = _record(
        [_aff("PyPI", "demo", [{"introduced": "1.0"}, {"fixed": "1.5"}]),
         _aff("PyPI", "demo", [{"introduced": "2.0"}, {"fixed": "2.3"}])],
    )  # fmt: skip
    (finding,) = match([pkg("PyPI", "demo", "2.1")], MemoryAdvisories([rec])).findings
    assert finding.fixed == ("2.3",)
    (early,) = match([pkg("PyPI", "demo", "1.2")], MemoryAdvisories([rec])).findings
    assert early.fixed == ("1.5",)
