"""How Rollout-owned objects look in the Cluster: ReplicaSets named ``<rollout>-<pod-hash>`` and labelled with
``rollouts-pod-template-hash``, the revision annotation, owner references, and the planner's views of them."""

from __future__ import annotations

import copy
from collections.abc import Mapping

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
