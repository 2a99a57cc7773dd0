"""The demo's GitOps path end to end: seed-shaped repo, promote to staging, sync agent once against a
LocalCluster, production through --pr and approve."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from shipyard.cluster.local import LocalCluster
from shipyard.controllers.promote import Promoter
from shipyard.controllers.sync import SyncAgent
from shipyard.gitops.kustomize import build
from shipyard.gitops.layout import seed_app, seed_layout
from shipyard.gitops.promotion import make_promotion
from shipyard.store.db import Database
from shipyard.vcs.git import init_repo

REG = "127.0.0.1:5000"
DIGEST = "sha256:" + "d" * 64


def test_seed_layout_renders(tmp_path: Path) -> None:
    for rel, text in seed_layout(["order-service"], REG).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    objs = build(tmp_path / "services/order-service/overlays/production")
    assert [(o["kind"], o["metadata"]["namespace"]) for o in objs] == [
        ("Service", "production"),
        ("Deployment", "production"),
    ]
    assert objs[1]["spec"]["template"]["spec"]["containers"][0]["image"] == f"{REG}/order-service:latest"


@pytest.mark.integration
def test_demo_flow(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bare = tmp_path / "gitops.git"
    init_repo(bare, seed_layout(["order-service"], REG), "seed GitOps repo")
    db = Database(home / "state.db")
    promoter = Promoter(home / "gitops" / "cache", db)
    image = f"{REG}/order-service={REG}/order-service:20260101-abc1234@{DIGEST}"
    res = promoter.promote(str(bare), make_promotion("services/order-service/overlays/staging", image,
                                                      source_url="http://127.0.0.1/runs/1", source_commit="abc1234"))  # fmt: skip
    assert res.status == "committed"
    cluster = LocalCluster(db)
    agent = SyncAgent(cluster, db, home / "gitops" / "cache", registry=CollectorRegistry())
    agent.create_app(seed_app("order-service", "staging", str(bare)))
    agent.create_app(seed_app("order-service", "production", str(bare)))
    out = agent.run_once()
    assert out["order-service-staging"]["sync"]["status"] == "Synced"
    dep = cluster.get("apps/Deployment", "staging", "order-service")
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == f"{REG}/order-service:20260101-abc1234@{DIGEST}"
    req = promoter.promote(str(bare), make_promotion("services/order-service/overlays/production", image), pr=True)
    assert req.request_id is not None
    promoter.approve(req.request_id)
    agent.run_once()
    prod = cluster.get("apps/Deployment", "production", "order-service")
    assert prod["spec"]["template"]["spec"]["containers"][0]["image"].endswith(DIGEST)
    log = subprocess.run(["git", "log", "--format=%s", "main"], cwd=bare, capture_output=True, text=True).stdout
    assert "chore(production): update order-service to 20260101-abc1234" in log
