"""Running a Dockerfile ``RUN`` inside a stage's root filesystem.

``RuncRunner`` writes a minimal OCI runtime bundle (``config.json`` beside, not inside, the rootfs: pid, ipc,
uts and mount namespaces; the host network namespace for ``--network=default|host``, a new one for ``none``;
``/proc``, ``/dev``, ``/dev/pts``, ``/dev/shm`` and ``/sys`` mounted; no terminal) and runs ``runc run``. We run
as root, so no user namespace. ``ChrootRunner`` is the fallback when runc is absent: ``unshare --fork --pid
--mount --mount-proc=/proc --root=R --wd=CWD --setuid --setgid``. Both stream output lines to a callback and
return the exit code; both implement ``shipyard.images.builder.state.RunInRootfs``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from shipyard.errors import ExecutionError

_CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]  # fmt: skip  # docker's default capability set


def _pump(stream: IO[bytes], output: Callable[[str], None]) -> None:
    for raw in iter(stream.readline, b""):
        output(raw.decode("utf-8", errors="replace").rstrip("\n"))


def _run_streaming(cmd: list[str], output: Callable[[str], None], env: dict[str, str] | None = None) -> int:
    try:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    except OSError as exc:
        raise ExecutionError(f"cannot start {cmd[0]}: {exc}") from exc
    assert proc.stdout is not None
    reader = threading.Thread(target=_pump, args=(proc.stdout, output), daemon=True)
    reader.start()
    code = proc.wait()
    reader.join()
    return code


def runtime_spec(
    rootfs: Path,
    argv: Sequence[str],
    *,
    env: Sequence[str],
    cwd: str,
    uid: int,
    gid: int,
    groups: Sequence[int],
    network: str,
) -> dict[str, Any]:
    """A minimal OCI runtime-spec config for one build step."""
    namespaces = [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]
    if network == "none":
        namespaces.append({"type": "network"})
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": uid, "gid": gid, **({"additionalGids": list(groups)} if groups else {})},
            "args": list(argv),
            "env": list(env),
            "cwd": cwd,
            "capabilities": {k: list(_CAPS) for k in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 4096}],
            "noNewPrivileges": True,
        },
        "root": {"path": str(rootfs.resolve()), "readonly": False},
        "hostname": "buildkitsandbox",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            {
                "destination": "/dev/pts",
                "type": "devpts",
                "source": "devpts",
                "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
            },
            {
                "destination": "/dev/shm",
                "type": "tmpfs",
                "source": "shm",
                "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
            },
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "namespaces": namespaces,
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    }


class RuncRunner:
    def __init__(self, runc: str = "runc", state_root: Path | None = None) -> None:
        found = shutil.which(runc)
        if found is None:
            raise ExecutionError(f"{runc} is not installed (apt-get install -y --no-install-recommends runc)")
        self.runc = found
        self.state_root = state_root

    def run(
        self,
        rootfs: Path,
        argv: Sequence[str],
        *,
        env: Sequence[str],
        cwd: str,
        uid: int,
        gid: int,
        groups: Sequence[int],
        network: str,
        output: Callable[[str], None],
    ) -> int:
        bundle = Path(tempfile.mkdtemp(prefix="shipyard-run-", dir=rootfs.parent))
        cid = f"shipyard-build-{uuid.uuid4().hex[:12]}"
        try:
            spec = runtime_spec(rootfs, argv, env=env, cwd=cwd, uid=uid, gid=gid, groups=groups, network=network)
            (bundle / "config.json").write_text(json.dumps(spec))
            base = [self.runc] + (["--root", str(self.state_root)] if self.state_root else [])
            code = _run_streaming([*base, "run", "--bundle", str(bundle), cid], output)
            subprocess.run([*base, "delete", "--force", cid], capture_output=True, check=False)
            return code
        finally:
            shutil.rmtree(bundle, ignore_errors=True)


class ChrootRunner:
    """No OCI runtime: a chroot inside fresh pid and mount namespaces (util-linux ``unshare``)."""

    def run(
        self,
        rootfs: Path,
        argv: Sequence[str],
        *,
        env: Sequence[str],
        cwd: str,
        uid: int,
        gid: int,
        groups: Sequence[int],
        network: str,
        output: Callable[[str], None],
    ) -> int:
        if shutil.which("unshare") is None:
            raise ExecutionError("neither runc nor unshare is available to run RUN steps")
        (rootfs / "proc").mkdir(exist_ok=True)
        # --root chroots before --mount-proc mounts, so the proc path is the one inside the new root
        cmd = [
            "unshare",
            "--fork",
            "--pid",
            "--mount",
            "--propagation",
            "private",
            "--kill-child",
            "--mount-proc=/proc",
        ]
        if network == "none":
            cmd.append("--net")
        cmd += [f"--root={rootfs}", f"--wd={cwd}", f"--setgid={gid}", f"--setuid={uid}", *argv]
        environ = dict(e.partition("=")[::2] for e in env)
        return _run_streaming(cmd, output, env=environ)


def default_runner() -> RuncRunner | ChrootRunner:
    """runc when installed, else the chroot fallback."""
    if shutil.which("runc") and os.geteuid() == 0:
        return RuncRunner()
    return ChrootRunner()
