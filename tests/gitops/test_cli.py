"""``shipyard gitops …`` end to end through the CLI: render, set-image, promote --pr + approve, app create/sync/
get/history/rollback against the local cluster in the test's SHIPYARD_HOME."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shipyard.cli.main import app
from shipyard.errors import SpecError

HERE = Path(__file__).parent / "overlays"
SEED = HERE / "seed"
runner = CliRunner()


def run(*args: str) -> str:
    res = runner.invoke(app, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def test_render_json_and_missing_dir(tmp_path: Path) -> None:
    objs = json.loads(run("gitops", "render", str(SEED / "services/order-service/overlays/staging"), "-o", "json"))
    assert [o["kind"] for o in objs] == ["Service", "Deployment"]
    with pytest.raises(SpecError, match="unable to find"):
        runner.invoke(app, ["gitops", "render", str(tmp_path)], catch_exceptions=False)


def test_set_image_in_place(tmp_path: Path) -> None:
    d = tmp_path / "overlay"
    shutil.copytree(SEED / "services/order-service/overlays/staging", d)
    assert "updated" in run(
        "gitops", "set-image", str(d), "123456789012.dkr.ecr.eu-west-1.amazonaws.com/order-service:v5"
    )
    text = (d / "kustomization.yaml").read_text()
    assert "newTag: v5" in text and "digest" not in text and "# bumped by CI" in text
    assert "unchanged" in run(
        "gitops", "set-image", str(d), "123456789012.dkr.ecr.eu-west-1.amazonaws.com/order-service:v5"
    )


@pytest.mark.integration
def test_promote_approve_and_apps(tmp_path: Path) -> None:
    bare = tmp_path / "gitops.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    work = tmp_path / "w"
    shutil.copytree(SEED, work)
    for cmd in (["init", "-q", "-b", "main"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "seed"],
                ["push", "-q", str(bare), "main"]):  # fmt: skip
        subprocess.run(["git", *cmd], cwd=work, check=True, capture_output=True)
    reg = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/order-service"
    out = json.loads(run("gitops", "promote", "--repo", str(bare), "--path", "services/order-service/overlays/staging",
                         "--image", f"{reg}={reg}:v7", "--pr", "-o", "json"))  # fmt: skip
    assert out["status"] == "requested" and out["branch"] == "promote/order-service/staging/v7"
    merged = json.loads(run("gitops", "approve", str(out["request_id"]), "-o", "json"))
    assert merged["status"] == "merged"
    appfile = tmp_path / "app.yaml"
    appfile.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: order-staging}\nspec:\n"
        f"  source: {{repoURL: '{bare}', targetRevision: main, path: services/order-service/overlays/staging}}\n"
        "  destination: {namespace: staging}\n  syncPolicy: {automated: {prune: true}}\n"
    )
    run("gitops", "app", "create", "-f", str(appfile))
    st = json.loads(run("gitops", "app", "sync", "order-staging", "-o", "json"))
    assert st["sync"]["status"] == "Synced"
    got = json.loads(run("gitops", "app", "get", "order-staging", "-o", "json"))
    images = [r for r in got["status"]["resources"] if r["kind"] == "Deployment"]
    assert images and images[0]["status"] == "Synced"
    assert "order-staging" in run("gitops", "app", "list")
    hist = json.loads(run("gitops", "app", "history", "order-staging", "-o", "json"))
    assert len(hist) == 1
    rb = json.loads(run("gitops", "app", "rollback", "order-staging", "0", "-o", "json"))
    assert rb["operationState"]["phase"] == "Succeeded"
