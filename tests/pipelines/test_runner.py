"""The runner end to end with the real local executor: timeouts, cancel, masking, result budget, workspaces,
params, metrics. Expected reasons and messages are Tekton's (reference/ci-engine.md §1.1, §1.3, §4)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from shipyard.controllers.pipelines import PipelineService
from shipyard.resources.loader import Document, loads


def pr(tasks: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    pipeline = {"tasks": tasks, **spec.pop("pipeline", {})}
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": "r"},
        "spec": {"pipelineSpec": pipeline, **spec},
    }


def task(name: str, script: str, **kw: Any) -> dict[str, Any]:
    spec = {"steps": [{"name": "s", "image": "busybox", "script": script}], **kw.pop("spec", {})}
    return {"name": name, "taskSpec": spec, **kw}


@pytest.fixture
def svc(tmp_path: Path) -> Any:
    lines: list[tuple[str, str, str]] = []
    registry = CollectorRegistry()
    service = PipelineService(
        tmp_path / "home", registry=registry, parallel=2, on_log=lambda run, t, s, line: lines.append((t, s, line))
    )
    service.lines = lines  # type: ignore[attr-defined]
    service.registry = registry  # type: ignore[attr-defined]
    yield service
    service.close()


def cond(obj: dict[str, Any]) -> tuple[str, str, str]:
    c = obj["status"]["conditions"][0]
    return c["status"], c["reason"], c["message"]


def test_task_timeout_fails_the_taskrun(svc: Any) -> None:
    obj = svc.run(pr([task("slow", "sleep 5", timeout="1s")]))
    assert cond(obj)[:2] == ("False", "Failed")
    (tr,) = svc.taskruns("r")
    assert cond(tr) == ("False", "TaskRunTimeout", 'TaskRun "r-slow" failed to finish within "1s"')


def test_pipeline_timeout(svc: Any) -> None:
    obj = svc.run(pr([task("slow", "sleep 5"), task("after", "true", runAfter=["slow"])], timeouts={"pipeline": "1s"}))
    assert cond(obj) == ("False", "PipelineRunTimeout", 'PipelineRun "r" failed to finish within "1s"')
    (tr,) = svc.taskruns("r")
    assert cond(tr) == (
        "False",
        "TaskRunCancelled",
        "TaskRun cancelled as the PipelineRun it belongs to has timed out.",
    )
    assert obj["status"]["skippedTasks"] == [{"name": "after", "reason": "PipelineRun timeout has been reached"}]


def test_tasks_timeout_still_runs_finally(svc: Any) -> None:
    obj = svc.run(
        pr(
            [task("slow", "sleep 5")],
            pipeline={"finally": [task("cleanup", "echo cleaned")]},
            timeouts={"pipeline": "1m", "tasks": "1s"},
        )
    )
    assert cond(obj) == (
        "False",
        "PipelineRunTimeout",
        'PipelineRun "r" failed due to tasks failed to finish within "1s"',
    )
    assert ("cleanup", "s", "cleaned") in svc.lines


def test_cancel_stops_running_tasks_and_skips_finally(svc: Any) -> None:
    name = svc.submit(pr([task("slow", "sleep 30")], pipeline={"finally": [task("f", "echo finally")]}))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(
        t["status"]["conditions"][0]["reason"] == "Running" for t in svc.taskruns(name)
    ):
        time.sleep(0.05)
    svc.cancel(name)
    obj = svc.wait(name)
    assert cond(obj) == ("False", "Cancelled", 'PipelineRun "r" was cancelled')
    assert [t["metadata"]["name"] for t in svc.taskruns(name)] == ["r-slow"]
    assert cond(svc.taskruns(name)[0])[1] == "TaskRunCancelled"


SECRET_RUN = """
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {token: s3cr3t-value}
---
apiVersion: tekton.dev/v1
kind: TaskRun
metadata: {name: masked}
spec:
  taskSpec:
    steps:
      - name: show
        image: busybox
        env:
          - name: TOKEN
            valueFrom: {secretKeyRef: {name: creds, key: token}}
        script: echo "token is $TOKEN"
"""


def test_secret_values_are_masked_in_streamed_and_stored_logs(svc: Any) -> None:
    secret, run = loads(SECRET_RUN, file="secret.yaml")
    obj = svc.run(run, [secret])
    assert cond(obj)[1] == "Succeeded"
    assert ("masked", "show", "token is ***") in svc.lines
    assert list(svc.logs("masked")) == [("masked", "show", "token is ***")]
    stored = "".join(p.read_text() for p in (svc.home / "pipelines" / "logs").rglob("*.log"))
    assert "s3cr3t" not in stored


def test_results_over_the_termination_message_budget_fail(svc: Any) -> None:
    big = task("big", "head -c 5000 /dev/zero | tr '\\0' a > $(results.r.path)", spec={"results": [{"name": "r"}]})
    svc.run(pr([big]))
    (tr,) = svc.taskruns("r")
    status, reason, message = cond(tr)
    assert (status, reason) == ("False", "TaskRunResultLargerThanAllowedLimit")
    assert "Termination message is above max allowed size 4096" in message


def test_missing_param_and_workspace_fail_before_anything_runs(svc: Any) -> None:
    obj = svc.run(pr([task("t", "true")], pipeline={"params": [{"name": "needed"}]}))
    assert cond(obj)[:2] == ("False", "ParameterMissing")
    obj = svc.run({**pr([task("t", "true")], pipeline={"workspaces": [{"name": "src"}]}), "metadata": {"name": "r2"}})
    assert cond(obj) == (
        "False",
        "InvalidWorkspaceBindings",
        "PipelineRun default/r2 doesn't bind Pipeline default/r2's Workspaces correctly: "
        'pipeline requires workspace with name "src" be provided by pipelinerun',
    )
    assert svc.taskruns("r2") == []


def test_host_workspace_and_read_only_configmap(svc: Any, tmp_path: Path) -> None:
    host = tmp_path / "src"
    host.mkdir()
    (host / "in.txt").write_text("hello\n")
    cm = Document(
        data={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"motd": "hi there"}},
        file="cm.yaml",
    )
    t = task(
        "t",
        "cat $(workspaces.src.path)/in.txt > $(workspaces.src.path)/out.txt && cat $(workspaces.cfg.path)/motd "
        "&& ! touch $(workspaces.cfg.path)/new 2>/dev/null",
        spec={"workspaces": [{"name": "src"}, {"name": "cfg", "readOnly": True}]},
        workspaces=[{"name": "src", "workspace": "src"}, {"name": "cfg", "workspace": "cfg"}],
    )
    run = pr(
        [t],
        pipeline={"workspaces": [{"name": "src"}, {"name": "cfg"}]},
        workspaces=[{"name": "cfg", "configMap": {"name": "cfg"}}],
    )
    obj = svc.run(run, [cm], workspaces={"src": host})
    assert cond(obj)[1] == "Succeeded", svc.lines
    assert (host / "out.txt").read_text() == "hello\n"
    assert ("t", "s", "hi there") in svc.lines


def test_pipeline_task_sub_path_is_substituted_and_kept_inside_the_workspace(svc: Any, tmp_path: Path) -> None:
    """docs/variables.md: a pipeline task's workspaces[].subPath accepts $(params.x); docs/workspaces.md: the
    subPath is a directory inside the volume, so one that climbs out is refused, and nothing is written outside."""
    host = tmp_path / "vol"
    host.mkdir()
    ws = {"workspaces": [{"name": "w"}]}
    writer = task("writer", "echo hi > $(workspaces.w.path)/f", spec=ws)
    good = pr(
        [{**writer, "workspaces": [{"name": "w", "workspace": "v", "subPath": "$(params.dir)"}]}],
        pipeline={"workspaces": [{"name": "v"}], "params": [{"name": "dir"}]},
        params=[{"name": "dir", "value": "sub"}],
    )
    assert cond(svc.run(good, workspaces={"v": host}))[1] == "Succeeded"
    assert (host / "sub" / "f").read_text() == "hi\n"
    bad = {**good, "metadata": {"name": "r2"}, "spec": {**good["spec"], "params": [{"name": "dir", "value": "../out"}]}}
    obj = svc.run(bad, workspaces={"v": host})
    assert cond(obj)[:2] == ("False", "Failed")
    (tr,) = svc.taskruns("r2")
    status, reason, message = cond(tr)
    assert (status, reason) == ("False", "TaskRunValidationFailed")
    assert 'subPath "../out" leaves the workspace' in message
    assert not (tmp_path / "out").exists()


def test_metrics_have_tekton_names_labels_and_buckets(svc: Any) -> None:
    svc.run(pr([task("ok", "true")]))
    reg = svc.registry
    assert reg.get_sample_value("tekton_pipelines_controller_pipelinerun_total", {"status": "success"}) == 1
    assert reg.get_sample_value("tekton_pipelines_controller_taskrun_total", {"status": "success"}) == 1
    labels = {"namespace": "default", "status": "success", "pipeline": "anonymous"}
    assert reg.get_sample_value("tekton_pipelines_controller_pipelinerun_duration_seconds_count", labels) == 1
    assert (
        reg.get_sample_value(
            "tekton_pipelines_controller_pipelinerun_duration_seconds_bucket", {**labels, "le": "86400.0"}
        )
        == 1
    )
    assert reg.get_sample_value("tekton_pipelines_controller_running_pipelineruns", {}) == 0


def test_cli_prints_a_json_list_for_several_runs_and_fails_when_one_fails(tmp_path: Path) -> None:
    f = tmp_path / "runs.yaml"
    f.write_text(
        "apiVersion: tekton.dev/v1\nkind: TaskRun\nmetadata: {name: good}\nspec:\n  taskSpec:\n    steps: [{image: busybox, script: 'true'}]\n"
        "---\napiVersion: tekton.dev/v1\nkind: TaskRun\nmetadata: {name: bad}\nspec:\n  taskSpec:\n    steps: [{image: busybox, script: 'exit 3'}]\n"
    )
    env = {"SHIPYARD_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "shipyard.cli.main", "pipeline", "run", "-f", str(f), "-o", "json", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    import json

    objs = json.loads(proc.stdout)
    assert [o["metadata"]["name"] for o in objs] == ["good", "bad"]
    assert objs[1]["status"]["conditions"][0]["reason"] == "StepFailed"
    assert objs[1]["status"]["conditions"][0]["message"] == '"step-unnamed-0" exited with code 3'


def test_live_output_has_task_step_prefix(tmp_path: Path) -> None:
    done = threading.Event()
    seen: list[str] = []

    def log(run: str, t: str, s: str, line: str) -> None:
        seen.append(f"[{t}/{s}] {line}")
        done.set()

    svc = PipelineService(tmp_path / "h", on_log=log)
    try:
        svc.run(pr([task("hello", "echo hi")]))
    finally:
        svc.close()
    assert seen == ["[hello/s] hi"]


def test_context_task_name_is_the_task_or_the_taskrun(svc: Any) -> None:
    """taskrun.go GetTaskData/ApplyContexts: $(context.task.name) is the referenced Task's name, or the TaskRun's
    own name when the spec is embedded (there is no Task object)."""
    echo = {"name": "s", "image": "busybox", "script": "echo name=$(context.task.name)"}
    named = Document(
        data={
            "apiVersion": "tekton.dev/v1",
            "kind": "Task",
            "metadata": {"name": "printer"},
            "spec": {"steps": [echo]},
        },
        file="task.yaml",
    )
    run = pr([{"name": "inline", "taskSpec": {"steps": [echo]}}, {"name": "byref", "taskRef": {"name": "printer"}}])
    assert cond(svc.run(run, [named]))[1] == "Succeeded"
    assert ("inline", "s", "name=r-inline") in svc.lines
    assert ("byref", "s", "name=printer") in svc.lines
