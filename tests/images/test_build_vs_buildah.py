"""Differential: the image config shipyard builds equals the one buildah (Debian's, a Docker-compatible builder) builds
from the same Dockerfile and context. No Docker engine runs on these machines; buildah applies the same Dockerfile
rules (imagebuilder) and is the closest real peer. Its only addition is its identity label."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shipyard.images.layout import OciLayout

from .test_build import build, image_config, make_context

pytestmark = [pytest.mark.integration, pytest.mark.skipif(not shutil.which("buildah"), reason="needs buildah")]

FIELDS = ("User", "Entrypoint", "Cmd", "Env", "WorkingDir", "ExposedPorts", "Labels", "StopSignal")


def _buildah_config(store: OciLayout, ctx: Path, work: Path) -> dict[str, Any]:
    base = ["buildah", "--root", str(work / "root"), "--runroot", str(work / "run"), "--storage-driver", "vfs"]
    env = {**os.environ, "BUILDAH_ISOLATION": "chroot"}
    subprocess.run(
        [*base, "bud", "--isolation", "chroot", "--format", "oci", "--quiet",
         "--build-arg", f"BASE=oci:{store.root}:docker.io/library/busybox:base", "--build-arg", "VERSION=1.2.3",
         "-f", str(ctx / "Dockerfile"), "-t", "localhost/peer:1", str(ctx)],
        check=True, capture_output=True, env=env, timeout=300,
    )  # fmt: skip
    out = subprocess.run(
        [*base, "inspect", "--type", "image", "localhost/peer:1"], check=True, capture_output=True, env=env, timeout=60
    )
    config: dict[str, Any] = json.loads(out.stdout)["OCIv1"]["config"]
    config.get("Labels", {}).pop("io.buildah.version", None)
    return config


def test_config_equals_buildahs(store: OciLayout, tmp_path: Path) -> None:
    ctx = make_context(tmp_path / "ctx")
    ours = image_config(store, build(store, ctx, build_args={"VERSION": "1.2.3"}))["config"]
    theirs = _buildah_config(store, ctx, tmp_path / "buildah")
    assert {f: ours.get(f) for f in FIELDS} == {f: theirs.get(f) for f in FIELDS}
    assert ours["User"] == "nonroot:nonroot" and ours["Labels"]["version"] == "1.2.3"  # the comparison is not vacuous
