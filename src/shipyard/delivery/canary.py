"""The canary strategy (``AR:rollout/canary.go rolloutCanary``, ``syncRolloutStatusCanary``).

Order per reconcile: abort bookkeeping → analysis runs → pause steps → ReplicaSet scaling (unless halted) →
services and traffic weight → step completion (one step per reconcile, requeue now) → full promotion.
"""

from __future__ import annotations

from shipyard.clock import rfc3339
from shipyard.delivery import gate
from shipyard.delivery.canary_traffic import services_and_traffic
from shipyard.delivery.context import (
    Ctx,
    active_canary_scale,
    current_set_weight,
    pause_seconds,
    step_string,
)
from shipyard.delivery.model import SCALE_DOWN_DEADLINE, ReplicaSetView
from shipyard.delivery.replicas import RSCount, basic_canary_counts, resolve_fenceposts, traffic_routed_counts
from shipyard.delivery.rollout import check_deadline, handle_abort
from shipyard.resources.timefmt import parse_time

DEFAULT_SCALE_DOWN_DELAY = 30  # scaleDownDelaySeconds and abortScaleDownDelaySeconds default


def reconcile_canary(ctx: Ctx) -> None:
    c = ctx.ro.spec.strategy.canary
    assert c is not None
    st = ctx.st
    if not st.get("stableRS"):
        # initial deploy: nothing to compare against, the first ReplicaSet is stable at once
        st["stableRS"] = ctx.new.pod_hash
        ctx.stable = ctx.new
        if ctx.steps:
            ctx.index = len(ctx.steps)
    if st.get("promoteFull") and ctx.aborted:
        st["abort"] = False
    handle_abort(ctx)
    gate.canary_analysis(ctx)
    handle_abort(ctx)  # an analysis verdict may have aborted just now
    _pause_step(ctx)
    want_canary, want_stable = desired_counts(ctx)
    if not ctx.halted():
        _scale(ctx, want_canary, want_stable)
    services_and_traffic(ctx, want_canary, want_stable)
    step = ctx.current_step()
    waiting = step is not None and (step.pause is not None or step.analysis is not None)
    check_deadline(ctx, waiting)
    handle_abort(ctx)
    # completedCurrentCanaryStep is held only by spec.paused: under an inconclusive-analysis pause a timed pause
    # step still completes (scaling is what haltProgress stops) (AR:rollout/canary.go)
    advancing = not ctx.aborted and not ctx.fully_promoted and not ctx.ro.spec.paused and step is not None
    if advancing and step is not None and _step_completed(ctx, want_canary, want_stable):
        ctx.index = ctx.index + 1
        st.setdefault("canary", {}).pop("currentStepAnalysisRunStatus", None)
        ctx.plan.event(
            "RolloutStepCompleted", f"Rollout step {ctx.index}/{len(ctx.steps)} completed ({step_string(step)})"
        )
        if step.pause is not None:
            ctx.remove_pause("CanaryPauseStep")
            st["controllerPause"] = False
        ctx.plan.wake(ctx.now)
        return
    _full_promote(ctx)


def desired_counts(ctx: Ctx) -> tuple[int, int]:
    """Target (canary, stable) pods; maxWeight when promoting fully or already promoted."""
    c = ctx.ro.spec.strategy.canary
    assert c is not None
    r = ctx.replicas
    promoting = bool(ctx.st.get("promoteFull")) or ctx.fully_promoted
    if ctx.routed:
        scs = None if promoting else active_canary_scale(ctx)
        weight = ctx.max_weight if promoting else current_set_weight(ctx)
        if scs is not None and scs.weight is not None:
            weight = scs.weight
        weights = (ctx.st.get("canary") or {}).get("weights") or {}
        return traffic_routed_counts(
            r,
            weight,
            max_weight=ctx.max_weight,
            canary_scale_replicas=scs.replicas if scs is not None else None,
            dynamic_stable_scale=c.dynamic_stable_scale,
            min_pods_per_rs=c.min_pods_per_replica_set,
            actual_canary_weight=(weights.get("canary") or {}).get("weight") if c.dynamic_stable_scale else None,
            actual_stable_weight=(weights.get("stable") or {}).get("weight") if c.dynamic_stable_scale else None,
            aborted=ctx.aborted,
        )
    weight = ctx.max_weight if promoting else current_set_weight(ctx)
    surge, _ = resolve_fenceposts(c.max_surge, c.max_unavailable, r)
    from shipyard.delivery.replicas import approximate_canary_stable

    return approximate_canary_stable(r, weight, surge, ctx.max_weight)


def _pause_step(ctx: Ctx) -> None:
    step = ctx.current_step()
    if step is None or step.pause is None or ctx.aborted or ctx.fully_promoted or ctx.st.get("promoteFull"):
        return
    if not ctx.has_pause("CanaryPauseStep") and not ctx.st.get("controllerPause"):
        ctx.add_pause("CanaryPauseStep")
    seconds = pause_seconds(step)
    if seconds is not None:
        for p in ctx.pauses():
            if p.get("reason") == "CanaryPauseStep":
                ctx.plan.wake(parse_time(p["startTime"]) + seconds)


def _scale(ctx: Ctx, want_canary: int, want_stable: int) -> None:
    c = ctx.ro.spec.strategy.canary
    assert c is not None
    new, stable = ctx.new, ctx.stable
    others = ctx.others()
    if ctx.routed:
        if stable is not None and stable is not new:
            ctx.scale(stable, want_stable)
        if ctx.aborted and stable is not new and c.dynamic_stable_scale and c.abort_scale_down_delay_seconds is None:
            ctx.scale(new, want_canary)  # dynamic without an explicit delay: the canary shrinks as traffic leaves
        elif ctx.aborted and stable is not new:
            # #4898: with dynamicStableScale the abort delay starts only once stable is fully available again
            if not (c.dynamic_stable_scale and (stable is None or stable.available < ctx.replicas)):
                _abort_scale_down(ctx, c.abort_scale_down_delay_seconds, want_canary)
        else:
            ctx.scale(new, want_canary if stable is not new else ctx.replicas)
        for rs in others:
            if rs.deadline is None:
                ctx.scale(rs, 0)
        return
    if stable is new or stable is None:
        # fully promoted basic canary: the new RS is everything; old ones go within maxUnavailable
        _, unavailable = resolve_fenceposts(c.max_surge, c.max_unavailable, ctx.replicas)
        ctx.scale(new, ctx.replicas)
        _scale_down_others(ctx, others, unavailable)
        return
    surge, unavailable = resolve_fenceposts(c.max_surge, c.max_unavailable, ctx.replicas)
    weight = ctx.max_weight if ctx.st.get("promoteFull") else current_set_weight(ctx)
    others_spec = sum(ctx.replicas_of(r) for r in others)
    canary_n, stable_n = basic_canary_counts(
        ctx.replicas,
        weight,
        surge,
        unavailable,
        RSCount(new.replicas, new.available),
        RSCount(stable.replicas, stable.available),
        others_spec,
    )
    ctx.scale(stable, stable_n)
    ctx.scale(new, canary_n)
    _scale_down_others(ctx, others, unavailable)


def _scale_down_others(ctx: Ctx, others: list[ReplicaSetView], unavailable: int) -> None:
    """Intermediate and old ReplicaSets go to 0 without dropping below R - maxUnavailable available pods."""
    min_available = ctx.replicas - unavailable
    total_available = sum(r.available for r in ctx.rss)
    budget = max(0, total_available - min_available)
    for rs in sorted(others, key=lambda r: r.revision):
        current = ctx.replicas_of(rs)
        if current == 0:
            continue
        # pods that are not available can always go; available ones only within the budget
        unready = max(0, current - rs.available)
        cut = min(current, unready + budget)
        budget -= max(0, cut - unready)
        ctx.scale(rs, current - cut)


def _abort_scale_down(ctx: Ctx, delay: int | None, want_canary: int) -> None:
    """Traffic routing abort: keep canary pods ``abortScaleDownDelaySeconds`` (default 30; 0 = forever)."""
    new = ctx.new
    delay = DEFAULT_SCALE_DOWN_DELAY if delay is None else delay
    if delay == 0 or ctx.replicas_of(new) == 0:
        return
    deadline = new.deadline
    if deadline is None:
        ctx.plan.annotate.setdefault(new.name, {})[SCALE_DOWN_DEADLINE] = rfc3339(ctx.now + delay)
        ctx.plan.wake(ctx.now + delay)
    elif ctx.now >= deadline:
        ctx.scale(new, 0)
        ctx.plan.annotate.setdefault(new.name, {})[SCALE_DOWN_DEADLINE] = None
    else:
        ctx.plan.wake(deadline)


def at_desired(ctx: Ctx, want_canary: int, want_stable: int) -> bool:
    """``AtDesiredReplicaCountsForCanary``."""
    new, stable = ctx.new, ctx.stable
    if ctx.replicas_of(new) != want_canary or new.available < want_canary:
        return False
    basic = stable is not None and stable is not new and not ctx.routed
    if basic and stable is not None and (ctx.replicas_of(stable) != want_stable or stable.available != want_stable):
        return False
    if stable is not None and stable is not new and ctx.routed and stable.available < want_stable:
        return False
    return all(r.available == 0 for r in ctx.others() if r.deadline is None)


def _step_completed(ctx: Ctx, want_canary: int, want_stable: int) -> bool:
    step = ctx.current_step()
    assert step is not None
    if step.set_weight is not None or step.set_canary_scale is not None:
        return at_desired(ctx, want_canary, want_stable)
    if step.pause is not None:
        if ctx.st.get("controllerPause") and not ctx.has_pause("CanaryPauseStep"):
            return True  # promoted by the user
        seconds = pause_seconds(step)
        for p in ctx.pauses():
            if p.get("reason") == "CanaryPauseStep" and seconds is not None:
                return ctx.now >= parse_time(p["startTime"]) + seconds
        return False
    if step.analysis is not None:
        slot = (ctx.st.get("canary") or {}).get("currentStepAnalysisRunStatus") or {}
        return slot.get("status") == "Successful"
    return step.set_header_route is not None or step.set_mirror_route is not None


def _full_promote(ctx: Ctx) -> None:
    """``shouldFullPromote`` + ``promoteStable``."""
    st = ctx.st
    if ctx.aborted or ctx.fully_promoted:
        return
    if st.get("promoteFull"):
        reason = "Full promotion requested"
    elif ctx.index >= len(ctx.steps):
        reason = f"Completed all {len(ctx.steps)} canary steps"
    else:
        return
    if ctx.new.available < ctx.replicas:
        return
    old = ctx.stable
    st["stableRS"] = ctx.new.pod_hash
    st["promoteFull"] = False
    if ctx.steps:
        ctx.index = len(ctx.steps)
    ctx.plan.event(
        "RolloutCompleted", f"Rollout completed update to revision {ctx.new.revision} ({ctx.new.pod_hash}): {reason}"
    )
    gate.terminate_all(ctx)
    ctx.stable = ctx.new
    c = ctx.ro.spec.strategy.canary
    assert c is not None
    if ctx.routed and old is not None and old is not ctx.new and ctx.replicas_of(old) > 0:
        delay = DEFAULT_SCALE_DOWN_DELAY if c.scale_down_delay_seconds is None else c.scale_down_delay_seconds
        ctx.plan.annotate.setdefault(old.name, {})[SCALE_DOWN_DEADLINE] = rfc3339(ctx.now + delay)
        old.annotations = {**old.annotations, SCALE_DOWN_DEADLINE: rfc3339(ctx.now + delay)}
        ctx.plan.wake(ctx.now + delay)
    services_and_traffic(ctx, ctx.replicas, 0)
    ctx.plan.wake(ctx.now)
