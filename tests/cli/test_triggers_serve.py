"""``shipyard triggers serve`` as a user runs it: a real process on 127.0.0.1, a signed GitHub-style push sent
to it creates and runs a PipelineRun; a forged one is reported and creates nothing; SIGTERM stops it."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from shipyard.controllers.pipelines import PipelineService

LISTENER = """\
apiVersion: triggers.tekton.dev/v1beta1
kind: EventListener
metadata:
  name: demo-listener
spec:
  triggers:
    - name: push
      interceptors:
        - ref: {name: github}
          params:
            - {name: secretRef, value: {secretName: webhook, secretKey: token}}
            - {name: eventTypes, value: [push]}
      bindings:
        - {name: revision, value: $(body.after)}
      template:
        spec:
          params:
            - name: revision
          resourcetemplates:
            - apiVersion: tekton.dev/v1
              kind: PipelineRun
              metadata:
                generateName: ci-
              spec:
                params:
                  - {name: revision, value: $(tt.params.revision)}
                pipelineSpec:
                  params:
                    - name: revision
                  tasks:
                    - name: hello
                      params:
                        - {name: revision, value: $(params.revision)}
                      taskSpec:
                        params:
                          - name: revision
                        steps:
                          - name: say
                            image: busybox
                            script: echo "revision $(params.revision)"
"""


@pytest.mark.integration
def test_serve_runs_a_signed_push_and_stops_on_sigterm(tmp_path: Path) -> None:
    (tmp_path / "listener.yaml").write_text(LISTENER)
    (tmp_path / "secret").write_text("from-a-file\n")
    env = {**os.environ, "SHIPYARD_HOME": str(tmp_path / "home"), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "shipyard.cli.main", "triggers", "serve", "-f", "listener.yaml", "--port", "0"]
    cmd += ["--secret-file", "secret"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert m, first + (proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        url = m.group(1)
        body = json.dumps({"ref": "refs/heads/main", "after": "c0ffee"}).encode()
        good = "sha256=" + hmac.new(b"from-a-file", body, hashlib.sha256).hexdigest()
        with httpx.Client(timeout=30) as client:
            forged = client.post(
                url, content=body, headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=00"}
            )
            assert forged.status_code == 202
            assert re.search(r"rejected by interceptor github: payload signature check failed", proc.stdout.readline())
            ok = client.post(url, content=body, headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": good})
            assert ok.status_code == 202
            line = proc.stdout.readline()
            assert f"event {ok.json()['eventID']}: trigger push created PipelineRun/ci-" in line
            name = line.rsplit("PipelineRun/", 1)[1].strip()
            assert proc.stderr is not None
            progress = []
            while not any(f"■ {name}: " in p for p in progress):  # the engine's end-of-run line
                progress.append(proc.stderr.readline())
                assert progress[-1], "".join(progress)
            assert f"■ {name}: Succeeded" in progress[-1]
            assert "[hello/say] revision c0ffee\n" in progress
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.rstrip().endswith("stopped")
    service = PipelineService(tmp_path / "home")
    try:
        (run,) = service.list()
    finally:
        service.close()
    assert run["metadata"]["name"] == name
    assert run["metadata"]["labels"]["triggers.tekton.dev/eventlistener"] == "demo-listener"
    assert run["status"]["conditions"][0]["reason"] == "Succeeded"


def test_serve_refuses_a_broken_listener_with_file_line_errors(tmp_path: Path) -> None:
    broken = LISTENER.replace("bindings:", "bindngs:")
    (tmp_path / "listener.yaml").write_text(broken)
    env = {**os.environ, "SHIPYARD_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "shipyard.cli.main", "triggers", "serve", "-f", "listener.yaml", "--port", "0"]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert (
        'listener.yaml:13 spec.triggers[0].bindngs: unknown field "bindngs" (did you mean "bindings"?)' in done.stderr
    )
    assert done.stdout == ""
