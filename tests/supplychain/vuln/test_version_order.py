"""Version ordering per ecosystem, table-style; each case cites the rule it checks."""

from __future__ import annotations

import pytest

from shipyard.supplychain.vuln import apk, dpkg, semver
from shipyard.supplychain.vuln.ordering import comparator, pep440_compare, same_ecosystem

# (lower, higher, rule)
DPKG = [
    ("1.0~rc1", "1.0", "deb-version(7): ~ sorts before the end of the string"),
    ("1.0~~", "1.0~", "deb-version(7): ~~ before ~"),
    ("1.0", "1.0+b1", "deb-version(7): end of string before non-letters"),
    ("1.0", "1.0a", "deb-version(7): end of string before letters"),
    ("1.0a", "1.0+b1", "dpkg verrevcmp: letters before other characters (as dpkg --compare-versions says)"),
    ("2.0", "1:0.9", "deb-version(7): the epoch compares first"),
    ("1:1.0", "2:0.1", "deb-version(7): epochs numerically"),
    ("1.2.9", "1.2.10", "dpkg verrevcmp: digit runs compare numerically"),
    ("3.0.11-1~deb12u2", "3.0.11-1", "revision: ~ security upload sorts before the plain revision"),
    ("2.36-9", "2.36-9+deb12u4", "revision compared with verrevcmp"),
    ("1.0-1", "1.0-1.1", "revision digit run after equal prefix"),
    ("1.0", "1.0-0.1", "missing revision is the empty string, before any revision"),
]
DPKG_EQUAL = [("1.0", "0:1.0", "deb-version(7): absent epoch is 0"), ("1.01", "1.1", "leading zeros ignored")]

APK = [
    ("1.0_rc1", "1.0", "apk version.c: pre-release suffix sorts before the release"),
    ("1.0_alpha1", "1.0_beta1", "suffix rank: alpha < beta"),
    ("1.0_beta2", "1.0_pre1", "suffix rank: beta < pre"),
    ("1.0_pre1", "1.0_rc1", "suffix rank: pre < rc"),
    ("1.0", "1.0_p1", "post-release suffix _p sorts after the release"),
    ("1.0_cvs1", "1.0_git1", "post suffix rank: cvs < git"),
    ("1.0-r1", "1.0-r2", "-rN numerically"),
    ("1.0", "1.0-r0", "a revision follows the bare version"),
    ("1.0", "1.0a", "a letter follows the bare version"),
    ("1.0a", "1.0b", "letters by character"),
    ("1.0a", "1.0.1", "apk: a further number component beats a letter"),
    ("1.2.9", "1.2.10", "numbers compare numerically"),
    ("3.1.4-r5", "3.1.4-r10", "revision numerically, not textually"),
    ("1.1.1c-r0", "1.1.1d-r0", "openssl-style letter versions (trivy alpine-310 golden)"),
]
APK_EQUAL = [("1.0~abc123-r1", "1.0-r1", "the commit hash does not order")]

SEMVER = [
    ("1.0.0-alpha", "1.0.0", "semver §11.3: a pre-release is lower than its release"),
    ("1.0.0-alpha", "1.0.0-alpha.1", "§11.4.4: a larger set of identifiers is higher"),
    ("1.0.0-alpha.1", "1.0.0-alpha.beta", "§11.4.3: numeric identifiers are lower than alphanumeric"),
    ("1.0.0-beta.2", "1.0.0-beta.11", "§11.4.1: numeric identifiers numerically"),
    ("1.0.0-rc.1", "1.0.0", "§11 example chain end"),
    ("1.9.0", "1.10.0", "§11.2: numerically"),
    ("v0.0.0-20181201002055-351d144fa1fc", "0.0.0-20190125091013-d26f9f9a57f3", "Go pseudo-versions order by time"),
    ("v1.2.3", "v1.2.4-0.20191109021931-daa7c04131f5", "Go: a vX.Y.(Z+1)-0.pseudo sorts after vX.Y.Z"),
    ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", "Go: ...and before vX.Y.(Z+1)"),
    ("4.17.11", "4.17.12", "npm lodash GHSA-jf85-cpcp-j695 boundary"),
]
SEMVER_EQUAL = [
    ("1.0.0+build.1", "1.0.0+build.2", "§10: build metadata does not order"),
    ("v2.0.0+incompatible", "2.0.0", "Go +incompatible is build metadata; v prefix ignored"),
]

PEP440 = [
    ("1.0.dev0", "1.0a1", "PEP 440: dev release before pre-releases"),
    ("1.0a1", "1.0b1", "PEP 440: a < b"),
    ("1.0b2", "1.0rc1", "PEP 440: b < rc"),
    ("1.0rc1", "1.0", "PEP 440: pre-release before the final"),
    ("1.0", "1.0.post1", "PEP 440: post-release after the final"),
    ("1.0.post1.dev0", "1.0.post1", "PEP 440: dev of a post release before it"),
    ("1.0", "1.0+local", "PEP 440: local labels sort after"),
    ("1!0.1", "2!0.0", "PEP 440: epochs first"),
    ("0.12.01", "2.3.0", "PYSEC-2014-13 listed version is a valid PEP 440 version"),
]
PEP440_EQUAL = [("1.0", "1.0.0", "PEP 440: trailing zeros are insignificant"), ("1.0RC1", "1.0rc1", "normalised")]


def _cases(table: list[tuple[str, str, str]]) -> list[object]:
    return [pytest.param(a, b, id=why) for a, b, why in table]


@pytest.mark.parametrize(("low", "high"), _cases(DPKG))
def test_dpkg_order(low: str, high: str) -> None:
    assert dpkg.compare(low, high) < 0 and dpkg.compare(high, low) > 0


@pytest.mark.parametrize(("a", "b"), _cases(DPKG_EQUAL))
def test_dpkg_equal(a: str, b: str) -> None:
    assert dpkg.compare(a, b) == 0


@pytest.mark.parametrize(("low", "high"), _cases(APK))
def test_apk_order(low: str, high: str) -> None:
    assert apk.compare(low, high) < 0 and apk.compare(high, low) > 0


@pytest.mark.parametrize(("a", "b"), _cases(APK_EQUAL))
def test_apk_equal(a: str, b: str) -> None:
    assert apk.compare(a, b) == 0


@pytest.mark.parametrize(("low", "high"), _cases(SEMVER))
def test_semver_order(low: str, high: str) -> None:
    assert semver.compare(low, high) < 0 and semver.compare(high, low) > 0


@pytest.mark.parametrize(("a", "b"), _cases(SEMVER_EQUAL))
def test_semver_equal(a: str, b: str) -> None:
    assert semver.compare(a, b) == 0


@pytest.mark.parametrize(("low", "high"), _cases(PEP440))
def test_pep440_order(low: str, high: str) -> None:
    assert pep440_compare(low, high) < 0 and pep440_compare(high, low) > 0


@pytest.mark.parametrize(("a", "b"), _cases(PEP440_EQUAL))
def test_pep440_equal(a: str, b: str) -> None:
    assert pep440_compare(a, b) == 0


@pytest.mark.parametrize(
    ("compare", "bad"),
    [
        (dpkg.compare, "abc"),
        (dpkg.compare, "x:1.0"),
        (apk.compare, "1.0_zeta1"),
        (apk.compare, "v1.0"),
        (semver.compare, "1.0.0-"),
        (semver.compare, "01.2.3"),
        (pep440_compare, "not a version"),
    ],
    ids=["dpkg-upstream-starts-with-digit", "dpkg-epoch-numeric", "apk-unknown-suffix", "apk-starts-with-digit",
         "semver-empty-prerelease", "semver-leading-zero", "pep440-invalid"],
)  # fmt: skip
def test_invalid_versions_raise(compare: object, bad: str) -> None:
    with pytest.raises(ValueError):
        compare(bad, "1.0")  # type: ignore[operator]


@pytest.mark.parametrize(
    ("ecosystem", "expected"),
    [("Debian:12", dpkg.compare), ("Ubuntu:22.04:LTS", dpkg.compare), ("Alpine:v3.19", apk.compare),
     ("PyPI", pep440_compare), ("npm", semver.compare), ("Go", semver.compare), ("Maven", None)],
    ids=["debian", "ubuntu", "alpine", "pypi", "npm", "go", "maven-unordered"],
)  # fmt: skip
def test_ecosystem_comparators(ecosystem: str, expected: object) -> None:
    assert comparator(ecosystem) is expected


def test_release_qualified_ecosystems() -> None:
    assert same_ecosystem("Debian", "Debian:12")  # an unqualified advisory covers every release
    assert same_ecosystem("Debian:12", "Debian:12")
    assert not same_ecosystem("Debian:11", "Debian:12")
    assert not same_ecosystem("Alpine:v3.19", "Debian:12")
    assert same_ecosystem("Ubuntu:22.04:LTS", "Ubuntu:22.04")  # OSV Ubuntu records qualify the release
    assert not same_ecosystem("Ubuntu:20.04:LTS", "Ubuntu:22.04")
    assert not same_ecosystem("Debian:1", "Debian:12")
