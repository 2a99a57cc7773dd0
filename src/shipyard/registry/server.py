"""Run the CNCF distribution registry (Debian ``docker-registry``) on 127.0.0.1: for the demo and for tests.

    with registry_server(workdir) as reg:                         # anonymous
        reg.host                                                  # "127.0.0.1:41234"
    with registry_server(workdir, users={"alice": "s3cret"}):    # htpasswd (bcrypt via `htpasswd -B`)

The config is written by us (never ``/etc/docker/registry/config.yml``, which listens on all interfaces):
filesystem storage in ``workdir``, ``delete: enabled: true``, a random free loopback port. Ready when
``GET /v2/`` answers (200, or 401 with auth). Stopped by its own PID.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import ExecutionError

BINARY = "docker-registry"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def registry_available() -> bool:
    return shutil.which(BINARY) is not None


@dataclass
class RunningRegistry:
    host: str
    workdir: Path
    config: Path
    process: subprocess.Popen[bytes]
    users: Mapping[str, str]

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def repo(self, path: str, tag: str | None = None) -> str:
        return f"{self.host}/{path}" + (f":{tag}" if tag else "")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        path = self.workdir / "registry.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _write_config(workdir: Path, port: int, users: Mapping[str, str], token: Mapping[str, str] | None = None) -> Path:
    storage = workdir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    lines = [
        "version: 0.1",
        "log: {level: warn, fields: {service: registry}}",
        "storage:",
        f"  filesystem: {{rootdirectory: {storage}}}",
        "  delete: {enabled: true}",
        "  cache: {blobdescriptor: inmemory}",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        f"  secret: {secrets.token_hex(16)}",
        "  headers: {X-Content-Type-Options: [nosniff]}",
    ]
    if users:
        htpasswd = workdir / "htpasswd"
        for i, (user, password) in enumerate(users.items()):
            flags = "-Bbc" if i == 0 else "-Bb"
            run = subprocess.run(["htpasswd", flags, str(htpasswd), user, password], capture_output=True, check=False)
            if run.returncode != 0:
                raise ExecutionError(f"htpasswd failed: {run.stderr.decode(errors='replace')}")
        lines += ["auth:", "  htpasswd:", "    realm: shipyard", f"    path: {htpasswd}"]
    elif token:
        # distribution's token auth: realm, service, issuer, and the certificate bundle that signs tokens
        lines += ["auth:", "  token:", *(f"    {k}: {v}" for k, v in token.items())]
    config = workdir / "config.yml"
    config.write_text("\n".join(lines) + "\n")
    return config


def start_registry(
    workdir: Path,
    *,
    users: Mapping[str, str] | None = None,
    token: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> RunningRegistry:
    """``users`` turns on htpasswd auth; ``token`` (realm, service, issuer, rootcertbundle) bearer-token auth."""
    if not registry_available():
        raise ExecutionError(f"{BINARY} is not installed (apt-get install -y --no-install-recommends docker-registry)")
    workdir.mkdir(parents=True, exist_ok=True)
    users = dict(users or {})
    port = free_port()
    config = _write_config(workdir, port, users, token)
    log = open(workdir / "registry.log", "wb")  # noqa: SIM115 - the child keeps it open
    proc = subprocess.Popen(
        [BINARY, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    reg = RunningRegistry(f"127.0.0.1:{port}", workdir, config, proc, users)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ExecutionError(f"{BINARY} exited with {proc.returncode}: {reg.log()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{reg.url}/v2/", timeout=2) as resp:
                if resp.status == 200:
                    return reg
        except urllib.error.HTTPError as exc:
            if exc.code == 401 and (users or token):
                return reg
        except OSError:
            pass
        time.sleep(0.05)
    reg.stop()
    raise ExecutionError(f"{BINARY} did not answer on {reg.url}/v2/ within {timeout}s: {reg.log()[-2000:]}")


@contextlib.contextmanager
def registry_server(workdir: Path, *, users: Mapping[str, str] | None = None) -> Iterator[RunningRegistry]:
    reg = start_registry(workdir, users=users)
    try:
        yield reg
    finally:
        reg.stop()
