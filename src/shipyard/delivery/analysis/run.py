"""Reconcile one AnalysisRun: take the measurements that are due, assess metrics and the run
(``AR:analysis/analysis.go reconcileAnalysisRun``). Time comes in as ``now``; the provider is injected.

The status is Argo's AnalysisRun status as plain data (``metricResults[].measurements[]`` with RFC 3339 times)
so it is stored, shown and compared exactly as Argo's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shipyard.clock import rfc3339
from shipyard.delivery.analysis.assess import Limits, MetricVerdict, assess_metric, assess_run, metric_message
from shipyard.delivery.analysis.measure import count_measurement, evaluate_result
from shipyard.delivery.analysis.templates import SecretLookup, redact, resolve_metric
from shipyard.delivery.phases import AnalysisPhase
from shipyard.delivery.providers.base import Observation
from shipyard.errors import ShipyardError
from shipyard.resources.analysis import AnalysisRunSpec, Metric
from shipyard.resources.durations import parse_duration
from shipyard.resources.timefmt import parse_time

ERROR_RETRY_SECONDS = 10.0  # Argo: errors retry every 10s regardless of interval (DefaultErrorRetryInterval)
DEFAULT_RETENTION = 10  # DefaultMeasurementHistoryLimit

Measure = Callable[[Metric], Observation]


@dataclass(frozen=True, slots=True)
class RunOutcome:
    status: dict[str, Any]
    next_at: float | None  # when a measurement is next due; None once completed
    new_measurements: tuple[tuple[str, dict[str, Any]], ...] = ()


def _int(value: int | str | None, default: int) -> int:
    return default if value is None else int(value)


def limits_of(m: Metric) -> Limits:
    return Limits(
        failure_limit=_int(m.failure_limit, 0),
        inconclusive_limit=_int(m.inconclusive_limit, 0),
        consecutive_error_limit=_int(m.consecutive_error_limit, 4),
        consecutive_success_limit=_int(m.consecutive_success_limit, 0),
        count=_int(m.count, 0),
        has_interval=m.interval is not None,
    )


def _matches(rules: list[str], name: str) -> bool:
    return any(re.fullmatch(r, name) for r in rules)


def _next_due(m: Metric, result: dict[str, Any], started: float) -> float | None:
    if result.get("phase") and AnalysisPhase(result["phase"]).completed:
        return None
    ms = result.get("measurements") or []
    if not ms:
        return started + (parse_duration(m.initial_delay) if m.initial_delay else 0.0)
    last = ms[-1]
    finished = parse_time(last["finishedAt"])
    if last["phase"] == AnalysisPhase.Error:
        return finished + ERROR_RETRY_SECONDS
    eff = limits_of(m).effective_count
    if eff is not None and int(result.get("count", 0)) >= eff:
        return None
    if m.interval is None:
        return None
    return finished + parse_duration(m.interval)


def reconcile_run(
    spec: AnalysisRunSpec,
    status: dict[str, Any] | None,
    *,
    now: float,
    measure: Measure,
    secrets: SecretLookup | None = None,
) -> RunOutcome:
    st: dict[str, Any] = dict(status or {})
    if st.get("phase") and AnalysisPhase(st["phase"]).completed:
        return RunOutcome(st, None)
    stamp = rfc3339(now)
    st.setdefault("startedAt", stamp)
    started = parse_time(st["startedAt"])
    dry_rules = [r.metric_name for r in spec.dry_run]
    for i, rule in enumerate(dry_rules):
        if not any(re.fullmatch(rule, m.name) for m in spec.metrics):
            return RunOutcome(
                _finish(st, AnalysisPhase.Error, f"dryRun[{i}]: Rule didn't match any metric name(s)", stamp), None
            )
    results = {r["name"]: dict(r) for r in st.get("metricResults") or []}
    resolved: dict[str, tuple[Metric, frozenset[str]]] = {}
    try:
        for m in spec.metrics:
            resolved[m.name] = resolve_metric(m, spec.args, secrets)
    except ShipyardError as exc:
        return RunOutcome(_finish(st, AnalysisPhase.Error, str(exc), stamp), None)
    invalid = _invalid_spec([resolved[m.name][0] for m in spec.metrics])
    if invalid:
        return RunOutcome(_finish(st, AnalysisPhase.Error, f"Analysis spec invalid: {invalid}", stamp), None)

    def terminating() -> bool:
        if spec.terminate:
            return True
        return any(
            r.get("phase") in ("Failed", "Error", "Inconclusive") and not r.get("dryRun") for r in results.values()
        )

    taken: list[tuple[str, dict[str, Any]]] = []
    for m in spec.metrics:
        metric, hidden = resolved[m.name]
        res = results.setdefault(m.name, {"name": m.name, "phase": "Pending"})
        if _matches(dry_rules, m.name):
            res["dryRun"] = True
        due = _next_due(metric, res, started)
        if terminating() or due is None or now < due:
            continue
        measurement = _measure_once(metric, measure, hidden, stamp)
        ms = [*(res.get("measurements") or []), measurement]
        keep = DEFAULT_RETENTION
        for keep_rule in spec.measurement_retention:
            if re.fullmatch(keep_rule.metric_name, m.name):
                keep = keep_rule.limit
        res["measurements"] = ms[-keep:] if keep > 0 else ms
        count_measurement(res, AnalysisPhase(measurement["phase"]))
        taken.append((m.name, measurement))
        _assess_into(metric, res, terminating=False)
    term = terminating()
    verdicts = []
    for m in spec.metrics:
        metric, _ = resolved[m.name]
        res = results[m.name]
        verdicts.append(_assess_into(metric, res, terminating=term))
    st["metricResults"] = [results[m.name] for m in spec.metrics]
    phase, message = assess_run(verdicts, terminating=term)
    if spec.terminate and phase is AnalysisPhase.Successful and not message:
        message = "Run Terminated"
    st["runSummary"] = _summary([v for v in verdicts if not v.dry_run])
    if any(v.dry_run for v in verdicts):
        st["dryRunSummary"] = _summary([v for v in verdicts if v.dry_run])
    if phase.completed:
        return RunOutcome(_finish(st, phase, message, stamp), None, tuple(taken))
    st["phase"] = phase.value
    nxt = [d for m in spec.metrics if (d := _next_due(resolved[m.name][0], results[m.name], started)) is not None]
    return RunOutcome(st, min(nxt) if nxt else None, tuple(taken))


def _invalid_spec(metrics: list[Metric]) -> str:
    """``ValidateMetrics`` on the resolved metrics (AR:utils/analysis/factory.go), for the durations a run needs
    to schedule: a template that reached the controller without lint gets a run in Error, not a crash."""
    for i, m in enumerate(metrics):
        for value, what in ((m.interval, "interval"), (m.initial_delay, "startDelay")):
            if value:
                try:
                    parse_duration(value)
                except ValueError as exc:
                    return f"metrics[{i}]: invalid {what} string: {exc}"
    return ""


def _measure_once(metric: Metric, measure: Measure, hidden: frozenset[str], stamp: str) -> dict[str, Any]:
    out: dict[str, Any] = {"startedAt": stamp}
    try:
        obs = measure(metric)
    except ShipyardError as exc:
        out.update(phase="Error", message=redact(str(exc), hidden), finishedAt=stamp)
        return out
    if obs.phase is not None:
        phase, message = AnalysisPhase(obs.phase), ""
    else:
        phase, message = evaluate_result(obs.result, metric.success_condition, metric.failure_condition)
    out.update(phase=phase.value, value=redact(obs.value, hidden), finishedAt=stamp)
    if message:
        out["message"] = redact(message, hidden)
    if obs.metadata:
        out["metadata"] = {k: redact(v, hidden) for k, v in obs.metadata.items()}
    return out


def _assess_into(metric: Metric, res: dict[str, Any], *, terminating: bool) -> MetricVerdict:
    phase, reason = assess_metric(limits_of(metric), res, terminating=terminating)
    last_error = ""
    ms = res.get("measurements") or []
    if phase is AnalysisPhase.Error and ms:
        last_error = ms[-1].get("message", "")
    dry = bool(res.get("dryRun"))
    res["phase"] = phase.value
    if phase.completed and reason and phase is not AnalysisPhase.Successful:
        res["message"] = metric_message(metric.name, phase, reason, dry_run=dry, last_error=last_error)
    return MetricVerdict(metric.name, phase, res.get("message", ""), dry)


def _summary(verdicts: list[MetricVerdict]) -> dict[str, int]:
    s = {"count": len(verdicts), "successful": 0, "failed": 0, "inconclusive": 0, "error": 0}
    for v in verdicts:
        key = {"Successful": "successful", "Failed": "failed", "Inconclusive": "inconclusive", "Error": "error"}.get(
            v.phase
        )
        if key:
            s[key] += 1
    return s


def _finish(st: dict[str, Any], phase: AnalysisPhase, message: str, stamp: str) -> dict[str, Any]:
    st["phase"] = phase.value
    if message:
        st["message"] = message
    st.setdefault("completedAt", stamp)
    return st
