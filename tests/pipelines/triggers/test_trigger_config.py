"""Loading an EventListener and what it refers to; lint of the Triggers kinds."""

from __future__ import annotations

import hashlib
import hmac
import json
import textwrap
from pathlib import Path

import pytest

from shipyard.errors import SpecError, SpecErrors, UnsupportedError
from shipyard.pipelines.triggers.config import load_listener
from shipyard.pipelines.triggers.headers import canonical
from shipyard.pipelines.triggers.listener import Event, process_trigger
from shipyard.resources.kinds import lint
from shipyard.resources.loader import loads
from shipyard.resources.validate import Issues

LISTENER = textwrap.dedent(
    """\
    apiVersion: triggers.tekton.dev/v1beta1
    kind: EventListener
    metadata:
      name: listener
    spec:
      triggers:
        - name: push
          interceptors:
            - ref:
                name: github
              params:
                - name: secretRef
                  value: {secretName: gh, secretKey: token}
                - name: eventTypes
                  value: [push]
            - ref:
                name: cel
              params:
                - name: overlays
                  value:
                    - key: short_sha
                      expression: body.after.truncate(7)
          bindings:
            - ref: push-binding
            - name: event
              value: $(context.eventID)
          template:
            ref: push-template
    ---
    apiVersion: triggers.tekton.dev/v1beta1
    kind: TriggerBinding
    metadata:
      name: push-binding
    spec:
      params:
        - name: revision
          value: $(body.after)
        - name: short
          value: $(extensions.short_sha)
    ---
    apiVersion: triggers.tekton.dev/v1beta1
    kind: TriggerTemplate
    metadata:
      name: push-template
    spec:
      params:
        - name: revision
        - name: short
        - name: event
        - name: branch
          default: main
      resourcetemplates:
        - apiVersion: tekton.dev/v1
          kind: PipelineRun
          metadata:
            generateName: build-$(tt.params.short)-
          spec:
            pipelineRef:
              name: build
            params:
              - {name: revision, value: $(tt.params.revision)}
              - {name: branch, value: $(tt.params.branch)}
              - {name: event, value: $(tt.params.event)}
    ---
    apiVersion: v1
    kind: Secret
    metadata:
      name: gh
    data:
      token: czNjcmV0
    """
)


def test_end_to_end_resolution() -> None:
    cfg = load_listener(loads(LISTENER, "el.yaml"), default_uid="uid-1")
    assert (cfg.name, cfg.namespace, cfg.uid) == ("listener", "default", "uid-1")
    body = json.dumps({"after": "0123456789abcdef"}).encode()
    sig = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    header = canonical([("X-GitHub-Event", "push"), ("X-Hub-Signature-256", sig)])
    out = process_trigger(
        cfg, cfg.triggers[0], Event(body, header, "http://h/", "ev-1"), uid="u", name_suffix=lambda: "xyz12"
    )
    assert out.accepted, out.message
    (run,) = out.resources
    assert run["metadata"]["name"] == "build-0123456-xyz12"
    assert run["spec"]["params"] == [
        {"name": "revision", "value": "0123456789abcdef"},
        {"name": "branch", "value": "main"},
        {"name": "event", "value": "ev-1"},
    ]


def test_every_broken_reference_is_reported_at_once() -> None:
    text = (
        LISTENER.replace("ref: push-binding", "ref: push-bindng")
        .replace("ref: push-template", "ref: push-templat")
        .replace("name: cel\n", "name: cell\n")
    )
    with pytest.raises(SpecErrors) as err:
        load_listener(loads(text, "el.yaml"), default_uid="u")
    messages = [str(i) for i in err.value.issues]
    assert len(messages) == 3, messages
    assert any(
        'TriggerBinding "push-bindng" not found in the given files (did you mean "push-binding"?)' in m
        for m in messages
    )
    assert any('TriggerTemplate "push-templat" not found' in m for m in messages)
    assert any(
        'el.yaml:17 spec.triggers[0].interceptors[1].ref.name: unknown interceptor "cell"' in m for m in messages
    )


def test_unknown_fields_are_errors_with_lines() -> None:
    text = LISTENER.replace("      bindings:\n", "      bindngs:\n")
    with pytest.raises(SpecErrors) as err:
        load_listener(loads(text, "el.yaml"), default_uid="u")
    assert [str(i) for i in err.value.issues] == [
        'el.yaml:23 spec.triggers[0].bindngs: unknown field "bindngs" (did you mean "bindings"?)'
    ]


def test_unsupported_fields_are_named() -> None:
    text = LISTENER.replace("spec:\n  triggers:", "spec:\n  namespaceSelector: {matchNames: [a]}\n  triggers:", 1)
    with pytest.raises(UnsupportedError, match=r"spec\.namespaceSelector"):
        load_listener(loads(text, "el.yaml"), default_uid="u")


def test_exactly_one_listener_is_needed() -> None:
    with pytest.raises(SpecError, match="exactly one EventListener"):
        load_listener(loads(LISTENER.split("---")[1], "b.yaml"), default_uid="u")


def test_payload_validation_annotation() -> None:
    text = LISTENER.replace(
        "  name: listener\n", '  name: listener\n  annotations:\n    tekton.dev/payload-validation: "false"\n', 1
    )
    assert load_listener(loads(text, "el.yaml"), default_uid="u").payload_validation is False


LINT_BAD = textwrap.dedent(
    """\
    apiVersion: triggers.tekton.dev/v1beta1
    kind: TriggerTemplate
    metadata:
      name: t
    spec:
      params:
        - name: a
        - name: a
      resourcetemplates:
        - kind: PipelineRun
          spec:
            x: $(tt.params.b)
    ---
    apiVersion: triggers.tekton.dev/v1beta1
    kind: EventListener
    metadata:
      name: el
    spec:
      triggers:
        - name: t
          bindings:
            - ref: b
              name: x
              value: y
          template:
            ref: t
            spec: {}
          interceptors:
            - params: []
    """
)


def test_lint_reports_semantic_errors_with_lines(tmp_path: Path) -> None:
    problems: list[str] = []
    for doc in loads(LINT_BAD, "bad.yaml"):
        issues = Issues(doc)
        lint(doc, issues)
        problems.extend(str(i) for i in issues.items)
    assert problems == [
        'bad.yaml:8 spec.params[1].name: duplicate param name "a"',
        "bad.yaml:10 spec.resourcetemplates[0].apiVersion: required field is missing",
        'bad.yaml:10 spec.resourcetemplates[0]: undeclared param "$(tt.params.b)"',
        "bad.yaml:25 spec.triggers[0].template: expected exactly one of ref or spec",
        "bad.yaml:22 spec.triggers[0].bindings[0]: expected exactly one of ref or name/value",
        "bad.yaml:29 spec.triggers[0].interceptors[0]: expected exactly one of ref or webhook, got neither",
    ]


REFS = textwrap.dedent(
    """\
    apiVersion: triggers.tekton.dev/v1beta1
    kind: EventListener
    metadata:
      name: el
      namespace: team
    spec:
      triggers:
        - triggerRef: shared-trigger
    ---
    apiVersion: triggers.tekton.dev/v1beta1
    kind: Trigger
    metadata:
      name: shared-trigger
    spec:
      interceptors:
        - cel:
            filter: "header.match('X-Kind', 'go')"
      bindings:
        - ref: common
          kind: ClusterTriggerBinding
      template:
        spec:
          params:
            - name: who
          resourcetemplates:
            - apiVersion: tekton.dev/v1
              kind: TaskRun
              metadata:
                name: hello-$(uid)
              spec:
                taskRef: {name: hello}
                params:
                  - {name: who, value: $(tt.params.who)}
    ---
    apiVersion: triggers.tekton.dev/v1beta1
    kind: ClusterTriggerBinding
    metadata:
      name: common
    spec:
      params:
        - name: who
          value: $(body.user.name)
    """
)


def test_trigger_ref_cluster_binding_inline_template_and_legacy_interceptor() -> None:
    cfg = load_listener(loads(REFS, "refs.yaml"), default_uid="u")
    (trigger,) = cfg.triggers
    assert (trigger.name, [i.name for i in trigger.interceptors]) == ("shared-trigger", ["cel"])
    body = b'{"user": {"name": "ada"}}'
    go = process_trigger(cfg, trigger, Event(body, canonical([("X-Kind", "go")]), "", "e"), uid="U1", name_suffix=str)
    assert go.accepted, go.message
    (tr,) = go.resources
    assert tr["metadata"]["name"] == "hello-U1"
    assert tr["metadata"]["namespace"] == "team"
    assert tr["spec"]["params"] == [{"name": "who", "value": "ada"}]
    no = process_trigger(cfg, trigger, Event(body, {}, "", "e2"), uid="U2", name_suffix=str)
    assert (no.accepted, no.message) == (False, "expression header.match('X-Kind', 'go') did not return true")


def test_docs_example_resolves_and_accepts_the_documented_curl(shared: Path) -> None:
    docs_md = (Path(__file__).resolve().parents[3] / "docs" / "triggers.md").read_text()
    yaml_text = docs_md.split("`listener.yaml`:\n\n```yaml\n", 1)[1].split("```", 1)[0]
    cfg = load_listener(loads(yaml_text, "listener.yaml"), default_uid="u")
    body_line = next(line for line in docs_md.splitlines() if line.startswith("BODY='"))
    body = body_line[len("BODY='") : -1].encode()
    sig = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    header = canonical([("Content-Type", "application/json"), ("X-GitHub-Event", "push"), ("X-Hub-Signature-256", sig)])
    out = process_trigger(cfg, cfg.triggers[0], Event(body, header, "", "e"), uid="u", name_suffix=lambda: "abcde")
    assert out.accepted, out.message
    assert out.resources[0]["metadata"]["name"] == "build-9f1c2d3-abcde"
