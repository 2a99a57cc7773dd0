"""The blue-green strategy (``AR:rollout/bluegreen.go``, ``AR:rollout/service.go``).

New ReplicaSet at R (or ``previewReplicaCount``) behind the preview service → once saturated, pre-promotion
analysis and the ``BlueGreenPause`` (unless auto-promotion without delay) → scale to R → switch the active
service → post-promotion analysis → stable; the old active ReplicaSet is scaled down after
``scaleDownDelaySeconds``. Abort keeps/returns the active service on stable; the preview ReplicaSet is scaled
down after ``abortScaleDownDelaySeconds`` (0 = never).
"""

from __future__ import annotations

from shipyard.clock import rfc3339
from shipyard.delivery import gate
from shipyard.delivery.context import Ctx
from shipyard.delivery.model import SCALE_DOWN_DEADLINE
from shipyard.delivery.rollout import check_deadline, handle_abort
from shipyard.resources.timefmt import parse_time

DEFAULT_DELAY = 30


def reconcile_bluegreen(ctx: Ctx) -> None:
    bg = ctx.ro.spec.strategy.blue_green
    assert bg is not None
    st = ctx.st
    bgst = dict(st.get("blueGreen") or {})
    st["blueGreen"] = bgst
    r = ctx.replicas
    if not st.get("stableRS"):
        st["stableRS"] = ctx.new.pod_hash
        ctx.stable = ctx.new
        bgst["activeSelector"] = ctx.new.pod_hash  # first deploy: fast-track, no pause
    if st.get("promoteFull") and ctx.aborted:
        st["abort"] = False
    deadline = ctx.new.deadline
    if deadline is not None and ctx.now < deadline and ctx.new is not ctx.stable and not ctx.aborted:
        # fast-track: back to a ReplicaSet still up within its scale-down delay — no pause, no analysis
        st["promoteFull"] = True
        ctx.plan.annotate.setdefault(ctx.new.name, {})[SCALE_DOWN_DEADLINE] = None
        ctx.new.annotations = {k: v for k, v in ctx.new.annotations.items() if k != SCALE_DOWN_DEADLINE}
    handle_abort(ctx)
    promoted = ctx.fully_promoted
    switched = bgst.get("activeSelector") == ctx.new.pod_hash
    full = bool(st.get("promoteFull"))
    want_new = r
    if bg.preview_replica_count is not None and not switched and not full:
        want_new = r if bgst.get("scaleUpPreviewCheckPoint") else bg.preview_replica_count
    if ctx.aborted:
        _abort(ctx, bg.abort_scale_down_delay_seconds)
        bgst["activeSelector"] = ctx.stable.pod_hash if ctx.stable else ctx.new.pod_hash
        _services(ctx)
        return
    if not ctx.halted():
        ctx.scale(ctx.new, want_new)
        if ctx.stable is not None and ctx.stable is not ctx.new and not promoted:
            ctx.scale(ctx.stable, r)
    bgst["previewSelector"] = ctx.new.pod_hash
    if not switched and not promoted:
        _before_switch(ctx, want_new)
    switched = bgst.get("activeSelector") == ctx.new.pod_hash
    if switched and not ctx.fully_promoted and not ctx.aborted:
        _after_switch(ctx)
    check_deadline(ctx, bool(ctx.pauses()))
    handle_abort(ctx)
    if ctx.aborted:
        bgst["activeSelector"] = ctx.stable.pod_hash if ctx.stable else ctx.new.pod_hash
    _services(ctx)
    for rs in ctx.others():
        if rs.deadline is None and ctx.replicas_of(rs) > 0 and rs.pod_hash != bgst.get("activeSelector"):
            ctx.scale(rs, 0)


def _before_switch(ctx: Ctx, want_new: int) -> None:
    bg = ctx.ro.spec.strategy.blue_green
    assert bg is not None
    st, bgst = ctx.st, ctx.st["blueGreen"]
    if ctx.new.available < want_new or ctx.replicas_of(ctx.new) != want_new:
        return
    full = bool(st.get("promoteFull"))
    if bg.pre_promotion_analysis is not None and not full:
        run = gate.ensure_run(
            ctx, "blueGreen", "prePromotionAnalysisRunStatus", "PrePromotion", None, bg.pre_promotion_analysis, "-pre"
        )
        gate.record(ctx, "blueGreen", "prePromotionAnalysisRunStatus", run)
        if run.phase in gate.FAILED:
            gate.abort(ctx, f"Blue/green pre-promotion analysis phase error/failed: {run.message}".rstrip(": "))
            return
        if run.phase != "Successful":
            return
    if not full and not _pause_done(ctx):
        return
    if bg.preview_replica_count is not None and ctx.replicas_of(ctx.new) < ctx.replicas:
        bgst["scaleUpPreviewCheckPoint"] = True
        ctx.scale(ctx.new, ctx.replicas)
        return
    if bg.preview_replica_count is not None and ctx.new.available < ctx.replicas:
        return
    bgst["activeSelector"] = ctx.new.pod_hash  # the controller's selector switch records SwitchService
    ctx.remove_pause("BlueGreenPause")
    ctx.plan.wake(ctx.now)


def _pause_done(ctx: Ctx) -> bool:
    bg = ctx.ro.spec.strategy.blue_green
    assert bg is not None
    if bg.auto_promotion_enabled and bg.auto_promotion_seconds == 0:
        return True
    if ctx.st.get("controllerPause") and not ctx.has_pause("BlueGreenPause"):
        return True  # promoted by the user
    ctx.add_pause("BlueGreenPause")
    if bg.auto_promotion_enabled:
        for p in ctx.pauses():
            if p["reason"] == "BlueGreenPause":
                at = parse_time(p["startTime"]) + bg.auto_promotion_seconds
                if ctx.now >= at:
                    ctx.remove_pause("BlueGreenPause")
                    return True
                ctx.plan.wake(at)
    return False


def _after_switch(ctx: Ctx) -> None:
    bg = ctx.ro.spec.strategy.blue_green
    assert bg is not None
    st = ctx.st
    if bg.post_promotion_analysis is not None and not st.get("promoteFull"):
        run = gate.ensure_run(
            ctx,
            "blueGreen",
            "postPromotionAnalysisRunStatus",
            "PostPromotion",
            None,
            bg.post_promotion_analysis,
            "-post",
        )
        gate.record(ctx, "blueGreen", "postPromotionAnalysisRunStatus", run)
        if run.phase in gate.FAILED:
            gate.abort(ctx, f"Blue/green post-promotion analysis phase error/failed: {run.message}".rstrip(": "))
            return
        if run.phase != "Successful":
            return
    old = ctx.stable
    # shouldFullPromote decides the reason before promoteStable clears promoteFull (AR:rollout/sync.go)
    reason = "Full promotion requested" if st.get("promoteFull") else "Completed blue-green update"
    st["stableRS"] = ctx.new.pod_hash
    st["promoteFull"] = False
    st.get("blueGreen", {}).pop("scaleUpPreviewCheckPoint", None)
    ctx.plan.event(
        "RolloutCompleted", f"Rollout completed update to revision {ctx.new.revision} ({ctx.new.pod_hash}): {reason}"
    )
    gate.terminate_all(ctx)
    ctx.stable = ctx.new
    if old is not None and old is not ctx.new and ctx.replicas_of(old) > 0:
        delay = DEFAULT_DELAY if bg.scale_down_delay_seconds is None else bg.scale_down_delay_seconds
        stamp = rfc3339(ctx.now + delay)
        ctx.plan.annotate.setdefault(old.name, {})[SCALE_DOWN_DEADLINE] = stamp
        old.annotations = {**old.annotations, SCALE_DOWN_DEADLINE: stamp}
        ctx.plan.wake(ctx.now + delay)
    _revision_limit(ctx)


def _revision_limit(ctx: Ctx) -> None:
    """``scaleDownDelayRevisionLimit``: only the newest N old ReplicaSets stay up during their delay."""
    bg = ctx.ro.spec.strategy.blue_green
    assert bg is not None
    limit = bg.scale_down_delay_revision_limit
    if limit is None:
        return
    delayed = sorted((r for r in ctx.others() if ctx.replicas_of(r) > 0), key=lambda r: -r.revision)
    for rs in delayed[limit:]:
        ctx.scale(rs, 0)


def _abort(ctx: Ctx, delay: int | None) -> None:
    new = ctx.new
    if ctx.stable is not None and ctx.stable is not new:
        ctx.scale(ctx.stable, ctx.replicas)
    if ctx.stable is new:
        return
    delay = DEFAULT_DELAY if delay is None else delay
    if delay == 0 or ctx.replicas_of(new) == 0:
        return
    deadline = new.deadline
    if deadline is None:
        ctx.plan.annotate.setdefault(new.name, {})[SCALE_DOWN_DEADLINE] = rfc3339(ctx.now + delay)
        ctx.plan.wake(ctx.now + delay)
    elif ctx.now >= deadline:
        ctx.scale(new, 0)
    else:
        ctx.plan.wake(deadline)


def _services(ctx: Ctx) -> None:
    bg = ctx.ro.spec.strategy.blue_green
    assert bg is not None
    bgst = ctx.st["blueGreen"]
    ctx.plan.services[bg.active_service] = bgst.get("activeSelector") or ctx.new.pod_hash
    if bg.preview_service:
        ctx.plan.services[bg.preview_service] = bgst.get("previewSelector") or ctx.new.pod_hash
