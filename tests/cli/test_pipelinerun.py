"""``shipyard pipeline run`` for people and ``pipelinerun list|describe|logs`` on the stored run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

RUN = """\
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {name: demo}
spec:
  pipelineSpec:
    tasks:
      - name: greet
        taskSpec:
          results: [{name: word}]
          steps:
            - name: say
              image: busybox
              script: |
                echo hello from greet
                printf hi > $(results.word.path)
      - name: reply
        params: [{name: w, value: $(tasks.greet.results.word)}]
        taskSpec:
          params: [{name: w}]
          steps:
            - {name: echo, image: busybox, script: 'echo "got $(params.w)"'}
"""


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHIPYARD_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "shipyard.cli.main", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_run_then_list_describe_logs(tmp_path: Path) -> None:
    f = tmp_path / "run.yaml"
    f.write_text(RUN)
    home = tmp_path / "home"
    run = cli(home, "pipeline", "run", "-f", str(f))
    assert run.returncode == 0, run.stderr
    assert "[greet/say] hello from greet" in run.stderr  # streamed live with the [task/step] prefix
    assert "[reply/echo] got hi" in run.stderr
    assert "reply" in run.stdout and "Succeeded" in run.stdout  # the final tree

    listed = cli(home, "pipelinerun", "list")
    assert "demo" in listed.stdout and "Succeeded" in listed.stdout
    items = json.loads(cli(home, "pipelinerun", "list", "-o", "json").stdout)["items"]
    assert [i["metadata"]["name"] for i in items] == ["demo"]

    described = cli(home, "pipelinerun", "describe", "demo")
    assert "result word = 'hi'" in described.stdout
    doc = YAML(typ="safe").load(cli(home, "pipelinerun", "describe", "demo", "-o", "yaml").stdout)
    assert [i["kind"] for i in doc["items"]] == ["PipelineRun", "TaskRun", "TaskRun"]
    assert doc["items"][1]["status"]["results"] == [{"name": "word", "type": "string", "value": "hi"}]

    logs = cli(home, "pipelinerun", "logs", "demo", "--task", "reply")
    assert logs.stdout.strip().splitlines() == ["[reply/echo] got hi"]
    follow = cli(home, "pipelinerun", "logs", "demo", "-f")
    assert follow.stdout.strip().splitlines() == ["[greet/say] hello from greet", "[reply/echo] got hi"]


def test_unknown_run_is_a_clear_error(tmp_path: Path) -> None:
    proc = cli(tmp_path / "home", "pipelinerun", "describe", "nope")
    assert proc.returncode == 1
    assert 'run "nope" not found' in proc.stderr


def test_bad_input_files_are_clear_errors_and_run_nothing(tmp_path: Path) -> None:
    """A document that is not a mapping, or has no kind: one error with the file (and line), exit 1, no run."""
    home = tmp_path / "home"
    cases = {
        "scalar.yaml": ("just text\n", "scalar.yaml: a resource must be a mapping with apiVersion, kind and metadata"),
        "nokind.yaml": (
            RUN + "---\napiVersion: v1\nmetadata: {name: y}\n",
            "nokind.yaml:23 kind: required field is missing",
        ),
    }
    for name, (text, want) in cases.items():
        f = tmp_path / name
        f.write_text(text)
        proc = cli(home, "pipeline", "run", "-f", str(f))
        assert proc.returncode == 1, name
        assert proc.stderr.strip() == f"error {tmp_path / want}", proc.stderr
    assert not (home / "state.db").exists()
