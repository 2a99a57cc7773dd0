"""JSON6902 as kustomize applies it (evanphx/json-patch with SupportNegativeIndices), each case checked against
``kubectl kustomize`` v5.8 by hand: replace adds a missing key of an existing mapping, negative indices count from
the end (for add, from the position after the last element), leading zeros parse as numbers."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.errors import SpecError
from shipyard.gitops.kustomize.patch import apply_json6902

DOC = {"data": {"a": "1"}, "l": [1, 2]}


@pytest.mark.parametrize(
    ("op", "want"),
    [
        ({"op": "replace", "path": "/data/missing", "value": "2"}, {"data": {"a": "1", "missing": "2"}, "l": [1, 2]}),
        ({"op": "replace", "path": "/l/-1", "value": 9}, {"data": {"a": "1"}, "l": [1, 9]}),
        ({"op": "replace", "path": "/l/-2", "value": 9}, {"data": {"a": "1"}, "l": [9, 2]}),
        ({"op": "remove", "path": "/l/-1"}, {"data": {"a": "1"}, "l": [1]}),
        ({"op": "add", "path": "/l/-1", "value": 9}, {"data": {"a": "1"}, "l": [1, 2, 9]}),
        ({"op": "add", "path": "/l/-3", "value": 9}, {"data": {"a": "1"}, "l": [9, 1, 2]}),
        ({"op": "add", "path": "/l/01", "value": 9}, {"data": {"a": "1"}, "l": [1, 9, 2]}),
        ({"op": "add", "path": "/l/-", "value": 9}, {"data": {"a": "1"}, "l": [1, 2, 9]}),
    ],
    ids=["replace-missing-map-key-adds", "replace-negative-last", "replace-negative-first", "remove-negative",
         "add-negative-appends", "add-negative-front", "add-leading-zero", "add-dash-appends"],
)  # fmt: skip
def test_json6902_like_kustomize(op: dict[str, Any], want: dict[str, Any]) -> None:
    assert apply_json6902(DOC, [op]) == want


@pytest.mark.parametrize(
    "op",
    [
        {"op": "replace", "path": "/l/2", "value": 9},
        {"op": "replace", "path": "/spec/x", "value": 1},
        {"op": "add", "path": "/l/-4", "value": 9},
        {"op": "remove", "path": "/data/missing"},
        {"op": "add", "path": "/spec/x/y", "value": 1},
        {"op": "test", "path": "/data/a", "value": "2"},
    ],
    ids=["replace-index-past-end", "replace-missing-parent", "add-negative-too-far", "remove-missing",
         "add-missing-parent", "test-fails"],
)  # fmt: skip
def test_json6902_errors_like_kustomize(op: dict[str, Any]) -> None:
    with pytest.raises(SpecError):
        apply_json6902(DOC, [op])
