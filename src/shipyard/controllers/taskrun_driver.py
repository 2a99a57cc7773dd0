"""Standalone TaskRuns (``kind: TaskRun`` in a file): attempts with ``spec.retries``, timeout, cancel, resume;
and the TaskRun objects of a PipelineRun's children, in Tekton's shape."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from concurrent.futures import Executor
from typing import Any

from shipyard.clock import Clock
from shipyard.controllers.pipeline_runner import DEFAULT_TASK_TIMEOUT, POLL, EventSink
from shipyard.controllers.pipeline_store import PipelineStore, RunRow
from shipyard.controllers.pipeline_workspaces import HostVolume, materialise
from shipyard.controllers.taskrun_exec import Attempt, LogSink, execute
from shipyard.observe.tekton import TektonMetrics
from shipyard.pipelines.params import params_dict
from shipyard.pipelines.planner import CANCEL_CANCEL
from shipyard.pipelines.resolve import Catalog
from shipyard.pipelines.state import RunState, TaskRunRecord, TRState, record_dict
from shipyard.pipelines.taskrun import check_supported, propagate_workspaces, with_pod_volumes
from shipyard.pipelines.trstatus import running_status, taskrun_object
from shipyard.resources.durations import parse_duration
from shipyard.resources.tekton import TaskRun, TaskSpec
from shipyard.runtime.base import StepExecutor


def taskrun_view(state: RunState, rec: TaskRunRecord) -> dict[str, Any]:
    """A PipelineRun's child TaskRun as Tekton shows it."""
    pt = state.by_name[rec.pipeline_task]
    labels = {
        "tekton.dev/pipelineRun": state.name,
        "tekton.dev/pipelineTask": rec.pipeline_task,
        "tekton.dev/pipeline": state.pipeline_name,
        "tekton.dev/memberOf": "finally" if state.is_finally(rec.pipeline_task) else "tasks",
    }
    spec: dict[str, Any] = {"params": [{"name": k, "value": v} for k, v in rec.params.items()]}
    if pt.task_ref is not None:
        spec["taskRef"] = pt.task_ref.model_dump(by_alias=True, exclude_none=True)
        labels["tekton.dev/task"] = pt.task_ref.name or ""
    else:
        spec["taskSpec"] = state.task_specs[rec.pipeline_task].model_dump(by_alias=True, exclude_none=True)
    if pt.retries:
        spec["retries"] = pt.retries
    return taskrun_object(
        name=rec.name, namespace=state.namespace, uid=rec.uid, labels=labels, spec=spec, status=rec.status
    )


class TaskRunDriver:
    def __init__(
        self,
        *,
        name: str,
        document: dict[str, Any],
        model: TaskRun,
        spec: TaskSpec,
        inline: bool,
        volumes: dict[str, HostVolume],
        record: TaskRunRecord,
        namespace: str,
        start: float,
        catalog: Catalog,
        store: PipelineStore,
        pool: Executor,
        executor: StepExecutor,
        clock: Clock,
        metrics: TektonMetrics | None,
        on_log: LogSink | None,
        on_event: EventSink | None,
    ) -> None:
        self.name = name
        self.document = document
        self.model = model
        self.spec = spec
        self.inline = inline
        self.volumes = volumes
        self.record = record
        self.namespace = namespace
        self.start = start
        self.catalog = catalog
        self.store = store
        self.pool = pool
        self.executor = executor
        self.clock = clock
        self.metrics = metrics
        self.on_log = on_log
        self.on_event = on_event

    @classmethod
    def new(
        cls,
        *,
        name: str,
        document: dict[str, Any],
        model: TaskRun,
        catalog: Catalog,
        options: dict[str, Any],
        store: PipelineStore,
        pool: Executor,
        executor: StepExecutor,
        clock: Clock,
        metrics: TektonMetrics | None,
        on_log: LogSink | None,
        on_event: EventSink | None,
        resume_meta: dict[str, Any] | None = None,
    ) -> TaskRunDriver:
        spec = model.spec.task_spec or catalog.task(model.spec.task_ref, f"TaskRun {name}")  # type: ignore[arg-type]
        spec = with_pod_volumes(spec, model.spec.pod_template)
        check_supported(spec, f"TaskRun {name}")
        if model.spec.task_spec is not None:
            spec = propagate_workspaces(
                spec, [w.name for w in model.spec.workspaces] + list(options.get("workspaces", {}))
            )
        namespace = model.metadata.namespace or "default"
        if resume_meta is not None:
            record = TaskRunRecord(**{**resume_meta["record"], "state": TRState(resume_meta["record"]["state"])})
            if not record.final and record.state is not TRState.retry:
                record = dataclasses.replace(record, state=TRState.pending)
            start = float(resume_meta["start"])
        else:
            params = {**params_dict(model.spec.params), **options.get("params", {})}
            record = TaskRunRecord(name=name, pipeline_task=name, index=None, params=params, uid=str(uuid.uuid4()))
            start = clock.now()
        uid = record.uid
        volumes = materialise(
            list(model.spec.workspaces),
            run_name=name,
            run_uid=uid,
            run_dir=store.run_dir(name),
            home=store.home,
            host=options.get("workspaces", {}),
            catalog=catalog,
        )
        return cls(
            name=name,
            document=document,
            model=model,
            spec=spec,
            inline=model.spec.task_spec is not None,
            volumes=volumes,
            record=record,
            namespace=namespace,
            start=start,
            catalog=catalog,
            store=store,
            pool=pool,
            executor=executor,
            clock=clock,
            metrics=metrics,
            on_log=on_log,
            on_event=on_event,
        )

    def meta(self) -> dict[str, Any]:
        return {"record": record_dict(self.record), "start": self.start, "namespace": self.namespace}

    def _save(self, *, done: bool = False) -> None:
        self.store.save_taskrun(self.name, self.name, 0, record_dict(self.record))
        self.store.save_meta(self.name, self.meta(), self.object() if done else None, done=done)

    def object(self) -> dict[str, Any]:
        meta = {k: v for k, v in (self.document.get("metadata") or {}).items() if k != "generateName"}
        labels = dict(meta.get("labels") or {})
        if self.model.spec.task_ref and self.model.spec.task_ref.name:
            labels["tekton.dev/task"] = self.model.spec.task_ref.name
        obj = taskrun_object(
            name=self.name,
            namespace=self.namespace,
            uid=self.record.uid,
            labels=labels,
            spec=self.document.get("spec") or {},
            status=self.record.status,
        )
        if meta.get("annotations"):
            obj["metadata"]["annotations"] = meta["annotations"]
        return obj

    @staticmethod
    def object_of(row: RunRow, records: list[dict[str, Any]]) -> dict[str, Any]:
        rec = records[0] if records else row.meta["record"]
        meta = {k: v for k, v in (row.document.get("metadata") or {}).items() if k != "generateName"}
        return taskrun_object(
            name=row.name,
            namespace=row.meta.get("namespace", "default"),
            uid=rec.get("uid", ""),
            labels=dict(meta.get("labels") or {}),
            spec=row.document.get("spec") or {},
            status=rec.get("status") or {},
        )

    @staticmethod
    def cancel_interrupted(row: RunRow, store: PipelineStore, clock: Clock) -> None:
        stored = store.taskruns(row.name)
        rec = dict(stored[0] if stored else row.meta["record"])
        rec["state"] = TRState.cancelled.value
        status = dict(rec.get("status") or {})
        status["conditions"] = [
            {
                "type": "Succeeded",
                "status": "False",
                "reason": "TaskRunCancelled",
                "message": f'TaskRun "{row.name}" was cancelled',
            }
        ]
        rec["status"] = status
        store.save_taskrun(row.name, row.name, 0, rec)
        obj = TaskRunDriver.object_of(row, [rec])
        store.save_meta(row.name, {**row.meta, "record": rec}, obj, done=True)

    def drive(self) -> dict[str, Any]:
        timeout_text = self.model.spec.timeout
        timeout = (parse_duration(timeout_text) if timeout_text else DEFAULT_TASK_TIMEOUT) or None
        retries = self.model.spec.retries or 0
        cancel = threading.Event()
        stop = threading.Event()
        message = f'TaskRun "{self.name}" was cancelled'

        def poll() -> None:
            while not stop.wait(POLL):
                if self.store.cancel_requested(self.name):
                    cancel.set()
                    return

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        if self.metrics:
            self.metrics.taskrun_started()
        spec_dump = self.spec.model_dump(by_alias=True, exclude_none=True)
        try:
            while True:
                if self.record.state is TRState.retry:
                    self.record = dataclasses.replace(self.record, attempt=self.record.attempt + 1)
                status = running_status(self.name, self.clock.now(), spec_dump, self.record.retries_status)
                self.record = dataclasses.replace(self.record, state=TRState.running, reason="Running", status=status)
                self._save()
                self._event("started", {"task": self.name, "taskrun": self.name, "attempt": self.record.attempt})
                attempt = Attempt(
                    run=self.name,
                    record=self.record,
                    label=self.name,
                    spec=self.spec,
                    inline=self.inline,
                    task_name=""
                    if self.inline or self.model.spec.task_ref is None
                    else (self.model.spec.task_ref.name or ""),
                    namespace=self.namespace,
                    bindings={w: (w, v) for w, v in self.volumes.items()},
                    timeout=timeout,
                    key_values=self.catalog.key_values(),
                    secret_values=self.catalog.secret_values(),
                )
                result = self.pool.submit(
                    execute,
                    attempt,
                    executor=self.executor,
                    store=self.store,
                    clock=self.clock,
                    cancel=cancel,
                    cancel_message=lambda: message if cancel.is_set() else CANCEL_CANCEL,
                    on_log=self.on_log,
                ).result()
                v = result.verdict
                if v.state is TRState.failed and len(self.record.retries_status) < retries and not cancel.is_set():
                    self.record = dataclasses.replace(
                        self.record,
                        state=TRState.retry,
                        reason="ToBeRetried",
                        retries_status=[*self.record.retries_status, result.status],
                        status=result.status,
                    )
                    self._save()
                    continue
                status = result.status
                if self.record.retries_status:
                    status = {**status, "retriesStatus": self.record.retries_status}
                self.record = dataclasses.replace(
                    self.record,
                    state=v.state,
                    reason=v.reason,
                    message=v.message,
                    results=result.results,
                    status=status,
                )
                self._save(done=True)
                if self.metrics:
                    self.metrics.taskrun_finished(
                        namespace=self.namespace,
                        task=self.model.spec.task_ref.name
                        if self.model.spec.task_ref and self.model.spec.task_ref.name
                        else "anonymous",
                        pipeline=None,
                        condition=status["conditions"][0],
                        duration=self.clock.now() - self.start,
                    )
                self._event("done", {"condition": status["conditions"][0]})
                return self.object()
        finally:
            stop.set()

    def _event(self, event: str, data: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(self.name, event, data)
