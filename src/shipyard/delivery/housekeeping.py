"""Per-reconcile housekeeping shared by both strategies: scale-down deadlines, ``restartAt``,
``revisionHistoryLimit`` and the AnalysisRun history limits."""

from __future__ import annotations

from shipyard.delivery.context import Ctx
from shipyard.delivery.model import RESTART_ANNOTATION
from shipyard.resources.timefmt import parse_time


def scale_down_deadlines(ctx: Ctx) -> None:
    """Old ReplicaSets annotated ``scale-down-deadline`` go to 0 once it passes."""
    for rs in ctx.rss:
        deadline = rs.deadline
        if deadline is None or ctx.replicas_of(rs) == 0 or rs.name in (ctx.new.name,):
            continue
        if ctx.stable is not None and rs.name == ctx.stable.name:
            continue
        if ctx.now >= deadline:
            ctx.scale(rs, 0)
            ctx.plan.annotate.setdefault(rs.name, {})["scale-down-deadline"] = None
        else:
            ctx.plan.wake(deadline)


def restart(ctx: Ctx) -> None:
    """``spec.restartAt``: every ReplicaSet with pods is restarted (through the runtime, see RESTART_ANNOTATION);
    phase "rollout is restarting" until all report it and are available again, then ``status.restartedAt``."""
    at = ctx.ro.spec.restart_at
    st = ctx.st
    if not at or st.get("restartedAt") == at:
        st.pop("restartPending", None)
        return
    due = parse_time(at)
    if ctx.now < due:
        ctx.plan.wake(due)
        return
    pending = False
    for rs in ctx.rss:
        if ctx.replicas_of(rs) == 0:
            continue
        if rs.annotations.get(RESTART_ANNOTATION) != at:
            ctx.plan.annotate.setdefault(rs.name, {})[RESTART_ANNOTATION] = at
            pending = True
        elif rs.observed_restart != at or rs.available < ctx.replicas_of(rs):
            pending = True
    if pending:
        st["restartPending"] = True
        return
    st.pop("restartPending", None)
    st["restartedAt"] = at  # RolloutPodRestarter only logs; there is no event for it (AR:rollout/restart.go)


def history_limit(ctx: Ctx) -> None:
    """``reconcileRevisionHistoryLimit``: delete the oldest scaled-to-zero RSs beyond the limit."""
    keep = {ctx.new.name} | ({ctx.stable.name} if ctx.stable else set())
    idle = sorted(
        (r for r in ctx.rss if r.name not in keep and ctx.replicas_of(r) == 0 and r.available == 0 and r.replicas == 0),
        key=lambda r: r.revision,
    )
    extra = len(idle) - ctx.ro.spec.revision_history_limit
    for rs in idle[: max(0, extra)]:
        ctx.plan.delete_rs.append(rs.name)


def run_history(ctx: Ctx) -> None:
    """``analysis.successfulRunHistoryLimit`` / ``unsuccessfulRunHistoryLimit`` (5 / 5): older completed runs
    that no status slot follows are deleted, newest kept."""
    limits = ctx.ro.spec.analysis
    keep_ok = limits.successful_run_history_limit if limits and limits.successful_run_history_limit is not None else 5
    keep_bad = (
        limits.unsuccessful_run_history_limit if limits and limits.unsuccessful_run_history_limit is not None else 5
    )
    followed = {
        slot.get("name")
        for sec in ("canary", "blueGreen")
        for slot in (ctx.st.get(sec) or {}).values()
        if isinstance(slot, dict) and "name" in slot
    }
    done = [
        r for r in ctx.runs if r.phase in ("Successful", "Failed", "Error", "Inconclusive") and r.name not in followed
    ]
    for ok, keep in ((True, keep_ok), (False, keep_bad)):
        group = sorted(
            (r for r in done if (r.phase == "Successful") is ok), key=lambda r: (r.created, r.name), reverse=True
        )
        ctx.plan.delete_runs.extend(r.name for r in group[keep:])
