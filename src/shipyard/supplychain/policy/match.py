"""Does a rule apply to this admission request? (kyverno ``pkg/engine/utils`` ``MatchesResourceDescription``.)

``match.any``: one filter must match; ``match.all``: every filter; the flat ``match.resources`` form is one filter.
``exclude`` uses the same logic and wins. Kinds are ``Kind``, ``version/Kind`` or ``group/version/Kind``, with
wildcards; names and namespaces are wildcards. Rules written for Pods also apply to the pod controllers Kyverno
auto-generates rules for (annotation ``pod-policies.kyverno.io/autogen-controllers``, default below); shipyard
also accepts ``Rollout`` in that annotation since an Argo Rollout carries a pod template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipyard.errors import UnsupportedError
from shipyard.resources.kyverno import ClusterPolicy, MatchResources, ResourceDescription, ResourceFilter
from shipyard.supplychain.policy.images import wildcard_match

AUTOGEN_ANNOTATION = "pod-policies.kyverno.io/autogen-controllers"
DEFAULT_AUTOGEN = ("DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController", "CronJob")


def _kind_matches(pattern: str, api_version: str, kind: str) -> bool:
    parts = pattern.split("/")
    want_kind = parts[-1]
    if not wildcard_match(want_kind, kind):
        return False
    if len(parts) == 1:
        return True
    group, _, version = api_version.rpartition("/")
    if len(parts) == 2:
        return wildcard_match(parts[0], version)
    return wildcard_match(parts[0], group) and wildcard_match(parts[1], version)


def autogen_kinds(policy: ClusterPolicy) -> tuple[str, ...]:
    value = policy.metadata.annotations.get(AUTOGEN_ANNOTATION)
    if value is None:
        return DEFAULT_AUTOGEN
    if value.strip().lower() == "none":
        return ()
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _description_matches(
    desc: ResourceDescription, resource: Mapping[str, Any], namespace: str, operation: str, controllers: tuple[str, ...]
) -> bool:
    if desc.selector or desc.namespace_selector:
        raise UnsupportedError("match.resources.selector / namespaceSelector are not evaluated by shipyard")
    api_version = str(resource.get("apiVersion", ""))
    kind = str(resource.get("kind", ""))
    meta = resource.get("metadata") or {}
    if desc.kinds:
        direct = any(_kind_matches(k, api_version, kind) for k in desc.kinds)
        pod_rule = any(_kind_matches(k, "v1", "Pod") for k in desc.kinds)
        if not direct and not (pod_rule and kind in controllers):
            return False
    names = [*desc.names, *([desc.name] if desc.name else [])]
    if names and not any(wildcard_match(n, str(meta.get("name", ""))) for n in names):
        return False
    if desc.namespaces and not any(wildcard_match(n, namespace) for n in desc.namespaces):
        return False
    if desc.operations and operation not in desc.operations:
        return False
    annotations = meta.get("annotations") or {}
    return all(
        any(wildcard_match(k, ak) and wildcard_match(v, str(av)) for ak, av in annotations.items())
        for k, v in desc.annotations.items()
    )


def _filter_matches(f: ResourceFilter, *args: Any) -> bool:
    if f.subjects or f.roles or f.cluster_roles:
        raise UnsupportedError("match subjects/roles/clusterRoles need the requesting user; not evaluated by shipyard")
    return _description_matches(f.resources, *args)


def block_matches(
    block: MatchResources, resource: Mapping[str, Any], namespace: str, operation: str, controllers: tuple[str, ...]
) -> bool:
    args = (resource, namespace, operation, controllers)
    if block.any:
        return any(_filter_matches(f, *args) for f in block.any)
    if block.all:
        return all(_filter_matches(f, *args) for f in block.all)
    if block.resources is not None:
        return _filter_matches(ResourceFilter(resources=block.resources, subjects=block.subjects), *args)
    return False


def rule_applies(
    policy: ClusterPolicy, index: int, resource: Mapping[str, Any], namespace: str, operation: str = "CREATE"
) -> bool:
    rule = policy.spec.rules[index]
    controllers = autogen_kinds(policy)
    if policy.kind == "Policy" and policy.metadata.namespace and policy.metadata.namespace != namespace:
        return False
    if not block_matches(rule.match, resource, namespace, operation, controllers):
        return False
    return not (rule.exclude is not None and block_matches(rule.exclude, resource, namespace, operation, controllers))
