"""TriggerTemplate instantiation, from tektoncd/triggers ``pkg/template/event_test.go`` ``TestResolveResources``
and ``pkg/resources/create.go`` (labels, namespace)."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.pipelines.triggers.templates import (
    LABEL_EVENT_ID,
    LABEL_EVENTLISTENER,
    LABEL_TRIGGER,
    TemplateError,
    finalize,
    render,
)

UID = "31313131-3131-4131-b131-313131313131"


def rt(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun", **fields}


CASES = [
    (
        "replace single values in templates",
        [rt(rt1="$(tt.params.p1)-$(tt.params.p2)"), rt(rt2="$(tt.params.p1)-$(tt.params.p2)")],
        {"p1": "val1", "p2": "42"},
        False,
        [rt(rt1="val1-42"), rt(rt2="val1-42")],
    ),
    (
        "replace JSON string in templates (old escape)",
        [rt(rt1="$(tt.params.p1)")],
        {"p1": '{"a": "b"}'},
        True,
        [rt(rt1='{"a": "b"}')],
    ),
    (
        "JSON-escaped binding values decode back (no escaping by default)",
        [rt(rt1="$(tt.params.p1)")],
        {"p1": '{\\"a\\": \\"v\\\\r\\\\n烈\\"}'},
        False,
        [rt(rt1='{"a": "v\\r\\n烈"}')],
    ),
    ("$(uid) gets replaced with a string", [rt(rt1="$(uid)")], {}, False, [rt(rt1=UID)]),
    (
        "uid replacement is consistent across multiple templates",
        [rt(rt1="$(uid)"), rt(rt2="$(uid)")],
        {},
        False,
        [rt(rt1=UID), rt(rt2=UID)],
    ),
    (
        "unknown params are left as they are",
        [rt(x="$(tt.params.nope)")],
        {"p": "v"},
        False,
        [rt(x="$(tt.params.nope)")],
    ),
]


@pytest.mark.parametrize(("templates", "params", "old", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resolve_resources(
    templates: list[dict[str, Any]], params: dict[str, str], old: bool, want: list[dict[str, Any]]
) -> None:
    assert render(templates, params, uid=UID, old_escape=old) == want


def test_unescaped_quote_breaks_the_resource() -> None:
    # A raw `"` in a value is inserted verbatim (docs/triggertemplates.md: JSON values must not be quoted).
    with pytest.raises(TemplateError, match="couldn't unmarshal json"):
        render([rt(x="$(tt.params.p)")], {"p": 'a"b'}, uid=UID)


def test_finalize_labels_namespace_and_generate_name() -> None:
    res = finalize(
        rt(metadata={"generateName": "build-", "labels": {"app": "x"}}),
        listener="el",
        namespace="ns",
        trigger="push",
        event_id="e1",
        name_suffix=lambda: "abcde",
    )
    assert res["metadata"] == {
        "generateName": "build-",
        "name": "build-abcde",
        "namespace": "ns",
        "labels": {"app": "x", LABEL_EVENTLISTENER: "el", LABEL_TRIGGER: "push", LABEL_EVENT_ID: "e1"},
    }
    assert LABEL_EVENT_ID == "triggers.tekton.dev/triggers-eventid"


def test_finalize_keeps_explicit_name_and_namespace() -> None:
    res = finalize(
        rt(metadata={"name": "fixed", "namespace": "other"}),
        listener="el",
        namespace="ns",
        trigger="t",
        event_id="e",
        name_suffix=lambda: "zzzzz",
    )
    assert (res["metadata"]["name"], res["metadata"]["namespace"]) == ("fixed", "other")


def test_finalize_needs_a_name() -> None:
    with pytest.raises(TemplateError, match=r"neither metadata\.name nor metadata\.generateName"):
        finalize(rt(), listener="el", namespace="ns", trigger="t", event_id="e", name_suffix=lambda: "x")
