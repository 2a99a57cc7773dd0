"""RUN execution inside a root filesystem: runc with a generated bundle, and the unshare+chroot fallback."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from shipyard.runtime.rootfs import ChrootRunner, RuncRunner, runtime_spec

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rfs") / "rootfs"
    (root / "bin").mkdir(parents=True)
    shutil.copy2("/bin/busybox", root / "bin" / "busybox")
    for applet in subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True, check=True).stdout.split():
        if applet != "busybox":
            os.symlink("busybox", root / "bin" / applet)
    (root / "work").mkdir()
    return root


@pytest.mark.parametrize("runner", [RuncRunner, ChrootRunner], ids=["runc", "chroot"])
def test_runner_uses_env_cwd_user_and_reports_exit_code(
    rootfs: Path, runner: type[RuncRunner] | type[ChrootRunner]
) -> None:
    lines: list[str] = []
    code = runner().run(
        rootfs,
        ["/bin/sh", "-c", 'echo "$GREETING from $(pwd) as $(id -u):$(id -g) pid $$"; echo file > /work/out; exit 3'],
        env=["PATH=/bin", "GREETING=hello"],
        cwd="/work",
        uid=0,
        gid=0,
        groups=(),
        network="host",
        output=lines.append,
    )
    assert code == 3
    assert lines == ["hello from /work as 0:0 pid 1"]  # PID 1: a private pid namespace
    assert (rootfs / "work" / "out").read_text() == "file\n"


@pytest.mark.parametrize("runner", [RuncRunner, ChrootRunner], ids=["runc", "chroot"])
def test_runner_drops_to_the_requested_user(rootfs: Path, runner: type[RuncRunner] | type[ChrootRunner]) -> None:
    lines: list[str] = []
    code = runner().run(
        rootfs,
        ["/bin/id", "-u"],
        env=["PATH=/bin"],
        cwd="/",
        uid=1234,
        gid=1234,
        groups=(),
        network="host",
        output=lines.append,
    )
    assert code == 0 and lines == ["1234"]


def test_spec_shares_host_network_unless_none(tmp_path: Path) -> None:
    spec = runtime_spec(tmp_path, ["true"], env=[], cwd="/", uid=0, gid=0, groups=(5,), network="host")
    assert {"type": "network"} not in spec["linux"]["namespaces"]
    assert spec["process"]["user"] == {"uid": 0, "gid": 0, "additionalGids": [5]}
    assert spec["root"]["path"] == str(tmp_path.resolve())
    none = runtime_spec(tmp_path, ["true"], env=[], cwd="/", uid=0, gid=0, groups=(), network="none")
    assert {"type": "network"} in none["linux"]["namespaces"]
