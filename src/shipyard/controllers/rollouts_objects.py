"""How Rollout-owned objects look in the Cluster: ReplicaSets named ``<rollout>-<pod-hash>`` and labelled with
``rollouts-pod-template-hash``, the revision annotation, owner references, and the planner's views of them."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from shipyard.clock import rfc3339
from shipyard.cluster.base import Obj
from shipyard.delivery.model import POD_HASH_LABEL, REVISION_ANNOTATION, ReplicaSetView, RunView
from shipyard.resources.rollouts import Rollout


def index_by_owner(rss: list[Obj], runs: list[Obj]) -> dict[str, tuple[list[Obj], list[Obj]]]:
    out: dict[str, tuple[list[Obj], list[Obj]]] = {}
    for which, objs in ((0, rss), (1, runs)):
        for o in objs:
            for ref in (o.get("metadata") or {}).get("ownerReferences") or []:
                if ref.get("kind") == "Rollout" and ref.get("uid"):
                    out.setdefault(str(ref["uid"]), ([], []))[which].append(o)
    return out


def owned_by(child: Obj, owner: Obj) -> bool:
    uid = owner["metadata"].get("uid")
    return any(ref.get("uid") == uid for ref in (child.get("metadata") or {}).get("ownerReferences") or [])


def annotate(obj: Obj, changes: Mapping[str, str | None]) -> bool:
    ann = obj.setdefault("metadata", {}).setdefault("annotations", {})
    before = dict(ann)
    for k, v in changes.items():
        if v is None:
            ann.pop(k, None)
        else:
            ann[k] = v
    return bool(before != ann)


def rs_view(r: Obj) -> ReplicaSetView:
    m = r["metadata"]
    st = r.get("status") or {}
    return ReplicaSetView(
        name=m["name"],
        pod_hash=(m.get("labels") or {}).get(POD_HASH_LABEL, ""),
        revision=int((m.get("annotations") or {}).get(REVISION_ANNOTATION, "0")),
        replicas=int((r.get("spec") or {}).get("replicas", 0)),
        available=int(st.get("availableReplicas", 0)),
        ready=int(st.get("readyReplicas", 0)),
        annotations=dict(m.get("annotations") or {}),
        template=(r.get("spec") or {}).get("template") or {},
        observed_restart=str(st.get("observedRestartAt") or ""),
    )


def run_view(r: Obj) -> RunView:
    m = r["metadata"]
    labels = m.get("labels") or {}
    st = r.get("status") or {}
    idx = labels.get("step-index")
    return RunView(
        name=m["name"],
        pod_hash=labels.get(POD_HASH_LABEL, ""),
        run_type=labels.get("rollout-type", ""),
        step_index=int(idx) if idx is not None else None,
        phase=st.get("phase", "Pending"),
        message=st.get("message", ""),
        terminated=bool((r.get("spec") or {}).get("terminate")),
        created=str(m.get("creationTimestamp") or ""),
    )


def rs_object(ro: Rollout, owner: Obj, rs: ReplicaSetView) -> Obj:
    template = copy.deepcopy(rs.template)
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels[POD_HASH_LABEL] = rs.pod_hash
    template.setdefault("metadata", {})["labels"] = labels
    selector = copy.deepcopy(ro.spec.selector or {"matchLabels": {}})
    selector.setdefault("matchLabels", {})[POD_HASH_LABEL] = rs.pod_hash
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": rs.name,
            "namespace": ro.metadata.namespace or "",
            "labels": labels,
            "annotations": {REVISION_ANNOTATION: str(rs.revision)},
            "ownerReferences": [
                {
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "Rollout",
                    "name": ro.metadata.name,
                    "uid": owner["metadata"].get("uid"),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {"replicas": rs.replicas, "selector": selector, "template": template},
    }


MANAGED_BY = "argo-rollouts.argoproj.io/managed-by-rollouts"


def switch_selector(svc: Obj, pod_hash: str, rollout: str) -> str | None:
    """``switchServiceSelector`` (AR:rollout/service.go) on a copy: point the selector at ``pod_hash`` and add the
    managed-by annotation (naming the Rollout) when missing; the previous hash ("" if none), None if unchanged."""
    selector = dict((svc.get("spec") or {}).get("selector") or {})
    annotations = svc.setdefault("metadata", {}).setdefault("annotations", {})
    old = str(selector.get(POD_HASH_LABEL, ""))
    if old == pod_hash and MANAGED_BY in annotations:
        return None
    selector[POD_HASH_LABEL] = pod_hash
    svc.setdefault("spec", {})["selector"] = selector
    annotations.setdefault(MANAGED_BY, rollout)
    return old


def referenced_objects(ro: Rollout) -> list[tuple[str, str]]:
    """(kind, name) of the Services and traffic-router objects a Rollout names."""
    c, bg = ro.spec.strategy.canary, ro.spec.strategy.blue_green
    names = [("Service", n) for n in ((c.canary_service, c.stable_service) if c else ()) if n]
    names += [("Service", n) for n in ((bg.active_service, bg.preview_service) if bg else ()) if n]
    tr = c.traffic_routing if c else None
    if tr is not None and tr.nginx is not None:
        names += [("networking.k8s.io/Ingress", n) for n in tr.nginx.ingresses()]
    if tr is not None and tr.istio is not None:
        names += [("networking.istio.io/VirtualService", v.name) for v in tr.istio.all_virtual_services()]
        if tr.istio.destination_rule is not None:
            names.append(("networking.istio.io/DestinationRule", tr.istio.destination_rule.name))
    for _, block in _template_refs(ro):
        names += [
            (f"argoproj.io/{'Cluster' if t.cluster_scope else ''}AnalysisTemplate", t.template_name)
            for t in block.templates
        ]
    return names


def event_object(ns: str, name: str, reason: str, message: str, type_: str, now: float, seq: int) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.{seq:x}.{reason.lower()}", "namespace": ns},
        "involvedObject": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": name, "namespace": ns},
        "reason": reason,
        "message": message,
        "type": type_,
        "firstTimestamp": rfc3339(now),
        "source": {"component": "rollouts-controller"},
    }


TEMPLATE_KINDS = ("argoproj.io/AnalysisTemplate", "argoproj.io/ClusterAnalysisTemplate")


def _template_refs(ro: Rollout) -> list[tuple[str, Any]]:
    """(field path, RolloutAnalysis) as GetAnalysisTemplateWithTypeFieldPath names them."""
    c, bg = ro.spec.strategy.canary, ro.spec.strategy.blue_green
    out: list[tuple[str, Any]] = []
    if c is not None:
        out += [
            (f"spec.strategy.canary.steps[{i}].analysis.templates", s.analysis)
            for i, s in enumerate(c.steps)
            if s.analysis
        ]
        if c.analysis is not None:
            out.append(("spec.strategy.canary.analysis.templates", c.analysis))
    if bg is not None:
        for key, block in (
            ("prePromotionAnalysis", bg.pre_promotion_analysis),
            ("postPromotionAnalysis", bg.post_promotion_analysis),
        ):
            if block is not None:
                out.append((f"spec.strategy.blueGreen.{key}.templates", block))
    return out


def missing_template(ro: Rollout, get: Callable[[str, str, str], Obj | None]) -> str:
    """A referenced (Cluster)AnalysisTemplate that does not exist makes the Rollout InvalidSpec with Argo's
    message (AR:rollout/controller.go getRolloutReferencedResources, createInvalidRolloutCondition)."""
    ns = ro.metadata.namespace or ""
    for path, block in _template_refs(ro):
        for ref in block.templates:
            kind = "ClusterAnalysisTemplate" if ref.cluster_scope else "AnalysisTemplate"
            if get(f"argoproj.io/{kind}", "" if ref.cluster_scope else ns, ref.template_name) is None:
                return (
                    f'The Rollout "{ro.metadata.name}" is invalid: {path}: Invalid value: "{ref.template_name}": '
                    f"{kind} '{ref.template_name}' not found"
                )
    return ""
