"""One reconcile of a Rollout: ``plan_rollout(rollout, status, replica_sets, runs, now) -> Plan``.

Common to both strategies (``AR:rollout/sync.go``, ``AR:rollout/replicaset.go``): find or create the ReplicaSet
of the current pod template, reset the status when the template or steps change, abort bookkeeping,
progress deadline, scale-down deadlines, revisionHistoryLimit, and the status counts and phase.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from shipyard.clock import rfc3339
from shipyard.delivery import gate, housekeeping
from shipyard.delivery.context import Ctx, copy_status
from shipyard.delivery.model import Plan, ReplicaSetView, RunView, pod_template_hash, steps_hash
from shipyard.delivery.status import (
    PROGRESS_DEADLINE,
    ROLLOUT_ABORTED,
    calculate_phase,
    get_condition,
    set_condition,
    touch_progress,
)
from shipyard.errors import UnsupportedError
from shipyard.resources.rollouts import Rollout
from shipyard.resources.timefmt import parse_time


def plan_rollout(
    ro: Rollout, status: dict[str, Any] | None, rss: Sequence[ReplicaSetView], runs: Sequence[RunView], *, now: float
) -> Plan:
    st = copy_status(status)
    plan = Plan(status=st)
    before = _progress_signature(st)
    if ro.spec.workload_ref is not None:
        raise UnsupportedError("spec.workloadRef is not supported yet; inline the pod template in spec.template")
    canary_spec = ro.spec.strategy.canary
    for i, step in enumerate(canary_spec.steps if canary_spec is not None else []):
        if step.experiment is not None or step.plugin is not None:
            what = "experiment" if step.experiment is not None else "plugin"
            raise UnsupportedError(f"spec.strategy.canary.steps[{i}]: {what} steps are not supported yet")
    template = ro.spec.template or {}
    collisions = int(st.get("collisionCount") or 0)
    pod_hash = pod_template_hash(template, collisions)
    views = [dataclasses.replace(r, annotations=dict(r.annotations)) for r in rss]
    new = next((r for r in views if r.pod_hash == pod_hash), None)
    top = max((r.revision for r in views), default=0)
    name = ro.metadata.name or "rollout"
    if new is None:
        new = ReplicaSetView(
            name=f"{name}-{pod_hash}", pod_hash=pod_hash, revision=top + 1, replicas=0, template=template
        )
        plan.create_rs.append(new)
        views = [*views, new]
        # createDesiredReplicaSet: setRolloutRevision ("RolloutUpdated") fires before the NewReplicaSetCreated event
        plan.event("RolloutUpdated", f"Rollout updated to revision {new.revision}")
        plan.event("NewReplicaSetCreated", f"Created ReplicaSet {new.name} (revision {new.revision})")
    elif new.revision < top and st.get("currentPodHash") != pod_hash:
        # an older template came back (undo): it becomes the newest revision, as Argo re-annotates it
        new.revision = top + 1
        plan.annotate.setdefault(new.name, {})["rollout.argoproj.io/revision"] = str(new.revision)
        plan.event("RolloutUpdated", f"Rollout updated to revision {new.revision}")
    stable = next((r for r in views if st.get("stableRS") and r.pod_hash == st.get("stableRS")), None)
    ctx = Ctx(ro=ro, st=st, rss=views, runs=list(runs), now=now, plan=plan, new=new, stable=stable)
    _new_revision(ctx)
    canary = ro.spec.strategy.canary
    if canary is not None:
        from shipyard.delivery.canary import reconcile_canary

        reconcile_canary(ctx)
    else:
        from shipyard.delivery.bluegreen import reconcile_bluegreen

        reconcile_bluegreen(ctx)
    housekeeping.scale_down_deadlines(ctx)
    housekeeping.restart(ctx)
    housekeeping.history_limit(ctx)
    housekeeping.run_history(ctx)
    finish_status(ctx)
    if _progress_signature(st) != before and not ctx.aborted:
        cond = get_condition(st, "Progressing")
        if cond is not None and cond.get("status") == "True":
            touch_progress(st, str(cond["reason"]), str(cond.get("message", "")), now)
    if not (status or {}).get("stableRS") and st.get("stableRS") == new.pod_hash:
        # promoteStable with reason "Initial deploy", at the end of the first reconcile (AR:rollout/sync.go)
        plan.event(
            "RolloutCompleted", f"Rollout completed update to revision {new.revision} ({new.pod_hash}): Initial deploy"
        )
    _state_change_events(plan, (status or {}).get("pauseConditions"), st)
    return plan


def _state_change_events(plan: Plan, before: Any, st: dict[str, Any]) -> None:
    """Events Argo sends when it persists the status (``AR:rollout/sync.go`` calculateRolloutConditions, then
    sendStateChangeEvents): RolloutAborted comes after this reconcile's scaling; RolloutPaused names the first
    pause reason and fires when pauseConditions become non-empty; RolloutResumed when they empty, unless aborted.
    A CLI promote that clears pauseConditions itself therefore produces no RolloutResumed."""
    aborted = [e for e in plan.events if e.reason == ROLLOUT_ABORTED]
    plan.events[:] = [e for e in plan.events if e.reason != ROLLOUT_ABORTED] + aborted
    now_pauses = st.get("pauseConditions") or []
    if bool(before) == bool(now_pauses):
        return
    if now_pauses:
        plan.event("RolloutPaused", f"Rollout is paused ({now_pauses[0].get('reason', '')})")
    elif not st.get("abortedAt"):
        plan.event("RolloutResumed", "Rollout is resumed")


def _progress_signature(st: dict[str, Any]) -> tuple[Any, ...]:
    """``RolloutProgressing``: what counts as progress for progressDeadlineSeconds."""
    bg = st.get("blueGreen") or {}
    return (
        st.get("updatedReplicas"),
        st.get("readyReplicas"),
        st.get("availableReplicas"),
        st.get("replicas"),
        st.get("currentStepIndex"),
        st.get("stableRS"),
        st.get("currentStepHash"),
        bg.get("activeSelector"),
        bg.get("previewSelector"),
    )


def _new_revision(ctx: Ctx) -> None:
    st = ctx.st
    steps = [s.model_dump(by_alias=True, exclude_none=True) for s in ctx.steps]
    sh = steps_hash(steps)
    template_changed = st.get("currentPodHash") != ctx.new.pod_hash
    if not template_changed and st.get("currentStepHash", sh) == sh:
        st["currentStepHash"] = sh
        return
    for key in ("pauseConditions", "abortedAt", "abortDetail"):
        st.pop(key, None)
    st.update(
        abort=False, promoteFull=False, controllerPause=False, currentPodHash=ctx.new.pod_hash, currentStepHash=sh
    )
    if ctx.ro.spec.strategy.canary is not None and ctx.steps:
        st["currentStepIndex"] = 0
    elif ctx.ro.spec.strategy.canary is not None:
        st.pop("currentStepIndex", None)
    gate.terminate_all(ctx)
    for sec in ("canary", "blueGreen"):
        if isinstance(st.get(sec), dict):
            st[sec] = {k: v for k, v in st[sec].items() if k in ("weights", "activeSelector", "previewSelector")}
    if template_changed:
        touch_progress(st, "ReplicaSetUpdated", f'ReplicaSet "{ctx.new.name}" is progressing.', ctx.now)
    if ctx.stable is not None and ctx.stable.pod_hash == ctx.new.pod_hash and ctx.steps:
        # rolled back to the stable ReplicaSet: nothing to step through (AR:rollout/canary.go skip steps)
        st["currentStepIndex"] = len(ctx.steps)
        ctx.plan.event("SkipSteps", "Rollback to stable ReplicaSets")


def handle_abort(ctx: Ctx) -> None:
    """First reconcile after ``status.abort`` turned true: record it, terminate runs; retry clears it."""
    st = ctx.st
    if ctx.aborted and not st.get("abortedAt"):
        st["abortedAt"] = rfc3339(ctx.now)
        detail = st.pop("abortDetail", "")
        msg = f"Rollout aborted update to revision {ctx.new.revision}" + (f": {detail}" if detail else "")
        set_condition(st, "Progressing", "False", ROLLOUT_ABORTED, msg, ctx.now)
        ctx.plan.event(ROLLOUT_ABORTED, msg, "Warning")
        gate.terminate_all(ctx)
        st.pop("pauseConditions", None)
        st["controllerPause"] = False
    elif not ctx.aborted and st.get("abortedAt"):
        st.pop("abortedAt", None)
        st.pop("abortDetail", None)
        touch_progress(st, "RolloutRetry", "Retrying Rollout after abort", ctx.now)
    if ctx.aborted and ctx.steps and ctx.ro.spec.strategy.canary is not None:
        ctx.index = len(ctx.steps) if ctx.fully_promoted else 0


def check_deadline(ctx: Ctx, waiting: bool) -> None:
    """progressDeadlineSeconds: not counted while paused or waiting on analysis (``RolloutTimedOut``)."""
    st = ctx.st
    if ctx.aborted or waiting or ctx.pauses() or ctx.ro.spec.paused or (ctx.fully_promoted and _new_available(ctx)):
        return
    cond = get_condition(st, "Progressing")
    if cond is None or cond.get("reason") == PROGRESS_DEADLINE:
        return
    deadline = parse_time(cond["lastUpdateTime"]) + ctx.ro.spec.progress_deadline_seconds
    if ctx.now < deadline:
        ctx.plan.wake(deadline)
        return
    msg = f'ReplicaSet "{ctx.new.name}" has timed out progressing.'
    set_condition(st, "Progressing", "False", PROGRESS_DEADLINE, msg, ctx.now)
    # Argo records no event of its own for the timeout (only RolloutAborted when progressDeadlineAbort is set)
    if ctx.ro.spec.progress_deadline_abort:
        gate.abort(ctx, msg)


def _new_available(ctx: Ctx) -> bool:
    return ctx.new.available >= ctx.replicas


def finish_status(ctx: Ctx) -> None:
    st = ctx.st
    live = [r for r in ctx.rss if r.name not in ctx.plan.delete_rs]
    st["replicas"] = sum(ctx.replicas_of(r) for r in live)
    st["updatedReplicas"] = ctx.replicas_of(ctx.new)
    st["readyReplicas"] = sum(r.ready for r in live)
    st["availableReplicas"] = sum(r.available for r in live)
    active = (st.get("blueGreen") or {}).get("activeSelector")
    if ctx.ro.spec.strategy.blue_green is not None and active:
        # blue-green counts what the active service serves (AR:rollout/bluegreen.go syncRolloutStatusBlueGreen)
        serving = [r for r in live if r.pod_hash == active]
        st["readyReplicas"] = sum(r.ready for r in serving)
        st["availableReplicas"] = sum(r.available for r in serving)
    st["observedGeneration"] = str(ctx.ro.metadata.generation or 1)
    if ctx.ro.spec.paused or ctx.pauses():
        set_condition(st, "Paused", "True", "RolloutPaused", "Rollout is paused", ctx.now)
    elif get_condition(st, "Paused") is not None:
        set_condition(st, "Paused", "False", "RolloutResumed", "Rollout is resumed", ctx.now)
    available = st["availableReplicas"] >= ctx.replicas
    set_condition(
        st,
        "Available",
        "True" if available else "False",
        "AvailableReason",
        "Rollout has minimum availability" if available else "Rollout does not have minimum availability",
        ctx.now,
    )
    done = ctx.fully_promoted
    set_condition(st, "Completed", "True" if done else "False", "RolloutCompleted", "RolloutCompleted", ctx.now)
    phase, message = calculate_phase(ctx.ro, st)
    st["phase"] = phase.value
    st["message"] = message
    healthy = phase.value == "Healthy"
    set_condition(
        st,
        "Healthy",
        "True" if healthy else "False",
        "RolloutHealthy",
        "Rollout is healthy" if healthy else "Rollout is not healthy",
        ctx.now,
    )
    if healthy:
        cond = get_condition(st, "Progressing")
        if cond is None or cond.get("reason") != "NewReplicaSetAvailable":
            set_condition(
                st,
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{ctx.new.name}" has successfully progressed.',
                ctx.now,
            )
