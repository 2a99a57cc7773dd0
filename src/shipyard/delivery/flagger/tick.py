"""One Flagger analysis tick (``FL:pkg/controller/scheduler.go advanceCanary``) as a pure function of the Canary,
its status, what the controller observed, and injected checks. Returns the new status and the actions
(route weights, canary scale, promote-to-primary) for the controller to apply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shipyard.delivery.flagger.checks import CheckResult
from shipyard.resources.flagger import Canary

Checks = Callable[[], CheckResult]  # rollout hooks + metrics, run only when the tick needs them
Gate = Callable[[str], CheckResult]  # run the hooks of one type (confirm-rollout, pre-rollout, ...)


@dataclass(frozen=True, slots=True)
class Observed:
    target_hash: str
    canary_ready: bool = True
    primary_ready: bool = True
    deadline_passed: bool = False  # not ready for longer than progressDeadlineSeconds


@dataclass(slots=True)
class TickPlan:
    status: dict[str, Any]
    primary_weight: int | None = None
    canary_weight: int | None = None
    mirror: bool = False
    scale_canary: str | None = None  # "up" | "down"
    promote: bool = False
    initialize: bool = False
    events: list[str] = field(default_factory=list)


def strategy(c: Canary) -> str:
    a = c.spec.analysis
    if c.spec.provider == "kubernetes":
        return "B/G"
    if a.match and a.iterations:
        return "A/B"
    if a.iterations:
        return "B/G"
    return "Canary"


def max_weight(c: Canary) -> int:
    a = c.spec.analysis
    if a.step_weights:
        return min(100, a.step_weights[-1])
    return a.max_weight or 100


def next_step(c: Canary, weight: int) -> int:
    """``nextStepWeight``: stepWeight wins; else the next stepWeights entry above the current weight."""
    a = c.spec.analysis
    if a.step_weight:
        return a.step_weight
    for w in a.step_weights:
        if w > weight:
            return min(w, 100) - weight
    return 100 - weight


def _reset(status: dict[str, Any], phase: str) -> None:
    status.update(phase=phase, canaryWeight=0, failedChecks=0, iterations=0)


def tick(c: Canary, status: dict[str, Any] | None, seen: Observed, *, checks: Checks, gate: Gate) -> TickPlan:
    st = dict(status or {})
    plan = TickPlan(status=st)
    phase = st.get("phase") or ""
    if phase in ("", "Initializing"):
        plan.initialize = True
        st.update(phase="Initialized", lastAppliedSpec=seen.target_hash, canaryWeight=0, failedChecks=0, iterations=0)
        plan.primary_weight, plan.canary_weight = 100, 0
        plan.scale_canary = "down"
        plan.events.append("Initialization done!")
        return plan
    changed = seen.target_hash != st.get("lastAppliedSpec")
    if phase in ("Initialized", "Succeeded", "Failed", "Waiting"):
        if not changed and phase != "Waiting":
            return plan
        confirm = gate("confirm-rollout")
        if not confirm.ok:
            st["phase"] = "Waiting"
            plan.events.append(f"Halt {c.metadata.name}.{c.metadata.namespace} advancement waiting for approval")
            return plan
        if c.spec.skip_analysis:
            # FL: skipAnalysis promotes at once, routes everything to the primary and scales the canary down
            _reset(st, "Succeeded")
            st["lastAppliedSpec"] = seen.target_hash
            plan.promote, plan.scale_canary = True, "down"
            plan.primary_weight, plan.canary_weight = 100, 0
            plan.events.append(
                f"Copying {c.spec.target_ref.name}.{c.metadata.namespace} template spec to {c.spec.target_ref.name}-primary.{c.metadata.namespace}"
            )
            return plan
        _reset(st, "Progressing")
        st["lastAppliedSpec"] = seen.target_hash
        plan.scale_canary = "up"
        plan.primary_weight, plan.canary_weight = 100, 0
        plan.events.append(f"New revision detected! Scaling up {c.spec.target_ref.name}.{c.metadata.namespace}")
        return plan
    if changed and phase in ("Progressing", "WaitingPromotion"):
        _reset(st, "Progressing")
        st["lastAppliedSpec"] = seen.target_hash
        plan.primary_weight, plan.canary_weight = 100, 0
        plan.events.append(
            f"New revision detected! Restarting analysis for {c.spec.target_ref.name}.{c.metadata.namespace}"
        )
        return plan
    if phase == "Promoting":
        return _promoting(c, st, plan)
    if phase == "Finalising":
        st.update(phase="Succeeded", canaryWeight=0)
        plan.scale_canary = "down"
        plan.events.append(f"Promotion completed! Scaling down {c.spec.target_ref.name}.{c.metadata.namespace}")
        gate("post-rollout")
        return plan
    if not seen.canary_ready:
        if seen.deadline_passed and phase in ("Progressing", "WaitingPromotion"):
            return _rollback(
                c, st, plan, f"Rolling back {c.spec.target_ref.name}.{c.metadata.namespace} progress deadline exceeded"
            )
        return plan
    if phase in ("Progressing", "WaitingPromotion") and _has(c, "rollback") and gate("rollback").ok:
        return _rollback(c, st, plan, "Rolling back manually triggered")
    threshold = c.spec.analysis.threshold or 0
    threshold = threshold if threshold > 0 else 1  # FL: threshold <= 0 means 1
    if int(st.get("failedChecks", 0)) >= threshold:
        return _rollback(
            c,
            st,
            plan,
            f"Rolling back {c.metadata.name}.{c.metadata.namespace} failed checks threshold reached {st.get('failedChecks')}",
        )
    weight, iterations = int(st.get("canaryWeight", 0)), int(st.get("iterations", 0))
    result = gate("pre-rollout") if weight == 0 and iterations == 0 else checks()
    if not result.ok:
        st["failedChecks"] = int(st.get("failedChecks", 0)) + 1
        plan.events.append(result.message)
        return plan
    kind = strategy(c)
    if kind == "A/B":
        if iterations < (c.spec.analysis.iterations or 0):
            st["iterations"] = iterations + 1
            plan.primary_weight, plan.canary_weight = 0, 100
            return plan
        return _promote(c, st, plan, gate)
    if kind == "B/G":
        target = c.spec.analysis.iterations or 10
        if iterations < target:
            st["iterations"] = iterations + 1
            plan.mirror = c.spec.analysis.mirror
            return plan
        if iterations == target:
            st["iterations"] = iterations + 1
            st["canaryWeight"] = 100
            plan.primary_weight, plan.canary_weight = 0, 100
            return plan
        return _promote(c, st, plan, gate)
    if weight < max_weight(c):
        if c.spec.analysis.mirror and weight == 0 and not st.get("mirrored"):
            st["mirrored"] = True
            plan.primary_weight, plan.canary_weight, plan.mirror = 100, 0, True
            return plan
        if not gate("confirm-traffic-increase").ok:
            return plan
        st.pop("mirrored", None)
        weight = min(100, weight + next_step(c, weight))
        st["canaryWeight"] = weight
        plan.primary_weight, plan.canary_weight = 100 - weight, weight
        plan.events.append(f"Advance {c.metadata.name}.{c.metadata.namespace} canary weight {weight}")
        return plan
    return _promote(c, st, plan, gate)


def _has(c: Canary, kind: str) -> bool:
    return any((w.type or "rollout") == kind for w in c.spec.analysis.webhooks)


def _promote(c: Canary, st: dict[str, Any], plan: TickPlan, gate: Gate) -> TickPlan:
    if not gate("confirm-promotion").ok:
        st["phase"] = "WaitingPromotion"
        return plan
    st["phase"] = "Promoting"
    plan.promote = True
    plan.events.append(
        f"Copying {c.spec.target_ref.name}.{c.metadata.namespace} template spec to {c.spec.target_ref.name}-primary.{c.metadata.namespace}"
    )
    return plan


def _promoting(c: Canary, st: dict[str, Any], plan: TickPlan) -> TickPlan:
    swp = c.spec.analysis.step_weight_promotion
    weight = int(st.get("canaryWeight", 0))
    if swp and strategy(c) == "Canary" and weight - swp > 0:
        weight -= swp
        st["canaryWeight"] = weight
        plan.primary_weight, plan.canary_weight = 100 - weight, weight
        return plan
    st.update(phase="Finalising", canaryWeight=0)
    plan.primary_weight, plan.canary_weight = 100, 0
    return plan


def _rollback(c: Canary, st: dict[str, Any], plan: TickPlan, message: str) -> TickPlan:
    st.update(phase="Failed", canaryWeight=0)
    plan.primary_weight, plan.canary_weight = 100, 0
    plan.scale_canary = "down"
    plan.events.append(message)
    plan.events.append(f"Canary failed! Scaling down {c.spec.target_ref.name}.{c.metadata.namespace}")
    return plan
