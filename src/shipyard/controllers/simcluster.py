"""The simulated parts of a cluster for the what-if simulator and the benchmark: a kubelet that makes pods
ready ``podReadySeconds`` after they are created (reported through ReplicaSet status), and the Services,
Ingresses and VirtualServices a Rollout refers to when the files do not bring them."""

from __future__ import annotations

import copy
from typing import Any

from shipyard.clock import Clock
from shipyard.cluster.base import Cluster, Obj
from shipyard.errors import FieldIssue, SpecError, SpecErrors
from shipyard.resources.loader import Document, format_path
from shipyard.resources.rollouts import Rollout
from shipyard.resources.validate import Issues


class Kubelet:
    """Pods per ReplicaSet as ready-times; scale-down removes not-ready pods first, then the newest."""

    def __init__(self, cluster: Cluster, clock: Clock, ready_seconds: float) -> None:
        self.cluster = cluster
        self.clock = clock
        self.ready_seconds = ready_seconds
        self.pods: dict[str, list[float]] = {}

    def sync(self) -> bool:
        now = self.clock.now()
        wrote = False
        for rs in self.cluster.list("apps/ReplicaSet"):
            uid = rs["metadata"]["uid"]
            if uid not in self.pods:
                # a kubelet that restarts finds the pods the ReplicaSet status reports as available
                seen = int((rs.get("status") or {}).get("availableReplicas", 0))
                self.pods[uid] = [now] * seen
            pods = self.pods[uid]
            restart = (rs["metadata"].get("annotations") or {}).get("rollout.argoproj.io/restart-at")
            observed = (rs.get("status") or {}).get("observedRestartAt")
            if restart and restart != observed:
                # replace every pod at once; the new ones become ready after ready_seconds
                pods[:] = [now + self.ready_seconds for _ in pods]
            want = int((rs.get("spec") or {}).get("replicas", 0))
            while len(pods) < want:
                pods.append(now + self.ready_seconds)
            if len(pods) > want:
                pods.sort(key=lambda t: (t <= now, -t))  # unready first, then the newest ready ones
                del pods[: len(pods) - want]
            ready = sum(1 for t in pods if t <= now)
            status = {
                "replicas": len(pods),
                "readyReplicas": ready,
                "availableReplicas": ready,
                "observedGeneration": rs["metadata"].get("generation", 1),
            }
            if restart:
                status["observedRestartAt"] = restart
            if (rs.get("status") or {}) != status:
                self.cluster.update_status({**rs, "status": status})
                wrote = True
        return wrote

    def next_wake(self) -> float | None:
        now = self.clock.now()
        future = [t for pods in self.pods.values() for t in pods if t > now]
        return min(future) if future else None


def _service(name: str, ns: str, selector: dict[str, str]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": dict(selector), "ports": [{"port": 80, "targetPort": 8080}]},
    }


def scaffold(cluster: Cluster, docs: list[Document]) -> Obj:
    """Create every document, plus the Services/Ingress/VirtualService the Rollout names but the files lack.

    Every document of a kind ``shipyard lint`` knows is checked first, all problems reported together (an
    AnalysisTemplate with a bad interval, an unknown provider key or a condition that does not parse used to
    surface only as a crash or as Error measurements minutes into the simulated rollout)."""
    from shipyard.resources.kinds import validator_for

    problems = Issues()
    for doc in docs:
        if not isinstance(doc.data, dict) or not doc.kind:
            continue
        validator = validator_for(doc)
        if validator is not None:
            issues = Issues(doc)
            validator(doc, issues)
            problems.extend(issues.items)
    problems.raise_if_any()
    rollout_doc = None
    for doc in docs:
        if not isinstance(doc.data, dict) or not doc.kind:
            continue
        if doc.kind == "Rollout":
            rollout_doc = doc
            continue
        obj = copy.deepcopy(doc.data)
        if doc.kind == "ClusterAnalysisTemplate":
            obj.setdefault("metadata", {})["namespace"] = ""
        cluster.apply(obj)
    if rollout_doc is None:
        raise SpecError("no Rollout in the files")
    ro = Rollout.model_validate(rollout_doc.data)
    ns = ro.metadata.namespace or ""
    labels: dict[str, Any] = (ro.spec.selector or {}).get("matchLabels") or {}
    c, bg = ro.spec.strategy.canary, ro.spec.strategy.blue_green
    names = [
        n
        for n in ((c.canary_service, c.stable_service) if c else (bg.active_service, bg.preview_service) if bg else ())
        if n
    ]
    for n in names:
        if cluster.get("Service", ns, n) is None:
            cluster.create(_service(n, ns, labels))
    tr = c.traffic_routing if c else None
    if tr is not None and tr.nginx is not None:
        for ing in tr.nginx.ingresses():
            if cluster.get("networking.k8s.io/Ingress", ns, ing) is None:
                cluster.create(
                    {
                        "apiVersion": "networking.k8s.io/v1",
                        "kind": "Ingress",
                        "metadata": {"name": ing, "namespace": ns},
                        "spec": {
                            "ingressClassName": "nginx",
                            "rules": [
                                {
                                    "http": {
                                        "paths": [
                                            {
                                                "path": "/",
                                                "pathType": "Prefix",
                                                "backend": {
                                                    "service": {
                                                        "name": c.stable_service if c else "",
                                                        "port": {"number": 80},
                                                    }
                                                },
                                            }
                                        ]
                                    }
                                }
                            ],
                        },
                    }
                )
    if tr is not None and tr.istio is not None and c is not None:
        for vs in tr.istio.all_virtual_services():
            if cluster.get("networking.istio.io/VirtualService", ns, vs.name) is None:
                route_name = vs.routes[0] if vs.routes else "primary"
                cluster.create(
                    {
                        "apiVersion": "networking.istio.io/v1beta1",
                        "kind": "VirtualService",
                        "metadata": {"name": vs.name, "namespace": ns},
                        "spec": {
                            "hosts": [vs.name],
                            "http": [
                                {
                                    "name": route_name,
                                    "route": [
                                        {"destination": {"host": c.stable_service}, "weight": 100},
                                        {"destination": {"host": c.canary_service}, "weight": 0},
                                    ],
                                }
                            ],
                        },
                    }
                )
    return cluster.create(copy.deepcopy(rollout_doc.data))


def check_templates(rollout: Document, docs: list[Document]) -> None:
    """Every AnalysisTemplate the Rollout names must be in the files: a forgotten ``-f`` is an input error here,
    not an AnalysisRun in Error that aborts the simulated rollout."""
    have = {(d.kind, d.name) for d in docs}
    spec = rollout.data.get("spec") if isinstance(rollout.data, dict) else None
    strategy = (spec or {}).get("strategy") or {}
    canary, bg = strategy.get("canary") or {}, strategy.get("blueGreen") or {}
    refs: list[tuple[tuple[str | int, ...], Any]] = []
    for i, step in enumerate(canary.get("steps") or []):
        if isinstance(step, dict) and isinstance(step.get("analysis"), dict):
            refs.append((("spec", "strategy", "canary", "steps", i, "analysis"), step["analysis"]))
    block: Any
    path: tuple[str | int, ...]
    for path, block in (
        (("spec", "strategy", "canary", "analysis"), canary.get("analysis")),
        (("spec", "strategy", "blueGreen", "prePromotionAnalysis"), bg.get("prePromotionAnalysis")),
        (("spec", "strategy", "blueGreen", "postPromotionAnalysis"), bg.get("postPromotionAnalysis")),
    ):
        if isinstance(block, dict):
            refs.append((path, block))
    missing = []
    for path, block in refs:
        for j, ref in enumerate(block.get("templates") or []):
            kind = "ClusterAnalysisTemplate" if ref.get("clusterScope") else "AnalysisTemplate"
            if (kind, ref.get("templateName")) not in have:
                where = (*path, "templates", j, "templateName")
                msg = f'{kind} "{ref.get("templateName")}" is not in the files (add it with -f)'
                missing.append(FieldIssue(msg, file=rollout.file, line=rollout.line_of(where), path=format_path(where)))
    if missing:
        raise SpecErrors(missing)
