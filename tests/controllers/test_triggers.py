"""The EventListener sink over real HTTP on 127.0.0.1 (tektoncd/triggers ``pkg/sink/sink.go`` contract).

Acceptance (issue 2): a correctly signed push creates a PipelineRun; a wrong signature, a missing one and a wrong
event type create nothing. Status codes are upstream's: 202 for every event regardless of what the interceptors
decide, 400 for a body that is not JSON, 413 for a body over the limit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from shipyard.controllers.pipelines import PipelineService
from shipyard.controllers.triggers import EventListenerSink, payload_problem
from shipyard.controllers.triggers_engine import EngineSubmitter, engine_listener
from shipyard.controllers.triggers_http import ListenerServer
from shipyard.errors import UnsupportedError
from shipyard.pipelines.triggers.config import load_listener
from shipyard.resources.loader import Document, loads
from shipyard.testing.triggers import RecordingSubmitter, github_signature

SECRET = b"t0p-s3cret-value"
MAX_BODY = 64 * 1024

RESOURCES = f"""\
apiVersion: triggers.tekton.dev/v1beta1
kind: EventListener
metadata:
  name: github-listener
  namespace: ci
spec:
  triggers:
    - name: github-push
      interceptors:
        - ref: {{name: github}}
          params:
            - name: secretRef
              value: {{secretName: github-webhook, secretKey: token}}
            - name: eventTypes
              value: [push]
      bindings:
        - ref: push-binding
      template:
        ref: build-template
---
apiVersion: triggers.tekton.dev/v1beta1
kind: TriggerBinding
metadata:
  name: push-binding
spec:
  params:
    - name: revision
      value: $(body.after)
    - name: repo-url
      value: $(body.repository.clone_url)
    - name: event-type
      value: $(header.x-github-event)
---
apiVersion: triggers.tekton.dev/v1beta1
kind: TriggerTemplate
metadata:
  name: build-template
spec:
  params:
    - name: revision
    - name: repo-url
    - name: event-type
  resourcetemplates:
    - apiVersion: tekton.dev/v1
      kind: PipelineRun
      metadata:
        generateName: build-
      spec:
        pipelineRef:
          name: build
        params:
          - name: revision
            value: $(tt.params.revision)
          - name: repo-url
            value: $(tt.params.repo-url)
          - name: event
            value: $(tt.params.event-type)
---
apiVersion: v1
kind: Secret
metadata:
  name: github-webhook
stringData:
  token: {SECRET.decode()}
"""

PUSH = json.dumps(
    {
        "ref": "refs/heads/main",
        "after": "9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6",
        "repository": {"clone_url": "https://example.com/acme/service.git"},
    }
).encode()


@dataclass
class Listener:
    server: ListenerServer
    sink: EventListenerSink
    submitter: RecordingSubmitter
    client: httpx.Client

    def post(self, body: bytes, headers: dict[str, str], path: str = "/") -> httpx.Response:
        return self.client.post(self.server.url + path, content=body, headers=headers)

    def created_for(self, response: httpx.Response) -> list[dict[str, object]]:
        assert response.status_code == 202, response.text
        self.sink.drain()
        return self.submitter.for_event(response.json()["eventID"])

    def report_for(self, response: httpx.Response) -> str:
        event_id = response.json()["eventID"]
        self.sink.drain()
        (report,) = [r for r in self.sink.reports if r.event_id == event_id]
        return report.outcomes[0].message


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    config = load_listener(loads(RESOURCES, "listener.yaml"), default_uid="el-uid-1")
    submitter = RecordingSubmitter()
    sink = EventListenerSink(config, submitter, max_body_bytes=MAX_BODY)
    with ListenerServer(sink, port=0) as server, httpx.Client(timeout=30) as client:
        yield Listener(server, sink, submitter, client)


def signed(body: bytes = PUSH, event: str = "push", secret: bytes = SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-Hub-Signature-256": github_signature(secret, body),
    }


@pytest.mark.integration
def test_signed_push_creates_a_pipelinerun(listener: Listener) -> None:
    resp = listener.post(PUSH, signed())
    assert resp.status_code == 202
    reply = resp.json()
    assert set(reply) == {"eventListener", "namespace", "eventListenerUID", "eventID"}
    assert (reply["eventListener"], reply["namespace"], reply["eventListenerUID"]) == (
        "github-listener",
        "ci",
        "el-uid-1",
    )
    (run,) = listener.created_for(resp)
    meta = run["metadata"]
    assert isinstance(meta, dict)
    assert meta["name"].startswith("build-") and len(meta["name"]) == len("build-") + 5
    assert meta["namespace"] == "ci"
    assert meta["labels"] == {
        "triggers.tekton.dev/eventlistener": "github-listener",
        "triggers.tekton.dev/trigger": "github-push",
        "triggers.tekton.dev/triggers-eventid": reply["eventID"],
    }
    assert run["spec"] == {
        "pipelineRef": {"name": "build"},
        "params": [
            {"name": "revision", "value": "9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6"},
            {"name": "repo-url", "value": "https://example.com/acme/service.git"},
            {"name": "event", "value": "push"},
        ],
    }


REJECTED = [
    ("wrong signature", signed(secret=b"not-the-secret"), "payload signature check failed"),
    ("missing signature", {"X-GitHub-Event": "push"}, "no X-Hub-Signature-256 header set"),
    ("wrong event type", signed(event="pull_request"), "event type pull_request is not allowed"),
    (
        "forged short signature",
        {**signed(), "X-Hub-Signature-256": "sha256=deadbeef"},
        "payload signature check failed",
    ),
    (
        "forged long signature",
        {**signed(), "X-Hub-Signature-256": signed()["X-Hub-Signature-256"] + "ab"},
        "payload signature check failed",
    ),
    ("signature of another body", signed(body=b"{}"), "payload signature check failed"),
    (
        "form-encoded body",
        {**signed(), "Content-Type": "application/x-www-form-urlencoded"},
        "form parameter encoding not supported",
    ),
]


@pytest.mark.integration
@pytest.mark.parametrize(("headers", "reason"), [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_rejected_events_create_nothing_and_are_logged(
    listener: Listener, headers: dict[str, str], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="shipyard.triggers")
    resp = listener.post(PUSH, headers)
    assert resp.status_code == 202  # upstream answers before the interceptors run
    assert listener.created_for(resp) == []
    assert listener.report_for(resp).startswith(reason)
    logged = [r.getMessage() for r in caplog.records if resp.json()["eventID"] in r.getMessage()]
    assert any(reason in m and "rejected by interceptor github" in m for m in logged), logged
    assert not any(SECRET.decode() in m for m in caplog.messages)


@pytest.mark.integration
def test_non_json_body_is_400(listener: Listener) -> None:
    resp = listener.post(b"this is not json", signed(body=b"this is not json"))
    assert resp.status_code == 400
    body = resp.json()
    assert set(body) == {"eventListener", "namespace", "eventListenerUID", "errorMessage"}
    assert (body["eventListener"], body["namespace"], body["eventListenerUID"]) == ("github-listener", "ci", "")
    assert body["errorMessage"].startswith("Invalid event body format : ")
    assert resp.text.endswith("}\n")  # json.NewEncoder(w).Encode


# validate_payload.go: json.Unmarshal of the body into map[string]interface{}.
PAYLOADS = [
    ("object", b'{"a": 1}', None),
    ("null unmarshals into a nil map", b"null", None),
    ("empty body", b"", "unexpected end of JSON input"),
    ("whitespace only", b"  \n", "unexpected end of JSON input"),
    ("array", b"[1, 2]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
    ("string", b'"x"', "json: cannot unmarshal string into Go value of type map[string]interface {}"),
    ("number", b"42", "json: cannot unmarshal number into Go value of type map[string]interface {}"),
    ("bad first character", b"<xml/>", "invalid character '<' looking for beginning of value"),
    ("truncated object", b'{"a": ', "Expecting value"),
]


@pytest.mark.parametrize(("body", "want"), [p[1:] for p in PAYLOADS], ids=[p[0] for p in PAYLOADS])
def test_payload_validation(body: bytes, want: str | None) -> None:
    got = payload_problem(body)
    assert got == want if want is None else (got or "").startswith(want)


@pytest.mark.integration
def test_body_over_the_limit_is_413(listener: Listener) -> None:
    huge = json.dumps({"pad": "x" * (MAX_BODY + 10)}).encode()
    resp = listener.post(huge, signed(body=huge))
    assert resp.status_code == 413
    assert "larger than the limit" in resp.json()["errorMessage"]


@pytest.mark.integration
def test_live_and_any_path_or_method(listener: Listener) -> None:
    live = listener.client.get(listener.server.url + "/live")
    assert (live.status_code, live.text) == (200, "ok")
    resp = listener.client.put(listener.server.url + "/some/other/path?x=1", content=PUSH, headers=signed())
    assert len(listener.created_for(resp)) == 1


@pytest.mark.integration
def test_chunked_body_is_read(listener: Listener) -> None:
    def chunks() -> Iterator[bytes]:
        yield PUSH[:10]
        yield PUSH[10:]

    resp = listener.client.post(listener.server.url + "/", content=chunks(), headers=signed())
    assert len(listener.created_for(resp)) == 1


@pytest.mark.integration
def test_metrics_endpoint(listener: Listener) -> None:
    listener.created_for(listener.post(PUSH, signed()))
    text = listener.client.get(listener.server.url + "/metrics").text
    assert 'eventlistener_event_received_total{status="succeeded"}' in text
    assert 'eventlistener_triggered_resources_total{kind="PipelineRun"}' in text
    assert "eventlistener_http_duration_seconds_bucket" in text


@pytest.mark.integration
def test_signed_push_runs_the_pipelinerun_with_the_engine(tmp_path: Path) -> None:
    """Acceptance (issue 2): with the real engine, a signed push creates a PipelineRun that runs to Succeeded."""
    docs = loads(RESOURCES + PIPELINE, "listener.yaml")
    registry = CollectorRegistry()
    service = PipelineService(tmp_path / "home", registry=registry, parallel=2)
    listener = engine_listener(docs, service, registry=registry, port=0)
    sink = listener.sink
    try:
        with listener as server, httpx.Client(timeout=30) as client:
            bad = client.post(server.url, content=PUSH, headers=signed(secret=b"wrong"))
            good = client.post(server.url, content=PUSH, headers=signed())
            sink.drain()
            reports = {r.event_id: r for r in sink.reports}
            assert reports[bad.json()["eventID"]].created == ()
            (created,) = reports[good.json()["eventID"]].created
            run = service.wait(created.submitted)
            assert run["status"]["conditions"][0]["reason"] == "Succeeded", run["status"]
            assert run["spec"]["params"][0]["value"] == "9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6"
            assert [r["metadata"]["name"] for r in service.list()] == [created.name]
            metrics = client.get(server.url + "/metrics").text
            assert 'tekton_pipelines_controller_pipelinerun_total{status="success"} 1.0' in metrics
    finally:
        service.close()


PIPELINE = """\
---
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: build
spec:
  params:
    - name: revision
    - name: repo-url
    - name: event
  tasks:
    - name: checkout
      params:
        - {name: revision, value: $(params.revision)}
      taskSpec:
        params:
          - name: revision
        results:
          - name: short
        steps:
          - name: short-sha
            image: busybox
            script: |
              printf '%s' "$(params.revision)" | cut -c1-7 > $(results.short.path)
"""


def test_engine_submitter_takes_runs_only_and_passes_the_run_resources() -> None:
    seen: list[tuple[dict[str, object], list[str]]] = []

    class Service:
        def submit(self, run: dict[str, object], resources: list[Document]) -> str:
            seen.append((run, [str(d.kind) for d in resources]))
            return "r1"

    docs = loads(RESOURCES + PIPELINE, "listener.yaml")
    sub = EngineSubmitter(Service(), docs)
    assert sub.submit({"apiVersion": "tekton.dev/v1", "kind": "PipelineRun", "metadata": {"name": "x"}}) == "r1"
    assert seen[0][1] == ["Secret", "Pipeline"]  # the listener's own kinds are not the engine's
    with pytest.raises(UnsupportedError, match="not v1 ConfigMap"):
        sub.submit({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
