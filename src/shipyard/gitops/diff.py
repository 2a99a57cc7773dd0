"""Desired vs live: normalisation, ignoreDifferences and the sync status of each resource and of the app.

Argo CD's legacy 2-way diff, simplified as the reference suggests: a resource is Synced when every field set in
the desired object equals the live one (fields only the server or controllers set are ignored), after removing
the ``ignoreDifferences`` JSON pointers from both sides and normalising away status and server-managed metadata.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shipyard.gitops.app import IgnoreRule

TRACKING = "argocd.argoproj.io/tracking-id"
_SERVER_META = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
                "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences")  # fmt: skip
_SERVER_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision")


class SyncStatus(enum.StrEnum):
    Synced = "Synced"
    OutOfSync = "OutOfSync"
    Unknown = "Unknown"


Key = tuple[str, str, str, str]  # (group, kind, namespace, name)


def key_of(obj: dict[str, Any]) -> Key:
    api = str(obj.get("apiVersion", ""))
    meta = obj.get("metadata") or {}
    return (api.rsplit("/", 1)[0] if "/" in api else "", str(obj.get("kind", "")),
            str(meta.get("namespace") or ""), str(meta.get("name") or ""))  # fmt: skip


def normalize(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for k in _SERVER_META:
        meta.pop(k, None)
    ann = meta.get("annotations")
    if isinstance(ann, dict):
        for k in _SERVER_ANNOTATIONS:
            ann.pop(k, None)
        if not ann:
            meta.pop("annotations")
    if out.get("kind") == "Secret" and isinstance(out.get("stringData"), dict):
        import base64

        data = dict(out.get("data") or {})
        for k, v in out.pop("stringData").items():
            data[k] = base64.b64encode(str(v).encode()).decode()
        out["data"] = data
    return out


def _remove_pointer(obj: Any, pointer: str) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")] if pointer else []
    cur = obj
    for p in parts[:-1]:
        if isinstance(cur, dict):
            cur = cur.get(p)
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            return
    if not parts:
        return
    last = parts[-1]
    if isinstance(cur, dict):
        cur.pop(last, None)
    elif isinstance(cur, list) and last.isdigit() and int(last) < len(cur):
        cur.pop(int(last))


def apply_ignores(obj: dict[str, Any], rules: Iterable[IgnoreRule]) -> dict[str, Any]:
    group, kind, ns, name = key_of(obj)
    out = obj
    for r in rules:
        if r.kind not in ("*", kind) or (r.group not in ("*", group)):
            continue
        if (r.name and r.name != name) or (r.namespace and r.namespace != ns):
            continue
        for ptr in r.json_pointers:
            _remove_pointer(out, ptr)
    return out


def contains(desired: Any, live: Any) -> bool:
    """Every field set in ``desired`` equals ``live`` (lists element-wise, same length)."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return False
        return all(k in live and contains(v, live[k]) for k, v in desired.items() if v is not None)
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return False
        return all(contains(d, x) for d, x in zip(desired, live, strict=True))
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live
    if isinstance(desired, int | float) and isinstance(live, int | float):
        return float(desired) == float(live)
    return bool(desired == live)


@dataclass(frozen=True, slots=True)
class ResourceDiff:
    key: Key
    status: SyncStatus
    desired: dict[str, Any] | None
    live: dict[str, Any] | None
    requires_pruning: bool = False

    @property
    def kind(self) -> str:
        return self.key[1]


def compare(
    desired: list[dict[str, Any]], live: dict[Key, dict[str, Any]], managed: Iterable[Key], rules: Iterable[IgnoreRule]
) -> tuple[SyncStatus, list[ResourceDiff]]:
    """Per-resource verdicts and the app's sync status. ``managed`` are the keys this app applied before (its
    inventory); those no longer desired need pruning and make the app OutOfSync."""
    rules = list(rules)
    out: list[ResourceDiff] = []
    seen: set[Key] = set()
    for d in desired:
        k = key_of(d)
        seen.add(k)
        lv = live.get(k)
        if lv is None:
            out.append(ResourceDiff(k, SyncStatus.OutOfSync, d, None))
            continue
        want = apply_ignores(normalize(d), rules)
        have = apply_ignores(normalize(lv), rules)
        out.append(ResourceDiff(k, SyncStatus.Synced if contains(want, have) else SyncStatus.OutOfSync, d, lv))
    for k in sorted(set(managed) - seen):
        if k in live:
            out.append(ResourceDiff(k, SyncStatus.OutOfSync, None, live[k], requires_pruning=True))
    status = SyncStatus.OutOfSync if any(r.status is SyncStatus.OutOfSync for r in out) else SyncStatus.Synced
    return status, out
