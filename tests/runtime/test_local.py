"""The local executor keeps Tekton's container contract (docs/container-contract.md, pkg/pod/script.go)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shipyard.runtime.base import Mount, Sandbox, StepSpec, TerminationReason
from shipyard.runtime.local import LocalExecutor
from shipyard.runtime.sandbox import Isolation, namespace_available

MODES = [
    pytest.param(Isolation.namespace, marks=pytest.mark.skipif(not namespace_available(), reason="needs root")),
    Isolation.rewrite,
]


def _sandbox(tmp_path: Path, mounts: tuple[Mount, ...] = ()) -> Sandbox:
    return Sandbox(
        tekton_dir=tmp_path / "tekton", workspace_dir=tmp_path / "ws", root_dir=tmp_path / "root", mounts=mounts
    )


def _run(
    tmp_path: Path, steps: list[StepSpec], mode: Isolation, **kw: object
) -> tuple[list, list[tuple[str, str, str]], Sandbox]:
    sandbox = kw.pop("sandbox", None) or _sandbox(tmp_path)
    lines: list[tuple[str, str, str]] = []
    cancel = kw.pop("cancel", None) or threading.Event()
    out = LocalExecutor(isolation=mode).run(
        steps, sandbox, on_output=lambda s, n, line: lines.append((s, n, line)), cancel=cancel, **kw
    )
    return out, lines, sandbox


@pytest.mark.parametrize("mode", MODES)
def test_results_exit_codes_and_order(tmp_path: Path, mode: Isolation) -> None:
    # Tekton: results are kept verbatim (trailing newline included); exit codes under /tekton/steps/<name>.
    steps = [
        StepSpec(
            "step-write",
            "alpine",
            script="echo -n first > $(results)\necho hello\n".replace("$(results)", "/tekton/results/out"),
        ),
        StepSpec("step-fail", "alpine", script="exit 3", on_error="continue"),
        StepSpec(
            "step-read",
            "alpine",
            script=(
                'test "$(cat /tekton/steps/step-fail/exitCode)" = 3\n'
                'test "$(cat /tekton/steps/1/exitCode)" = 3\n'
                "printf 'x\\n' >> /tekton/results/out\n"
                'echo "home=$HOME"\n'
            ),
        ),
    ]
    outcomes, lines, sandbox = _run(tmp_path, steps, mode)
    assert [(o.name, o.exit_code, o.reason) for o in outcomes] == [
        ("step-write", 0, TerminationReason.completed),
        ("step-fail", 3, TerminationReason.continued),
        ("step-read", 0, TerminationReason.completed),
    ]
    assert (sandbox.tekton_dir / "results" / "out").read_bytes() == b"firstx\n"
    assert ("step-write", "stdout", "hello") in lines
    assert ("step-read", "stdout", "home=/tekton/home") in lines or mode is Isolation.rewrite


@pytest.mark.parametrize("mode", MODES)
def test_failure_skips_later_steps(tmp_path: Path, mode: Isolation) -> None:
    steps = [StepSpec("step-a", "alpine", script="exit 2"), StepSpec("step-b", "alpine", script="echo never")]
    outcomes, lines, _ = _run(tmp_path, steps, mode)
    assert [o.reason for o in outcomes] == [TerminationReason.error, TerminationReason.skipped]
    assert outcomes[0].message == '"step-a" exited with code 2'
    assert not any(line[2] == "never" for line in lines)


@pytest.mark.parametrize("mode", MODES)
def test_no_shebang_runs_under_busybox_ash_with_set_e(tmp_path: Path, mode: Isolation) -> None:
    # pkg/pod/script.go defaultScriptPreamble "#!/bin/sh\nset -e\n"; examples use ash-only [[ ]] and ==.
    script = 'if [[ "a" == "a" ]]; then echo ash-ok; fi\nfalse\necho not-reached\n'
    outcomes, lines, _ = _run(tmp_path, [StepSpec("step-s", "busybox", script=script)], mode)
    assert outcomes[0].exit_code == 1
    texts = [line[2] for line in lines]
    assert "ash-ok" in texts and "not-reached" not in texts


@pytest.mark.parametrize("mode", MODES)
def test_args_only_busybox_step_uses_image_entrypoint(tmp_path: Path, mode: Isolation) -> None:
    # entrypoint_lookup_impl.go: no command → image Cmd ("sh" for busybox) followed by args.
    outcomes, lines, _ = _run(tmp_path, [StepSpec("step-x", "busybox", args=["-c", "echo via-sh $0"])], mode)
    assert outcomes[0].reason is TerminationReason.completed
    assert ("step-x", "stdout", "via-sh sh") in lines


def test_unknown_image_without_command_is_a_clear_error(tmp_path: Path) -> None:
    outcomes, _lines, _ = _run(
        tmp_path, [StepSpec("step-x", "example.com/private/thing", args=["x"])], Isolation.rewrite
    )
    assert outcomes[0].reason is TerminationReason.error
    assert "entrypoint of image" in outcomes[0].message


@pytest.mark.skipif(not namespace_available(), reason="needs root")
def test_working_dir_is_created_inside_the_sandbox_only(tmp_path: Path) -> None:
    steps = [StepSpec("step-wd", "alpine", working_dir="/a/path/too/far", script='[ "$PWD" = /a/path/too/far ]')]
    outcomes, _, _ = _run(tmp_path, steps, Isolation.namespace)
    assert outcomes[0].reason is TerminationReason.completed
    assert not Path("/a/path/too/far").exists()


@pytest.mark.skipif(not namespace_available(), reason="needs root")
def test_read_only_workspace_rejects_writes(tmp_path: Path) -> None:
    src = tmp_path / "cm"
    src.mkdir()
    (src / "motd").write_text("hi")
    sandbox = _sandbox(tmp_path, (Mount("/workspace/cm", src, read_only=True),))
    steps = [StepSpec("step-r", "alpine", script="cat /workspace/cm/motd\necho x > /workspace/cm/new")]
    outcomes, lines, _ = _run(tmp_path, steps, Isolation.namespace, sandbox=sandbox)
    assert ("step-r", "stdout", "hi") in lines
    assert outcomes[0].reason is TerminationReason.error
    assert not (src / "new").exists()


@pytest.mark.parametrize("mode", MODES)
def test_step_timeout_kills_and_skips_the_rest(tmp_path: Path, mode: Isolation) -> None:
    steps = [
        StepSpec("step-slow", "alpine", script="sleep 30", timeout=0.3),
        StepSpec("step-n", "alpine", script="true"),
    ]
    outcomes, _, _ = _run(tmp_path, steps, mode)
    assert [o.reason for o in outcomes] == [TerminationReason.timeout, TerminationReason.skipped]


@pytest.mark.parametrize("mode", MODES)
def test_cancel_stops_the_running_step(tmp_path: Path, mode: Isolation) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    t0 = time.monotonic()
    steps = [StepSpec("step-slow", "alpine", script="sleep 30"), StepSpec("step-n", "alpine", script="true")]
    outcomes, _, _ = _run(tmp_path, steps, mode, cancel=cancel)
    assert [o.reason for o in outcomes] == [TerminationReason.cancelled, TerminationReason.skipped]
    assert time.monotonic() - t0 < 25  # the sleep was killed, not waited for


def test_rewrite_mode_maps_paths_to_host_directories(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    sandbox = _sandbox(tmp_path, (Mount("/workspace/source", src),))
    steps = [StepSpec("step-w", "alpine", args=["-c", "echo hi > /workspace/source/f"], command=["sh"])]
    outcomes, _, _ = _run(tmp_path, steps, Isolation.rewrite, sandbox=sandbox)
    assert outcomes[0].reason is TerminationReason.completed
    assert (src / "f").read_text() == "hi\n"


@pytest.mark.skipif(not namespace_available(), reason="needs root")
def test_host_files_are_visible_but_writes_stay_in_the_sandbox(tmp_path: Path) -> None:
    host_file = tmp_path / "visible.txt"
    host_file.write_text("from-host\n")
    script = f"cat {host_file}\necho changed > {host_file}\ncat {host_file}\n"
    outcomes, lines, _ = _run(tmp_path, [StepSpec("step-v", "alpine", script=script)], Isolation.namespace)
    assert outcomes[0].reason is TerminationReason.completed
    assert [line[2] for line in lines] == ["from-host", "changed"]
    assert host_file.read_text() == "from-host\n"


@pytest.mark.parametrize(
    ("step", "mounts", "expected"),
    [
        (StepSpec("step-a", "alpine", command=["true"]), (), False),
        (StepSpec("step-a", "alpine", command=["true"], env={"HOME": "/tekton/home"}), (), False),
        (StepSpec("step-a", "alpine", script="echo x > /tekton/results/r"), (), True),
        (StepSpec("step-a", "alpine", command=["true"], working_dir="/src"), (), True),
        (StepSpec("step-a", "alpine", command=["true"], env={"D": "/workspace/source"}), (), True),
        (StepSpec("step-a", "alpine", args=["/data/x"], command=["cat"]), (Mount("/data", Path("/tmp")),), True),
        (StepSpec("step-a", "alpine", command=["true"]), (Mount("/data", Path("/tmp"), read_only=True),), True),
    ],
    ids=["plain", "default-home", "results-path", "working-dir", "env-path", "mount-path", "read-only-mount"],
)
def test_only_steps_that_can_tell_need_the_sandbox(step: StepSpec, mounts: tuple[Mount, ...], expected: bool) -> None:
    from shipyard.runtime.sandbox import needs_isolation

    assert needs_isolation([step], _sandbox(Path("/nonexistent"), mounts)) is expected


@pytest.mark.skipif(not namespace_available(), reason="needs root")
def test_home_is_the_promised_path_in_the_sandbox_and_real_on_the_host(tmp_path: Path) -> None:
    outcomes, _lines, sandbox = _run(
        tmp_path, [StepSpec("step-h", "alpine", command=["sh"], args=["-c", 'touch "$HOME/x"'])], Isolation.auto
    )
    assert outcomes[0].reason is TerminationReason.completed
    assert (sandbox.tekton_dir / "home" / "x").exists()


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        ("#!/bin/bash", ["/bin/bash"]),
        ("#!/usr/bin/env bash", ["/usr/bin/env", "bash"]),
        ("#! /usr/bin/env python3 -u", ["/usr/bin/env", "python3 -u"]),  # Linux: one argument after the path
    ],
    ids=["path", "env", "one-argument"],
)
def test_shebang_is_read_as_the_kernel_reads_it(line: str, argv: list[str]) -> None:
    from shipyard.runtime.local import _shebang_argv

    assert _shebang_argv(line + "\necho hi\n") == argv


@pytest.mark.parametrize("mode", MODES)
def test_many_parallel_shebang_scripts_never_hit_text_file_busy(tmp_path: Path, mode: Isolation) -> None:
    # Forks from other threads can hold a just-written script open; exec'ing it then fails with ETXTBSY.
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> list:
        d = tmp_path / f"r{i}"
        steps = [StepSpec(f"step-{j}", "ubuntu", script="#!/bin/sh\ntrue\n") for j in range(3)]
        outcomes, _, _ = _run(d, steps, mode)
        return [o.exit_code for o in outcomes]

    with ThreadPoolExecutor(4) as pool:
        assert all(codes == [0, 0, 0] for codes in pool.map(one, range(12)))


@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs util-linux setpriv")
def test_a_step_dies_with_the_process_that_runs_it(tmp_path: Path) -> None:
    # kill -9 of shipyard must not leave the step running (it would race `pipelinerun resume`).
    marker = tmp_path / "alive"
    code = (
        "import threading, sys\n"
        "from pathlib import Path\n"
        "from shipyard.runtime.base import Sandbox, StepSpec\n"
        "from shipyard.runtime.local import LocalExecutor\n"
        f"root = Path({str(tmp_path)!r})\n"
        "sb = Sandbox(tekton_dir=root / 't', workspace_dir=root / 'w', root_dir=root / 'r')\n"
        f"step = StepSpec('step-s', 'ubuntu', command=['sh', '-c', 'echo $$ > {marker}; exec sleep 60'])\n"
        "LocalExecutor().run([step], sb, on_output=lambda *a: None, cancel=threading.Event())\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 20
    while not (marker.exists() and marker.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(marker.read_text())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.skipif(not namespace_available(), reason="needs root")
def test_internal_step_directories_are_read_only(tmp_path: Path) -> None:
    # upstream taskruns/readonly-internal-dir.yaml: a step cannot write another step's exitCode.
    steps = [
        StepSpec("step-unnamed-0", "ubuntu", script="exit 0"),
        StepSpec("step-unnamed-1", "ubuntu", script="set +e\necho hi > /tekton/steps/0/exitCode && exit 1\nexit 0\n"),
        StepSpec("step-unnamed-2", "ubuntu", script='test "$(cat /tekton/steps/step-unnamed-1/exitCode)" = 0'),
    ]
    outcomes, _, sandbox = _run(tmp_path, steps, Isolation.namespace)
    assert [o.exit_code for o in outcomes] == [0, 0, 0]
    assert (sandbox.tekton_dir / "steps" / "step-unnamed-0" / "exitCode").read_text() == "0"


@pytest.mark.parametrize("mode", MODES)
def test_a_steps_own_mount_is_seen_by_that_step_only(tmp_path: Path, mode: Isolation) -> None:
    # upstream taskruns/home-volume.yaml: a volumeMount over /tekton/home hides what earlier steps wrote there.
    empty = tmp_path / "empty"
    empty.mkdir()
    steps = [
        StepSpec("step-write", "ubuntu", script="echo stuff > /tekton/home/stuff"),
        StepSpec("step-over", "ubuntu", script="[ ! -f /tekton/home/stuff ]", mounts=(Mount("/tekton/home", empty),)),
        StepSpec("step-read", "ubuntu", script="cat /tekton/home/stuff"),
    ]
    outcomes, lines, _ = _run(tmp_path, steps, mode)
    assert [o.exit_code for o in outcomes] == [0, 0, 0], lines
    assert ("step-read", "stdout", "stuff") in lines
    assert list(empty.iterdir()) == []


@pytest.mark.parametrize(
    ("image", "name"),
    [
        ("mirror.gcr.io/library/bash:5.2@sha256:" + "0" * 64, "bash"),
        ("ghcr.io/tektoncd/pipeline/nop-8eac7c133edad5df719dc37b36b62482:latest", "nop"),
        ("registry.local/my-app-v2", "my-app-v2"),
    ],
    ids=["digest", "ko-hash-suffix", "plain-dash"],
)
def test_repository_name(image: str, name: str) -> None:
    from shipyard.runtime.images import repository_name

    assert repository_name(image) == name
