"""kustomize's builtin transformers on a ``ResMap``: namespace, namePrefix/nameSuffix, labels, annotations,
replicas and the hash suffix (field specs from ``api/internal/konfig/builtinpluginconsts``)."""

from __future__ import annotations

from typing import Any

from shipyard.errors import SpecError
from shipyard.gitops.kustomize.configurations import set_map, targets
from shipyard.gitops.kustomize.generators import content_hash
from shipyard.gitops.kustomize.resource import CLUSTER_SCOPED, ResMap

_NO_PREFIX = {"CustomResourceDefinition", "APIService", "Namespace"}

_POD_SELECTORS = [
    ("affinity", aff, when, *term)
    for aff in ("podAffinity", "podAntiAffinity")
    for when, term in (
        ("preferredDuringSchedulingIgnoredDuringExecution", ("podAffinityTerm",)),
        ("requiredDuringSchedulingIgnoredDuringExecution", ()),
    )
] + [("topologySpreadConstraints",)]
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
    ("NetworkPolicy", ("spec", "ingress", "from", "podSelector", "matchLabels"), False),
    ("NetworkPolicy", ("spec", "egress", "to", "podSelector", "matchLabels"), False),
    *[
        (kind, ("spec", "template", "spec", *path, "labelSelector", "matchLabels"), False)
        for kind in ("Deployment", "StatefulSet")
        for path in _POD_SELECTORS
    ],
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


def _each(node: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """The existing mappings at ``path``, walking through lists (kustomize's field specs ``a/b/c`` do)."""
    if isinstance(node, list):
        return [m for item in node for m in _each(item, path)]
    if not isinstance(node, dict):
        return []
    if not path:
        return [node]
    return _each(node.get(path[0]), path[1:])


def set_namespace(rm: ResMap, namespace: str) -> None:
    for r in rm.items:
        if r.kind in ("RoleBinding", "ClusterRoleBinding"):
            # kustomize's roleBindingHack: the "default" ServiceAccount subject follows the namespace, even in a
            # (cluster-scoped) ClusterRoleBinding.
            for s in r.obj.get("subjects") or []:
                if isinstance(s, dict) and s.get("kind") == "ServiceAccount" and s.get("name") == "default":
                    s["namespace"] = namespace
        if r.kind == "APIService":
            # field spec spec/service/namespace of APIService, create: true — made even where spec was absent.
            _set_all(_at(r.obj, ("spec", "service"), True), {"namespace": namespace})
        if r.kind == "Namespace":
            # namespace's field specs include a Namespace object's own metadata/name.
            r.rename(namespace)
        elif r.kind not in CLUSTER_SCOPED:
            r.set_namespace(namespace)


def add_prefix_suffix(rm: ResMap, prefix: str, suffix: str) -> None:
    for r in rm.items:
        if r.kind in _NO_PREFIX:
            continue
        r.rename(f"{prefix}{r.name}{suffix}")
        r.affixes.append((prefix, suffix))


def add_labels(
    rm: ResMap, pairs: dict[str, str], *, selectors: bool, templates: bool,
    fields: list[tuple[str, tuple[str, ...], bool]] | None = None,
) -> None:  # fmt: skip
    """``fields`` are a ``labels:`` entry's own field specs (kind ``""`` = every kind)."""
    pairs = {str(k): str(v) for k, v in pairs.items()}
    for r in rm.items:
        for spec in fields or ():
            if spec[0] in ("", r.kind):
                set_map(r.obj, spec, pairs)
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
                    if create:
                        _set_all(_at(r.obj, path, create), pairs)
                    else:
                        for m in _each(r.obj, path):
                            m.update(pairs)
        # configurations: commonLabels specs serve commonLabels/includeSelectors, templateLabels includeTemplates.
        for spec in rm.config.of("commonLabels" if selectors else "templateLabels" if templates else ""):
            if spec[0] in ("", r.kind):
                set_map(r.obj, spec, pairs)


def add_annotations(rm: ResMap, pairs: dict[str, str]) -> None:
    pairs = {str(k): str(v) for k, v in pairs.items()}
    for r in rm.items:
        _set_all(_at(r.obj, ("metadata", "annotations"), True), pairs)
        for kind, path, create in _TEMPLATE_SPECS:
            if r.kind == kind:
                _set_all(_at(r.obj, (*path[:-1], "annotations"), create), pairs)
        for spec in rm.config.of("commonAnnotations"):
            if spec[0] in ("", r.kind):
                set_map(r.obj, spec, pairs)


_SCALABLE = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")


def set_replicas(rm: ResMap, replicas: list[dict[str, Any]], where: str = "") -> None:
    for entry in replicas:
        if not isinstance(entry, dict) or not isinstance(entry.get("count", 0), int):
            raise SpecError(f"{where}replicas entries are {{name, count}} with an integer count, not {entry!r}")
        extra = {spec[0]: spec for spec in rm.config.of("replicas")}
        hits = [r for r in rm.items if (r.kind in _SCALABLE or r.kind in extra) and entry.get("name") in r.all_names()]
        if not hits:
            # replicacount.go: a name no Deployment/StatefulSet/ReplicaSet/ReplicationController has is an error
            # (an Argo Rollout, say, is not scaled by the builtin transformer).
            raise SpecError(
                f"{where}replicas: resource with name {entry.get('name')!r} does not match a config with the "
                f"following kinds: {', '.join(_SCALABLE)}"
            )
        for r in hits:
            if r.kind in _SCALABLE:
                r.obj.setdefault("spec", {})["replicas"] = entry.get("count", 0)
            else:
                _, parts, create = extra[r.kind]
                for holder in targets(r.obj, parts, create):
                    if create or parts[-1] in holder:
                        holder[parts[-1]] = entry.get("count", 0)


def add_hash_suffixes(rm: ResMap) -> None:
    for r in rm.items:
        if r.needs_hash:
            r.rename(f"{r.name}-{content_hash(r.obj)}")
            r.needs_hash = False
