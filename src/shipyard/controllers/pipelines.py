"""``PipelineService``: run Tekton PipelineRuns and TaskRuns on this machine, keep them, and show them.

The API other packages call (the CLI, the Triggers listener, the demo)::

    svc = PipelineService(home, clock=SystemClock(), executor=LocalExecutor(), registry=registry, parallel=4)
    name = svc.submit(run_doc, resources)          # starts in the background, returns the run's name
    obj = svc.wait(name)                           # the final PipelineRun/TaskRun object, Tekton's shape
    obj = svc.run(run_doc, resources)              # submit + wait
    svc.get(name); svc.list(); svc.taskruns(name); svc.cancel(name); svc.resume(name); svc.logs(name)

``run_doc`` is a ``Document`` or a plain dict (a PipelineRun or TaskRun); ``resources`` are the Tasks, Pipelines,
ConfigMaps and Secrets its refs may name. Every state change is in ``$home/state.db`` before it is acted on.
"""

from __future__ import annotations

import builtins
import random
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from shipyard.clock import Clock, SystemClock
from shipyard.controllers.pipeline_runner import EventSink, PipelineRunDriver, meta_of, state_from
from shipyard.controllers.pipeline_store import PipelineStore, RunRow
from shipyard.controllers.pipeline_workspaces import materialise
from shipyard.controllers.taskrun_driver import TaskRunDriver, taskrun_view
from shipyard.controllers.taskrun_exec import LogSink
from shipyard.errors import ShipyardError, SpecError
from shipyard.observe.tekton import TektonMetrics
from shipyard.pipelines.resolve import Catalog, load, new_run_state
from shipyard.pipelines.state import Cancel, RunState, TRState
from shipyard.pipelines.status import condition, pipelinerun_status
from shipyard.pipelines.substitution import Value
from shipyard.resources.loader import Document
from shipyard.resources.tekton import PipelineRun, TaskRun
from shipyard.runtime.base import StepExecutor

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' generateName suffix alphabet
HOST_NOTE = "steps run on the host (no OCI runtime): each step's image is recorded, not pulled"


def generate_name(prefix: str) -> str:
    return prefix + "".join(random.choice(_ALPHABET) for _ in range(5))


def _doc(run: Document | Mapping[str, Any]) -> Document:
    return run if isinstance(run, Document) else Document(data=dict(run), file="<run>")


class PipelineService:
    def __init__(
        self,
        home: Path,
        *,
        clock: Clock | None = None,
        executor: StepExecutor | None = None,
        registry: CollectorRegistry | None = None,
        parallel: int = 4,
        on_log: LogSink | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self.home = Path(home)
        self.store = PipelineStore(self.home)
        self.clock = clock or SystemClock()
        if executor is None:
            from shipyard.runtime.local import LocalExecutor

            executor = LocalExecutor()
        self.executor = executor
        self.metrics = TektonMetrics.for_registry(registry) if registry is not None else None
        self.pool = ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="taskrun")
        self.on_log = on_log
        self.on_event = on_event
        self._threads: dict[str, threading.Thread] = {}
        self._errors: dict[str, BaseException] = {}

    # --- starting runs -------------------------------------------------------------------------------------
    def submit(
        self,
        run: Document | Mapping[str, Any],
        resources: Sequence[Document] = (),
        *,
        workspaces: Mapping[str, str | Path] | None = None,
        params: Mapping[str, Value] | None = None,
    ) -> str:
        """Validate, persist and start one run in the background; returns its name."""
        doc = _doc(run)
        loaded = load([doc], resources)
        if not loaded.runs:
            raise SpecError(f"expected a PipelineRun or TaskRun, got {doc.kind}", file=doc.file, line=doc.line)
        _, model = loaded.runs[0]
        host = {k: str(Path(v).resolve()) for k, v in (workspaces or {}).items()}
        options = {"workspaces": host, "params": dict(params or {})}
        resource_data = [{"file": d.file, "data": d.data} for d in resources]
        if isinstance(model, PipelineRun):
            driver = self._new_pipelinerun(doc.data, model, loaded.catalog, options, resource_data)
            return self._start(driver.state.name, lambda: driver.drive())
        tdriver = self._new_taskrun(doc.data, model, loaded.catalog, options, resource_data)
        return self._start(tdriver.name, tdriver.drive)

    def run(self, run: Document | Mapping[str, Any], resources: Sequence[Document] = (), **kw: Any) -> dict[str, Any]:
        return self.wait(self.submit(run, resources, **kw))

    def _start(self, name: str, target: Any) -> str:
        def body() -> None:
            try:
                target()
            except BaseException as exc:
                self._errors[name] = exc

        self._event(name, "note", {"message": HOST_NOTE})
        t = threading.Thread(target=body, name=f"run-{name}", daemon=True)
        self._threads[name] = t
        t.start()
        return name

    def _new_pipelinerun(
        self,
        document: dict[str, Any],
        model: PipelineRun,
        catalog: Catalog,
        options: dict[str, Any],
        resources: list[dict[str, Any]],
    ) -> PipelineRunDriver:
        meta = model.metadata
        name = meta.name or generate_name(meta.generate_name or "pipelinerun-")
        uid = str(uuid.uuid4())
        state = new_run_state(
            model,
            catalog,
            name=name,
            uid=uid,
            now=self.clock.now(),
            params=options["params"],
            host_workspaces=options["workspaces"],
        )
        self.store.create(
            name, "PipelineRun", document=document, resources=resources, options=options, meta=meta_of(state)
        )
        return self._driver(state, document, model, catalog, options)

    def _driver(
        self, state: RunState, document: dict[str, Any], model: PipelineRun, catalog: Catalog, options: dict[str, Any]
    ) -> PipelineRunDriver:
        volumes = materialise(
            list(model.spec.workspaces),
            run_name=state.name,
            run_uid=state.uid,
            run_dir=self.store.run_dir(state.name),
            home=self.home,
            host=options["workspaces"],
            catalog=catalog,
        )
        return PipelineRunDriver(
            state,
            document=document,
            run_spec=model.spec,
            volumes=volumes,
            store=self.store,
            pool=self.pool,
            executor=self.executor,
            clock=self.clock,
            metrics=self.metrics,
            key_values=catalog.key_values(),
            secret_values=catalog.secret_values() | _secret_params(state, catalog),
            on_log=self.on_log,
            on_event=self.on_event,
        )

    def _new_taskrun(
        self,
        document: dict[str, Any],
        model: TaskRun,
        catalog: Catalog,
        options: dict[str, Any],
        resources: list[dict[str, Any]],
    ) -> TaskRunDriver:
        meta = model.metadata
        name = meta.name or generate_name(meta.generate_name or "taskrun-")
        driver = TaskRunDriver.new(
            name=name,
            document=document,
            model=model,
            catalog=catalog,
            options=options,
            store=self.store,
            pool=self.pool,
            executor=self.executor,
            clock=self.clock,
            metrics=self.metrics,
            on_log=self.on_log,
            on_event=self.on_event,
        )
        self.store.create(name, "TaskRun", document=document, resources=resources, options=options, meta=driver.meta())
        return driver

    # --- waiting and looking -------------------------------------------------------------------------------
    def wait(self, name: str, timeout: float | None = None) -> dict[str, Any]:
        t = self._threads.get(name)
        if t is not None:
            t.join(timeout)
            err = self._errors.pop(name, None)
            if err is not None:
                if isinstance(err, ShipyardError):
                    raise err
                raise ShipyardError(f"run {name} stopped on an internal error: {err!r}") from err
            return self.get(name)
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            row = self.store.get(name)
            if row.phase == "done" or row.interrupted:
                return self.get(name)
            if end is not None and time.monotonic() >= end:
                return self.get(name)
            time.sleep(0.2)

    def get(self, name: str) -> dict[str, Any]:
        return self._object(self.store.get(name))

    def list(self) -> builtins.list[dict[str, Any]]:
        return [self._object(r) for r in self.store.list_runs()]

    def taskruns(self, name: str) -> builtins.list[dict[str, Any]]:
        row = self.store.get(name)
        if row.kind == "TaskRun":
            return [self._object(row)]
        state = self._state(row)
        return [taskrun_view(state, r) for r in (state.taskruns[n] for n in state.taskruns)]

    def _state(self, row: RunRow) -> RunState:
        return state_from(row.meta, self.store.taskruns(row.name), self.store.skips(row.name))

    def _object(self, row: RunRow) -> dict[str, Any]:
        if row.phase == "done" and row.object is not None:
            return row.object
        if row.kind == "TaskRun":
            obj = TaskRunDriver.object_of(row, self.store.taskruns(row.name))
        else:
            state = self._state(row)
            obj = dict(row.document)
            meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "generateName"}
            obj["metadata"] = {**meta, "name": state.name, "namespace": state.namespace, "uid": state.uid}
            obj["status"] = pipelinerun_status(state, finished=False)
        if row.interrupted:
            obj["status"]["conditions"] = [
                {
                    "type": "Succeeded",
                    "status": "Unknown",
                    "reason": "Interrupted",
                    "message": f"the process running this {row.kind} (pid {row.owner_pid}) is gone; "
                    f"`shipyard pipelinerun resume {row.name}` continues it",
                }
            ]
        return obj

    # --- cancel and resume ---------------------------------------------------------------------------------
    def cancel(self, name: str) -> dict[str, Any]:
        row = self.store.get(name)
        if row.phase == "done":
            return self.get(name)
        row = self.store.request_cancel(name, Cancel.cancelled.value)
        if row.interrupted:
            self.store.claim(name)
            if row.kind == "PipelineRun":
                state = self._state(row)
                state.cancel = Cancel.cancelled
                for rec in state.active():
                    rec.state = TRState.cancelled
                    rec.reason = "TaskRunCancelled"
                    self.store.save_taskrun(name, rec.pipeline_task, 0, _record(rec))
                state.index()
                state.condition = condition(state)
                state.completion = self.clock.now()
                obj = self._object(row)
                obj["status"] = pipelinerun_status(state, finished=True)
                self.store.save_meta(name, meta_of(state), obj, done=True)
            else:
                TaskRunDriver.cancel_interrupted(row, self.store, self.clock)
        return self.get(name)

    def resume(self, name: str) -> str:
        """Continue an interrupted run in this process from its last finished TaskRun; returns its name."""
        row = self.store.claim(name)
        docs = [Document(data=r["data"], file=r["file"]) for r in row.resources]
        loaded = load([Document(data=row.document, file="<stored run>")], docs)
        _, model = loaded.runs[0]
        if isinstance(model, PipelineRun):
            state = self._state(row)
            driver = self._driver(state, row.document, model, loaded.catalog, row.options)
            self._event(name, "resumed", {"finished": sum(1 for r in state.taskruns.values() if r.final)})
            return self._start(name, lambda: driver.drive(resume=True))
        tdriver = TaskRunDriver.new(
            name=name,
            document=row.document,
            model=model,
            catalog=loaded.catalog,
            options=row.options,
            store=self.store,
            pool=self.pool,
            executor=self.executor,
            clock=self.clock,
            metrics=self.metrics,
            on_log=self.on_log,
            on_event=self.on_event,
            resume_meta=row.meta,
        )
        return self._start(name, tdriver.drive)

    # --- logs ----------------------------------------------------------------------------------------------
    def logs(self, name: str, *, task: str | None = None, follow: bool = False) -> Iterator[tuple[str, str, str]]:
        """(task, step, line) of every stored step log, in TaskRun order; ``follow`` waits for the run to end."""
        row = self.store.get(name)
        positions: dict[Path, int] = {}
        while True:
            labels = {r["name"]: r["pipeline_task"] for r in self.store.taskruns(name)}
            for tr, step, path in self.store.log_files(name):
                label = labels.get(tr, tr)
                if task is not None and label != task:
                    continue
                with path.open("r", encoding="utf-8") as fh:
                    fh.seek(positions.get(path, 0))
                    while True:
                        line = fh.readline()
                        if not line or not line.endswith("\n"):
                            break
                        yield label, step, line[:-1]
                    positions[path] = fh.tell() - (len(line.encode()) if line and not line.endswith("\n") else 0)
            if not follow:
                return
            row = self.store.get(name)
            if row.phase == "done" or row.interrupted:
                follow = False
                continue
            time.sleep(0.2)

    def close(self) -> None:
        for t in list(self._threads.values()):
            t.join()
        self.pool.shutdown(wait=True)

    def _event(self, name: str, event: str, data: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(name, event, data)


def _record(rec: Any) -> dict[str, Any]:
    from shipyard.pipelines.state import record_dict

    return record_dict(rec)


def _secret_params(state: RunState, catalog: Catalog) -> frozenset[str]:
    """Param values that came from a Secret are masked too (a value equal to a Secret's value)."""
    secrets = catalog.secret_values()
    return frozenset(v for v in state.params.values() if isinstance(v, str) and v in secrets)
