"""Promotion into a real bare git repository: message shape, idempotency, re-apply on a moved tip, refusal
without retry, PR branch + approve, and 20 concurrent promotions landing exactly once each."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from shipyard.clock import FakeClock
from shipyard.controllers.promote import Promoter, promote_latest
from shipyard.errors import GitError, SpecError
from shipyard.gitops.promotion import make_promotion
from shipyard.store.db import Database

REG = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
DIGEST = "sha256:" + "b" * 64
SHA = "0123456789abcdef0123456789abcdef01234567"

KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# the {env} overlay of {svc}
namespace: {env}
resources:
- ../../base  # shared base
images:
# bumped by CI on every merge to main
- name: {reg}/{svc}
  newTag: main-0000000  # initial
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def make_repo(tmp: Path, services: list[str]) -> Path:
    bare = tmp / "gitops.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    work = tmp / "seed"
    subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True, capture_output=True)
    git(work, "checkout", "-q", "-b", "main")
    for svc in services:
        for env in ("staging", "production"):
            d = work / "services" / svc / "overlays" / env
            d.mkdir(parents=True)
            (d / "kustomization.yaml").write_text(KUSTOMIZATION.format(env=env, svc=svc, reg=REG))
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    git(work, "push", "-q", "origin", "main")
    return bare


def show(bare: Path, path: str, rev: str = "main") -> str:
    return git(bare, "show", f"{rev}:{path}")


def log(bare: Path) -> list[str]:
    return git(bare, "log", "--format=%H", "main").splitlines()


def promoter(tmp: Path, **kw: object) -> Promoter:
    return Promoter(tmp / "cache", Database(tmp / "state.db"), clock=FakeClock(), seed=1, **kw)  # type: ignore[arg-type]


@pytest.mark.integration
def test_promote_message_trailer_and_idempotency(tmp_path: Path) -> None:
    bare = make_repo(tmp_path, ["order-service"])
    p = make_promotion(
        "services/order-service/overlays/staging",
        f"{REG}/order-service={REG}/order-service:20240101-abc1234@{DIGEST}",
        source_url="https://user:tok3n@ci.example.com/runs/42",
        source_commit=SHA,
    )
    pr = promoter(tmp_path)
    res = pr.promote(str(bare), p)
    assert res.status == "committed" and res.attempts == 1
    msg = git(bare, "log", "-1", "--format=%B", "main")
    assert msg.splitlines()[0] == "chore(staging): update order-service to 20240101-abc1234"
    assert "Source: https://ci.example.com/runs/42" in msg and "tok3n" not in msg
    assert f"Image: {REG}/order-service:20240101-abc1234@{DIGEST}" in msg
    assert git(bare, "log", "-1", "--format=%(trailers:key=Source-Commit,valueonly)", "main") == SHA
    text = show(bare, "services/order-service/overlays/staging/kustomization.yaml")
    assert "# bumped by CI on every merge to main" in text and "# shared base" in text
    assert "newTag: 20240101-abc1234" in text and f"digest: {DIGEST}" in text
    before = log(bare)
    again = pr.promote(str(bare), p)
    assert again.status == "unchanged" and log(bare) == before


@pytest.mark.integration
def test_reapplies_on_moved_tip_with_unrelated_change(tmp_path: Path) -> None:
    bare = make_repo(tmp_path, ["a", "b"])
    pr = promoter(tmp_path)
    ws = pr.cache.workspace(str(bare), "main")
    # Someone else pushes between our clone and our push.
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(bare), str(other)], check=True, capture_output=True)
    (other / "services/b/overlays/staging/kustomization.yaml").write_text("# rewritten by a human\nresources: []\n")
    git(other, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "human edit")
    git(other, "push", "-q", "origin", "main")
    ws.close()
    p = make_promotion("services/a/overlays/staging", f"{REG}/a={REG}/a:v2")
    res = pr.promote(str(bare), p)
    assert res.status == "committed"
    assert "human edit" in git(bare, "log", "--format=%s", "main")
    assert "newTag: v2" in show(bare, "services/a/overlays/staging/kustomization.yaml")


@pytest.mark.integration
def test_non_conflict_rejection_is_an_error_not_a_retry_loop(tmp_path: Path) -> None:
    bare = make_repo(tmp_path, ["a"])
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'policy: direct pushes to main are not allowed' >&2\nexit 1\n")
    hook.chmod(0o755)
    clock = FakeClock()
    pr = Promoter(tmp_path / "cache", clock=clock)
    with pytest.raises(GitError, match="refused") as info:
        pr.promote(str(bare), make_promotion("services/a/overlays/staging", f"{REG}/a={REG}/a:v2"))
    assert "policy: direct pushes" in str(info.value)
    assert clock.monotonic() == 0, "no backoff sleep happened"


@pytest.mark.integration
def test_pr_and_approve(tmp_path: Path) -> None:
    bare = make_repo(tmp_path, ["order-service"])
    pr = promoter(tmp_path)
    p = make_promotion("services/order-service/overlays/production", f"{REG}/order-service={REG}/order-service:v9")
    req = pr.promote(str(bare), p, pr=True)
    assert req.status == "requested" and req.branch == "promote/order-service/production/v9"
    assert "newTag: main-0000000" in show(bare, "services/order-service/overlays/production/kustomization.yaml")
    assert "newTag: v9" in show(bare, "services/order-service/overlays/production/kustomization.yaml", req.branch)
    assert pr.promote(str(bare), p, pr=True).request_id == req.request_id, "same request, no duplicate"
    assert req.request_id is not None
    merged = pr.approve(req.request_id)
    assert merged.status == "merged"
    assert "newTag: v9" in show(bare, "services/order-service/overlays/production/kustomization.yaml")
    assert git(bare, "log", "-1", "--format=%s", "main") == "chore(production): update order-service to v9"
    assert pr.requests("merged")[0]["id"] == req.request_id


@pytest.mark.integration
def test_twenty_concurrent_promotions_land_once_each(tmp_path: Path) -> None:
    services = [f"svc-{i:02d}" for i in range(20)]
    bare = make_repo(tmp_path, services)
    start = log(bare)
    errors: list[BaseException] = []
    # The defaults the CLI uses: with 8 attempts, 8 of 20 concurrent `shipyard gitops promote` runs gave up.
    pr = Promoter(tmp_path / "cache", seed=7)

    def run(svc: str) -> None:
        try:
            p = make_promotion(
                f"services/{svc}/overlays/staging", f"{REG}/{svc}={REG}/{svc}:v1@{DIGEST}", source_commit=SHA
            )
            pr.promote(str(bare), p)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in services]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    new = log(bare)[: -len(start)]
    assert len(new) == 20
    subjects = sorted(git(bare, "log", "--format=%s", f"{start[0]}..main").splitlines())
    assert subjects == sorted(f"chore(staging): update {s} to v1" for s in services)
    for sha in new:
        files = git(bare, "show", "--name-only", "--format=", sha).splitlines()
        assert len(files) == 1 and files[0].endswith("overlays/staging/kustomization.yaml")
    for svc in services:
        text = show(bare, f"services/{svc}/overlays/staging/kustomization.yaml")
        assert "# bumped by CI on every merge to main" in text and "newTag: v1" in text


class FakeRegistry:
    def __init__(self, tags: list[str]) -> None:
        self.tags = tags

    def list_tags(self, repository: str) -> list[str]:
        return list(self.tags)


@pytest.mark.integration
def test_image_policy_automation_promotes_newest(tmp_path: Path) -> None:
    bare = make_repo(tmp_path, ["api"])
    reg = FakeRegistry(["main-abc1234-1700000000", "main-def5678-1700000100", "pr-1-1800000000", "latest"])
    res = promote_latest(
        promoter(tmp_path), str(bare), "services/api/overlays/staging", lister=reg, repository=f"{REG}/api",
        image_name=f"{REG}/api", policy={"numerical": {"order": "asc"}},
        filter_tags={"pattern": r"^main-[a-f0-9]+-(?P<ts>[0-9]+)", "extract": "$ts"},
    )  # fmt: skip
    assert res.status == "committed"
    assert "newTag: main-def5678-1700000100" in show(bare, "services/api/overlays/staging/kustomization.yaml")


@pytest.mark.integration
def test_flux_setters_automation(tmp_path: Path) -> None:
    bare = make_repo(tmp_path, ["web"])
    work = tmp_path / "w2"
    subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True, capture_output=True)
    (work / "clusters").mkdir()
    (work / "clusters/web.yaml").write_text(
        '# managed by flux\nspec:\n  image: reg/web:1.0.0 # {"$imagepolicy": "flux-system:web"}\n  other: 1\n'
    )
    (work / "clusters/plain.yaml").write_text("image: reg/web:1.0.0\n")
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "flux files")
    git(work, "push", "-q", "origin", "main")
    from shipyard.gitops.edit import PolicyRef

    pr = promoter(tmp_path)
    res = pr.update_setters(str(bare), "clusters", {"flux-system:web": PolicyRef("reg/web", "1.1.0")})
    assert res.status == "committed"
    assert 'image: reg/web:1.1.0 # {"$imagepolicy": "flux-system:web"}' in show(bare, "clusters/web.yaml")
    assert show(bare, "clusters/plain.yaml") == "image: reg/web:1.0.0"
    assert git(bare, "log", "-1", "--format=%s", "main") == "Update from image update automation"
    assert (
        pr.update_setters(str(bare), "clusters", {"flux-system:web": PolicyRef("reg/web", "1.1.0")}).status
        == "unchanged"
    )


@pytest.mark.integration
def test_approve_reapplies_when_the_branch_conflicts(tmp_path: Path) -> None:
    bare = make_repo(tmp_path, ["api"])
    pr = promoter(tmp_path)
    target = "services/api/overlays/production/kustomization.yaml"
    req = pr.promote(str(bare), make_promotion("services/api/overlays/production", f"{REG}/api={REG}/api:v3"), pr=True)
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(bare), str(other)], check=True, capture_output=True)
    text = (other / target).read_text().replace("newTag: main-0000000  # initial", "newTag: hotfix-1  # hotfix")
    (other / target).write_text(text)
    git(other, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "hotfix")
    git(other, "push", "-q", "origin", "main")
    assert req.request_id is not None
    res = pr.approve(req.request_id)
    assert res.status == "merged"
    final = show(bare, target)
    assert "newTag: v3" in final and "hotfix-1" not in final
    assert git(bare, "log", "-1", "--format=%s", "main") == "chore(production): update api to v3"


@pytest.mark.parametrize(
    "path",
    ["../../outside/overlays/staging", "/etc/overlays/staging", "services/a/../../../x", "services/a/.git/hooks", ""],
    ids=["dotdot", "absolute", "dotdot-inside", "git-dir", "empty"],
)
def test_promotion_paths_stay_inside_the_repository(path: str) -> None:
    with pytest.raises(SpecError, match="inside the repository"):
        make_promotion(path, f"{REG}/a={REG}/a:v2", service="a")


@pytest.mark.integration
def test_symlinked_overlay_out_of_the_clone_is_refused_and_nothing_written(tmp_path: Path) -> None:
    bare = make_repo(tmp_path, ["a"])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kustomization.yaml").write_text(KUSTOMIZATION.format(env="x", svc="a", reg=REG))
    work = tmp_path / "w"
    subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True, capture_output=True)
    (work / "services/a/overlays/evil").symlink_to(outside)
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "symlink")
    git(work, "push", "-q", "origin", "main")
    before = (outside / "kustomization.yaml").read_text()
    with pytest.raises(SpecError, match="leaves the repository"):
        promoter(tmp_path).promote(str(bare), make_promotion("services/a/overlays/evil", f"{REG}/a={REG}/a:v2"))
    assert (outside / "kustomization.yaml").read_text() == before


@pytest.mark.integration
def test_promotes_an_overlay_whose_file_is_kustomization_yml(tmp_path: Path) -> None:
    bare = make_repo(tmp_path, ["a"])
    work = tmp_path / "w"
    subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True, capture_output=True)
    git(work, "mv", "services/a/overlays/staging/kustomization.yaml", "services/a/overlays/staging/kustomization.yml")
    git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "rename")
    git(work, "push", "-q", "origin", "main")
    res = promoter(tmp_path).promote(str(bare), make_promotion("services/a/overlays/staging", f"{REG}/a={REG}/a:v2"))
    assert res.status == "committed"
    assert "newTag: v2" in show(bare, "services/a/overlays/staging/kustomization.yml")


def test_source_url_credentials_never_reach_the_request_or_message() -> None:
    p = make_promotion("services/a/overlays/staging", f"{REG}/a={REG}/a:v2",
                       source_url="https://ci:p@ss@ci.example.com/runs/7")  # fmt: skip
    assert p.source_url == "https://ci.example.com/runs/7"
    assert "p@ss" not in p.message() and "ss@" not in p.message()
