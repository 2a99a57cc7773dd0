"""kustomize's builtin transformers on a ``ResMap``: namespace, namePrefix/nameSuffix, labels, annotations,
replicas, the hash suffix and name-reference fix-ups (field specs from ``api/internal/konfig/builtinpluginconsts``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shipyard.gitops.kustomize.generators import content_hash
from shipyard.gitops.kustomize.resource import CLUSTER_SCOPED, ResMap

WORKLOADS = {"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob", "Pod", "Rollout",
             "ReplicationController"}  # fmt: skip
_NO_PREFIX = {"CustomResourceDefinition", "APIService", "Namespace"}

# (kind, path, create) — commonLabels' selector and template field specs.
_SELECTOR_SPECS: list[tuple[str, tuple[str, ...], bool]] = [
    ("ReplicationController", ("spec", "selector"), True),
    ("Deployment", ("spec", "selector", "matchLabels"), True),
    ("ReplicaSet", ("spec", "selector", "matchLabels"), True),
    ("DaemonSet", ("spec", "selector", "matchLabels"), True),
    ("StatefulSet", ("spec", "selector", "matchLabels"), True),
    ("Job", ("spec", "selector", "matchLabels"), False),
    ("CronJob", ("spec", "jobTemplate", "spec", "selector", "matchLabels"), False),
    ("PodDisruptionBudget", ("spec", "selector", "matchLabels"), False),
    ("NetworkPolicy", ("spec", "podSelector", "matchLabels"), False),
    ("Service", ("spec", "selector"), True),
]
_TEMPLATE_SPECS: list[tuple[str, tuple[str, ...], bool]] = [
    ("ReplicationController", ("spec", "template", "metadata", "LABELS"), True),
    ("Deployment", ("spec", "template", "metadata", "LABELS"), True),
    ("ReplicaSet", ("spec", "template", "metadata", "LABELS"), True),
    ("DaemonSet", ("spec", "template", "metadata", "LABELS"), True),
    ("StatefulSet", ("spec", "template", "metadata", "LABELS"), True),
    ("Job", ("spec", "template", "metadata", "LABELS"), True),
    ("CronJob", ("spec", "jobTemplate", "metadata", "LABELS"), True),
    ("CronJob", ("spec", "jobTemplate", "spec", "template", "metadata", "LABELS"), True),
]


def _at(obj: Any, path: tuple[str, ...], create: bool) -> dict[str, Any] | None:
    cur = obj
    for key in path:
        if not isinstance(cur, dict):
            return None
        if key not in cur or cur[key] is None:
            if not create:
                return None
            cur[key] = {}
        cur = cur[key]
    return cur if isinstance(cur, dict) else None


def _set_all(target: dict[str, Any] | None, pairs: dict[str, str]) -> None:
    if target is not None:
        target.update(pairs)


def set_namespace(rm: ResMap, namespace: str) -> None:
    for r in rm.items:
        if r.kind in ("RoleBinding", "ClusterRoleBinding"):
            # kustomize's roleBindingHack: the "default" ServiceAccount subject follows the namespace, even in a
            # (cluster-scoped) ClusterRoleBinding.
            for s in r.obj.get("subjects") or []:
                if isinstance(s, dict) and s.get("kind") == "ServiceAccount" and s.get("name") == "default":
                    s["namespace"] = namespace
        if r.kind not in CLUSTER_SCOPED:
            r.meta["namespace"] = namespace


def add_prefix_suffix(rm: ResMap, prefix: str, suffix: str) -> None:
    for r in rm.items:
        if r.kind in _NO_PREFIX:
            continue
        r.rename(f"{prefix}{r.name}{suffix}")


def add_labels(rm: ResMap, pairs: dict[str, str], *, selectors: bool, templates: bool) -> None:
    pairs = {str(k): str(v) for k, v in pairs.items()}
    for r in rm.items:
        _set_all(_at(r.obj, ("metadata", "labels"), True), pairs)
        if templates or selectors:
            for kind, path, create in _TEMPLATE_SPECS:
                if r.kind == kind:
                    _set_all(_at(r.obj, (*path[:-1], "labels"), create), pairs)
            if r.kind == "StatefulSet":
                for t in (r.obj.get("spec") or {}).get("volumeClaimTemplates") or []:
                    if isinstance(t, dict):
                        _set_all(_at(t, ("metadata", "labels"), True), pairs)
        if selectors:
            for kind, path, create in _SELECTOR_SPECS:
                if r.kind == kind:
                    _set_all(_at(r.obj, path, create), pairs)


def add_annotations(rm: ResMap, pairs: dict[str, str]) -> None:
    pairs = {str(k): str(v) for k, v in pairs.items()}
    for r in rm.items:
        _set_all(_at(r.obj, ("metadata", "annotations"), True), pairs)
        for kind, path, create in _TEMPLATE_SPECS:
            if r.kind == kind:
                _set_all(_at(r.obj, (*path[:-1], "annotations"), create), pairs)


def set_replicas(rm: ResMap, replicas: list[dict[str, Any]]) -> None:
    for entry in replicas:
        for r in rm.items:
            if (
                r.kind in ("Deployment", "ReplicationController", "ReplicaSet", "StatefulSet")
                and entry.get("name") in r.all_names()
            ):
                r.obj.setdefault("spec", {})["replicas"] = int(entry.get("count", 0))


def add_hash_suffixes(rm: ResMap) -> None:
    for r in rm.items:
        if r.needs_hash:
            r.rename(f"{r.name}-{content_hash(r.obj)}")
            r.needs_hash = False


# ---- name references --------------------------------------------------------------------------------------


def _pod_specs(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    kind = obj.get("kind")
    if kind == "Pod":
        yield spec
    elif kind == "CronJob":
        ps = _at(spec, ("jobTemplate", "spec", "template", "spec"), False)
        if ps is not None:
            yield ps
    else:
        ps = _at(spec, ("template", "spec"), False)
        if ps is not None:
            yield ps


def _containers(ps: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for c in ps.get(key) or []:
            if isinstance(c, dict):
                yield c


Ref = tuple[str, dict[str, Any], str]  # (target kind, holder mapping, key in holder)


def _refs(obj: dict[str, Any]) -> Iterator[Ref]:
    kind = obj.get("kind")
    if kind in WORKLOADS:
        for ps in _pod_specs(obj):
            for key in ("serviceAccountName", "serviceAccount"):
                if isinstance(ps.get(key), str):
                    yield "ServiceAccount", ps, key
            for s in ps.get("imagePullSecrets") or []:
                if isinstance(s, dict):
                    yield "Secret", s, "name"
            for v in ps.get("volumes") or []:
                if not isinstance(v, dict):
                    continue
                if isinstance(v.get("configMap"), dict):
                    yield "ConfigMap", v["configMap"], "name"
                if isinstance(v.get("secret"), dict):
                    yield "Secret", v["secret"], "secretName"
                if isinstance(v.get("persistentVolumeClaim"), dict):
                    yield "PersistentVolumeClaim", v["persistentVolumeClaim"], "claimName"
                for src in (v.get("projected") or {}).get("sources") or []:
                    if isinstance(src, dict):
                        if isinstance(src.get("configMap"), dict):
                            yield "ConfigMap", src["configMap"], "name"
                        if isinstance(src.get("secret"), dict):
                            yield "Secret", src["secret"], "name"
            for c in _containers(ps):
                for e in c.get("env") or []:
                    vf = e.get("valueFrom") if isinstance(e, dict) else None
                    if isinstance(vf, dict):
                        if isinstance(vf.get("configMapKeyRef"), dict):
                            yield "ConfigMap", vf["configMapKeyRef"], "name"
                        if isinstance(vf.get("secretKeyRef"), dict):
                            yield "Secret", vf["secretKeyRef"], "name"
                for e in c.get("envFrom") or []:
                    if isinstance(e, dict):
                        if isinstance(e.get("configMapRef"), dict):
                            yield "ConfigMap", e["configMapRef"], "name"
                        if isinstance(e.get("secretRef"), dict):
                            yield "Secret", e["secretRef"], "name"
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    if kind == "StatefulSet" and isinstance(spec.get("serviceName"), str):
        yield "Service", spec, "serviceName"
    if kind == "Rollout":
        strategy = spec.get("strategy") or {}
        for part, keys in (
            ("canary", ("stableService", "canaryService")),
            ("blueGreen", ("activeService", "previewService")),
        ):
            holder = strategy.get(part)
            if isinstance(holder, dict):
                for key in keys:
                    if isinstance(holder.get(key), str):
                        yield "Service", holder, key
    if kind == "Ingress":
        backends = [spec.get("defaultBackend")]
        for rule in spec.get("rules") or []:
            for p in ((rule or {}).get("http") or {}).get("paths") or []:
                backends.append((p or {}).get("backend"))
        for b in backends:
            if isinstance(b, dict) and isinstance(b.get("service"), dict):
                yield "Service", b["service"], "name"
    if kind == "HorizontalPodAutoscaler" and isinstance(spec.get("scaleTargetRef"), dict):
        yield str(spec["scaleTargetRef"].get("kind", "")), spec["scaleTargetRef"], "name"
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        if isinstance(obj.get("roleRef"), dict):
            yield str(obj["roleRef"].get("kind", "")), obj["roleRef"], "name"
        for s in obj.get("subjects") or []:
            if isinstance(s, dict) and s.get("kind") == "ServiceAccount":
                yield "ServiceAccount", s, "name"


def fix_name_references(rm: ResMap) -> None:
    """Point every reference at the current name of the resource it named under any earlier name."""
    for r in rm.items:
        for target_kind, holder, key in _refs(r.obj):
            old = holder.get(key)
            if not isinstance(old, str):
                continue
            candidates = [t for t in rm.items if t.kind == target_kind and old in t.all_names()]
            if not candidates:
                continue
            same_ns = [t for t in candidates if t.namespace == r.namespace]
            chosen = (same_ns or candidates)[0]
            holder[key] = chosen.name
            if (
                holder.get("kind") == "ServiceAccount"
                and r.kind in ("RoleBinding", "ClusterRoleBinding")
                and chosen.namespace
            ):
                # A binding's subject names a namespace too; kustomize moves it with the ServiceAccount.
                holder["namespace"] = chosen.namespace
