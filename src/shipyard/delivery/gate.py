"""How a Rollout creates, follows and terminates its AnalysisRuns (``AR:rollout/analysis.go``).

Names: step ``<ro>-<hash>-<rev>-<idx>``, background ``<ro>-<hash>-<rev>``, ``...-pre``, ``...-post``; a name
already taken gets ``.1``, ``.2`` (``CreateWithCollisionCounter``). The run a slot follows is recorded in
status (``status.canary.currentStepAnalysisRunStatus`` ...) in the same write that creates it, and an existing
unterminated run for the same slot is adopted, so a restarted controller never creates a duplicate.
"""

from __future__ import annotations

from typing import Any

from shipyard.delivery.context import Ctx
from shipyard.delivery.model import RunRequest, RunView

FAILED = ("Failed", "Error")


def _slot(ctx: Ctx, section: str, key: str) -> dict[str, Any] | None:
    sec = ctx.st.get(section) or {}
    value = sec.get(key)
    return dict(value) if isinstance(value, dict) else None


def _set_slot(ctx: Ctx, section: str, key: str, value: dict[str, Any] | None) -> None:
    sec = ctx.st.get(section)
    if not isinstance(sec, dict):
        sec = {}
        ctx.st[section] = sec
    if value is None:
        sec.pop(key, None)
    else:
        sec[key] = value


def _free_name(ctx: Ctx, base: str) -> str:
    taken = {r.name for r in ctx.runs} | {r.name for r in ctx.plan.create_runs}
    if base not in taken:
        return base
    n = 1
    while f"{base}.{n}" in taken:
        n += 1
    return f"{base}.{n}"


def find_run(ctx: Ctx, name: str) -> RunView | None:
    for r in ctx.runs:
        if r.name == name:
            return r
    for req in ctx.plan.create_runs:
        if req.name == name:
            return RunView(req.name, req.pod_hash, req.run_type, req.step_index, "Pending")
    return None


def ensure_run(
    ctx: Ctx, section: str, key: str, run_type: str, step_index: int | None, analysis: Any, suffix: str
) -> RunView:
    """The run this slot follows, created (or adopted) when there is none."""
    slot = _slot(ctx, section, key)
    if slot is not None:
        run = find_run(ctx, slot["name"])
        if run is not None and not run.terminated:
            return run
    for r in ctx.runs:
        if (
            r.pod_hash == ctx.new.pod_hash
            and r.run_type == run_type
            and r.step_index == step_index
            and not r.terminated
            and r.phase not in ("Failed", "Error", "Inconclusive")
        ):
            _set_slot(ctx, section, key, {"name": r.name, "status": r.phase})
            return r
    base = f"{ctx.name}-{ctx.new.pod_hash}-{ctx.new.revision}{suffix}"
    name = _free_name(ctx, base)
    ctx.plan.create_runs.append(RunRequest(name, run_type, step_index, ctx.new.pod_hash, analysis, ctx.new.revision))
    _set_slot(ctx, section, key, {"name": name, "status": "Pending"})
    return RunView(name, ctx.new.pod_hash, run_type, step_index, "Pending")


_RUN_TYPES = {
    "currentStepAnalysisRunStatus": "Step",
    "currentBackgroundAnalysisRunStatus": "Background",
    "prePromotionAnalysisRunStatus": "PrePromotion",
    "postPromotionAnalysisRunStatus": "PostPromotion",
}


def record(ctx: Ctx, section: str, key: str, run: RunView) -> None:
    prev = _slot(ctx, section, key)
    slot = {"name": run.name, "status": run.phase or "Pending"}
    if run.message:
        slot["message"] = run.message
    _set_slot(ctx, section, key, slot)
    # emitAnalysisRunStatusChanges (AR:rollout/analysis.go): "AnalysisRun<Phase>" when the recorded run changes
    # phase; a run not yet reconciled has no phase (shown as '', and no event of its own)
    if run.phase in ("", "Pending") or (prev is not None and (prev["name"] != run.name or prev["status"] == run.phase)):
        return
    before = "NoPreviousStatus" if prev is None else ("" if prev["status"] == "Pending" else prev["status"])
    ctx.plan.event(
        f"AnalysisRun{run.phase}",
        f"{_RUN_TYPES.get(key, key)} Analysis Run '{run.name}' Status New: '{run.phase}' Previous: '{before}'",
        "Warning" if run.phase in ("Failed", "Error") else "Normal",
    )


def terminate(ctx: Ctx, name: str) -> None:
    run = find_run(ctx, name)
    if run is None or run.terminated or name in ctx.plan.terminate_runs:
        return
    # completed runs are marked too, so a retry never adopts them again
    ctx.plan.terminate_runs.append(name)


def terminate_slot(ctx: Ctx, section: str, key: str, *, forget: bool = True) -> None:
    slot = _slot(ctx, section, key)
    if slot is not None:
        terminate(ctx, slot["name"])
        if forget:
            _set_slot(ctx, section, key, None)


def terminate_all(ctx: Ctx) -> None:
    """Aborted, fully promoted, promoteFull: every run this rollout follows is terminated."""
    for section, key in (
        ("canary", "currentStepAnalysisRunStatus"),
        ("canary", "currentBackgroundAnalysisRunStatus"),
        ("blueGreen", "prePromotionAnalysisRunStatus"),
        ("blueGreen", "postPromotionAnalysisRunStatus"),
    ):
        terminate_slot(ctx, section, key)
    for r in ctx.runs:
        if not r.terminated and r.phase not in ("Successful", "Failed", "Error", "Inconclusive"):
            terminate(ctx, r.name)


def abort(ctx: Ctx, detail: str) -> None:
    """Abort with Argo's message (``Rollout aborted update to revision N: <detail>``)."""
    if not ctx.aborted:
        ctx.st["abort"] = True
        ctx.st["abortDetail"] = detail


def canary_analysis(ctx: Ctx) -> None:
    """Step and background runs of a canary: create, follow, abort or pause on their phase."""
    c = ctx.ro.spec.strategy.canary
    assert c is not None
    if ctx.fully_promoted or ctx.aborted or ctx.st.get("promoteFull"):
        terminate_all(ctx)
        return
    step = ctx.current_step()
    slot = _slot(ctx, "canary", "currentStepAnalysisRunStatus")
    if slot is not None and (step is None or step.analysis is None or _stale_step(ctx, slot["name"])):
        terminate_slot(ctx, "canary", "currentStepAnalysisRunStatus")
    # while paused for an inconclusive run Argo keeps the current runs and neither creates nor reacts
    # (AR:rollout/analysis.go reconcileStepBasedAnalysisRun/reconcileBackgroundAnalysisRun)
    inconclusive = ctx.has_pause("InconclusiveAnalysisRun")
    if step is not None and step.analysis is not None and not inconclusive:
        run = ensure_run(
            ctx, "canary", "currentStepAnalysisRunStatus", "Step", ctx.index, step.analysis, f"-{ctx.index}"
        )
        record(ctx, "canary", "currentStepAnalysisRunStatus", run)
        _react(ctx, run, "Step-based")
    bg = c.analysis
    if bg is not None and bg.templates and ctx.index >= (bg.starting_step or 0) and not inconclusive:
        run = ensure_run(ctx, "canary", "currentBackgroundAnalysisRunStatus", "Background", None, bg, "")
        record(ctx, "canary", "currentBackgroundAnalysisRunStatus", run)
        _react(ctx, run, "Background")


def _stale_step(ctx: Ctx, name: str) -> bool:
    run = find_run(ctx, name)
    return run is None or run.step_index != ctx.index or run.pod_hash != ctx.new.pod_hash


def _react(ctx: Ctx, run: RunView, kind: str) -> None:
    if run.phase in FAILED:
        abort(ctx, f"{kind} analysis phase error/failed: {run.message}".rstrip(": ").rstrip())
    elif run.phase == "Inconclusive":
        if ctx.has_pause("InconclusiveAnalysisRun"):
            return
        if ctx.st.get("controllerPause") and kind == "Background":
            # the user resumed from the inconclusive pause: start a fresh background run
            terminate(ctx, run.name)
            _set_slot(ctx, "canary", "currentBackgroundAnalysisRunStatus", None)
            ctx.st["controllerPause"] = False
            return
        ctx.add_pause("InconclusiveAnalysisRun")
