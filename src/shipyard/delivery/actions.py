"""The ``kubectl argo rollouts`` verbs as pure patches of a Rollout object (``AR:pkg/kubectl-argo-rollouts/cmd/*``).

Each function takes the Rollout as stored (a dict) and returns ``(new_object, message)``; the caller writes
``spec`` changes with ``update`` and ``status`` changes with ``update_status``.
"""

from __future__ import annotations

import copy
from typing import Any

from shipyard.clock import rfc3339
from shipyard.errors import NotFoundError, SpecError

Obj = dict[str, Any]


def _name(ro: Obj) -> str:
    return str(ro["metadata"]["name"])


def promote(ro: Obj, *, full: bool = False) -> tuple[Obj, str]:
    """``promote``: unpause, clear pause conditions (skipping one step if none); ``--full`` skips all."""
    out = copy.deepcopy(ro)
    spec, st = out["spec"], out.setdefault("status", {})
    if spec.get("paused"):
        spec["paused"] = False
    if full:
        if st.get("currentPodHash") != st.get("stableRS"):
            st["promoteFull"] = True
        st["pauseConditions"] = None
        st["abort"] = False
        return out, f"rollout '{_name(ro)}' fully promoted"
    canary = (spec.get("strategy") or {}).get("canary")
    steps = (canary or {}).get("steps") or []
    idx = st.get("currentStepIndex")
    pauses = st.get("pauseConditions") or []
    if canary is not None and idx is not None and idx < len(steps):
        inconclusive = any(p.get("reason") == "InconclusiveAnalysisRun" for p in pauses)
        step = steps[idx]
        if inconclusive and "analysis" in step:
            st.update(pauseConditions=None, controllerPause=False, currentStepIndex=min(idx + 1, len(steps)))
        elif pauses:
            st["pauseConditions"] = None
        elif not ro["spec"].get("paused"):
            st.update(pauseConditions=None, currentStepIndex=min(idx + 1, len(steps)))
    elif pauses:
        st["pauseConditions"] = None
    return out, f"rollout '{_name(ro)}' promoted"


def pause(ro: Obj) -> tuple[Obj, str]:
    out = copy.deepcopy(ro)
    out["spec"]["paused"] = True
    return out, f"rollout '{_name(ro)}' paused"


def resume(ro: Obj) -> tuple[Obj, str]:
    out = copy.deepcopy(ro)
    out["spec"]["paused"] = False
    st = out.setdefault("status", {})
    if st.get("pauseConditions"):
        st["pauseConditions"] = None
    return out, f"rollout '{_name(ro)}' resumed"


def abort(ro: Obj) -> tuple[Obj, str]:
    out = copy.deepcopy(ro)
    out.setdefault("status", {})["abort"] = True
    return out, f"rollout '{_name(ro)}' aborted"


def retry(ro: Obj) -> tuple[Obj, str]:
    out = copy.deepcopy(ro)
    out.setdefault("status", {})["abort"] = False
    return out, f"rollout '{_name(ro)}' restarted"


def restart(ro: Obj, *, now: float, in_seconds: float = 0) -> tuple[Obj, str]:
    out = copy.deepcopy(ro)
    out["spec"]["restartAt"] = rfc3339(now + in_seconds)
    return (
        out,
        f"rollout '{_name(ro)}' restarts in {int(in_seconds)}s" if in_seconds else f"rollout '{_name(ro)}' restarts",
    )


def set_image(ro: Obj, container: str, image: str) -> tuple[Obj, str]:
    out = copy.deepcopy(ro)
    pod = (out["spec"].get("template") or {}).get("spec") or {}
    found = False
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in pod.get(key) or []:
            if container in (c.get("name"), "*"):
                c["image"] = image
                found = True
    if not found:
        raise NotFoundError(f'unable to find container named "{container}"')
    return out, f'rollout "{_name(ro)}" image updated'


def undo(ro: Obj, replica_sets: list[Obj], to_revision: int = 0) -> tuple[Obj, str]:
    """Copy the pod template of revision N (default: the previous one) back into the Rollout."""

    def rev(rs: Obj) -> int:
        return int(((rs.get("metadata") or {}).get("annotations") or {}).get("rollout.argoproj.io/revision", "0"))

    ordered = sorted(replica_sets, key=rev)
    if not ordered:
        raise NotFoundError("no revision history found")
    if to_revision == 0:
        if len(ordered) < 2:
            raise NotFoundError("no rollout history found")
        target = ordered[-2]
    else:
        matches = [r for r in ordered if rev(r) == to_revision]
        if not matches:
            raise NotFoundError(f"unable to find specified revision {to_revision} in history")
        target = matches[0]
    template = copy.deepcopy((target.get("spec") or {}).get("template") or {})
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop("rollouts-pod-template-hash", None)
    out = copy.deepcopy(ro)
    if out["spec"].get("template") == template:
        return out, f"skipped rollback (current template already matches revision {rev(target)})"
    if not template:
        raise SpecError("the target revision has no pod template")
    out["spec"]["template"] = template
    return out, f"rollout '{_name(ro)}' undo"
