"""Matrix fan-out, table-style, after ``pkg/apis/pipeline/v1/matrix_types.go`` ``FanOut`` and its tests
(``matrix_types_test.go``): first param varies fastest; include entries merge into every combination that
contains them, else are appended; include alone gives exactly its entries; an empty array skips the task."""

from __future__ import annotations

import pytest

from shipyard.pipelines.matrix import Combination, fan_out, has_empty_array
from shipyard.pipelines.substitution import Value

GO = ("GOARCH", ["linux/amd64", "linux/ppc64le", "linux/s390x"])
VER = ("version", ["go1.17", "go1.18.1"])


@pytest.mark.parametrize(
    ("params", "include", "want"),
    [
        pytest.param(
            [("platform", ["linux", "mac"]), ("browser", ["safari", "chrome"])],
            [],
            [
                {"platform": "linux", "browser": "safari"},
                {"platform": "mac", "browser": "safari"},
                {"platform": "linux", "browser": "chrome"},
                {"platform": "mac", "browser": "chrome"},
            ],
            id="first-param-fastest",
        ),
        pytest.param(
            # examples/v1/pipelineruns/beta/pipelinerun-with-matrix-include.yaml: 6 + "I-do-not-exist" = 7.
            [GO, VER],
            [
                {"package": "path/to/common/package/"},
                {"GOARCH": "linux/s390x", "flags": "-cover -v"},
                {"version": "go1.17", "context": "path/to/go117/context"},
                {"GOARCH": "I-do-not-exist"},
            ],
            [
                {
                    "GOARCH": "linux/amd64",
                    "version": "go1.17",
                    "package": "path/to/common/package/",
                    "context": "path/to/go117/context",
                },
                {
                    "GOARCH": "linux/ppc64le",
                    "version": "go1.17",
                    "package": "path/to/common/package/",
                    "context": "path/to/go117/context",
                },
                {
                    "GOARCH": "linux/s390x",
                    "version": "go1.17",
                    "package": "path/to/common/package/",
                    "flags": "-cover -v",
                    "context": "path/to/go117/context",
                },
                {"GOARCH": "linux/amd64", "version": "go1.18.1", "package": "path/to/common/package/"},
                {"GOARCH": "linux/ppc64le", "version": "go1.18.1", "package": "path/to/common/package/"},
                {
                    "GOARCH": "linux/s390x",
                    "version": "go1.18.1",
                    "package": "path/to/common/package/",
                    "flags": "-cover -v",
                },
                {"GOARCH": "I-do-not-exist"},
            ],
            id="include-merge-and-append",
        ),
        pytest.param(
            # matrix_types.go shouldAddNewCombination: {amd64, go1.99} shares GOARCH=linux/amd64 with a combination,
            # so it is not appended, and contains() fails everywhere, so it is merged nowhere: it is dropped.
            # {I-do-not-exist, go1.99} shares nothing and is appended; a second identical entry then shares with
            # the one appended before it and is not appended again.
            [("GOARCH", ["linux/amd64"]), ("version", ["go1.17"])],
            [
                {"GOARCH": "linux/amd64", "version": "go1.99"},
                {"GOARCH": "I-do-not-exist", "version": "go1.99"},
                {"GOARCH": "I-do-not-exist", "version": "go1.99"},
            ],
            [
                {"GOARCH": "linux/amd64", "version": "go1.17"},
                {"GOARCH": "I-do-not-exist", "version": "go1.99"},
            ],
            id="include-partly-matching-is-dropped-shouldAddNewCombination",
        ),
        pytest.param(
            [],
            [
                {"IMAGE": "image-1", "DOCKERFILE": "path/to/Dockerfile1"},
                {"IMAGE": "image-2", "DOCKERFILE": "path/to/Dockerfile2"},
            ],
            [
                {"IMAGE": "image-1", "DOCKERFILE": "path/to/Dockerfile1"},
                {"IMAGE": "image-2", "DOCKERFILE": "path/to/Dockerfile2"},
            ],
            id="include-only",
        ),
    ],
)
def test_fan_out(params: list[tuple[str, Value]], include: list[Combination], want: list[Combination]) -> None:
    assert fan_out(params, include) == want


def test_empty_array_skips() -> None:
    assert has_empty_array([("version", [])])
    assert not has_empty_array([("version", ["1"])])
