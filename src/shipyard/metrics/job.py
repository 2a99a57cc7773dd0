"""Job metric provider, local form: run the Job's first container ``command`` + ``args`` as a local process.
Exit 0 → Successful, non-zero → Failed (Argo: Job Complete / Failed); the exit code is the value.
``activeDeadlineSeconds`` bounds it (default 600 s); a timeout is an Error measurement."""

from __future__ import annotations

import subprocess
from typing import Any

from shipyard.delivery.providers.base import Observation
from shipyard.errors import ProviderError
from shipyard.resources.analysis import Metric


def _argv(spec: dict[str, Any]) -> tuple[list[str], dict[str, str], float]:
    job_spec = spec.get("spec") or {}
    pod = (job_spec.get("template") or {}).get("spec") or {}
    containers = pod.get("containers") or []
    if not containers:
        raise ProviderError("job: spec.template.spec.containers[0] with a command is required")
    c = containers[0]
    argv = [str(x) for x in [*(c.get("command") or []), *(c.get("args") or [])]]
    if not argv:
        raise ProviderError("job: the container has no command or args to run locally")
    env = {str(e["name"]): str(e.get("value", "")) for e in c.get("env") or [] if "name" in e}
    return argv, env, float(job_spec.get("activeDeadlineSeconds") or 600)


class JobProvider:
    def __init__(self, cwd: str | None = None) -> None:
        self.cwd = cwd

    def measure(self, metric: Metric, *, now: float) -> Observation:
        argv, env, deadline = _argv(metric.provider.get("job") or {})
        import os

        try:
            done = subprocess.run(
                argv, cwd=self.cwd, env={**os.environ, **env}, capture_output=True, timeout=deadline, check=False
            )
        except FileNotFoundError as exc:
            raise ProviderError(f"job: command not found: {argv[0]}") from exc
        except subprocess.TimeoutExpired as exc:
            raise ProviderError(f"job: exceeded activeDeadlineSeconds ({deadline:g}s)") from exc
        phase = "Successful" if done.returncode == 0 else "Failed"
        tail = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()[-1:] or [""]
        meta = {"exitCode": str(done.returncode)} | ({"output": tail[0]} if tail[0] else {})
        return Observation(str(done.returncode), done.returncode, meta, phase=phase)
