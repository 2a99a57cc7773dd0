"""Tekton Pipelines' controller metrics, same names, labels and buckets (``pkg/pipelinerunmetrics/metrics.go``,
``pkg/taskrunmetrics/metrics.go``, default config: pipelinerun level ``pipeline``, taskrun level ``task``).

- ``tekton_pipelines_controller_pipelinerun_duration_seconds{namespace,status,pipeline}``;
- ``..._pipelinerun_taskrun_duration_seconds{namespace,status,task,pipeline}`` for TaskRuns of a PipelineRun;
- ``..._taskrun_duration_seconds{namespace,status,task}`` for standalone TaskRuns;
- ``..._pipelinerun_total{status}``, ``..._taskrun_total{status}``;
- ``..._running_pipelineruns``, ``..._running_taskruns`` gauges.

``status`` is ``success``, ``failed`` or ``cancelled`` (False with reason Cancelled/TaskRunCancelled); an embedded
spec is labelled ``anonymous``. Buckets (code, not the docs): 10 s … 86400 s.
"""

from __future__ import annotations

import weakref
from typing import ClassVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "tekton_pipelines_controller_"
DURATION_BUCKETS = (10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 5400.0, 10800.0, 21600.0, 43200.0, 86400.0)


def status_label(condition: dict[str, str]) -> str:
    if condition.get("status") == "True":
        return "success"
    if condition.get("reason") in ("Cancelled", "TaskRunCancelled"):
        return "cancelled"
    return "failed"


class TektonMetrics:
    _by_registry: ClassVar[weakref.WeakKeyDictionary[CollectorRegistry, TektonMetrics]] = weakref.WeakKeyDictionary()

    @classmethod
    def for_registry(cls, registry: CollectorRegistry) -> TektonMetrics:
        """One set of collectors per registry (registering the same names twice is an error in prometheus-client)."""
        existing = cls._by_registry.get(registry)
        if existing is None:
            existing = cls._by_registry[registry] = cls(registry)
        return existing

    def __init__(self, registry: CollectorRegistry) -> None:
        self.pipelinerun_duration = Histogram(
            PREFIX + "pipelinerun_duration_seconds",
            "The pipelinerun execution time in seconds",
            ["namespace", "status", "pipeline"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.pipelinerun_taskrun_duration = Histogram(
            PREFIX + "pipelinerun_taskrun_duration_seconds",
            "The pipelinerun's taskrun execution time in seconds",
            ["namespace", "status", "task", "pipeline"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.taskrun_duration = Histogram(
            PREFIX + "taskrun_duration_seconds",
            "The taskrun's execution time in seconds",
            ["namespace", "status", "task"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        # prometheus-client appends _total to counters; the base names are Tekton's without it.
        self.pipelinerun_total = Counter(
            PREFIX + "pipelinerun", "Number of pipelineruns executed", ["status"], registry=registry
        )
        self.taskrun_total = Counter(PREFIX + "taskrun", "Number of taskruns executed", ["status"], registry=registry)
        self.running_pipelineruns = Gauge(
            PREFIX + "running_pipelineruns", "Number of pipelineruns executing currently", registry=registry
        )
        self.running_taskruns = Gauge(
            PREFIX + "running_taskruns", "Number of taskruns executing currently", registry=registry
        )

    def pipelinerun_started(self) -> None:
        self.running_pipelineruns.inc()

    def pipelinerun_finished(
        self, *, namespace: str, pipeline: str, condition: dict[str, str], duration: float
    ) -> None:
        status = status_label(condition)
        self.running_pipelineruns.dec()
        self.pipelinerun_duration.labels(namespace, status, pipeline).observe(duration)
        self.pipelinerun_total.labels(status).inc()

    def taskrun_started(self) -> None:
        self.running_taskruns.inc()

    def taskrun_finished(
        self, *, namespace: str, task: str, pipeline: str | None, condition: dict[str, str], duration: float
    ) -> None:
        status = status_label(condition)
        self.running_taskruns.dec()
        if pipeline is None:
            self.taskrun_duration.labels(namespace, status, task).observe(duration)
        else:
            self.pipelinerun_taskrun_duration.labels(namespace, status, task, pipeline).observe(duration)
        self.taskrun_total.labels(status).inc()
