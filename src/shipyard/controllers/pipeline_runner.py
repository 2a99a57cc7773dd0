"""The PipelineRun driver: plan, persist, act, wait for a TaskRun to finish, repeat.

Level-triggered from stored state (ARCHITECTURE.md): every change (a TaskRun planned, started, retried, finished;
a task skipped; a timeout; finally started; the end) is written to the store **before** the driver acts on it, so a
driver killed at any point leaves a run that ``resume`` continues: finished TaskRuns are kept, the ones that were
running are started again.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from shipyard.clock import Clock
from shipyard.controllers.pipeline_store import PipelineStore
from shipyard.controllers.pipeline_workspaces import HostVolume
from shipyard.controllers.taskrun_exec import Attempt, AttemptResult, LogSink, execute
from shipyard.observe.tekton import TektonMetrics
from shipyard.pipelines import planner as P
from shipyard.pipelines.scope import pipeline_scope
from shipyard.pipelines.state import Cancel, RunState, Skip, TaskRunRecord, TRState, record_dict
from shipyard.pipelines.status import condition, pipelinerun_status
from shipyard.pipelines.substitution import substitute
from shipyard.pipelines.trstatus import running_status
from shipyard.resources.durations import parse_duration
from shipyard.resources.tekton import PipelineRunSpec
from shipyard.runtime.base import StepExecutor

POLL = 0.2  # seconds between looks at a cancel requested by another process
DEFAULT_TASK_TIMEOUT = 3600.0  # config-defaults default-timeout-minutes: 60

EventSink = Callable[[str, str, dict[str, Any]], None]  # (run, event, data)


def meta_of(state: RunState) -> dict[str, Any]:
    d = state.to_dict()
    for k in ("taskruns", "runs_of", "skipped"):
        d.pop(k)
    return d


def state_from(
    meta: dict[str, Any], taskruns: list[dict[str, Any]], skips: dict[str, tuple[str, list[dict[str, Any]]]]
) -> RunState:
    runs_of: dict[str, list[str]] = {}
    for r in taskruns:
        runs_of.setdefault(r["pipeline_task"], []).append(r["name"])
    d = {
        **meta,
        "taskruns": {r["name"]: r for r in taskruns},
        "runs_of": runs_of,
        "skipped": {k: {"reason": v[0], "when": v[1]} for k, v in skips.items()},
    }
    return RunState.from_dict(d)


class PipelineRunDriver:
    def __init__(
        self,
        state: RunState,
        *,
        document: dict[str, Any],
        run_spec: PipelineRunSpec,
        volumes: dict[str, HostVolume],
        store: PipelineStore,
        pool: Executor,
        executor: StepExecutor,
        clock: Clock,
        metrics: TektonMetrics | None,
        key_values: dict[tuple[str, str, str], str],
        secret_values: frozenset[str],
        on_log: LogSink | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self.state = state
        self.document = document
        self.run_spec = run_spec
        self.volumes = volumes
        self.store = store
        self.pool = pool
        self.executor = executor
        self.clock = clock
        self.metrics = metrics
        self.key_values = key_values
        self.secret_values = secret_values
        self.on_log = on_log
        self.on_event = on_event
        self.done: queue.Queue[tuple[str, AttemptResult | BaseException]] = queue.Queue()
        self.cancels: dict[str, threading.Event] = {}
        self.cancel_messages: dict[str, str] = {}
        self.seq = len(state.taskruns)
        self.task_timeouts = {s.pipeline_task_name: s.timeout for s in run_spec.task_run_specs if s.timeout}

    # --- the loop ------------------------------------------------------------------------------------------
    def drive(self, *, resume: bool = False) -> dict[str, Any]:
        st = self.state
        if self.metrics:
            self.metrics.pipelinerun_started()
        if resume:
            for r in st.active():
                if r.state in (TRState.pending, TRState.running):
                    self._launch(r)
        last_poll = 0.0
        while True:
            now = self.clock.now()
            if now - last_poll >= POLL:
                last_poll = now
                self._poll_cancel()
            actions = P.plan(st, now)
            changed = False
            finished = False
            starts: list[TaskRunRecord] = []
            for a in actions:
                if isinstance(a, P.Finish):
                    finished = True
                elif isinstance(a, P.StartTask):
                    starts.extend(self._start_task(a))
                    changed = True
                elif isinstance(a, P.RetryTaskRun):
                    starts.append(self._retry(a.taskrun))
                    changed = True
                else:
                    changed = self._apply(a) or changed
            self._persist_skips(actions)
            for r in starts:
                self._launch(r)
            if finished:
                return self._finish()
            if changed:
                continue
            wait = POLL
            deadline = P.next_deadline(st)
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - self.clock.now()))
            try:
                item = self.done.get(timeout=wait)
            except queue.Empty:
                continue
            self._complete(*item)
            while True:
                try:
                    self._complete(*self.done.get_nowait())
                except queue.Empty:
                    break

    # --- actions -------------------------------------------------------------------------------------------
    def _apply(self, a: P.Action) -> bool:
        st = self.state
        if isinstance(a, P.SkipTask):
            st.skip(a.pipeline_task, a.reason, a.when)
            self._event("skipped", {"task": a.pipeline_task, "reason": a.reason})
            return True
        if isinstance(a, P.CancelTaskRun):
            st.cancel_requested.add(a.taskrun)
            self.cancel_messages[a.taskrun] = a.message
            ev = self.cancels.get(a.taskrun)
            if ev is not None:
                ev.set()
            rec = st.taskruns[a.taskrun]
            if rec.state is TRState.retry:  # waiting for its next attempt: nothing runs, it just ends
                self._final(rec, TRState.cancelled, "TaskRunCancelled", a.message, rec.status)
            return False
        if isinstance(a, P.TimedOut):
            st.timed_out = a.which
        elif isinstance(a, P.FailRun):
            st.failure = (a.reason, a.message)
        elif isinstance(a, P.StartFinally):
            st.finally_start = self.clock.now()
        self.store.save_meta(st.name, meta_of(st))
        return True

    def _persist_skips(self, actions: list[P.Action]) -> None:
        skips = [(a.pipeline_task, a.reason, a.when) for a in actions if isinstance(a, P.SkipTask)]
        if skips:
            self.store.save_skips(self.state.name, skips)

    def _start_task(self, a: P.StartTask) -> list[TaskRunRecord]:
        now = self.clock.now()
        records: list[TaskRunRecord] = []
        items: list[tuple[str, int, dict[str, Any]]] = []
        spec = self.state.task_specs[a.pipeline_task].model_dump(by_alias=True, exclude_none=True)
        for r in a.runs:
            status = running_status(r.name, now, spec, [])
            if a.display_name:
                status["displayName"] = a.display_name
            rec = dataclasses.replace(r, state=TRState.pending, uid=str(uuid.uuid4()), status=status, reason="Pending")
            records.append(rec)
            items.append((a.pipeline_task, self.seq, record_dict(rec)))
            self.seq += 1
        self.store.save_taskruns(self.state.name, items)  # persisted before anything runs
        self.state.add_runs(a.pipeline_task, records)
        if not records:
            self.store.save_meta(self.state.name, meta_of(self.state))
        return records

    def _retry(self, name: str) -> TaskRunRecord:
        old = self.state.taskruns[name]
        rec = dataclasses.replace(
            old, state=TRState.pending, attempt=old.attempt + 1, results={}, reason="Pending", message=""
        )
        self._save(rec)
        self.state.update_taskrun(rec)
        return rec

    def _launch(self, rec: TaskRunRecord) -> None:
        st = self.state
        pt = st.by_name[rec.pipeline_task]
        ev = threading.Event()
        self.cancels[rec.name] = ev
        if rec.name in st.cancel_requested:
            ev.set()
        attempt = Attempt(
            run=st.name,
            record=rec,
            label=rec.pipeline_task,
            spec=st.task_specs[rec.pipeline_task],
            inline=st.inline[rec.pipeline_task],
            task_name="" if st.inline[rec.pipeline_task] or pt.task_ref is None else (pt.task_ref.name or ""),
            namespace=st.namespace,
            bindings={},
            timeout=self._timeout(rec.pipeline_task),
            ignore_failure=pt.on_error == "continue",
            propagated=st.params if st.inline[rec.pipeline_task] else None,
            extra_context=self._context(pt.retries) if st.inline[rec.pipeline_task] else None,
            key_values=self.key_values,
            secret_values=self.secret_values,
        )
        for wb in pt.workspaces:
            source = wb.workspace or wb.name
            vol = self.volumes.get(source)
            if vol is not None:
                attempt.bindings[wb.name] = (source, vol)
                if wb.sub_path:
                    # subPath accepts $(params.x) and $(context.pipelineRun.*) (docs/variables.md field table).
                    scope = pipeline_scope(st, finally_task=st.is_finally(pt.name), retries=pt.retries)
                    attempt.sub_paths[wb.name] = substitute(wb.sub_path, scope)
        if st.inline[rec.pipeline_task]:
            # Workspaces propagate into embedded specs like params do (docs/pipelines.md).
            declared = {w.name for w in st.task_specs[rec.pipeline_task].workspaces}
            for name, vol in self.volumes.items():
                bound_by_task = any(w.name == name for w in pt.workspaces)
                if name in declared and name not in attempt.bindings and not bound_by_task:
                    attempt.bindings[name] = (name, vol)
        running = dataclasses.replace(rec, state=TRState.running, reason="Running")
        self._save(running)
        self.state.update_taskrun(running)
        attempt.record = running
        if self.metrics:
            self.metrics.taskrun_started()
        self._event("started", {"task": rec.pipeline_task, "taskrun": rec.name, "attempt": rec.attempt})
        self.pool.submit(self._run_attempt, attempt, ev)

    def _run_attempt(self, attempt: Attempt, ev: threading.Event) -> None:
        name = attempt.record.name
        try:
            result: AttemptResult | BaseException = execute(
                attempt,
                executor=self.executor,
                store=self.store,
                clock=self.clock,
                cancel=ev,
                cancel_message=lambda: self.cancel_messages.get(name, P.CANCEL_CANCEL),
                on_log=self.on_log,
            )
        except BaseException as exc:
            result = exc
        self.done.put((name, result))

    def _complete(self, name: str, result: AttemptResult | BaseException) -> None:
        st = self.state
        rec = st.taskruns[name]
        pt = st.by_name[rec.pipeline_task]
        if isinstance(result, BaseException):
            self._final(
                rec,
                TRState.failed,
                "TaskRunValidationFailed",
                f"shipyard could not run the TaskRun: {result}",
                rec.status,
            )
            return
        v = result.verdict
        if self.metrics:
            cond = result.status["conditions"][0]
            self.metrics.taskrun_finished(
                namespace=st.namespace,
                task=pt.task_ref.name if pt.task_ref and pt.task_ref.name else "anonymous",
                pipeline=st.pipeline_name,
                condition=cond,
                duration=result.finished - result.started,
            )
        retryable = (
            v.state is TRState.failed
            and len(rec.retries_status) < pt.retries
            and st.cancel is not Cancel.cancelled
            and st.timed_out is None
            and name not in st.cancel_requested
        )
        if retryable:
            archived = dataclasses.replace(
                rec,
                state=TRState.retry,
                reason="ToBeRetried",
                message=v.message,
                retries_status=[*rec.retries_status, result.status],
                status=result.status,
            )
            self._save(archived)
            st.update_taskrun(archived)
            self._event("retry", {"task": rec.pipeline_task, "taskrun": name, "attempt": rec.attempt})
            return
        final = dataclasses.replace(rec, results=result.results)
        self._final(final, v.state, v.reason, v.message, result.status)

    def _final(self, rec: TaskRunRecord, state: TRState, reason: str, message: str, status: dict[str, Any]) -> None:
        if rec.retries_status:
            status = {**status, "retriesStatus": rec.retries_status}
        if "displayName" in rec.status:
            status = {**status, "displayName": rec.status["displayName"]}
        if state is TRState.cancelled and status.get("conditions"):
            status = {
                **status,
                "conditions": [{**status["conditions"][0], "status": "False", "reason": reason, "message": message}],
            }
        final = dataclasses.replace(rec, state=state, reason=reason, message=message, status=status)
        self._save(final)
        self.state.update_taskrun(final)
        self.cancels.pop(rec.name, None)
        self._event(
            "finished",
            {
                "task": rec.pipeline_task,
                "taskrun": rec.name,
                "state": state.value,
                "reason": reason,
                "message": message,
            },
        )

    def _finish(self) -> dict[str, Any]:
        st = self.state
        now = self.clock.now()
        st.condition = condition(st)
        st.completion = now
        obj = self.object()
        self.store.save_meta(st.name, meta_of(st), obj, done=True)
        if self.metrics:
            self.metrics.pipelinerun_finished(
                namespace=st.namespace, pipeline=st.pipeline_name, condition=st.condition, duration=now - st.start
            )
        self._event("done", {"condition": st.condition})
        return obj

    # --- helpers -------------------------------------------------------------------------------------------
    def object(self) -> dict[str, Any]:
        st = self.state
        doc = dict(self.document)
        meta = dict(doc.get("metadata") or {})
        meta.pop("generateName", None)
        meta.update({"name": st.name, "namespace": st.namespace, "uid": st.uid})
        doc["metadata"] = meta
        doc["status"] = pipelinerun_status(st, finished=st.condition is not None)
        if str(doc.get("apiVersion", "")).endswith("v1beta1") and "results" in doc["status"]:
            doc["status"]["pipelineResults"] = doc["status"].pop("results")  # v1beta1's field name
        return doc

    def _timeout(self, task: str) -> float | None:
        pt = self.state.by_name[task]
        text = self.task_timeouts.get(task) or pt.timeout
        seconds = parse_duration(text) if text else DEFAULT_TASK_TIMEOUT
        return seconds or None

    def _context(self, retries: int) -> dict[str, Any]:
        st = self.state
        return {
            "pipelineRun": {"name": st.name, "namespace": st.namespace, "uid": st.uid},
            "pipeline": {"name": st.pipeline_name},
            "pipelineTask": {"retries": str(retries)},
        }

    def _poll_cancel(self) -> None:
        how = self.store.cancel_requested(self.state.name)
        if how and self.state.cancel is None:
            self.state.cancel = Cancel(how)
            self.store.save_meta(self.state.name, meta_of(self.state))
            self._event("cancelling", {"how": how})

    def _save(self, rec: TaskRunRecord) -> None:
        self.store.save_taskrun(self.state.name, rec.pipeline_task, 0, record_dict(rec))  # an update: seq is kept

    def _event(self, event: str, data: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(self.state.name, event, data)


__all__ = ["PipelineRunDriver", "Skip", "meta_of", "state_from"]
