"""Rollout status helpers: conditions (``AR:utils/conditions/conditions.go``) and the phase
(``AR:utils/rollout/rolloututil.go CalculateRolloutPhase``, first match wins)."""

from __future__ import annotations

from typing import Any

from shipyard.clock import rfc3339
from shipyard.delivery.phases import RolloutPhase
from shipyard.resources.rollouts import Rollout

# Reasons/messages exactly as Argo writes them.
ROLLOUT_ABORTED = "RolloutAborted"
PROGRESS_DEADLINE = "ProgressDeadlineExceeded"
INVALID_SPEC = "InvalidSpec"


def get_condition(status: dict[str, Any], ctype: str) -> dict[str, Any] | None:
    for c in status.get("conditions") or []:
        if c.get("type") == ctype:
            return dict(c)
    return None


def set_condition(status: dict[str, Any], ctype: str, value: str, reason: str, message: str, now: float) -> bool:
    """``SetRolloutCondition``: no-op when status and reason are unchanged; keeps lastTransitionTime if status is."""
    current = get_condition(status, ctype)
    if current is not None and current.get("status") == value and current.get("reason") == reason:
        if current.get("message") != message:
            current["message"] = message
            _put(status, current)
        return False
    stamp = rfc3339(now)
    cond = {
        "type": ctype,
        "status": value,
        "reason": reason,
        "message": message,
        "lastUpdateTime": stamp,
        "lastTransitionTime": current["lastTransitionTime"] if current and current.get("status") == value else stamp,
    }
    _put(status, cond)
    return True


def touch_progress(status: dict[str, Any], reason: str, message: str, now: float) -> None:
    """Progress was made: Progressing=True with a fresh lastUpdateTime (the deadline counts from it)."""
    set_condition(status, "Progressing", "True", reason, message, now)
    cond = get_condition(status, "Progressing")
    if cond is not None:
        cond["lastUpdateTime"] = rfc3339(now)
        _put(status, cond)


def _put(status: dict[str, Any], cond: dict[str, Any]) -> None:
    conds = [c for c in status.get("conditions") or [] if c.get("type") != cond["type"]]
    conds.append(cond)
    status["conditions"] = conds


def calculate_phase(ro: Rollout, status: dict[str, Any]) -> tuple[RolloutPhase, str]:
    """First matching rule wins (reference §1.6)."""
    for c in status.get("conditions") or []:
        if c.get("type") == INVALID_SPEC and c.get("status") == "True":
            return RolloutPhase.Degraded, f"{INVALID_SPEC}: {c.get('message', '')}"
        if c.get("reason") in (ROLLOUT_ABORTED, PROGRESS_DEADLINE):
            return RolloutPhase.Degraded, f"{c['reason']}: {c.get('message', '')}"
    if ro.spec.paused:
        return RolloutPhase.Paused, "manually paused"
    pauses = status.get("pauseConditions") or []
    if pauses:
        return RolloutPhase.Paused, str(pauses[0]["reason"])
    if status.get("restartPending"):
        return RolloutPhase.Progressing, "rollout is restarting"
    replicas = ro.spec.desired
    updated = int(status.get("updatedReplicas", 0))
    if updated < replicas:
        return RolloutPhase.Progressing, "more replicas need to be updated"
    if int(status.get("availableReplicas", 0)) < updated:
        return RolloutPhase.Progressing, "updated replicas are still becoming available"
    current = status.get("currentPodHash")
    stable = status.get("stableRS")
    if ro.spec.strategy.blue_green is not None:
        if (status.get("blueGreen") or {}).get("activeSelector") != current:
            return RolloutPhase.Progressing, "active service cutover pending"
        if stable != current:
            if ro.spec.strategy.blue_green.post_promotion_analysis is not None:
                return RolloutPhase.Progressing, "waiting for post-promotion verification to complete"
            return RolloutPhase.Progressing, "waiting for analysis to complete"
    else:
        canary = ro.spec.strategy.canary
        if canary is not None and canary.traffic_routing is None and int(status.get("replicas", 0)) > updated:
            return RolloutPhase.Progressing, "old replicas are pending termination"
        if not stable or stable != current:
            return RolloutPhase.Progressing, "waiting for all steps to complete"
    return RolloutPhase.Healthy, ""
