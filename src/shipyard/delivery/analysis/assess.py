"""Metric and run phases from counters (``AR:analysis/analysis.go assessMetricStatus / assessRunStatus``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.delivery.phases import AnalysisPhase, worse

DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4  # AR:utils/defaults/defaults.go


@dataclass(frozen=True, slots=True)
class Limits:
    failure_limit: int = 0
    inconclusive_limit: int = 0
    consecutive_error_limit: int = DEFAULT_CONSECUTIVE_ERROR_LIMIT
    consecutive_success_limit: int = 0
    count: int = 0  # effective count; 0 = unbounded or unset
    has_interval: bool = False

    @property
    def effective_count(self) -> int | None:
        """``EffectiveCount``: count 0 is unset; neither count nor interval ⇒ one measurement."""
        if self.count > 0:
            return self.count
        return None if self.has_interval else 1


def _i(result: dict[str, Any], key: str) -> int:
    return int(result.get(key, 0))


def assess_metric(limits: Limits, result: dict[str, Any], *, terminating: bool) -> tuple[AnalysisPhase, str]:
    """The metric's phase and, when a limit decided it, the reason (``failed (3) > failureLimit (2)``)."""
    phase = result.get("phase")
    if phase and AnalysisPhase(phase).completed:
        return AnalysisPhase(phase), ""  # decided earlier; its message is already in result["message"]
    measurements = result.get("measurements") or []
    if not measurements:
        return (AnalysisPhase.Successful if terminating else AnalysisPhase.Pending), ""
    if measurements[-1].get("finishedAt") is None:
        return AnalysisPhase.Running, ""
    decided: AnalysisPhase | None = None
    reason = ""
    failed, inconclusive, cons_err = _i(result, "failed"), _i(result, "inconclusive"), _i(result, "consecutiveError")
    if limits.failure_limit >= 0 and failed > limits.failure_limit:
        decided = AnalysisPhase.Failed
        reason = f"failed ({failed}) > failureLimit ({limits.failure_limit})"
    if inconclusive > limits.inconclusive_limit:
        decided = AnalysisPhase.Inconclusive
        reason = f"inconclusive ({inconclusive}) > inconclusiveLimit ({limits.inconclusive_limit})"
    if cons_err > limits.consecutive_error_limit:
        decided = AnalysisPhase.Error
        reason = f"consecutiveErrors ({cons_err}) > consecutiveErrorLimit ({limits.consecutive_error_limit})"
    if decided is not None:
        return decided, reason
    csl = limits.consecutive_success_limit
    cons_ok = _i(result, "consecutiveSuccess")
    if csl > 0 and cons_ok >= csl:
        return AnalysisPhase.Successful, f"consecutiveSuccess ({cons_ok}) >= consecutiveSuccessLimit ({csl})"
    eff = limits.effective_count
    if eff is not None and _i(result, "count") >= eff:
        if csl > 0 and limits.failure_limit >= 0:
            return AnalysisPhase.Inconclusive, (
                f"count ({_i(result, 'count')}) reached without failureLimit ({limits.failure_limit}) "
                f"or consecutiveSuccessLimit ({csl}) being met"
            )
        if csl > 0:
            return AnalysisPhase.Failed, f"consecutiveSuccess ({cons_ok}) < consecutiveSuccessLimit ({csl})"
        return AnalysisPhase.Successful, ""
    return (AnalysisPhase.Successful if terminating else AnalysisPhase.Running), ""


@dataclass(frozen=True, slots=True)
class MetricVerdict:
    name: str
    phase: AnalysisPhase
    message: str  # the metric's message, e.g. ``Metric "x" assessed Failed due to failed (1) > failureLimit (0)``
    dry_run: bool


def metric_message(name: str, phase: AnalysisPhase, reason: str, *, dry_run: bool, last_error: str = "") -> str:
    """``Metric "x" assessed Failed due to failed (1) > failureLimit (0)`` (+ the last error message)."""
    head = "Metric assessed" if dry_run else f'Metric "{name}" assessed'
    msg = f"{head} {phase} due to {reason}"
    if last_error:
        msg += f': "Error Message: {last_error}"'
    return msg


def assess_run(verdicts: Sequence[MetricVerdict], *, terminating: bool) -> tuple[AnalysisPhase, str]:
    """Worst non-dryRun metric phase once every metric completed (or the run is terminating)."""
    everything_done = True
    worst = AnalysisPhase.Successful
    message = ""
    for v in verdicts:
        if not v.phase.completed:
            everything_done = False
            continue
        if v.dry_run:
            continue
        if worse(v.phase, worst) is v.phase and v.phase is not worst:
            worst = v.phase
            message = v.message if v.phase is not AnalysisPhase.Successful else ""
    if not everything_done and not terminating:
        return AnalysisPhase.Running, ""
    if terminating and worst is AnalysisPhase.Successful and not message:
        return AnalysisPhase.Successful, "Run Terminated" if any(not v.phase.completed for v in verdicts) else ""
    return worst, message
