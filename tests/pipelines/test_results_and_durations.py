"""Results as Tekton reads them (docs/tasks.md "Emitting results": verbatim; arrays/objects as JSON; the 4096-byte
termination message) and Go durations (``time.ParseDuration``, ``Duration.String()`` as in timeout messages)."""

from __future__ import annotations

import pytest

from shipyard.pipelines.results import parse_results
from shipyard.resources.durations import format_duration, parse_duration
from shipyard.resources.tekton import ResultSpec


@pytest.mark.parametrize(
    ("spec", "raw", "value"),
    [
        (ResultSpec(name="r"), b"1001\n", "1001\n"),
        (ResultSpec(name="r"), b"  spaced  ", "  spaced  "),
        (ResultSpec(name="r", type="array"), b'["a", ""]', ["a", ""]),
        (ResultSpec(name="r", type="array"), b"[]", []),
        (ResultSpec(name="r", type="object", properties={"foo": {}}), b'{"foo":"bar"}', {"foo": "bar"}),
    ],
    ids=["trailing-newline-kept", "whitespace-kept", "array", "empty-array", "object"],
)
def test_results_are_read_verbatim_and_typed(spec: ResultSpec, raw: bytes, value: object) -> None:
    values, entries, problem = parse_results([spec], {"r": raw})
    assert problem is None
    assert values == {"r": value}
    assert entries == [{"name": "r", "type": spec.type, "value": value}]


@pytest.mark.parametrize(
    ("spec", "raw", "reason"),
    [
        (ResultSpec(name="r", type="array"), b"not json", "InvalidTaskResultReference"),
        (ResultSpec(name="r", type="object", properties={"foo": {}}), b'{"other":"x"}', "InvalidTaskResultReference"),
        (ResultSpec(name="r"), b"x" * 5000, "TaskRunResultLargerThanAllowedLimit"),
    ],
    ids=["array-not-json", "object-undeclared-key", "over-4096-bytes"],
)
def test_bad_results_fail_the_taskrun(spec: ResultSpec, raw: bytes, reason: str) -> None:
    _, _, problem = parse_results([spec], {"r": raw})
    assert problem is not None and problem.reason == reason


def test_3000_byte_result_fits() -> None:
    """examples/v1/pipelineruns/4808-regression.yaml: a 3000-byte result is under the limit."""
    values, _, problem = parse_results([ResultSpec(name="r")], {"r": b"." * 3000})
    assert problem is None and values["r"] == "." * 3000


@pytest.mark.parametrize(
    ("text", "seconds", "go"),
    [
        ("1h", 3600, "1h0m0s"),
        ("60m", 3600, "1h0m0s"),
        ("1h30m", 5400, "1h30m0s"),
        ("90s", 90, "1m30s"),
        ("10s", 10, "10s"),
        ("500ms", 0.5, "500ms"),
        ("0", 0, "0s"),
    ],
)
def test_go_durations(text: str, seconds: float, go: str) -> None:
    assert parse_duration(text) == seconds
    assert format_duration(seconds) == go


@pytest.mark.parametrize("text", ["10 minutes", "1x", "", "h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="time: "):
        parse_duration(text)
