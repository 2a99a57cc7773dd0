"""State shared by one reconcile of one Rollout: the spec, the working status, the ReplicaSets and runs seen,
and the Plan being built. Also the step helpers of ``AR:utils/replicaset/canary.go``."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from shipyard.delivery.model import POD_HASH_LABEL, Plan, ReplicaSetView, RunView
from shipyard.resources.rollouts import CanaryStep, Rollout, SetCanaryScale, duration_seconds


@dataclass(slots=True)
class Ctx:
    ro: Rollout
    st: dict[str, Any]
    rss: list[ReplicaSetView]
    runs: list[RunView]
    now: float
    plan: Plan
    new: ReplicaSetView
    stable: ReplicaSetView | None

    @property
    def name(self) -> str:
        return self.ro.metadata.name or ""

    @property
    def replicas(self) -> int:
        return self.ro.spec.desired

    @property
    def steps(self) -> list[CanaryStep]:
        c = self.ro.spec.strategy.canary
        return list(c.steps) if c is not None else []

    @property
    def index(self) -> int:
        return int(self.st.get("currentStepIndex") or 0)

    @index.setter
    def index(self, value: int) -> None:
        self.st["currentStepIndex"] = value

    @property
    def aborted(self) -> bool:
        return bool(self.st.get("abort"))

    @property
    def fully_promoted(self) -> bool:
        return bool(self.st.get("stableRS")) and self.st.get("stableRS") == self.st.get("currentPodHash")

    @property
    def max_weight(self) -> int:
        c = self.ro.spec.strategy.canary
        tr = c.traffic_routing if c else None
        return (tr.max_traffic_weight if tr and tr.max_traffic_weight else None) or 100

    @property
    def routed(self) -> bool:
        c = self.ro.spec.strategy.canary
        return c is not None and c.traffic_routing is not None

    def current_step(self) -> CanaryStep | None:
        steps = self.steps
        return steps[self.index] if 0 <= self.index < len(steps) else None

    def others(self) -> list[ReplicaSetView]:
        stable = self.stable.name if self.stable else None
        return [rs for rs in self.rss if rs.name not in (self.new.name, stable)]

    def replicas_of(self, rs: ReplicaSetView) -> int:
        """The spec count after this reconcile's planned scaling."""
        return self.plan.scale.get(rs.name, rs.replicas)

    def scale(self, rs: ReplicaSetView, to: int) -> None:
        before = self.replicas_of(rs)
        if to == before:
            return
        self.plan.scale[rs.name] = to
        direction = "up" if to > before else "down"
        self.plan.event(
            "ScalingReplicaSet",
            f"Scaled {direction} ReplicaSet {rs.name} (revision {rs.revision}) from {before} to {to}",
        )

    def pauses(self) -> list[dict[str, Any]]:
        return list(self.st.get("pauseConditions") or [])

    def has_pause(self, reason: str) -> bool:
        return any(p.get("reason") == reason for p in self.pauses())

    def add_pause(self, reason: str) -> None:
        if not self.has_pause(reason):
            self.st["pauseConditions"] = [*self.pauses(), {"reason": reason, "startTime": _stamp(self.now)}]
            self.st["controllerPause"] = True

    def remove_pause(self, reason: str) -> None:
        remaining = [p for p in self.pauses() if p.get("reason") != reason]
        if len(remaining) != len(self.pauses()):
            self.st["pauseConditions"] = remaining or None
            if not remaining:
                self.st["controllerPause"] = False

    def halted(self) -> bool:
        """``haltProgress``: user pause or an inconclusive-analysis pause stops all scaling."""
        return self.ro.spec.paused or self.has_pause("InconclusiveAnalysisRun")


def _stamp(now: float) -> str:
    from shipyard.clock import rfc3339

    return rfc3339(now)


def current_set_weight(ctx: Ctx) -> int:
    """``GetCurrentSetWeight``: aborted 0; past the last step maxWeight; else the nearest setWeight at/before."""
    if ctx.aborted:
        return 0
    if ctx.current_step() is None:
        return ctx.max_weight
    for step in reversed(ctx.steps[: ctx.index + 1]):
        if step.set_weight is not None:
            return step.set_weight
    return 0


def previous_set_weight(ctx: Ctx) -> int:
    for step in reversed(ctx.steps[: ctx.index]):
        if step.set_weight is not None:
            return step.set_weight
    return 0


def active_canary_scale(ctx: Ctx) -> SetCanaryScale | None:
    """``UseSetCanaryScale``: the latest setCanaryScale at/before the index, unless it matches traffic weight."""
    if not ctx.routed or ctx.current_step() is None:
        return None
    for step in reversed(ctx.steps[: ctx.index + 1]):
        scs = step.set_canary_scale
        if scs is None:
            continue
        return None if scs.match_traffic_weight else scs
    return None


def step_string(step: CanaryStep) -> str:
    """``CanaryStepString``."""
    if step.set_weight is not None:
        return f"setWeight: {step.set_weight}"
    if step.pause is not None:
        return "pause" if step.pause.duration is None else f"pause: {step.pause.duration}"
    if step.experiment is not None:
        return "experiment"
    if step.analysis is not None:
        return "analysis"
    scs = step.set_canary_scale
    if scs is not None:
        if scs.weight is not None:
            return f"setCanaryScale{{weight: {scs.weight}}}"
        if scs.match_traffic_weight:
            return "setCanaryScale{matchTrafficWeight: true}"
        if scs.replicas is not None:
            return f"setCanaryScale{{replicas: {scs.replicas}}}"
    return "invalid"


def pause_seconds(step: CanaryStep) -> float | None:
    if step.pause is None or step.pause.duration is None:
        return None
    return duration_seconds(step.pause.duration)


def rs_labels(template: dict[str, Any], pod_hash: str) -> dict[str, str]:
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels[POD_HASH_LABEL] = pod_hash
    return labels


def copy_status(status: dict[str, Any] | None) -> dict[str, Any]:
    return copy.deepcopy(status) if status else {}
