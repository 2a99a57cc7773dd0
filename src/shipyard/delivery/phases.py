"""Closed sets Argo Rollouts writes into status: analysis phases, rollout phases, pause reasons."""

from __future__ import annotations

import enum


class AnalysisPhase(enum.StrEnum):
    Pending = "Pending"
    Running = "Running"
    Successful = "Successful"
    Failed = "Failed"
    Error = "Error"
    Inconclusive = "Inconclusive"

    @property
    def completed(self) -> bool:
        return self in (AnalysisPhase.Successful, AnalysisPhase.Failed, AnalysisPhase.Error, AnalysisPhase.Inconclusive)


# AR:utils/analysis/helpers.go IsWorse: Successful < Running < Pending < Inconclusive < Error < Failed
_ORDER = ["Successful", "Running", "Pending", "Inconclusive", "Error", "Failed"]


def worse(a: AnalysisPhase, b: AnalysisPhase) -> AnalysisPhase:
    return a if _ORDER.index(a) >= _ORDER.index(b) else b


class RolloutPhase(enum.StrEnum):
    Healthy = "Healthy"
    Progressing = "Progressing"
    Paused = "Paused"
    Degraded = "Degraded"


class PauseReason(enum.StrEnum):
    CanaryPauseStep = "CanaryPauseStep"
    BlueGreenPause = "BlueGreenPause"
    InconclusiveAnalysisRun = "InconclusiveAnalysisRun"
    InconclusiveExperiment = "InconclusiveExperiment"
