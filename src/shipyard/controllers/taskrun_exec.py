"""One attempt of one TaskRun: resolve its steps, lay out its sandbox, call the StepExecutor, read its results.

Logs go to one file per step (``PipelineStore.log_path``) and to the live sink, with every Secret-backed value
replaced by ``***`` before either sees it.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from shipyard.clock import Clock
from shipyard.controllers.pipeline_store import PipelineStore
from shipyard.controllers.pipeline_workspaces import HostVolume, join_sub_path, taskrun_dir
from shipyard.controllers.taskrun_volumes import isolate_workspaces, task_volumes
from shipyard.errors import ShipyardError
from shipyard.pipelines.params import validate_params_error
from shipyard.pipelines.results import parse_results
from shipyard.pipelines.state import TaskRunRecord, TRState
from shipyard.pipelines.substitution import Value
from shipyard.pipelines.taskrun import Binding, resolve_taskrun
from shipyard.pipelines.trstatus import StepResult, Verdict, taskrun_status, verdict
from shipyard.resources.tekton import TaskSpec
from shipyard.runtime.base import Mount, Sandbox, StepExecutor, StepSpec, TerminationReason

LogSink = Callable[[str, str, str, str], None]  # (run, task label, step, line)


@dataclass(slots=True)
class Attempt:
    run: str
    record: TaskRunRecord
    label: str  # pipeline task name, or the TaskRun name when standalone
    spec: TaskSpec
    inline: bool
    namespace: str
    bindings: dict[str, tuple[str, HostVolume]]  # task workspace → (pipeline/run workspace name, volume)
    timeout: float | None
    ignore_failure: bool = False
    propagated: Mapping[str, Value] | None = None
    extra_context: Mapping[str, Any] | None = None
    key_values: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    secret_values: frozenset[str] = frozenset()
    sub_paths: dict[str, str] = field(default_factory=dict)
    # taskrun.go: rtr.TaskName is the referenced Task's name, or the TaskRun's own name for an embedded taskSpec
    # ($(context.task.name), "invalid input params for task <name>"); "" = the TaskRun's name.
    task_name: str = ""


@dataclass(slots=True)
class AttemptResult:
    verdict: Verdict
    status: dict[str, Any]
    results: dict[str, Value]
    started: float
    finished: float


class Masker:
    """Replaces Secret values with ``***`` in a log line. Logs are stored and streamed line by line, so a multi-line
    value (a key, a kubeconfig) is masked line by line too, as GitHub Actions does; longest values first."""

    def __init__(self, secrets: frozenset[str] | set[str]) -> None:
        values: set[str] = set()
        for s in secrets:
            values.add(s)
            values.update(line.strip("\r") for line in s.splitlines() if line.strip())
        self.secrets = sorted((s for s in values if s), key=len, reverse=True)

    def __call__(self, line: str) -> str:
        for s in self.secrets:
            if s in line:
                line = line.replace(s, "***")
        return line


def execute(
    a: Attempt,
    *,
    executor: StepExecutor,
    store: PipelineStore,
    clock: Clock,
    cancel: threading.Event,
    cancel_message: Callable[[], str],
    on_log: LogSink | None,
) -> AttemptResult:
    started = clock.now()
    record = a.record
    tr_dir = store.run_dir(a.run) / "taskruns" / record.name / f"attempt-{record.attempt}"
    if tr_dir.exists():
        shutil.rmtree(tr_dir)
    tr_dir.mkdir(parents=True)
    host_dirs: dict[str, Path] = {}
    bindings: dict[str, Binding] = {}
    for ws, (source, vol) in a.bindings.items():
        d = taskrun_dir(vol, tr_dir, source)
        sub = a.sub_paths.get(ws)
        if sub:
            try:
                d = join_sub_path(d, sub)
            except ShipyardError as exc:
                v = Verdict(TRState.failed, "TaskRunValidationFailed", f"[User error] workspace {ws}: {exc}")
                return _result(a, v, [], [], started, clock.now(), {})
            d.mkdir(parents=True, exist_ok=True)
        host_dirs[ws] = d
        bindings[ws] = Binding(claim=vol.claim, volume=vol.volume, read_only=vol.read_only)
    try:
        resolved = resolve_taskrun(
            a.spec,
            record.params,
            taskrun_name=record.name,
            taskrun_uid=record.uid,
            namespace=a.namespace,
            task_name=a.task_name or record.name,
            retry_count=record.attempt,
            inline=a.inline,
            bindings=bindings,
            propagated=a.propagated,
            extra_context=a.extra_context,
            key_values=a.key_values,
            secret_values=a.secret_values,
        )
    except (ShipyardError, ValueError) as exc:
        v = Verdict(TRState.failed, "TaskRunValidationFailed", str(exc))
        return _result(a, v, [], [], started, clock.now(), {})
    if resolved.problems:
        # taskrun.go prepare: ValidateResolvedTask -> "invalid input params for task <name>: <validateParams>".
        params_text = validate_params_error(resolved.problems)
        message = (
            f"invalid input params for task {a.task_name or record.name}: {params_text}"
            if params_text is not None
            else f"[User error] {resolved.problems[0].message}"
        )
        v = Verdict(TRState.failed, "TaskRunValidationFailed", message)
        return _result(a, v, [], [], started, clock.now(), resolved.spec)
    mounts = [Mount(path=u.mount_path, source=host_dirs[u.name], read_only=u.read_only) for u in resolved.workspaces]
    volumes = task_volumes(resolved.spec, tr_dir / "volumes", a.key_values)
    mounts, isolated, isolation_problems = isolate_workspaces(resolved.spec, mounts)
    if volumes.problems or isolation_problems:
        first = (volumes.problems or isolation_problems)[0]
        v = Verdict(TRState.failed, "TaskRunValidationFailed", f"[User error] {first}")
        return _result(a, v, [], [], started, clock.now(), resolved.spec)
    sandbox = Sandbox(
        tekton_dir=tr_dir / "tekton", workspace_dir=tr_dir / "workspace", root_dir=tr_dir / "root", mounts=mounts
    )
    steps = [
        StepSpec(
            name=s.name,
            image=s.image,
            command=s.command,
            args=s.args,
            script=s.script,
            env=dict(s.env),
            working_dir=s.working_dir,
            timeout=s.timeout,
            on_error=s.on_error,
            mounts=[*(volumes.steps[i] if i < len(volumes.steps) else ()), *(isolated[i] if i < len(isolated) else ())],
        )
        for i, s in enumerate(resolved.steps)
    ]
    mask = Masker(resolved.secrets | volumes.secrets)
    index = {s.name: i for i, s in enumerate(steps)}
    files: dict[str, IO[str]] = {}
    lock = threading.Lock()

    def sink(step: str, stream: str, line: str) -> None:
        text = mask(line)
        with lock:
            fh = files.get(step)
            if fh is None:
                path = store.log_path(a.run, record.name, index.get(step, 0), step.removeprefix("step-"))
                path.parent.mkdir(parents=True, exist_ok=True)
                fh = files[step] = path.open("a", encoding="utf-8")
            fh.write(text + "\n")
            fh.flush()
        if on_log is not None:
            on_log(a.run, a.label, step.removeprefix("step-"), text)

    deadline = clock.monotonic() + a.timeout if a.timeout else None
    try:
        outcomes = executor.run(steps, sandbox, on_output=sink, cancel=cancel, deadline=deadline)
    except ShipyardError as exc:
        sink(steps[0].name if steps else "step", "stderr", exc.diagnostics())
        v = Verdict(TRState.failed, "TaskRunValidationFailed", exc.diagnostics())
        return _result(a, v, [], [], started, clock.now(), resolved.spec)
    finally:
        for fh in files.values():
            fh.close()
    finished = clock.now()
    step_results = [
        StepResult(o.name, s.image, o.exit_code, o.reason.value, o.started_at, o.finished_at, o.message)
        for o, s in zip(outcomes, steps, strict=False)
    ]
    timed_out = any(o.reason is TerminationReason.timeout for o in outcomes) and (
        deadline is not None and clock.monotonic() >= deadline - 0.05
    )
    results_dir = sandbox.tekton_dir / "results"
    raw = {p.name: p.read_bytes() for p in sorted(results_dir.iterdir()) if p.is_file()} if results_dir.is_dir() else {}
    values, entries, problem = parse_results(a.spec.results, raw)
    was_cancelled = cancel.is_set() and any(o.reason is TerminationReason.cancelled for o in outcomes)
    v = verdict(
        record.name,
        step_results,
        cancelled=cancel_message() if was_cancelled else None,
        timeout=a.timeout,
        timed_out=timed_out,
        problem=(problem.reason, problem.message) if problem else None,
        ignore_failure=a.ignore_failure,
    )
    return _result(a, v, step_results, entries, started, finished, resolved.spec, values)


def _result(
    a: Attempt,
    v: Verdict,
    steps: list[StepResult],
    entries: list[dict[str, object]],
    started: float,
    finished: float,
    spec: dict[str, Any],
    values: dict[str, Value] | None = None,
) -> AttemptResult:
    status = taskrun_status(
        name=a.record.name,
        v=v,
        steps=steps,
        results=entries,
        start=started,
        completion=finished,
        task_spec=spec,
        retries_status=a.record.retries_status,
    )
    return AttemptResult(v, status, values or {}, started, finished)
