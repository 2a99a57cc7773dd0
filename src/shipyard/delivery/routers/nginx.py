"""NGINX canary Ingress (``AR:rollout/trafficrouting/nginx/nginx.go``, ``AR:utils/ingress/ingress.go``).

The canary Ingress ``<rollout>-<stableIngress>-canary`` is cloned from the stable one: ingress class, TLS, and
only the rules whose backend is the stable service, pointed at the canary service; annotations
``additionalIngressAnnotations`` (prefixed), ``canaryIngressAnnotations`` (verbatim), then ``canary: "true"``,
``canary-weight``, and ``canary-weight-total`` when maxTrafficWeight is set. Foreign annotations already on the
canary Ingress are kept (Argo merge-patches).
"""

from __future__ import annotations

import copy
from typing import Any

from shipyard.delivery.model import Traffic
from shipyard.delivery.routers.base import Lookup, Obj, owner_ref
from shipyard.errors import NotFoundError, SpecError
from shipyard.resources.rollouts import Rollout

CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def canary_ingress_name(rollout: str, stable_ingress: str) -> str:
    return f"{rollout}-{stable_ingress}-canary"[:253]


def _rules_for(rules: list[dict[str, Any]], stable: str, canary: str) -> list[dict[str, Any]]:
    out = []
    for rule in rules:
        paths = (rule.get("http") or {}).get("paths") or []
        if not any(
            ((p.get("backend") or {}).get("service") or {}).get("name") == stable
            or (p.get("backend") or {}).get("serviceName") == stable
            for p in paths
        ):
            continue
        r = copy.deepcopy(rule)
        for p in (r.get("http") or {}).get("paths") or []:
            backend = p.get("backend") or {}
            svc = backend.get("service")
            if isinstance(svc, dict) and svc.get("name") == stable:
                svc["name"] = canary
            if backend.get("serviceName") == stable:
                backend["serviceName"] = canary
        out.append(r)
    return out


def build_canary_ingress(ro: Rollout, stable_ingress: Obj, weight: int, existing: Obj | None = None) -> Obj:
    c = ro.spec.strategy.canary
    assert c is not None and c.traffic_routing is not None and c.traffic_routing.nginx is not None
    nginx = c.traffic_routing.nginx
    stable_name = stable_ingress["metadata"]["name"]
    spec = stable_ingress.get("spec") or {}
    rules = _rules_for(spec.get("rules") or [], c.stable_service or "", c.canary_service or "")
    if not rules:
        raise SpecError(f"ingress `{stable_name}` has no rules using service {c.stable_service} backend")
    prefix = nginx.annotation_prefix
    annotations: dict[str, str] = dict(((existing or {}).get("metadata") or {}).get("annotations") or {})
    stable_ann = (stable_ingress.get("metadata") or {}).get("annotations") or {}
    if CLASS_ANNOTATION in stable_ann:
        annotations[CLASS_ANNOTATION] = stable_ann[CLASS_ANNOTATION]
    for key, value in nginx.additional_ingress_annotations.items():
        # a key already carrying the prefix is taken as written (nginx.go: !strings.HasPrefix(k, annotationPrefix))
        annotations[key if key.startswith(prefix) else f"{prefix}/{key}"] = value
    annotations.update(nginx.canary_ingress_annotations)
    annotations[f"{prefix}/canary"] = "true"
    annotations[f"{prefix}/canary-weight"] = str(weight)
    tr = c.traffic_routing
    if tr.max_traffic_weight:
        annotations[f"{prefix}/canary-weight-total"] = str(tr.max_traffic_weight)
    new_spec: dict[str, Any] = {"rules": rules}
    if spec.get("ingressClassName"):
        new_spec["ingressClassName"] = spec["ingressClassName"]
    if spec.get("tls"):
        new_spec["tls"] = copy.deepcopy(spec["tls"])
    return {
        "apiVersion": stable_ingress.get("apiVersion", "networking.k8s.io/v1"),
        "kind": "Ingress",
        "metadata": {
            "name": canary_ingress_name(ro.metadata.name or "", stable_name),
            "namespace": ro.metadata.namespace or (stable_ingress.get("metadata") or {}).get("namespace") or "",
            "annotations": annotations,
            "ownerReferences": [owner_ref(ro)],
        },
        "spec": new_spec,
    }


class NginxRouter:
    def desired(self, ro: Rollout, traffic: Traffic, lookup: Lookup) -> list[Obj]:
        c = ro.spec.strategy.canary
        assert c is not None and c.traffic_routing is not None and c.traffic_routing.nginx is not None
        ns = ro.metadata.namespace or ""
        out = []
        for name in c.traffic_routing.nginx.ingresses():
            stable = lookup("networking.k8s.io/Ingress", ns, name)
            if stable is None:
                raise NotFoundError(f'ingress "{name}" not found (trafficRouting.nginx.stableIngress)')
            existing = lookup("networking.k8s.io/Ingress", ns, canary_ingress_name(ro.metadata.name or "", name))
            out.append(build_canary_ingress(ro, stable, traffic.canary_weight, existing))
        return out
