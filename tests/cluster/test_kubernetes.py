"""KubernetesCluster against recorded API exchanges: a tiny HTTP server on 127.0.0.1 replays what a kube-apiserver
answered, and records what the client sent (paths, server-side apply headers and query, bodies)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shipyard.cluster.base import EventType
from shipyard.cluster.kubernetes import KubernetesCluster
from shipyard.errors import ConflictError, SpecError

DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment",
          "metadata": {"name": "web", "namespace": "shop", "uid": "u1", "resourceVersion": "41", "generation": 2},
          "spec": {"replicas": 2}}  # fmt: skip

# (method, path with query) -> (status, body); recorded from a kind cluster's apiserver responses, trimmed.
RECORDED: dict[tuple[str, str], tuple[int, Any]] = {
    ("GET", "/apis/apps/v1/namespaces/shop/deployments/web"): (200, DEPLOY),
    ("GET", "/apis/apps/v1/namespaces/shop/deployments/gone"): (
        404, {"kind": "Status", "status": "Failure", "message": 'deployments.apps "gone" not found', "code": 404}),
    ("GET", "/apis/apps/v1/namespaces/shop/deployments?labelSelector=app%3Dweb%2Ctier%20in%20%28fe%29"): (
        200, {"kind": "DeploymentList", "apiVersion": "apps/v1", "metadata": {"resourceVersion": "50"},
              "items": [{k: v for k, v in DEPLOY.items() if k not in ("apiVersion", "kind")}]}),
    ("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web?fieldManager=shipyard&force=true"): (
        200, {**DEPLOY, "metadata": {**DEPLOY["metadata"], "resourceVersion": "42", "generation": 3}}),
    ("PUT", "/apis/apps/v1/namespaces/shop/deployments/web"): (
        409, {"kind": "Status", "message": "Operation cannot be fulfilled on deployments.apps \"web\": the object has "
              "been modified; please apply your changes to the latest version and try again", "code": 409}),
    ("PUT", "/apis/apps/v1/namespaces/shop/deployments/web/status"): (200, {**DEPLOY, "status": {"replicas": 2}}),
    ("POST", "/api/v1/namespaces/shop/configmaps"): (
        422, {"kind": "Status", "message": 'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value', "code": 422}),
    ("DELETE", "/apis/apps/v1/namespaces/shop/deployments/web?propagationPolicy=Foreground"): (200, {"kind": "Status"}),
    ("GET", "/api/v1/namespaces?limit=1"): (200, {"kind": "NamespaceList", "metadata": {"resourceVersion": "77"}, "items": []}),
    ("GET", "/apis/apps/v1/deployments?watch=true&resourceVersion=40&timeoutSeconds=1"): (
        200, "\n".join(json.dumps(e) for e in [{"type": "MODIFIED", "object": DEPLOY}, {"type": "BOOKMARK", "object": {}}])),
}  # fmt: skip


class Recorder:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Recorder]]:
    rec = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            rec.requests.append(
                {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
            )
            status, payload = RECORDED.get((self.command, self.path), (599, {"message": f"unrecorded {self.path}"}))
            data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", rec
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.integration
def test_kubernetes_cluster_against_recorded_api(server: tuple[str, Recorder]) -> None:
    url, rec = server
    k = KubernetesCluster(host=url)
    assert k.get("apps/Deployment", "shop", "web") == DEPLOY
    assert k.get("apps/Deployment", "shop", "gone") is None
    listed = k.list("apps/Deployment", "shop", {"matchLabels": {"app": "web"},
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe"]}]})  # fmt: skip
    assert listed[0]["kind"] == "Deployment" and listed[0]["apiVersion"] == "apps/v1"
    applied = k.apply({**DEPLOY, "spec": {"replicas": 3}, "status": {"ignored": True}})
    assert applied["metadata"]["generation"] == 3
    patch = rec.requests[-1]
    assert patch["headers"]["Content-Type"] == "application/apply-patch+yaml"
    assert json.loads(patch["body"])["spec"] == {"replicas": 3} and "status" not in json.loads(patch["body"])
    with pytest.raises(ConflictError, match="modified"):
        k.update(DEPLOY)
    assert k.update_status({**DEPLOY, "status": {"replicas": 2}})["status"] == {"replicas": 2}
    with pytest.raises(SpecError, match="Invalid value"):
        k.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name", "namespace": "shop"}})
    k.delete("apps/Deployment", "shop", "web")
    assert rec.requests[-1]["path"].endswith("propagationPolicy=Foreground")
    assert k.resource_version() == 77
    events = k.changes(40, "apps/Deployment")
    assert [(e.type, e.name, e.resource_version) for e in events] == [(EventType.MODIFIED, "web", 41)]
