"""The demo's workspace: an example service in a git repository, and the Tekton files that build it.

Laid out under ``<SHIPYARD_HOME>/demo`` and rebuilt on every run (``run.py`` empties it first) (run history stays in the state database)::

    demo/
      order-service/          working copy of the example service (git, branch main)
      order-service.git/      the bare "remote" a push event points at
      tekton/                 tasks, the pipeline assembled from the available stages, triggers, the webhook Secret
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from shipyard.cli.output import dump_yaml
from shipyard.demo.stages import DemoContext, pipeline, task_files
from shipyard.errors import ExecutionError
from shipyard.store.files import atomic_write_text

PYGMENTS = Path("/usr/lib/python3/dist-packages")  # python3-pygments 2.14.0 on Debian 12
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Demo Developer",
    "GIT_AUTHOR_EMAIL": "dev@order-service.example",
    "GIT_COMMITTER_NAME": "Demo Developer",
    "GIT_COMMITTER_EMAIL": "dev@order-service.example",
}


@dataclass(frozen=True, slots=True)
class DemoWorkspace:
    root: Path
    service: Path
    remote: Path
    tekton: Path
    webhook_secret: str
    commit: str

    @property
    def resource_files(self) -> list[Path]:
        return sorted(self.tekton.glob("*.yaml"))


def _assets() -> Path:
    return Path(str(resources.files("shipyard.demo") / "assets"))


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    try:
        done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    except FileNotFoundError as exc:
        raise ExecutionError("git is not installed (make setup installs it)") from exc
    except subprocess.CalledProcessError as exc:
        raise ExecutionError(f"git {' '.join(args)} failed in {cwd}: {exc.stderr.strip()}") from exc
    return done.stdout.strip()


def vendor(dest: Path) -> None:
    """Vendor the service's one dependency, Pygments, from this machine's Debian package (no network)."""
    found = sorted(PYGMENTS.glob("Pygments-*.egg-info")) + sorted(PYGMENTS.glob("Pygments-*.dist-info"))
    if not (PYGMENTS / "pygments").is_dir() or not found:
        raise ExecutionError(f"Pygments is not installed in {PYGMENTS} (apt-get install python3-pygments)")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PYGMENTS / "pygments", dest / "pygments", ignore=skip)
    shutil.copytree(found[0], dest / found[0].name, ignore=skip)


def create(home: Path, ctx: DemoContext, *, cosign_password: str | None = None) -> DemoWorkspace:
    root = home / "demo"
    service = root / "order-service"
    remote = root / "order-service.git"
    tekton = root / "tekton"
    for old in (service, remote, tekton):
        shutil.rmtree(old, ignore_errors=True)
    shutil.copytree(_assets() / "service", service, ignore=shutil.ignore_patterns("__pycache__"))
    for dotted in service.rglob("dot-*"):  # dotfiles ship as dot-NAME (package data globs skip hidden files)
        dotted.rename(dotted.with_name("." + dotted.name.removeprefix("dot-")))
    vendor(service / "vendor")
    tekton.mkdir(parents=True)

    _git(root, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    _git(service, "init", "--quiet", "--initial-branch=main")
    _git(service, "add", "-A")
    _git(service, "commit", "--quiet", "-m", "order-service: totals with discounts")
    _git(service, "remote", "add", "origin", str(remote))
    _git(service, "push", "--quiet", "origin", "main")
    commit = _git(service, "rev-parse", "HEAD")

    for name in task_files(ctx):
        shutil.copyfile(_assets() / "tekton" / name, tekton / name)
    shutil.copyfile(_assets() / "tekton" / "triggers.yaml", tekton / "triggers.yaml")
    atomic_write_text(tekton / "pipeline.yaml", dump_yaml(pipeline(ctx)))
    token = secrets.token_hex(20)
    atomic_write_text(
        tekton / "webhook-secret.yaml", dump_yaml(_secret("github-webhook-secret", {"token": token})), mode=0o600
    )
    if cosign_password is not None:
        atomic_write_text(
            tekton / "cosign-password.yaml",
            dump_yaml(_secret("cosign-password", {"password": cosign_password})),
            mode=0o600,
        )
    return DemoWorkspace(root=root, service=service, remote=remote, tekton=tekton, webhook_secret=token, commit=commit)


def _secret(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "Opaque",
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def push_event(ws: DemoWorkspace) -> dict[str, Any]:
    """A GitHub ``push`` webhook payload for the workspace's HEAD, as GitHub sends it (the fields bindings read)."""
    message = _git(ws.service, "log", "-1", "--format=%s")
    return {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": ws.commit,
        "repository": {
            "name": "order-service",
            "full_name": "demo/order-service",
            "clone_url": str(ws.remote),
            "default_branch": "main",
        },
        "pusher": {"name": "demo-developer", "email": GIT_ENV["GIT_AUTHOR_EMAIL"]},
        "head_commit": {
            "id": ws.commit,
            "message": message,
            "author": {"name": GIT_ENV["GIT_AUTHOR_NAME"], "email": GIT_ENV["GIT_AUTHOR_EMAIL"]},
        },
    }


# The next release: a one-line change to the receipt (the currency), committed and pushed like a developer would.
CHANGE = ("app/receipt.py", '        "discount_percent": discount_percent,\n', '        "currency": "EUR",\n')


def commit_change(ws: DemoWorkspace) -> DemoWorkspace:
    """Commit and push a one-line change to the service; the workspace at the new HEAD."""
    path, after, line = CHANGE
    target = ws.service / path
    text = target.read_text()
    if after not in text:
        raise ExecutionError(f"cannot make the demo's change: {path} no longer has {after.strip()!r}")
    target.write_text(text.replace(after, after + line, 1))
    _git(ws.service, "commit", "--quiet", "-am", "receipt: say which currency the total is in")
    _git(ws.service, "push", "--quiet", "origin", "main")
    return replace(ws, commit=_git(ws.service, "rev-parse", "HEAD"))
