"""``KubernetesCluster``: the ``Cluster`` protocol over a real API server with the official client.

Thin on purpose: REST paths are built from a kind table (unknown kinds: lower-case plural, namespaced), writes
use server-side apply (``application/apply-patch+yaml``, field manager ``shipyard``, ``force=true``), deletes
cascade with ``propagationPolicy=Foreground``, ``changes`` is one watch request per kind. HTTP errors become
shipyard errors: 404 → NotFoundError (``get`` → None), 409 → ConflictError, 422 → SpecError, else ExecutionError.
"""

from __future__ import annotations

import builtins
import contextlib
import json
from typing import Any

from kubernetes.client import ApiClient, Configuration

from shipyard.cluster.base import EventType, Obj, WatchEvent, ident, normalize_kind_key
from shipyard.errors import ConflictError, ExecutionError, NotFoundError, SpecError, UnsupportedError
from shipyard.resources.labels import Selector, normalize_selector

# kind key → (apiVersion, plural, namespaced)
KINDS: dict[str, tuple[str, str, bool]] = {
    "Namespace": ("v1", "namespaces", False), "ConfigMap": ("v1", "configmaps", True),
    "Secret": ("v1", "secrets", True), "Service": ("v1", "services", True), "Pod": ("v1", "pods", True),
    "ServiceAccount": ("v1", "serviceaccounts", True),
    "PersistentVolumeClaim": ("v1", "persistentvolumeclaims", True),
    "apps/Deployment": ("apps/v1", "deployments", True), "apps/ReplicaSet": ("apps/v1", "replicasets", True),
    "apps/StatefulSet": ("apps/v1", "statefulsets", True), "apps/DaemonSet": ("apps/v1", "daemonsets", True),
    "batch/Job": ("batch/v1", "jobs", True), "batch/CronJob": ("batch/v1", "cronjobs", True),
    "networking.k8s.io/Ingress": ("networking.k8s.io/v1", "ingresses", True),
    "argoproj.io/Rollout": ("argoproj.io/v1alpha1", "rollouts", True),
    "argoproj.io/AnalysisRun": ("argoproj.io/v1alpha1", "analysisruns", True),
    "argoproj.io/AnalysisTemplate": ("argoproj.io/v1alpha1", "analysistemplates", True),
    "rbac.authorization.k8s.io/ClusterRole": ("rbac.authorization.k8s.io/v1", "clusterroles", False),
    "rbac.authorization.k8s.io/ClusterRoleBinding": ("rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
}  # fmt: skip
FIELD_MANAGER = "shipyard"


def _selector_string(selector: Selector) -> str:
    sel = normalize_selector(selector)
    if sel is None:
        return ""
    parts = [f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()]
    for e in sel.get("matchExpressions") or []:
        op, key, vals = e["operator"], e["key"], ",".join(e.get("values") or [])
        parts.append({"In": f"{key} in ({vals})", "NotIn": f"{key} notin ({vals})", "Exists": key}.get(op, f"!{key}"))
    return ",".join(parts)


class KubernetesCluster:
    def __init__(self, api: ApiClient | None = None, *, host: str | None = None) -> None:
        if api is None:
            cfg = Configuration()
            if host:
                cfg.host = host
            api = ApiClient(cfg)
        self.api = api

    def _kind(self, kind_key: str, api_version: str | None = None) -> tuple[str, str, bool]:
        key = normalize_kind_key(kind_key)
        if key in KINDS:
            return KINDS[key]
        if api_version is None:
            raise UnsupportedError(f"kind {key!r} is not in KubernetesCluster's table; apply an object of it first")
        kind = key.rsplit("/", 1)[-1]
        return api_version, kind.lower() + "s", True

    def _path(self, kind_key: str, ns: str, name: str = "", api_version: str | None = None, sub: str = "") -> str:
        version, plural, namespaced = self._kind(kind_key, api_version)
        base = f"/api/{version}" if "/" not in version else f"/apis/{version}"
        if namespaced and ns:
            base += f"/namespaces/{ns}"
        path = f"{base}/{plural}" + (f"/{name}" if name else "")
        return path + (f"/{sub}" if sub else "")

    def _call(self, method: str, path: str, *, query: list[tuple[str, str]] | None = None, body: Any = None,
              content_type: str = "application/json") -> Any:  # fmt: skip
        headers = {"Accept": "application/json", "Content-Type": content_type}
        m, url, hdrs, payload, _ = self.api.param_serialize(
            method, path, query_params=query or [], header_params=headers, body=body, auth_settings=["BearerToken"]
        )
        try:
            resp = self.api.call_api(m, url, hdrs, payload)
            raw = resp.read()  # type: ignore[no-untyped-call]
        except Exception as exc:  # urllib3/socket errors must not cross the adapter
            raise ExecutionError(f"Kubernetes API {method} {path} failed: {exc}") from exc
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw or "")
        if resp.status >= 400:
            msg = text
            with contextlib.suppress(ValueError):
                msg = json.loads(text).get("message", text)
            err = {404: NotFoundError, 409: ConflictError, 422: SpecError}.get(resp.status, ExecutionError)
            raise err(f"Kubernetes API {method} {path}: {resp.status} {msg}")
        return json.loads(text) if text.strip() else None

    def get(self, kind_key: str, namespace: str, name: str) -> Obj | None:
        try:
            out: Obj = self._call("GET", self._path(kind_key, namespace, name))
            return out
        except NotFoundError:
            return None

    def list(self, kind_key: str, namespace: str | None = None, label_selector: Selector = None) -> list[Obj]:
        sel = _selector_string(label_selector)
        data = self._call("GET", self._path(kind_key, namespace or ""), query=[("labelSelector", sel)] if sel else [])
        version, _, _ = self._kind(kind_key)
        items: list[Obj] = []
        for it in data.get("items") or []:
            it.setdefault("apiVersion", version)
            it.setdefault("kind", normalize_kind_key(kind_key).rsplit("/", 1)[-1])
            items.append(it)
        return sorted(items, key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"]))

    def create(self, obj: Obj) -> Obj:
        key, ns, _ = ident(obj)
        out: Obj = self._call("POST", self._path(key, ns, api_version=obj["apiVersion"]), body=obj)
        return out

    def update(self, obj: Obj) -> Obj:
        key, ns, name = ident(obj)
        out: Obj = self._call("PUT", self._path(key, ns, name, api_version=obj["apiVersion"]), body=obj)
        return out

    def apply(self, obj: Obj) -> Obj:
        key, ns, name = ident(obj)
        body = {k: v for k, v in obj.items() if k != "status"}
        out: Obj = self._call(
            "PATCH", self._path(key, ns, name, api_version=obj["apiVersion"]),
            query=[("fieldManager", FIELD_MANAGER), ("force", "true")], body=json.dumps(body),
            content_type="application/apply-patch+yaml",
        )  # fmt: skip
        return out

    def update_status(self, obj: Obj) -> Obj:
        key, ns, name = ident(obj)
        out: Obj = self._call("PUT", self._path(key, ns, name, api_version=obj["apiVersion"], sub="status"), body=obj)
        return out

    def delete(self, kind_key: str, namespace: str, name: str) -> None:
        self._call("DELETE", self._path(kind_key, namespace, name), query=[("propagationPolicy", "Foreground")])

    def changes(self, since: int = 0, kind_key: str | None = None) -> builtins.list[WatchEvent]:
        if kind_key is None:
            raise UnsupportedError("KubernetesCluster.changes needs a kind_key (the API server watches one resource)")
        path = self._path(kind_key, "")
        query = [("watch", "true"), ("resourceVersion", str(since)), ("timeoutSeconds", "1")]
        headers = {"Accept": "application/json"}
        m, url, hdrs, _, _ = self.api.param_serialize("GET", path, query_params=query, header_params=headers)
        try:
            raw = self.api.call_api(m, url, hdrs).read()  # type: ignore[no-untyped-call]
        except Exception as exc:
            raise ExecutionError(f"Kubernetes API watch {path} failed: {exc}") from exc
        events: builtins.list[WatchEvent] = []
        for line in (raw or b"").decode().splitlines():
            if not line.strip():
                continue
            ev = json.loads(line)
            if ev.get("type") not in ("ADDED", "MODIFIED", "DELETED"):
                continue
            o = ev["object"]
            k, ns, name = ident(o)
            events.append(WatchEvent(EventType(ev["type"]), int(o["metadata"]["resourceVersion"]), k, ns, name, o))
        return events

    def resource_version(self) -> int:
        data = self._call("GET", "/api/v1/namespaces", query=[("limit", "1")])
        return int(data["metadata"]["resourceVersion"])
