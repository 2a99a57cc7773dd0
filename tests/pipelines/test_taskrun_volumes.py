"""A Task's own Kubernetes ``volumes`` with steps' ``volumeMounts`` (upstream taskruns/custom-volume.yaml,
configmap.yaml, secret-volume-params.yaml): emptyDir shared between steps, ConfigMap/Secret files read-only,
Secret contents masked like Secret env, unknown objects and unsupported volume kinds are clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from shipyard.controllers.pipelines import PipelineService
from shipyard.errors import UnsupportedError
from shipyard.resources.loader import Document

SECRET = Document(
    data={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"token": "hunter2-x"}},
    file="s.yaml",
)


def taskrun(name: str, steps: list[dict[str, Any]], volumes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "TaskRun",
        "metadata": {"name": name},
        "spec": {"taskSpec": {"steps": steps, "volumes": volumes}},
    }


@pytest.fixture
def svc(tmp_path: Path) -> Any:
    lines: list[str] = []
    service = PipelineService(
        tmp_path / "home", registry=CollectorRegistry(), on_log=lambda run, t, s, line: lines.append(line)
    )
    service.lines = lines  # type: ignore[attr-defined]
    yield service
    service.close()


def cond(obj: dict[str, Any]) -> tuple[str, str, str]:
    c = obj["status"]["conditions"][0]
    return c["status"], c["reason"], c["message"]


def test_secret_volume_is_read_only_and_masked(svc: Any) -> None:
    steps = [
        {
            "name": "read",
            "image": "busybox",
            "volumeMounts": [{"name": "v", "mountPath": "/var/secret"}],
            "script": "cat /var/secret/token; echo; ! touch /var/secret/new 2>/dev/null",
        }
    ]
    obj = svc.run(taskrun("sv", steps, [{"name": "v", "secret": {"secretName": "s"}}]), [SECRET])
    assert cond(obj)[:2] == ("True", "Succeeded"), svc.lines
    assert "***" in svc.lines and not any("hunter2" in line for line in svc.lines)


@pytest.mark.parametrize(
    ("volumes", "mounts", "message"),
    [
        (
            [{"name": "v", "configMap": {"name": "nope"}}],
            [{"name": "v", "mountPath": "/c"}],
            '[User error] volume "v": ConfigMap "nope" not found; put it in the files or --resources',
        ),
        (
            [{"name": "v", "emptyDir": {}}],
            [{"name": "w", "mountPath": "/c"}],
            """[User error] volumeMounts: no volume named "w" in the Task's volumes""",
        ),
    ],
    ids=["missing-configmap", "mount-of-unknown-volume"],
)
def test_volume_problems_fail_the_taskrun_before_steps_run(
    svc: Any, volumes: list[dict[str, Any]], mounts: list[dict[str, Any]], message: str
) -> None:
    steps = [{"name": "s", "image": "busybox", "volumeMounts": mounts, "script": "echo ran"}]
    obj = svc.run(taskrun("bad", steps, volumes))
    assert cond(obj) == ("False", "TaskRunValidationFailed", message)
    assert "ran" not in svc.lines


def test_unsupported_volume_kind_is_refused(svc: Any) -> None:
    steps = [{"name": "s", "image": "busybox", "script": "true"}]
    with pytest.raises(UnsupportedError, match=r"volumes\[0\] \(h\): only emptyDir, configMap and secret"):
        svc.run(taskrun("hp", steps, [{"name": "h", "hostPath": {"path": "/"}}]))


def test_pipeline_task_gets_pod_template_volumes(svc: Any) -> None:
    """podTemplate volumes (taskRunTemplate for every task, taskRunSpecs for one) join the Task's volumes, as the
    pod gets them; upstream taskruns/template-volume.yaml is the TaskRun form."""
    mount = {"name": "scratch", "mountPath": "/scratch"}
    write = {"name": "w", "image": "busybox", "volumeMounts": [mount], "script": "echo hi > /scratch/f; cat /scratch/f"}
    run = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": "pt"},
        "spec": {
            "taskRunSpecs": [
                {"pipelineTaskName": "t", "podTemplate": {"volumes": [{"name": "scratch", "emptyDir": {}}]}}
            ],
            "pipelineSpec": {"tasks": [{"name": "t", "taskSpec": {"steps": [write]}}]},
        },
    }
    obj = svc.run(run)
    assert cond(obj)[:2] == ("True", "Succeeded"), svc.lines
    assert "hi" in svc.lines


def test_multi_line_secret_is_masked_line_by_line(svc: Any) -> None:
    """Logs go line by line, so a multi-line Secret (a private key) is masked per line, not only as a whole."""
    key = "-----BEGIN KEY-----\nabc123secretbody\n-----END KEY-----\n"
    secret = Document(
        data={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "k"}, "stringData": {"id": key}},
        file="k.yaml",
    )
    steps = [
        {"name": "s", "image": "busybox", "volumeMounts": [{"name": "v", "mountPath": "/k"}], "script": "cat /k/id"}
    ]
    obj = svc.run(taskrun("ml", steps, [{"name": "v", "secret": {"secretName": "k"}}]), [secret])
    assert cond(obj)[:2] == ("True", "Succeeded"), svc.lines
    assert svc.lines == ["***", "***", "***"]
