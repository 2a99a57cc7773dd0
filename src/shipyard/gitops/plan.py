"""Sync planning: what to apply and prune, in Argo CD's order (phase → wave → kind → name; prune in reverse),
and the tracking annotation that ties a live object to its app. Pure: the agent applies the plan."""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass
from typing import Any

from shipyard.errors import SpecError, UnsupportedError
from shipyard.gitops.app import AppSpec
from shipyard.gitops.diff import TRACKING, Key, ResourceDiff, SyncStatus, key_of

WAVE = "argocd.argoproj.io/sync-wave"
HOOK = "argocd.argoproj.io/hook"

# gitops-engine pkg/sync/sync_tasks.go kindOrder; unknown kinds (custom resources) go last.
KIND_ORDER = [
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
    "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
    "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job",
    "CronJob", "IngressClass", "Ingress", "APIService",
]  # fmt: skip
_KIND_RANK = {k: i for i, k in enumerate(KIND_ORDER)}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
                  "StorageClass", "PriorityClass", "IngressClass", "APIService", "MutatingWebhookConfiguration",
                  "ValidatingWebhookConfiguration"}  # fmt: skip


class Op(enum.StrEnum):
    apply = "apply"
    prune = "prune"


@dataclass(frozen=True, slots=True)
class Action:
    op: Op
    wave: int
    key: Key
    obj: dict[str, Any]


def tracking_id(app: str, k: Key) -> str:
    group, kind, ns, name = k
    return f"{app}:{group}/{kind}:{ns}/{name}"


def wave_of(obj: dict[str, Any]) -> int:
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(WAVE, "0")
    try:
        return int(str(raw).strip())
    except ValueError:
        raise SpecError(f"{WAVE} must be an integer, not {raw!r}", path="metadata.annotations") from None


def sort_key(wave: int, k: Key) -> tuple[int, int, str, str, str]:
    return (wave, _KIND_RANK.get(k[1], len(KIND_ORDER)), k[1], k[2], k[3])


def prepare(app: AppSpec, rendered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate every rendered object and give it its namespace and tracking annotation — all before any write,
    so a bad manifest leaves the cluster untouched."""
    out: list[dict[str, Any]] = []
    seen: set[Key] = set()
    for i, raw in enumerate(rendered):
        if not isinstance(raw, dict):
            raise SpecError(f"rendered document {i} is not a mapping")
        obj = copy.deepcopy(raw)
        for field in ("apiVersion", "kind"):
            if not isinstance(obj.get(field), str) or not obj[field]:
                raise SpecError(f"rendered document {i} has no {field}")
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict) or not meta.get("name"):
            raise SpecError(f"rendered {obj['kind']} (document {i}) has no metadata.name")
        annotations = meta.get("annotations") or {}
        if HOOK in annotations:
            raise UnsupportedError(f"{obj['kind']} {meta['name']}: sync hooks ({HOOK}) are not supported")
        wave_of(obj)
        if obj["kind"] not in CLUSTER_SCOPED and not meta.get("namespace"):
            if not app.dest_namespace:
                raise SpecError(
                    f"{obj['kind']} {meta['name']} has no namespace and the app has no destination namespace"
                )
            meta["namespace"] = app.dest_namespace
        k = key_of(obj)
        if k in seen:
            raise SpecError(f"{obj['kind']} {meta['name']} is rendered twice")
        seen.add(k)
        meta["annotations"] = {**annotations, TRACKING: tracking_id(app.name, k)}
        out.append(obj)
    return out


def plan_sync(diffs: list[ResourceDiff], *, prune: bool, only_out_of_sync: bool = True) -> list[list[Action]]:
    """Waves of actions, lowest first; prunes form a last wave in reverse order (PruneLast style)."""
    applies: dict[int, list[Action]] = {}
    prunes: list[Action] = []
    for d in diffs:
        if d.requires_pruning:
            if prune and d.live is not None:
                prunes.append(Action(Op.prune, wave_of(d.live), d.key, d.live))
            continue
        if d.desired is None or (only_out_of_sync and d.status is SyncStatus.Synced):
            continue
        w = wave_of(d.desired)
        applies.setdefault(w, []).append(Action(Op.apply, w, d.key, d.desired))
    waves = [sorted(applies[w], key=lambda a: sort_key(a.wave, a.key)) for w in sorted(applies)]
    if prunes:
        waves.append(sorted(prunes, key=lambda a: sort_key(a.wave, a.key), reverse=True))
    return waves


def history_entry(hid: int, revision: str, app: AppSpec, deployed_at: str) -> dict[str, Any]:
    return {"id": hid, "revision": revision, "deployedAt": deployed_at,
            "source": {"repoURL": app.repo_url, "path": app.path, "targetRevision": app.revision},
            "images": list(app.images)}  # fmt: skip


def trim_history(history: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    return history[-limit:] if limit > 0 else history
