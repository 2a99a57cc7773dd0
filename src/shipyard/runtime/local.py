"""The local step executor: a TaskRun's steps as host processes, in order, with Tekton's container contract.

Tekton rules followed here (``docs/container-contract.md``, ``pkg/pod/script.go``, ``pkg/pod/pod.go``):

* a ``script`` is written to ``/tekton/scripts`` and executed directly; without a shebang the preamble
  ``#!/bin/sh\\nset -e\\n`` is prepended (``defaultScriptPreamble``) — shipyard runs those under busybox ``sh``
  (ash), which is what the alpine/busybox images the examples use have as ``/bin/sh``;
* ``args`` are passed to the script as ``$1..``; a step with neither command nor script runs the image's
  entrypoint (see ``runtime.images``);
* steps run sequentially; the first step failing without ``onError: continue`` makes the rest ``Skipped``;
  ``onError: continue`` keeps the exit code and the reason ``Continued``;
* each step's exit code is written to ``/tekton/steps/<step>/exitCode``, and ``/tekton/steps/<index>`` links to
  the same directory; HOME is ``/tekton/home``; a relative workingDir is relative to ``/workspace``; a missing
  workingDir is created.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from shipyard.errors import ExecutionError
from shipyard.runtime.base import OutputSink, Sandbox, StepOutcome, StepSpec, TerminationReason
from shipyard.runtime.images import ImageConfigs
from shipyard.runtime.sandbox import Isolation, PathView, find_busybox, open_view

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SCRIPT_PREAMBLE = "#!/bin/sh\nset -e\n"
_SHELLS = {"sh", "/bin/sh", "ash", "/bin/ash"}


class LocalExecutor:
    """Runs steps as host processes; see the module docstring for the contract it keeps."""

    def __init__(self, *, isolation: Isolation = Isolation.auto, images: ImageConfigs | None = None) -> None:
        self.isolation = isolation
        self.images = images or ImageConfigs()
        self.busybox = find_busybox()
        # A step must not outlive shipyard: if the process running it is killed (even with -9), the kernel kills
        # the step (PR_SET_PDEATHSIG, set by util-linux setpriv and kept across exec), so `pipelinerun resume`
        # never races an orphan writing to the same TaskRun directory.
        setpriv = shutil.which("setpriv")
        self._deathsig = [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []

    def run(
        self,
        steps: Sequence[StepSpec],
        sandbox: Sandbox,
        *,
        on_output: OutputSink,
        cancel: threading.Event,
        deadline: float | None = None,
    ) -> list[StepOutcome]:
        tekton = sandbox.tekton_dir
        for sub in ("results", "steps", "home"):
            (tekton / sub).mkdir(parents=True, exist_ok=True)
        if any(step.script is not None for step in steps):
            (tekton / "scripts").mkdir(exist_ok=True)
        sandbox.workspace_dir.mkdir(parents=True, exist_ok=True)
        for index, step in enumerate(steps):
            (tekton / "steps" / step.name).mkdir(exist_ok=True)
            link = tekton / "steps" / str(index)
            if not link.is_symlink():
                link.symlink_to(step.name)

        view = open_view(sandbox, self.isolation, steps)
        outcomes: list[StepOutcome] = []
        try:
            stop_reason: TerminationReason | None = None
            for index, step in enumerate(steps):
                now = time.time()
                if stop_reason is None and cancel.is_set():
                    stop_reason = TerminationReason.cancelled
                if stop_reason is None and deadline is not None and time.monotonic() >= deadline:
                    stop_reason = TerminationReason.timeout
                if stop_reason is not None:
                    outcomes.append(StepOutcome(step.name, 0, TerminationReason.skipped, now, now))
                    continue
                try:
                    with view.step_mounts(step.mounts):
                        outcome = self._run_step(index, step, sandbox, view, on_output, cancel, deadline)
                except ExecutionError as exc:  # the step's own mounts could not be made or undone
                    on_output(step.name, "stderr", exc.diagnostics())
                    outcome = StepOutcome(step.name, 1, TerminationReason.error, now, time.time(), exc.diagnostics())
                outcomes.append(outcome)
                _write_exit_code(tekton / "steps" / step.name / "exitCode", outcome.exit_code)
                if outcome.reason in (TerminationReason.error, TerminationReason.timeout, TerminationReason.cancelled):
                    stop_reason = outcome.reason
        finally:
            view.close()
        return outcomes

    # -- one step -----------------------------------------------------------------------------------------

    def _argv(self, index: int, step: StepSpec, sandbox: Sandbox, view: PathView) -> list[str]:
        busybox_shell = bool((cfg := self.images.get(step.image)) and cfg.busybox_shell)
        if step.script is not None:
            name = f"script-{index}-{secrets.token_hex(3)}"
            text = step.script
            shebang = text.startswith("#!")
            if not shebang:
                text = SCRIPT_PREAMBLE + text
            host = sandbox.tekton_dir / "scripts" / name
            host.write_text(view.rewrite(text), encoding="utf-8")
            host.chmod(0o755)
            path = f"/tekton/scripts/{name}"
            interpreter = text.split("\n", 1)[0][2:].strip().split()
            if not shebang or (busybox_shell and interpreter and interpreter[0] in _SHELLS):
                return [*self._shell(), path, *step.args]
            # `#!/usr/bin/env ash` needs busybox anywhere; `#!/usr/bin/env sh` in an alpine/busybox image is
            # busybox ash too (pipelineruns/beta/using-retries-and-retry-count-variables.yaml uses `==` in `[`).
            env_shell = interpreter[1] if interpreter[:1] == ["/usr/bin/env"] and len(interpreter) > 1 else ""
            if env_shell == "ash" or (busybox_shell and env_shell == "sh"):
                return [*self._shell(), path, *step.args]
            return [*_shebang_argv(text), path, *step.args]
        if step.command:
            argv = [*step.command, *step.args]
        else:
            argv = self.images.resolve_command(step.name, step.image, step.args)
        if busybox_shell and argv and argv[0] in _SHELLS:
            argv = [*self._shell(), *argv[1:]]
        return argv

    def _shell(self) -> list[str]:
        if self.busybox is not None:
            return [self.busybox, "sh"]
        bash = shutil.which("bash")
        if bash is None:
            raise ExecutionError("no busybox or bash to run step scripts with (make setup installs busybox-static)")
        return [bash]

    def _workdir(self, step: StepSpec) -> str:
        wd = step.working_dir
        if not wd:
            cfg = self.images.get(step.image)
            return cfg.working_dir if cfg else "/"
        return wd if wd.startswith("/") else f"/workspace/{wd}"

    def _run_step(
        self,
        index: int,
        step: StepSpec,
        sandbox: Sandbox,
        view: PathView,
        on_output: OutputSink,
        cancel: threading.Event,
        deadline: float | None,
    ) -> StepOutcome:
        started = time.time()
        try:
            argv = self._argv(index, step, sandbox, view)
            cwd = self._workdir(step)
            host_cwd_path = view.host_path(cwd)
            if not host_cwd_path.is_dir():  # Tekton creates a missing workingDir
                host_cwd_path.mkdir(parents=True, exist_ok=True)
            env = {"PATH": DEFAULT_PATH, "HOME": "/tekton/home", **step.env}
            env = {k: view.rewrite(v) for k, v in env.items()}
            spawn_argv, host_cwd = view.enter(argv, cwd)
            proc = subprocess.Popen(
                [*self._deathsig, *spawn_argv],
                cwd=host_cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except (OSError, ExecutionError) as exc:
            message = exc.diagnostics() if isinstance(exc, ExecutionError) else f"cannot start: {exc.strerror}"
            on_output(step.name, "stderr", message)
            return StepOutcome(step.name, 1, TerminationReason.error, started, time.time(), message)

        limit = deadline
        if step.timeout:
            step_limit = time.monotonic() + step.timeout
            limit = step_limit if limit is None else min(limit, step_limit)
        killed = _collect(proc, step.name, on_output, cancel, limit)
        code = proc.wait()
        finished = time.time()
        if killed is not None:
            reason = killed
            message = (
                f'"{step.name}" exited because the step exceeded the specified timeout limit'
                if reason is TerminationReason.timeout
                else f'"{step.name}" was cancelled'
            )
            return StepOutcome(step.name, code if code > 0 else 1, reason, started, finished, message)
        if code < 0:  # killed by a signal from elsewhere: report as the shell would
            code = 128 - code
        if code == 0:
            return StepOutcome(step.name, 0, TerminationReason.completed, started, finished)
        if step.on_error == "continue":
            return StepOutcome(step.name, code, TerminationReason.continued, started, finished)
        return StepOutcome(
            step.name, code, TerminationReason.error, started, finished, f'"{step.name}" exited with code {code}'
        )


def _shebang_argv(text: str) -> list[str]:
    """The interpreter and its optional argument, as the kernel reads ``#!`` (the rest of the line is one argument).

    The script is run through its interpreter rather than exec'd itself: a file just written can still be open for
    writing in a child that another thread is forking at that moment, and exec'ing it then fails with ETXTBSY."""
    line = text.split("\n", 1)[0][2:].strip()
    if line.startswith("win"):
        raise ExecutionError("#!win scripts need a Windows node; shipyard runs steps on Linux")
    interpreter, _, arg = line.partition(" ")
    if not interpreter:
        raise ExecutionError("the script's #! line names no interpreter")
    return [interpreter, arg.strip()] if arg.strip() else [interpreter]


def _collect(
    proc: subprocess.Popen[bytes],
    step: str,
    sink: OutputSink,
    cancel: threading.Event,
    limit: float | None,
) -> TerminationReason | None:
    """Stream the step's output line by line until both pipes close, enforcing cancel and the time limit.

    One thread does it all (no reader or watcher threads: starting threads costs more than a `true` step). As in a
    container, the step ends when its process exits: children it left holding the pipes are killed."""
    streams = {"stdout": proc.stdout, "stderr": proc.stderr}
    pending = {name: b"" for name in streams}
    with selectors.DefaultSelector() as sel:
        for name, stream in streams.items():
            if stream is not None:
                os.set_blocking(stream.fileno(), False)
                sel.register(stream, selectors.EVENT_READ, name)
        killed: TerminationReason | None = None
        while sel.get_map():
            events = sel.select(timeout=0.05)
            for key, _ in events:
                name = key.data
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fileobj)
                    if pending[name]:
                        sink(step, name, pending[name].decode("utf-8", errors="replace"))
                        pending[name] = b""
                    continue
                lines = (pending[name] + chunk).split(b"\n")
                pending[name] = lines.pop()
                for line in lines:
                    sink(step, name, line.decode("utf-8", errors="replace"))
            if killed is None:
                if cancel.is_set():
                    killed = TerminationReason.cancelled
                elif limit is not None and time.monotonic() >= limit:
                    killed = TerminationReason.timeout
                if killed is not None:
                    _kill_group(proc.pid)
            if not events and proc.poll() is not None:
                _kill_group(proc.pid)
    for stream in streams.values():
        if stream is not None:
            stream.close()
    return killed


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _write_exit_code(path: Path, code: int) -> None:
    path.write_text(str(code), encoding="utf-8")
