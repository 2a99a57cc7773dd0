"""Making Tekton's promised paths real for processes that run on the host.

Two ways, chosen by ``Isolation``:

* ``namespace`` (root, with ``unshare``/``nsenter`` from util-linux): one private mount namespace per TaskRun,
  held by a small holder process. Inside it the host root is mounted read-only-underneath an overlay (writes
  land in a per-TaskRun upper directory, as in a container's writable layer), ``/tekton``, ``/workspace``,
  ``/tmp`` and every workspace are bind-mounted, and each step enters it with ``nsenter --root --wd``. The host
  never sees these mounts; a workingDir like ``/a/path/too/far`` is created in the overlay, not on the host.
* ``rewrite`` (anyone): no isolation; absolute paths under ``/tekton``, ``/workspace`` and the workspace mount
  paths are rewritten to their host directories in the step's argv, env, script and workingDir.
"""

from __future__ import annotations

import abc
import contextlib
import enum
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from shipyard.errors import ExecutionError
from shipyard.runtime.base import Mount, Sandbox, StepSpec


class Isolation(enum.StrEnum):
    auto = "auto"
    namespace = "namespace"
    rewrite = "rewrite"


def namespace_available() -> bool:
    return (
        os.geteuid() == 0
        and shutil.which("unshare") is not None
        and shutil.which("nsenter") is not None
        and find_busybox() is not None
    )


def find_busybox() -> str | None:
    for candidate in ("/bin/busybox", "/usr/bin/busybox"):
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("busybox")


class PathView(abc.ABC):
    """How a step's view of the filesystem maps to host paths."""

    @abc.abstractmethod
    def enter(self, argv: Sequence[str], cwd: str) -> tuple[list[str], str | None]:
        """The argv to spawn on the host and the host cwd to give it (None: set by the argv itself)."""

    @abc.abstractmethod
    def host_path(self, path: str) -> Path:
        """The host path of ``path`` as a step sees it (for creating a workingDir, writing scripts)."""

    def rewrite(self, text: str) -> str:
        """Rewrite absolute paths in a string the step receives (identity when isolated)."""
        return text

    @contextlib.contextmanager
    def step_mounts(self, mounts: Sequence[Mount]) -> Iterator[None]:
        """Make one step's own mounts visible while it runs (steps of a TaskRun run one at a time)."""
        self._apply(mounts)
        try:
            yield
        finally:
            self._remove(mounts)

    @abc.abstractmethod
    def _apply(self, mounts: Sequence[Mount]) -> None: ...

    @abc.abstractmethod
    def _remove(self, mounts: Sequence[Mount]) -> None: ...

    def close(self) -> None:  # noqa: B027 - most views hold nothing to release
        """Release the view (stop the holder process)."""


def host_submounts() -> list[str]:
    """Top-most mount points below ``/`` (``/dev``, ``/proc``, ``/sys``, a separate ``/tmp`` …)."""
    targets: list[str] = []
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as fh:
            for line in fh:
                target = line.split()[4].encode().decode("unicode_escape")
                if target != "/" and os.path.isdir(target):
                    targets.append(target)
    except OSError:
        targets = ["/dev", "/proc", "/sys"]
    top: list[str] = []
    for t in sorted(set(targets), key=len):
        if not any(t.startswith(p.rstrip("/") + "/") for p in top):
            top.append(t)
    return sorted(top)


def _mount_table(sandbox: Sandbox) -> list[Mount]:
    table = [
        Mount("/tekton", sandbox.tekton_dir),
        Mount("/workspace", sandbox.workspace_dir),
        *sandbox.mounts,
    ]
    # Parents before children, so /workspace/source lands on top of /workspace.
    return sorted(table, key=lambda m: (m.path.rstrip("/").count("/"), m.path))


class RewriteView(PathView):
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        # Longest prefix first so /workspace/source wins over /workspace; a step's own mounts win over everything.
        self._base = sorted(_mount_table(sandbox), key=lambda m: -len(m.path))
        self._table = self._base

    def _apply(self, mounts: Sequence[Mount]) -> None:
        if mounts:
            self._table = sorted(mounts, key=lambda m: -len(m.path)) + self._base

    def _remove(self, mounts: Sequence[Mount]) -> None:
        self._table = self._base

    def host_path(self, path: str) -> Path:
        norm = os.path.normpath(path) if path.startswith("/") else path
        for m in self._table:
            p = m.path.rstrip("/")
            if norm == p or norm.startswith(p + "/"):
                return Path(str(m.source) + norm[len(p) :])
        return Path(str(self.sandbox.root_dir) + norm)

    def rewrite(self, text: str) -> str:
        out = text
        for m in self._table:
            p = m.path.rstrip("/")
            out = _replace_path_prefix(out, p, str(m.source))
        return out

    def enter(self, argv: Sequence[str], cwd: str) -> tuple[list[str], str | None]:
        return [self.rewrite(a) for a in argv], str(self.host_path(cwd))


def _replace_path_prefix(text: str, prefix: str, replacement: str) -> str:
    """Replace ``prefix`` where it starts a path (followed by ``/``, end, or a non-path character)."""
    out: list[str] = []
    i = 0
    n = len(prefix)
    while True:
        j = text.find(prefix, i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        before_ok = j == 0 or not (text[j - 1].isalnum() or text[j - 1] in "._-/")
        after = text[j + n] if j + n < len(text) else ""
        after_ok = after == "" or not (after.isalnum() or after in "._-")
        out.append(text[i:j])
        out.append(replacement if before_ok and after_ok else prefix)
        i = j + n


class NamespaceView(PathView):
    """A private mount namespace per TaskRun, entered by every step with ``nsenter``."""

    def __init__(self, sandbox: Sandbox, busybox: str) -> None:
        self.sandbox = sandbox
        root = sandbox.root_dir
        self.merged = root / "merged"
        for d in ("upper", "work", "merged"):
            (root / d).mkdir(parents=True, exist_ok=True)
        self.busybox = busybox
        script = self._setup_script(busybox)
        try:
            self.holder = subprocess.Popen(
                [
                    "unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    busybox,
                    "sh",
                    "-c",
                    script,
                    "holder",
                    str(os.getpid()),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise ExecutionError(f"cannot start the step sandbox: {exc}") from exc
        assert self.holder.stdout is not None
        line = self.holder.stdout.readline()
        if line.strip() != b"ready":
            self.holder.kill()
            _, err = self.holder.communicate(timeout=5)
            raise ExecutionError(
                f"cannot set up the step sandbox (mount namespace): {err.decode(errors='replace').strip()}"
            )
        self._proc_root = f"/proc/{self.holder.pid}/root"

    def _setup_script(self, busybox: str) -> str:
        root = self.sandbox.root_dir
        m = shlex.quote(str(self.merged))
        lines = [
            "set -e",
            f"mount -t overlay shipyard -o lowerdir=/,upperdir={shlex.quote(str(root / 'upper'))},"
            f"workdir={shlex.quote(str(root / 'work'))} {m}",
        ]
        # The overlay shows the root filesystem only; other filesystems mounted on the host (/dev, /proc, a
        # separate /tmp or /home) are bound in so host paths a step names stay visible.
        for target in host_submounts():
            lines.append(f"mount --rbind {shlex.quote(target)} {m}{shlex.quote(target)}")
        # Tekton's internal directories are not the step's to write: exit codes and scripts are written by the
        # executor from outside (upstream taskruns/readonly-internal-dir.yaml checks /tekton/steps/<i>/exitCode).
        internal = [
            Mount(f"/tekton/{name}", self.sandbox.tekton_dir / name, read_only=True)
            for name in ("steps", "scripts")
            if (self.sandbox.tekton_dir / name).is_dir()
        ]
        for mount in [*_mount_table(self.sandbox), *internal]:
            target = f"{m}{shlex.quote(os.path.normpath(mount.path))}"
            lines.append(f"mkdir -p {target}")
            lines.append(f"mount --bind {shlex.quote(str(mount.source))} {target}")
            if mount.read_only:
                lines.append(f"mount -o remount,bind,ro {target}")
        # Hold the namespace open while the parent lives; exit when it is gone (even after kill -9).
        lines += ["echo ready", 'while kill -0 "$1" 2>/dev/null; do sleep 1; done']
        return "\n".join(lines)

    def host_path(self, path: str) -> Path:
        return Path(self._proc_root + str(self.merged) + os.path.normpath(path))

    def _in_namespace(self, script: str) -> None:
        done = subprocess.run(
            ["nsenter", f"--target={self.holder.pid}", "--mount", "--", self.busybox, "sh", "-c", script],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ExecutionError(f"cannot change the step's mounts: {done.stderr.strip()}")

    def _apply(self, mounts: Sequence[Mount]) -> None:
        if not mounts:
            return
        lines = ["set -e"]
        for mount in mounts:
            target = shlex.quote(f"{self.merged}{os.path.normpath(mount.path)}")
            lines += [f"mkdir -p {target}", f"mount --bind {shlex.quote(str(mount.source))} {target}"]
            if mount.read_only:
                lines.append(f"mount -o remount,bind,ro {target}")
        self._in_namespace("\n".join(lines))

    def _remove(self, mounts: Sequence[Mount]) -> None:
        if mounts:
            targets = [shlex.quote(f"{self.merged}{os.path.normpath(m.path)}") for m in reversed(mounts)]
            self._in_namespace("\n".join(f"umount {t}" for t in targets))

    def enter(self, argv: Sequence[str], cwd: str) -> tuple[list[str], str | None]:
        root = self._proc_root + str(self.merged)
        return [
            "nsenter",
            f"--target={self.holder.pid}",
            "--mount",
            f"--root={root}",
            f"--wd={root}{os.path.normpath(cwd)}",
            "--",
            *argv,
        ], None

    def close(self) -> None:
        if self.holder.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.holder.pid, 9)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.holder.communicate(timeout=5)
        # The overlay's upper layer is this TaskRun's scratch space; results and workspaces live elsewhere.
        for d in ("upper", "work"):
            shutil.rmtree(self.sandbox.root_dir / d, ignore_errors=True)


def needs_isolation(steps: Sequence[StepSpec], sandbox: Sandbox) -> bool:
    """Whether any step can tell a sandbox from the host: it names a promised path (``/tekton``, ``/workspace``, a
    workspace mount), sets a workingDir (``$PWD`` must read as written), or a workspace must be read-only. Steps
    that do none of these run directly on the host, which saves the namespace set-up (tens of milliseconds)."""
    if any(m.read_only for m in sandbox.mounts):
        return True
    prefixes = ("/tekton", "/workspace", *(m.path for m in sandbox.mounts))
    for step in steps:
        if step.working_dir or step.mounts:
            return True
        # HOME=/tekton/home is the default every step gets; pointing it at the host's home directory is harmless.
        env = [v for k, v in step.env.items() if not (k == "HOME" and v == "/tekton/home")]
        texts = (step.script or "", *step.command, *step.args, *env)
        if any(p in text for text in texts for p in prefixes):
            return True
    return False


def open_view(sandbox: Sandbox, isolation: Isolation, steps: Sequence[StepSpec] = ()) -> PathView:
    if isolation is Isolation.auto:
        wanted = namespace_available() and (not steps or needs_isolation(steps, sandbox))
        isolation = Isolation.namespace if wanted else Isolation.rewrite
    if isolation is Isolation.namespace:
        busybox = find_busybox()
        if busybox is None or not namespace_available():
            raise ExecutionError("namespace isolation needs root, unshare, nsenter and busybox (make setup)")
        return NamespaceView(sandbox, busybox)
    return RewriteView(sandbox)


def merged_env(base: Mapping[str, str], step_env: Mapping[str, str]) -> dict[str, str]:
    env = dict(base)
    env.update(step_env)
    return env
