"""Helpers shared by ``shipyard image`` and ``shipyard registry``: the store, registry clients, progress."""

from __future__ import annotations

import os
import platform as host
import subprocess
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from shipyard.cli.output import err_console
from shipyard.errors import SpecError
from shipyard.images.layout import OciLayout, store_path
from shipyard.images.oci import Platform
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions

_ARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


def home() -> Path:
    return Path(os.environ.get("SHIPYARD_HOME") or ".shipyard")


def layout() -> OciLayout:
    return OciLayout(store_path(home()))


def client(insecure: bool) -> RegistryClient:
    return RegistryClient(ClientOptions(insecure=insecure))


def host_platform() -> Platform:
    return Platform("linux", _ARCH.get(host.machine(), host.machine()))


def pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        k, eq, val = v.partition("=")
        if not eq or not k:
            raise SpecError(f"{what} {v!r} must be KEY=VALUE", path=what)
        out[k] = val
    return out


def source_date_epoch(context: Path) -> int:
    """``SOURCE_DATE_EPOCH`` if set, else the commit time of the context's git HEAD, else 0."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        if not env.isdigit():
            raise SpecError(f"SOURCE_DATE_EPOCH={env!r} must be an integer", path="SOURCE_DATE_EPOCH")
        return int(env)
    try:
        out = subprocess.run(
            ["git", "-C", str(context), "log", "-1", "--format=%ct"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return 0
    text = out.stdout.strip()
    return int(text) if out.returncode == 0 and text.isdigit() else 0


def git_revision(context: Path) -> tuple[str, str]:
    """(commit sha, remote url) of the context, for org.opencontainers.image.revision/source."""

    def git(*args: str) -> str:
        try:
            out = subprocess.run(
                ["git", "-C", str(context), *args], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout.strip() if out.returncode == 0 else ""

    return git("rev-parse", "HEAD"), git("config", "--get", "remote.origin.url")


class RichTransfer:
    """Shows one bar per blob on stderr (a ``TransferProgress``)."""

    def __init__(self, enabled: bool) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=err_console,
            disable=not enabled,
        )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> RichTransfer:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, digest: str, size: int) -> None:
        self.tasks[digest] = self.progress.add_task(digest[7:19], total=size)

    def advance(self, digest: str, n: int) -> None:
        if digest in self.tasks:
            self.progress.advance(self.tasks[digest], n)

    def finish(self, digest: str, *, skipped: bool) -> None:
        if digest in self.tasks:
            task = self.tasks[digest]
            self.progress.update(
                task,
                description=f"{digest[7:19]} {'exists' if skipped else 'done'}",
                completed=self.progress.tasks[task].total,
            )
