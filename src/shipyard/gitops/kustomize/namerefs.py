"""Name-reference fix-ups: after prefixes, suffixes and hash suffixes renamed resources, every field that names
one of them is pointed at its new name.

The table mirrors kustomize's default ``nameReference`` field specs (``api/internal/konfig/builtinpluginconsts/
namereference.go``) exactly — which referrer kinds and paths are rewritten, and which are not: kustomize has no
entries for Argo ``Rollout`` (Argo Rollouts documents a ``configurations:`` file for that), for ``serviceAccount``
(the deprecated alias) or for ``ephemeralContainers``, so neither do we; ``kubectl kustomize`` is the oracle.
A ``configurations:`` file (``configurations.py``) adds entries, as Argo Rollouts' documented one does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shipyard.errors import SpecError
from shipyard.gitops.kustomize.resource import CLUSTER_SCOPED, ResMap, Resource

# Where each workload kind keeps its pod spec.
_POD = {
    "Pod": "spec", "PodTemplate": "template", "Deployment": "spec/template/spec", "ReplicaSet": "spec/template/spec",
    "DaemonSet": "spec/template/spec", "StatefulSet": "spec/template/spec", "Job": "spec/template/spec",
    "CronJob": "spec/jobTemplate/spec/template/spec", "ReplicationController": "spec/template/spec",
}  # fmt: skip
_CM_KINDS = ("Pod", "PodTemplate", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob")
_SA_KINDS = ("Pod", "StatefulSet", "Deployment", "ReplicationController", "CronJob", "Job", "DaemonSet")
_CM_PATHS = (
    "volumes/configMap/name", "containers/env/valueFrom/configMapKeyRef/name",
    "initContainers/env/valueFrom/configMapKeyRef/name", "containers/envFrom/configMapRef/name",
    "initContainers/envFrom/configMapRef/name", "volumes/projected/sources/configMap/name",
)  # fmt: skip
_SECRET_PATHS = (
    "volumes/secret/secretName", "containers/env/valueFrom/secretKeyRef/name",
    "initContainers/env/valueFrom/secretKeyRef/name", "containers/envFrom/secretRef/name",
    "initContainers/envFrom/secretRef/name", "imagePullSecrets/name", "volumes/projected/sources/secret/name",
)  # fmt: skip


def _pod(kinds: tuple[str, ...], paths: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(k, f"{_POD[k]}/{p}") for k in kinds for p in paths]


_RBAC_NAMES = [("Role", "rules/resourceNames"), ("ClusterRole", "rules/resourceNames")]
_ANN = "metadata/annotations/"
# target kind -> [(referrer kind, slash path)]; a path segment is a mapping key, lists are walked through.
NAME_REFERENCES: dict[str, list[tuple[str, str]]] = {
    "ConfigMap": [
        *_pod(_CM_KINDS, _CM_PATHS), *_RBAC_NAMES,
        ("Ingress", _ANN + "nginx.ingress.kubernetes.io/fastcgi-params-configmap"),
    ],
    "Secret": [
        *_pod(_CM_KINDS, _SECRET_PATHS), *_RBAC_NAMES,
        ("Ingress", "spec/tls/secretName"), ("Ingress", _ANN + "ingress.kubernetes.io/auth-secret"),
        ("Ingress", _ANN + "nginx.ingress.kubernetes.io/auth-secret"),
        ("Ingress", _ANN + "nginx.ingress.kubernetes.io/auth-tls-secret"),
        ("ServiceAccount", "imagePullSecrets/name"),
        *[("StorageClass", f"parameters/{k}") for k in ("secretName", "adminSecretName", "userSecretName", "secretRef")],
        ("PersistentVolume", "spec/azureFile/secretName"),
    ],
    "Service": [
        ("StatefulSet", "spec/serviceName"), ("Ingress", "spec/rules/http/paths/backend/serviceName"),
        ("Ingress", "spec/backend/serviceName"), ("Ingress", "spec/rules/http/paths/backend/service/name"),
        ("Ingress", "spec/defaultBackend/service/name"), ("APIService", "spec/service/name"),
        ("ValidatingWebhookConfiguration", "webhooks/clientConfig/service"),
        ("MutatingWebhookConfiguration", "webhooks/clientConfig/service"), ("HTTPRoute", "spec/rules/backendRefs/name"),
    ],
    "ServiceAccount": [
        ("RoleBinding", "subjects"), ("ClusterRoleBinding", "subjects"),
        *[(k, f"{_POD[k]}/serviceAccountName") for k in _SA_KINDS],
    ],
    "PersistentVolumeClaim": [(k, f"{_POD[k]}/volumes/persistentVolumeClaim/claimName") for k in _SA_KINDS],
    "PersistentVolume": [("PersistentVolumeClaim", "spec/volumeName"), ("ClusterRole", "rules/resourceNames")],
    "StorageClass": [
        ("PersistentVolume", "spec/storageClassName"), ("PersistentVolumeClaim", "spec/storageClassName"),
        ("StatefulSet", "spec/volumeClaimTemplates/spec/storageClassName"),
    ],
    "PriorityClass": [(k, f"{_POD[k]}/priorityClassName") for k in _SA_KINDS],
    "Role": [("RoleBinding", "roleRef/name")],
    "ValidatingAdmissionPolicy": [("ValidatingAdmissionPolicyBinding", "spec/policyName")],
    "ClusterRole": [("RoleBinding", "roleRef/name"), ("ClusterRoleBinding", "roleRef/name")],
    **{
        k: [("HorizontalPodAutoscaler", "spec/scaleTargetRef/name")]
        for k in ("Deployment", "ReplicationController", "ReplicaSet", "StatefulSet")
    },
}  # fmt: skip
_BY_REFERRER: dict[str, list[tuple[str, list[str]]]] = {}
for _target, _specs in NAME_REFERENCES.items():
    for _kind, _path in _specs:
        # An escaped "\/" would be a slash inside a key; only the annotation keys have one, and they are last.
        head, sep, ann = _path.partition(_ANN)
        parts = [*head.split("/")[:-1], "metadata", "annotations", ann] if sep else _path.split("/")
        _BY_REFERRER.setdefault(_kind, []).append((_target, [p for p in parts if p]))

# Holder kinds whose reference is a mapping with name (and namespace), not a bare string.
_MAP_REFS = {"subjects", "service"}


def _holders(node: Any, parts: list[str]) -> Iterator[tuple[Any, str]]:
    """``(container, key)`` for each value at ``parts``, walking through lists as kustomize's PathGetter does."""
    if isinstance(node, list):
        for item in node:
            yield from _holders(item, parts)
        return
    if not isinstance(node, dict) or parts[0] not in node:
        return
    if len(parts) == 1:
        yield node, parts[0]
    else:
        yield from _holders(node[parts[0]], parts[1:])


def _ns(namespace: str) -> str:
    return namespace or "default"


def _pick(
    rm: dict[str, list[Resource]],
    kind: str,
    old: str,
    referrer: Resource,
    ref_ns: str | None = None,
    is_map: bool = False,
) -> Resource | None:
    """kustomize's ``selectReferral``: candidates that once had the name, in the referrer's namespace (unless either
    is cluster-scoped, or the candidate is a ServiceAccount), then those with the same prefixes/suffixes; several
    different survivors are an error."""
    candidates = [t for t in rm.get(kind, ()) if old in t.all_names()]
    if ref_ns is not None:
        by_org = [t for t in candidates if _ns(t.org_ns) == ref_ns]
        candidates = by_org or [t for t in candidates if _ns(t.namespace) == ref_ns]
    if referrer.kind not in CLUSTER_SCOPED:
        candidates = [
            t
            for t in candidates
            if t.kind in CLUSTER_SCOPED or t.kind == "ServiceAccount" or _ns(t.namespace) == _ns(referrer.namespace)
        ]
    if len(candidates) > 1:
        candidates = [t for t in candidates if t.affixes == referrer.affixes]
    if not candidates:
        return None
    if len({(t.name, t.namespace if is_map else "") for t in candidates}) > 1:
        raise SpecError(
            f"{referrer.describe()}: found multiple possible referrals for {kind} {old!r}: "
            + ", ".join(t.describe() for t in candidates),
            file=referrer.origin,
        )
    return candidates[0]


def _fix_map(rm: dict[str, list[Resource]], target: str, ref: dict[str, Any], referrer: Resource) -> None:
    # kustomize does not look at a subject's kind: a User subject named like a renamed ServiceAccount follows it.
    if not isinstance(ref.get("name"), str):
        return
    ns = ref.get("namespace")
    chosen = _pick(rm, target, ref["name"], referrer, str(ns) if ns is not None else None, is_map=True)
    if chosen is not None:
        ref["name"] = chosen.name
        if chosen.namespace:
            ref["namespace"] = chosen.namespace


def fix_name_references(rm: ResMap, extra: dict[str, list[tuple[str, tuple[str, ...]]]] | None = None) -> None:
    """Point every reference at the current name of the resource it named under any earlier name; ``extra`` are
    the nameReference specs of ``configurations:`` (target kind → referrer kind and path)."""
    table = _BY_REFERRER
    if extra:
        table = {k: list(v) for k, v in _BY_REFERRER.items()}
        for target, refs in extra.items():
            for kind, spec_path in refs:
                if (target, list(spec_path)) not in table.setdefault(kind, []):
                    table[kind].append((target, list(spec_path)))
    by_kind: dict[str, list[Resource]] = {}
    for t in rm.items:
        by_kind.setdefault(t.kind, []).append(t)
    for r in rm.items:
        for target, parts in table.get(r.kind, ()):
            if target in ("Role", "ClusterRole") and (r.obj.get("roleRef") or {}).get("kind") != target:
                continue
            for holder, key in list(_holders(r.obj, parts)):
                value = holder[key]
                if key in _MAP_REFS:
                    for ref in value if isinstance(value, list) else [value]:
                        if isinstance(ref, dict):
                            _fix_map(by_kind, target, ref, r)
                elif isinstance(value, str):
                    chosen = _pick(by_kind, target, value, r)
                    if chosen is not None:
                        holder[key] = chosen.name
                elif isinstance(value, list) and key == "resourceNames":
                    holder[key] = [
                        (c.name if isinstance(v, str) and (c := _pick(by_kind, target, v, r)) else v) for v in value
                    ]
