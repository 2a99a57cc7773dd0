"""The Flagger controller: runs one ``delivery.flagger.tick`` per ``analysis.interval`` for every Canary in the
Cluster and applies its plan — ``<target>-primary`` Deployment and the apex/primary/canary Services on
initialisation, the NGINX canary Ingress ``<ingressRef>-canary`` weights, canary scale up/down, promotion
(target pod spec copied into the primary) and the Canary status with its ``Promoted`` condition."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from shipyard.clock import Clock, rfc3339
from shipyard.cluster.base import Cluster, Obj
from shipyard.delivery.flagger.checks import CheckResult, Hook, Query, run_hooks, run_metric
from shipyard.delivery.flagger.tick import Observed, TickPlan, tick
from shipyard.delivery.model import safe_encode
from shipyard.resources.durations import parse_duration
from shipyard.resources.flagger import Canary
from shipyard.resources.timefmt import parse_time

CANARY = "flagger.app/Canary"
DEPLOY = "apps/Deployment"
INGRESS = "networking.k8s.io/Ingress"
PROMOTED = {"Initialized": "True", "Succeeded": "True", "Failed": "False"}


def spec_hash(template: dict[str, Any]) -> str:
    import hashlib

    return safe_encode(hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10])


def _ready(dep: Obj | None) -> bool:
    if dep is None:
        return False
    want = int((dep.get("spec") or {}).get("replicas", 1))
    return int((dep.get("status") or {}).get("availableReplicas", 0)) >= want


def ab_annotations(match: list[dict[str, Any]]) -> dict[str, str]:
    """A/B routing on NGINX: the first header (exact → by-header-value, regex → by-header-pattern) or cookie."""
    p = "nginx.ingress.kubernetes.io"
    for m in match:
        for header, rule in (m.get("headers") or {}).items():
            if header.lower() == "cookie" and "regex" in rule:
                return {f"{p}/canary-by-cookie": str(rule["regex"])}
            out = {f"{p}/canary-by-header": header}
            if "exact" in rule:
                out[f"{p}/canary-by-header-value"] = str(rule["exact"])
            elif "regex" in rule:
                out[f"{p}/canary-by-header-pattern"] = str(rule["regex"])
            return out
    return {}


@dataclass
class FlaggerController:
    cluster: Cluster
    clock: Clock
    query: Query
    hook: Hook
    events: list[tuple[float, str, str]] = field(default_factory=list)
    _next: dict[tuple[str, str], float] = field(default_factory=dict)

    def reconcile(self, ns: str, name: str) -> bool:
        obj = self.cluster.get(CANARY, ns, name)
        if obj is None:
            return False
        now = self.clock.now()
        if now < self._next.get((ns, name), 0):
            return False
        c = Canary.model_validate({**obj, "status": None})
        self._next[(ns, name)] = now + parse_duration(c.spec.analysis.interval or "60s")
        target = self.cluster.get(DEPLOY, ns, c.spec.target_ref.name)
        if target is None:
            self._event(now, name, f"{c.spec.target_ref.name}.{ns} not found")
            return False
        template = (target.get("spec") or {}).get("template") or {}
        since = (obj.get("status") or {}).get("lastTransitionTime")
        stuck = since is not None and now - parse_time(str(since)) > c.spec.progress_deadline_seconds
        seen = Observed(
            spec_hash(template),
            canary_ready=_ready(target) or int(target["spec"].get("replicas", 1)) == 0,
            primary_ready=_ready(self.cluster.get(DEPLOY, ns, f"{c.spec.target_ref.name}-primary")),
            deadline_passed=stuck,
        )
        templates = {
            t["metadata"]["name"]: (t["spec"]["query"], (t["spec"].get("provider") or {}).get("address"))
            for t in self.cluster.list("flagger.app/MetricTemplate")
        }

        def checks() -> CheckResult:
            hooks = run_hooks(c, "rollout", "Progressing", self.hook)
            if not hooks.ok:
                return hooks
            for m in c.spec.analysis.metrics:
                r = run_metric(c, m, self.query, templates)
                if not r.ok:
                    return r
            return CheckResult(True, "")

        phase = (obj.get("status") or {}).get("phase", "")
        plan = tick(c, obj.get("status"), seen, checks=checks, gate=lambda kind: run_hooks(c, kind, phase, self.hook))
        self._apply(c, obj, target, plan, now)
        return True

    def _apply(self, c: Canary, obj: Obj, target: Obj, plan: TickPlan, now: float) -> None:
        ns, tname = c.metadata.namespace or "", c.spec.target_ref.name
        primary_name = f"{tname}-primary"
        if plan.initialize:
            self._initialize(c, target)
        if plan.scale_canary is not None:
            target = copy.deepcopy(self.cluster.get(DEPLOY, ns, tname) or target)
            primary = self.cluster.get(DEPLOY, ns, primary_name) or {}
            want = int((primary.get("spec") or {}).get("replicas", 1)) if plan.scale_canary == "up" else 0
            if int(target["spec"].get("replicas", 1)) != want:
                target["spec"]["replicas"] = want
                self.cluster.update(target)
        if plan.promote:
            current = self.cluster.get(DEPLOY, ns, primary_name)
            if current is not None:
                primary = copy.deepcopy(current)
                tpl = copy.deepcopy(target["spec"]["template"])
                tpl.setdefault("metadata", {}).setdefault("labels", {})["app"] = primary_name
                primary["spec"]["template"] = tpl
                self.cluster.update(primary)
        if plan.canary_weight is not None and c.spec.ingress_ref is not None:
            self._route(c, plan.canary_weight)
        st = plan.status
        if st.get("phase") != (obj.get("status") or {}).get("phase"):
            st["lastTransitionTime"] = rfc3339(now)
        st["conditions"] = [
            {
                "type": "Promoted",
                "status": PROMOTED.get(st.get("phase", ""), "Unknown"),
                "reason": st.get("phase", ""),
                "message": plan.events[-1] if plan.events else "",
            }
        ]
        fresh = self.cluster.get(CANARY, ns, c.metadata.name or "")
        if fresh is not None and st != fresh.get("status"):
            self.cluster.update_status({**fresh, "status": st})
        for text in plan.events:
            self._event(now, c.metadata.name or "", text)

    def _initialize(self, c: Canary, target: Obj) -> None:
        ns, tname = c.metadata.namespace or "", c.spec.target_ref.name
        primary = copy.deepcopy(target)
        primary["metadata"] = {"name": f"{tname}-primary", "namespace": ns, "labels": {"app": f"{tname}-primary"}}
        primary["spec"]["selector"] = {"matchLabels": {"app": f"{tname}-primary"}}
        primary["spec"]["template"].setdefault("metadata", {}).setdefault("labels", {})["app"] = f"{tname}-primary"
        primary.pop("status", None)
        self.cluster.apply(primary)
        svc = str(c.spec.service.get("name") or tname)
        port = int(c.spec.service.get("port", 80))
        target_port = c.spec.service.get("targetPort", port)
        for name, app in ((svc, f"{tname}-primary"), (f"{svc}-primary", f"{tname}-primary"), (f"{svc}-canary", tname)):
            self.cluster.apply(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {
                        "selector": {"app": app},
                        "ports": [{"name": "http", "port": port, "targetPort": target_port}],
                    },
                }
            )

    def _route(self, c: Canary, weight: int) -> None:
        assert c.spec.ingress_ref is not None
        ns = c.metadata.namespace or ""
        src = self.cluster.get(INGRESS, ns, c.spec.ingress_ref.name)
        if src is None:
            return
        svc = str(c.spec.service.get("name") or c.spec.target_ref.name)
        ing = copy.deepcopy(src)
        annotations = {**(src["metadata"].get("annotations") or {}), "nginx.ingress.kubernetes.io/canary": "true"}
        if c.spec.analysis.match and weight > 0:
            annotations.update(ab_annotations(c.spec.analysis.match))  # FL:pkg/router/ingress.go makeHeaderAnnotations
        else:
            annotations["nginx.ingress.kubernetes.io/canary-weight"] = str(weight)
        ing["metadata"] = {"name": f"{c.spec.ingress_ref.name}-canary", "namespace": ns, "annotations": annotations}
        for rule in (ing.get("spec") or {}).get("rules") or []:
            for p in (rule.get("http") or {}).get("paths") or []:
                s = (p.get("backend") or {}).get("service") or {}
                if s.get("name") == svc:
                    s["name"] = f"{svc}-canary"
        ing.pop("status", None)
        self.cluster.apply(ing)

    def _event(self, now: float, name: str, text: str) -> None:
        self.events.append((now, name, text))

    def sync_all(self) -> None:
        for obj in self.cluster.list(CANARY):
            self.reconcile(obj["metadata"].get("namespace") or "", obj["metadata"]["name"])

    def next_wake(self) -> float | None:
        return min(self._next.values()) if self._next else None
