"""The ``kubectl argo rollouts get rollout`` view (``AR:pkg/kubectl-argo-rollouts/info``, ``cmd/get``): one
view-model from the Rollout and its ReplicaSets/AnalysisRuns, rendered as Argo's header and tree."""

from __future__ import annotations

from typing import Any

from shipyard.resources.timefmt import parse_time

# AR:pkg/kubectl-argo-rollouts/info: rolloutIcon, replicaSetIcon, analysisIcon (one map per kind — a Running
# AnalysisRun is "◌ Running", never "✔").
ROLLOUT_ICONS = {
    "Progressing": "◌",
    "Error": "⚠",
    "InvalidSpec": "⚠",
    "Paused": "॥",
    "Healthy": "✔",
    "Degraded": "✖",
    "Unknown": "?",
    "ScaledDown": "•",
}
RS_ICONS = {"Progressing": "◌", "Healthy": "✔", "ReplicaFailure": "✖", "ScaledDown": "•"}
RUN_ICONS = {"Successful": "✔", "Inconclusive": "?", "Failed": "✖", "Error": "⚠", "Running": "◌", "Pending": "◷"}
ICONS = ROLLOUT_ICONS  # kept for callers that render a rollout status


def human_duration(secs: float) -> str:
    """k8s ``duration.HumanDuration`` (apimachinery/pkg/util/duration), which Argo's AGE and delay columns use."""
    s = int(secs)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes, hours = s // 60, s // 3600
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d" if hours % 24 == 0 else f"{days}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if hours < 24 * 365 * 8:
        return f"{years}y" if days % 365 == 0 else f"{years}y{days % 365}d"
    return f"{years}y"


def age(created: str | None, now: float) -> str:
    if not created:
        return ""
    return human_duration(now - parse_time(created))


def _images(template: dict[str, Any]) -> list[str]:
    return [str(c.get("image", "")) for c in ((template.get("spec") or {}).get("containers") or [])]


def _rs_status(rs: dict[str, Any]) -> str:
    """``getReplicaSetHealth``: fewer available than spec ⇒ Progressing; spec 0 ⇒ ScaledDown; else Healthy."""
    spec = int((rs.get("spec") or {}).get("replicas", 0))
    avail = int((rs.get("status") or {}).get("availableReplicas", 0))
    if avail < spec:
        return "Progressing"
    return "ScaledDown" if spec == 0 else "Healthy"


def hash_of(o: dict[str, Any]) -> str:
    return str(((o.get("metadata") or {}).get("labels") or {}).get("rollouts-pod-template-hash", ""))


def icon(status: str, icons: dict[str, str] | None = None) -> str:
    return f"{(icons or ROLLOUT_ICONS).get(status, ' ')} {status}"


def _delay(deadline: str, now: float) -> str:
    """``ScaleDownDelay``: "passed" once the deadline is behind us, else the human duration left."""
    left = parse_time(deadline) - now
    return "passed" if left < 0 else human_duration(left)


def rollout_view(
    ro: dict[str, Any], rss: list[dict[str, Any]], runs: list[dict[str, Any]], now: float
) -> dict[str, Any]:
    spec, st = ro.get("spec") or {}, ro.get("status") or {}
    strategy = spec.get("strategy") or {}
    canary = strategy.get("canary")
    steps = (canary or {}).get("steps") or []
    bg = st.get("blueGreen") or {}
    revisions: list[dict[str, Any]] = []
    for rs in sorted(
        rss, key=lambda r: -int((r["metadata"].get("annotations") or {}).get("rollout.argoproj.io/revision", "0"))
    ):
        h = hash_of(rs)
        tags = []
        if h == st.get("stableRS"):
            tags.append("stable")
        if canary is not None and h == st.get("currentPodHash") and h != st.get("stableRS"):
            tags.append("canary")
        if canary is None and h == bg.get("activeSelector"):
            tags.append("active")
        if canary is None and h == bg.get("previewSelector") and h != bg.get("activeSelector"):
            tags.append("preview")
        deadline = (rs["metadata"].get("annotations") or {}).get("scale-down-deadline")
        if deadline:
            tags.append(f"delay:{_delay(deadline, now)}")
        rev = int((rs["metadata"].get("annotations") or {}).get("rollout.argoproj.io/revision", "0"))
        rs_runs = []
        for run in runs:
            if hash_of(run) != h:
                continue
            rst = run.get("status") or {}
            summary = {"successful": 0, "failed": 0, "inconclusive": 0, "error": 0}
            for res in rst.get("metricResults") or []:
                for k in summary:
                    summary[k] += int(res.get(k, 0))
            info = ",".join(
                f"{icon} {summary[k]}"
                for icon, k in (("✔", "successful"), ("✖", "failed"), ("?", "inconclusive"), ("⚠", "error"))
                if summary[k]
            )
            rs_runs.append(
                {
                    "name": run["metadata"]["name"],
                    "status": rst.get("phase", "Pending"),
                    "age": age(run["metadata"].get("creationTimestamp"), now),
                    "info": info,
                    "created": run["metadata"].get("creationTimestamp") or "",
                }
            )
        # getAnalysisRunInfo: oldest first, then by name descending
        rs_runs.sort(key=lambda r: r["name"], reverse=True)
        rs_runs.sort(key=lambda r: parse_time(r["created"]) if r["created"] else 0.0)
        revisions.append(
            {
                "revision": rev,
                "name": rs["metadata"]["name"],
                "status": _rs_status(rs),
                "age": age(rs["metadata"].get("creationTimestamp"), now),
                "info": ",".join(tags),
                "images": _images((rs.get("spec") or {}).get("template") or {}),
                "tags": tags,
                "replicas": int((rs.get("spec") or {}).get("replicas", 0)),
                "current": int((rs.get("status") or {}).get("replicas", 0)),
                "available": int((rs.get("status") or {}).get("availableReplicas", 0)),
                "analysisRuns": rs_runs,
            }
        )
    weights = (st.get("canary") or {}).get("weights") or {}
    idx = st.get("currentStepIndex")
    set_weight = None
    if canary is not None:
        if st.get("abort"):
            set_weight = 0
        elif idx is None or idx >= len(steps):
            set_weight = 100
        else:
            set_weight = next((s["setWeight"] for s in reversed(steps[: idx + 1]) if "setWeight" in s), 0)
    actual = None
    if canary is not None:
        # rollout_info.go: past the last step 100; basic canary: canary available·100/available; routed: weights
        actual = 0
        if idx is None or idx >= len(steps):
            actual = 100
        elif int(st.get("availableReplicas", 0)) > 0:
            if canary.get("trafficRouting") is None:
                for view_rs in revisions:
                    if "canary" in view_rs["tags"]:
                        actual = view_rs["available"] * 100 // int(st["availableReplicas"])
            elif weights:
                actual = int((weights.get("canary") or {}).get("weight", 0))
            else:
                actual = set_weight
    return {
        "name": ro["metadata"]["name"],
        "namespace": ro["metadata"].get("namespace") or "default",
        "status": st.get("phase", "Progressing"),
        "message": st.get("message", ""),
        "strategy": "Canary" if canary is not None else "BlueGreen",
        "step": (f"{idx}/{len(steps)}" if steps and idx is not None else "") if canary is not None else None,
        "setWeight": set_weight,
        "actualWeight": actual,
        "desired": int(spec.get("replicas", 1)),
        "current": int(st.get("replicas", 0)),
        "updated": int(st.get("updatedReplicas", 0)),
        "ready": int(st.get("readyReplicas", 0)),
        "available": int(st.get("availableReplicas", 0)),
        "age": age(ro["metadata"].get("creationTimestamp"), now),
        "revisions": revisions,
    }


def render(view: dict[str, Any]) -> str:
    """Argo's layout: labels in a 17-wide column, then the tree with ``├──``/``└──`` and status icons."""
    lines = [
        f"{'Name:':<17}{view['name']}",
        f"{'Namespace:':<17}{view['namespace']}",
        f"{'Status:':<17}{icon(view['status'])}",
    ]
    if view["message"]:
        lines.append(f"{'Message:':<17}{view['message']}")
    lines.append(f"{'Strategy:':<17}{view['strategy']}")
    if view["strategy"] == "Canary":
        lines.append(f"{'  Step:':<17}{view['step'] or ''}")
        lines.append(f"{'  SetWeight:':<17}{view['setWeight']}")
        lines.append(f"{'  ActualWeight:':<17}{view['actualWeight']}")
    # info.Images: images of ReplicaSets with pods, merged per image, tags and images sorted (mergeImageAndTags)
    merged: dict[str, set[str]] = {}
    for rev in view["revisions"]:
        if rev["current"] > 0:
            for img in rev["images"]:
                merged.setdefault(img, set()).update(t for t in rev["tags"] if not t.startswith("delay"))
    for i, img in enumerate(sorted(merged)):
        text = f"{img} ({', '.join(sorted(merged[img]))})" if merged[img] else img
        lines.append(f"{'Images:' if i == 0 else '':<17}{text}")
    lines.append("Replicas:")
    for key in ("desired", "current", "updated", "ready", "available"):
        lines.append(f"{'  ' + key.capitalize() + ':':<17}{view[key]}")
    rows: list[tuple[str, str, str, str, str]] = [
        (f"⟳ {view['name']}", "Rollout", icon(view["status"]), view["age"], "")
    ]
    revs = view["revisions"]
    for i, rev in enumerate(revs):
        last = i == len(revs) - 1
        rows.append((("└──" if last else "├──") + f"# revision:{rev['revision']}", "", "", "", ""))
        pad = "   " if last else "│  "
        children = [("⧉ " + rev["name"], "ReplicaSet", icon(rev["status"], RS_ICONS), rev["age"], rev["info"])]
        children += [
            ("\u03b1 " + r["name"], "AnalysisRun", icon(r["status"], RUN_ICONS), r["age"], r["info"])
            for r in rev["analysisRuns"]
        ]
        for j, (n, k, s, a, inf) in enumerate(children):
            branch = "└──" if j == len(children) - 1 else "├──"
            rows.append((pad + branch + n, k, s, a, inf))
    widths = [max(len(r[c]) for r in [("NAME", "KIND", "STATUS", "AGE", "INFO"), *rows]) for c in range(5)]
    table = [("NAME", "KIND", "STATUS", "AGE", "INFO"), *rows]
    lines.append("")
    for r in table:
        lines.append("  ".join(col.ljust(widths[c]) for c, col in enumerate(r)).rstrip())
    return "\n".join(lines)
