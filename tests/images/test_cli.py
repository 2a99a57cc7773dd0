"""``shipyard image …`` and ``shipyard registry …`` end to end, against the real registry."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shipyard.cli.main import app
from shipyard.testing.registry import RunningRegistry, start_registry

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    reg = start_registry(tmp_path_factory.mktemp("cli-registry"))
    yield reg
    reg.stop()


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "-o" in args else result.stdout


def test_build_push_inspect_rm_gc(busybox_rootfs: Path, tmp_path: Path, registry: RunningRegistry) -> None:
    run("image", "import-rootfs", str(busybox_rootfs), "-t", "busybox:base")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "index.html").write_text("<h1>hi</h1>\n")
    (ctx / "Dockerfile").write_text(
        'FROM busybox:base\nCOPY index.html /www/\nRUN test -f /www/index.html\nUSER 65532\nCMD ["httpd", "-f"]\n'
    )
    target = registry.repo("cli/app", "v1")
    digest_file = tmp_path / "digest"
    out = run(
        "image",
        "build",
        str(ctx),
        "-t",
        target,
        "--push",
        "--digest-file",
        str(digest_file),
        "--label",
        "team=web",
        "--cache-repo",
        registry.repo("cli/cache"),
        "-o",
        "json",
    )
    assert len(run("registry", "tags", registry.repo("cli/cache"), "-o", "json")["tags"]) == 2  # COPY and RUN
    assert out["pushed"][0]["url"] == f"{registry.host}/cli/app@{out['digest']}"
    assert digest_file.read_text() == out["digest"]
    info = run("image", "inspect", target, "-o", "json")
    assert info["config"]["config"]["Labels"] == {"team": "web"}
    assert info["config"]["config"]["User"] == "65532"
    assert info["manifest"]["annotations"]["org.opencontainers.image.created"]
    names = [i["name"] for i in run("image", "ls", "-o", "json")]
    assert f"{registry.host}/cli/app:v1" in names
    inspect = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{target}"], capture_output=True, text=True, check=True
    )
    assert json.loads(inspect.stdout)["Digest"] == out["digest"]
    run("image", "rm", target)
    gone = run("image", "gc", "--prune-cache", "--grace", "0", "-o", "json")
    assert gone["blobs"] and gone["bytes"] > 0
    pulled = run("image", "pull", target, "-o", "json")
    assert pulled["digest"] == out["digest"]
    listed = run("registry", "tags", registry.repo("cli/app"), "-o", "json")
    assert listed["tags"] == ["v1"]


def test_registry_lifecycle_dry_run_then_apply(busybox_rootfs: Path, tmp_path: Path, registry: RunningRegistry) -> None:
    run("image", "import-rootfs", str(busybox_rootfs), "-t", "busybox:base")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    digests = []
    for i in range(3):
        (ctx / "Dockerfile").write_text(f"FROM busybox:base\nLABEL n={i}\n")
        out = run("image", "build", str(ctx), "-t", registry.repo("cli/life", f"sha-{i:07d}"), "--push", "-o", "json")
        digests.append(out["digest"])
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "description": "keep 1",
                        "selection": {
                            "tagStatus": "tagged",
                            "tagPrefixList": ["sha-"],
                            "countType": "imageCountMoreThan",
                            "countNumber": 1,
                        },
                        "action": {"type": "expire"},
                    }
                ]
            }
        )
    )
    dry = run("registry", "lifecycle", "--policy", str(policy), registry.repo("cli/life"), "-o", "json")
    expiring = sorted(i["digest"] for i in dry["images"] if i["expire"])
    assert expiring == sorted(digests[:2]) and dry["deleted"] == []
    assert all("keep 1" in i["reason"] for i in dry["images"])
    assert len(run("registry", "tags", registry.repo("cli/life"), "-o", "json")["tags"]) == 3  # nothing deleted
    applied = run("registry", "lifecycle", "--policy", str(policy), registry.repo("cli/life"), "--apply", "-o", "json")
    assert sorted(applied["deleted"]) == expiring
    assert run("registry", "tags", registry.repo("cli/life"), "-o", "json")["tags"] == ["sha-0000002"]


def test_tags_command_semver_release() -> None:
    out = run(
        "image",
        "tags",
        "--sha",
        "860c1904a1ce19322e91ac35af1ab07466440c37",
        "--ref",
        "main",
        "--semver-tag",
        "v1.4.2",
        "--image",
        "ghcr.io/o/app",
        "-o",
        "json",
    )
    assert out["tags"] == [
        "ghcr.io/o/app:1.4.2",
        "ghcr.io/o/app:1.4",
        "ghcr.io/o/app:1",
        "ghcr.io/o/app:sha-860c190",
        "ghcr.io/o/app:latest",
    ]
    assert out["version"] == "1.4.2"


def test_bad_dockerfile_is_a_clean_error(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY --bogus a b\n")
    shipyard = Path(sys.executable).parent / "shipyard"
    proc = subprocess.run([str(shipyard), "image", "build", str(ctx)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert f"{ctx / 'Dockerfile'}:2 COPY: unknown flag: --bogus" in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr


def test_build_pulls_a_missing_base_from_the_registry(
    busybox_rootfs: Path, tmp_path: Path, registry: RunningRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("image", "import-rootfs", str(busybox_rootfs), "-t", "busybox:base")
    base = registry.repo("base/busybox", "1")
    run("image", "push", "busybox:base", base)
    monkeypatch.setenv("SHIPYARD_HOME", str(tmp_path / "fresh-home"))  # an empty store
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f"FROM {base}\nRUN echo pulled > /pulled\n")
    out = run("image", "build", str(ctx), "-t", "pulled:1", "-o", "json")
    names = [i["name"] for i in run("image", "ls", "-o", "json")]
    assert f"{registry.host}/base/busybox:1" in names and "docker.io/library/pulled:1" in names
    assert out["digest"].startswith("sha256:")


def test_lifecycle_sees_untagged_images_through_the_push_log(
    busybox_rootfs: Path, tmp_path: Path, registry: RunningRegistry
) -> None:
    run("image", "import-rootfs", str(busybox_rootfs), "-t", "busybox:base")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    digests = []
    for i in range(3):  # the same tag moves three times: two digests are left untagged
        (ctx / "Dockerfile").write_text(f"FROM busybox:base\nLABEL build={i}\n")
        digests.append(
            run("image", "build", str(ctx), "-t", registry.repo("cli/moving", "latest"), "--push", "-o", "json")[
                "digest"
            ]
        )
    policy = tmp_path / "policy.json"
    rule = {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}
    policy.write_text(json.dumps({"rules": [{"rulePriority": 1, "selection": rule, "action": {"type": "expire"}}]}))
    out = run("registry", "lifecycle", "--policy", str(policy), registry.repo("cli/moving"), "--apply", "-o", "json")
    assert out["deleted"] == [digests[0]]
    seen = {i["digest"]: i for i in out["images"]}
    assert seen[digests[2]]["tags"] == ["latest"] and seen[digests[2]]["reason"] == "no rule selects it"
    assert seen[digests[1]]["tags"] == [] and not seen[digests[1]]["expire"]
