"""kill -9 in the middle of a run: the run shows as interrupted, and ``pipelinerun resume`` finishes it without
running the tasks that had already finished (issue 2 acceptance; ARCHITECTURE.md "Nothing is lost on a crash")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shipyard.controllers.pipeline_store import PipelineStore

PIPELINE = """\
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: crash-test
spec:
  workspaces:
    - name: out
  pipelineSpec:
    workspaces:
      - name: out
    tasks:
{tasks}
"""

TASK = """\
      - name: t{i}
{run_after}        workspaces:
          - name: out
            workspace: out
        taskSpec:
          workspaces:
            - name: out
          steps:
            - name: work
              image: busybox
              script: |
                echo t{i} >> $(workspaces.out.path)/ran
                sleep 1
"""


def _cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHIPYARD_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "shipyard.cli.main", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.mark.slow
def test_kill_9_then_resume(tmp_path: Path) -> None:
    home = tmp_path / "home"
    out = tmp_path / "out"
    out.mkdir()
    tasks = "".join(TASK.format(i=i, run_after=f"        runAfter: [t{i - 1}]\n" if i > 1 else "") for i in range(1, 6))
    f = tmp_path / "run.yaml"
    f.write_text(PIPELINE.format(tasks=tasks))
    env = {**os.environ, "SHIPYARD_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "shipyard.cli.main", "pipeline", "run", "-f", str(f), "-w", f"out={out}", "-q"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    done_before: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (home / "state.db").exists():
                records = PipelineStore(home).taskruns("crash-test")
                done_before = [r["pipeline_task"] for r in records if r["state"] == "succeeded"]
                if len(done_before) >= 2:
                    break
            time.sleep(0.1)
        assert len(done_before) >= 2, "the run did not get going"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    listed = _cli(home, "pipelinerun", "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    (item,) = json.loads(listed.stdout)["items"]
    assert item["metadata"]["name"] == "crash-test"
    assert item["status"]["conditions"][0]["reason"] == "Interrupted"

    resumed = _cli(home, "pipelinerun", "resume", "crash-test", "-o", "json", "-q")
    assert resumed.returncode == 0, resumed.stderr
    final = json.loads(resumed.stdout)
    assert final["status"]["conditions"][0]["reason"] == "Succeeded"
    assert final["status"]["conditions"][0]["message"] == "Tasks Completed: 5 (Failed: 0, Cancelled 0), Skipped: 0"
    ran = (out / "ran").read_text().split()
    for task in done_before:
        assert ran.count(task) == 1, f"{task} ran again after resume: {ran}"
    assert sorted(set(ran)) == ["t1", "t2", "t3", "t4", "t5"]

    again = _cli(home, "pipelinerun", "list", "-o", "json")
    assert json.loads(again.stdout)["items"][0]["status"]["conditions"][0]["reason"] == "Succeeded"
