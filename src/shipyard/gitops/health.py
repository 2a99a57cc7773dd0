"""Argo CD's health assessment (``gitops-engine/pkg/health``) for the kinds a GitOps app deploys, and the
roll-up order. Unknown kinds are Healthy, as Argo treats resources it has no check for."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class Health(enum.StrEnum):
    Healthy = "Healthy"
    Suspended = "Suspended"
    Progressing = "Progressing"
    Missing = "Missing"
    Degraded = "Degraded"
    Unknown = "Unknown"


# health.go healthOrder: best → worst.
ORDER = [Health.Healthy, Health.Suspended, Health.Progressing, Health.Missing, Health.Degraded, Health.Unknown]


def is_worse(a: Health, b: Health) -> bool:
    return ORDER.index(a) > ORDER.index(b)


@dataclass(frozen=True, slots=True)
class HealthResult:
    status: Health
    message: str = ""


def _cond(status: dict[str, Any], ctype: str) -> dict[str, Any] | None:
    for c in status.get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == ctype:
            return c
    return None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _observed(obj: dict[str, Any]) -> bool:
    """``status.observedGeneration`` has caught up with ``metadata.generation``. Argo Rollouts writes it as a
    string (older releases as a pod-template hash, which never counts as observed here)."""
    gen = (obj.get("metadata") or {}).get("generation")
    seen = (obj.get("status") or {}).get("observedGeneration")
    if gen is None:
        return True
    g, s = _int(gen), _int(seen) if seen is not None else None
    return g is not None and s is not None and s >= g


def _deployment(obj: dict[str, Any]) -> HealthResult:
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    if spec.get("paused"):
        return HealthResult(Health.Suspended, "Deployment is paused")
    if not _observed(obj):
        return HealthResult(
            Health.Progressing,
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        )
    cond = _cond(st, "Progressing")
    if cond and cond.get("reason") == "ProgressDeadlineExceeded":
        return HealthResult(Health.Degraded, f'Deployment "{obj["metadata"]["name"]}" exceeded its progress deadline')
    want = int(spec.get("replicas", 1))
    updated = int(st.get("updatedReplicas", 0))
    if updated < want:
        return HealthResult(
            Health.Progressing,
            f"Waiting for rollout to finish: {updated} out of {want} new replicas have been updated...",
        )
    if int(st.get("replicas", 0)) > updated:
        return HealthResult(
            Health.Progressing,
            f"Waiting for rollout to finish: {int(st.get('replicas', 0)) - updated} old replicas are pending termination...",
        )
    if int(st.get("availableReplicas", 0)) < updated:
        return HealthResult(
            Health.Progressing,
            f"Waiting for rollout to finish: {st.get('availableReplicas', 0)} of {updated} updated replicas are available...",
        )
    return HealthResult(Health.Healthy)


def _replicaset(obj: dict[str, Any]) -> HealthResult:
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    if not _observed(obj):
        return HealthResult(
            Health.Progressing,
            "Waiting for rollout to finish: observed replica set generation less than desired generation",
        )
    cond = _cond(st, "ReplicaFailure")
    if cond and cond.get("status") == "True":
        return HealthResult(Health.Degraded, str(cond.get("message", "")))
    want = int(spec.get("replicas", 1))
    if int(st.get("availableReplicas", 0)) < want:
        return HealthResult(
            Health.Progressing,
            f"Waiting for rollout to finish: {st.get('availableReplicas', 0)} out of {want} new replicas are available...",
        )
    return HealthResult(Health.Healthy)


def _rollout(obj: dict[str, Any]) -> HealthResult:
    st = obj.get("status") or {}
    if not _observed(obj):
        return HealthResult(Health.Progressing, "Waiting for rollout spec update to be observed")
    phase = st.get("phase")
    if phase:
        mapped = {
            "Healthy": Health.Healthy,
            "Progressing": Health.Progressing,
            "Degraded": Health.Degraded,
            "Paused": Health.Suspended,
        }
        return HealthResult(mapped.get(phase, Health.Unknown), str(st.get("message", "")))
    for c in st.get("conditions") or []:
        if c.get("type") == "InvalidSpec" or c.get("reason") in ("RolloutAborted", "ProgressDeadlineExceeded"):
            return HealthResult(Health.Degraded, str(c.get("message", "")))
    if st.get("pauseConditions") or (obj.get("spec") or {}).get("paused"):
        return HealthResult(Health.Suspended, "Rollout is paused")
    return HealthResult(Health.Progressing, "Waiting for rollout status")


def _lb_ingress(obj: dict[str, Any]) -> bool:
    return bool(((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress"))


def _service(obj: dict[str, Any]) -> HealthResult:
    if (obj.get("spec") or {}).get("type") == "LoadBalancer" and not _lb_ingress(obj):
        return HealthResult(Health.Progressing, "Waiting for the load balancer")
    return HealthResult(Health.Healthy)


def _ingress(obj: dict[str, Any]) -> HealthResult:
    return (
        HealthResult(Health.Healthy)
        if _lb_ingress(obj)
        else HealthResult(Health.Progressing, "Waiting for the ingress address")
    )


def _pod(obj: dict[str, Any]) -> HealthResult:
    st = obj.get("status") or {}
    phase = st.get("phase")
    restart = (obj.get("spec") or {}).get("restartPolicy", "Always")
    for cs in st.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in (
            "ErrImagePull",
            "ImagePullBackOff",
            "CrashLoopBackOff",
            "CreateContainerConfigError",
            "InvalidImageName",
        ):
            return HealthResult(Health.Degraded, str(waiting.get("message") or waiting.get("reason")))
    if phase == "Succeeded":
        return HealthResult(Health.Healthy, str(st.get("message", "")))
    if phase == "Failed":
        return HealthResult(Health.Degraded, str(st.get("message", "")))
    if phase == "Running":
        if restart == "Always":
            ready = _cond(st, "Ready")
            if ready and ready.get("status") == "True":
                return HealthResult(Health.Healthy)
            return HealthResult(Health.Progressing, "Pod is not ready")
        return HealthResult(Health.Progressing)
    if phase == "Pending":
        return HealthResult(Health.Progressing, str(st.get("message", "")))
    return HealthResult(Health.Unknown, str(st.get("message", "")))


def _pvc(obj: dict[str, Any]) -> HealthResult:
    phase = (obj.get("status") or {}).get("phase")
    if phase == "Bound":
        return HealthResult(Health.Healthy)
    if phase == "Pending":
        return HealthResult(Health.Progressing)
    if phase == "Lost":
        return HealthResult(Health.Degraded)
    return HealthResult(Health.Unknown)


_CHECKS = {
    "apps/Deployment": _deployment, "extensions/Deployment": _deployment,
    "apps/ReplicaSet": _replicaset, "extensions/ReplicaSet": _replicaset,
    "argoproj.io/Rollout": _rollout,
    "/Service": _service,
    "networking.k8s.io/Ingress": _ingress, "extensions/Ingress": _ingress,
    "/Pod": _pod,
    "/PersistentVolumeClaim": _pvc,
}  # fmt: skip


def resource_health(obj: dict[str, Any] | None) -> HealthResult:
    if obj is None:
        return HealthResult(Health.Missing, "resource does not exist")
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        return HealthResult(Health.Progressing, "Pending deletion")
    api = str(obj.get("apiVersion", ""))
    group = api.rsplit("/", 1)[0] if "/" in api else ""
    check = _CHECKS.get(f"{group}/{obj.get('kind')}")
    if check is None:
        return HealthResult(Health.Healthy)
    try:
        return check(obj)
    except (ValueError, TypeError, AttributeError) as exc:
        # A live object someone wrote by hand (replicas: "two", conditions: [1]) must not stop the agent.
        return HealthResult(Health.Unknown, f"cannot assess health: malformed {obj.get('kind')}: {exc}")


def roll_up(results: Iterable[tuple[HealthResult, bool]]) -> Health:
    """App health from ``(resource health, live exists)`` pairs (controller/health.go setApplicationHealth):
    the worst wins; missing live resources do not degrade it (OutOfSync says that); no live resources at all,
    when there are resources, is Missing."""
    items = list(results)
    app = Health.Healthy
    any_live = False
    for res, live in items:
        if not live:
            continue
        any_live = True
        if is_worse(res.status, app):
            app = res.status
    if items and not any_live:
        return Health.Missing
    return app
