"""OSV record parsing (strict, field-pathed errors) and CVSS v3 base scores (FIRST CVSS v3.1 spec)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from shipyard.errors import SpecError
from shipyard.supplychain.vuln.cvss import Severity, base_score_v2, base_score_v3, base_score_v4, rating, rating_v2
from shipyard.supplychain.vuln.loading import load_record
from shipyard.supplychain.vuln.osv import RangeType, parse_record
from shipyard.supplychain.vuln.severity import assess

CVSS = [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "NVD canonical critical"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H", 9.1, "GHSA-jf85-cpcp-j695 lodash"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3, "trivy alpine-310 golden security-severity 5.3"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "scope changed: 1.08 factor, PR/S interplay"),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N", 8.1, "PYSEC-2023-192 urllib3"),
    ("CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N", 4.2, "PYSEC-2023-212 urllib3"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "PYSEC-2023-221 werkzeug"),
    ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 9.1, "scope changed with PR:H = 0.5"),
    ("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "no impact: base score 0"),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "v3.0 vector"),
]


@pytest.mark.parametrize(("vector", "score"), [pytest.param(v, s, id=why) for v, s, why in CVSS])
def test_cvss_v3_base_scores(vector: str, score: float) -> None:
    assert base_score_v3(vector) == score


@pytest.mark.parametrize(
    ("score", "sev"),
    [(0.0, Severity.NONE), (3.9, Severity.LOW), (4.0, Severity.MEDIUM), (6.9, Severity.MEDIUM), (7.0, Severity.HIGH),
     (8.9, Severity.HIGH), (9.0, Severity.CRITICAL), (10.0, Severity.CRITICAL)],
    ids=lambda x: str(x),
)  # fmt: skip
def test_cvss_v31_qualitative_ratings(score: float, sev: Severity) -> None:
    assert rating(score) is sev


@pytest.mark.parametrize(
    "vector",
    [
        "CVSS:2.0/AV:N",
        "CVSS:3.1/AV:N/AC:L",
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "AV:N/AC:L/Au:N/C:P/I:N/A:N",
    ],
    ids=["wrong-version", "missing-metrics", "bad-value", "cvss-v2-vector"],
)
def test_malformed_vectors(vector: str) -> None:
    with pytest.raises(ValueError):
        base_score_v3(vector)


def _rec(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "X-1", "modified": "2024-01-01T00:00:00Z"}
    base.update(fields)
    return base


def _aff(ranges: Any) -> list[dict[str, Any]]:
    return [{"package": {"ecosystem": "PyPI", "name": "demo"}, "ranges": ranges}]


BAD = [
    ({"modified": "2024"}, "id: is required", "id-required"),
    (_rec(affected={"a": 1}), "affected: must be a list", "affected-list"),
    (_rec(affected=[{"package": {"name": "x"}}]), "affected[0].package.ecosystem: is required", "ecosystem-required"),
    (_rec(affected=_aff([{"type": "RANGE", "events": [{"introduced": "0"}]}])), "unknown range type 'RANGE'", "range-type"),
    (_rec(affected=_aff([{"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}])),
     "affected[0].ranges[0].events[0]: an event has exactly one", "event-two-kinds"),
    (_rec(affected=_aff([{"type": "ECOSYSTEM", "events": [{"fixed": "1"}]}])), "must contain an introduced", "no-introduced"),
    (_rec(affected=_aff([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1"}, {"last_affected": "2"}]}])),
     "fixed and last_affected must not both appear", "fixed-and-last-affected"),
    (_rec(affected=_aff([{"type": "GIT", "events": [{"introduced": "0"}]}])), "repo: is required", "git-needs-repo"),
    (_rec(aliases=[["x"]]), "aliases[0]: must be a string", "alias-type"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "message"), [pytest.param(d, m, id=i) for d, m, i in BAD])
def test_malformed_records_name_the_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")) as err:
        parse_record(data, file="rec.json")
    assert str(err.value).startswith("rec.json ")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [("a.json", b"{not json", "not valid JSON"), ("a.yaml", b"id: [unclosed", "not valid YAML"),
     ("a.yaml", b"\xff\xfe", "not valid YAML")],
    ids=["json-syntax", "yaml-syntax", "not-utf8"],
)  # fmt: skip
def test_undecodable_files(name: str, data: bytes, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_record(data, name)


def test_yaml_record_with_timestamps(shared: Any) -> None:
    path = shared / "vectors/osv/pypa-advisory-database/requests/PYSEC-2014-13.yaml"
    rec = load_record(path.read_bytes(), str(path))
    assert rec.id == "PYSEC-2014-13" and rec.modified
    assert rec.affected[0].ranges[0].type is RangeType.ECOSYSTEM
    assert "0.12.01" in rec.affected[0].versions


def test_cvss_v4_is_scored_and_a_bad_vector_falls_back_to_the_label() -> None:
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    got = assess(parse_record(_rec(severity=[{"type": "CVSS_V4", "score": v4}], database_specific={"severity": "LOW"})))
    assert (got.severity, got.score, got.source) == (Severity.CRITICAL, 9.3, "cvss_v4")
    bad = parse_record(
        _rec(severity=[{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N"}], database_specific={"severity": "HIGH"})
    )
    got = assess(bad)
    assert (got.severity, got.score, got.source, got.vector) == (
        Severity.HIGH,
        None,
        "database_specific",
        "CVSS:4.0/AV:N",
    )
    assert assess(parse_record(_rec())).severity is Severity.UNKNOWN


CVSS4 = [
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "FIRST calculator default vector"),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
        8.7,
        "network DoS, as GitHub advisories score it",
    ),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0, "no impact on any system: 0"),
]


@pytest.mark.parametrize(("vector", "score"), [pytest.param(v, s, id=why) for v, s, why in CVSS4])
def test_cvss_v4_base_scores(vector: str, score: float) -> None:
    assert base_score_v4(vector) == score


@pytest.mark.parametrize(
    "bad", ["CVSS:3.1/AV:N", "CVSS:4.0/AV:N", "CVSS:4.0/AV:Q/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"]
)
def test_malformed_v4_vectors(bad: str) -> None:
    with pytest.raises(ValueError):
        base_score_v4(bad)


@pytest.mark.parametrize("version", ["3.0", "3.1"])
def test_v3_scores_agree_with_an_independent_calculator_on_every_vector(version: str) -> None:
    # Oracle: RedHat's `cvss` package over all 2,592 base-metric combinations.
    from cvss import CVSS3  # type: ignore[import-untyped]

    values = {"AV": "NALP", "AC": "LH", "PR": "NLH", "UI": "NR", "S": "UC", "C": "HLN", "I": "HLN", "A": "HLN"}
    names = list(values)
    mismatches = []
    for combo in itertools.product(*values.values()):
        vector = f"CVSS:{version}/" + "/".join(f"{n}:{v}" for n, v in zip(names, combo, strict=True))
        if base_score_v3(vector) != float(CVSS3(vector).base_score):
            mismatches.append(vector)
    assert mismatches == []


def test_cvss_v2_is_the_last_scored_resort() -> None:
    # trivy alpine-310 golden: AV:N/AC:L/Au:N/C:P/I:N/A:N scores 5.0 (cvssv2_score)
    rec = parse_record(_rec(severity=[{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:P/I:N/A:N"}]))
    got = assess(rec)
    assert (got.severity, got.score, got.source) == (Severity.MEDIUM, 5.0, "cvss_v2")
    labelled = parse_record(
        _rec(
            severity=[{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:C/I:C/A:C"}], database_specific={"severity": "LOW"}
        )
    )
    assert assess(labelled).severity is Severity.LOW  # the record's own label outranks a v2 score
    assert base_score_v2("AV:N/AC:L/Au:N/C:C/I:C/A:C") == 10.0 and rating_v2(10.0) is Severity.HIGH
    with pytest.raises(ValueError):
        base_score_v2("AV:Q")
