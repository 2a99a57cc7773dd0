"""A minimal local kubelet for the demo's Deployments: it really runs the image.

For each replica of a Deployment the image's root filesystem (from the content store, pulled first if needed) is
extracted once, and the image's Entrypoint + Cmd run chrooted in it as the image's ``USER`` with its ``Env`` and
``WorkingDir``, bound to a free loopback port. When every replica answers the container's ``readinessProbe``
(``httpGet``) the Deployment's status is written as the Deployment controller would (observedGeneration,
updated/ready/available replicas, the Available condition), so the sync agent's health check sees real
readiness. No namespaces, cgroups or pod network: that is the runtime package's job; this is the demo's stand-in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from shipyard.cluster.base import Cluster
from shipyard.errors import ExecutionError, NotFoundError
from shipyard.images.builder.fs import apply_layer
from shipyard.images.layout import OciLayout
from shipyard.images.reference import parse_reference
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions
from shipyard.registry.server import free_port
from shipyard.registry.transfer import pull_image

READY_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class Replica:
    namespace: str
    name: str
    image: str
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _enter(root: Path, cwd: str, uid: int, gid: int) -> Callable[[], None]:
    def enter() -> None:  # runs in the child between fork and exec
        os.chroot(root)
        os.chdir(cwd or "/")
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)

    return enter


def _user(spec: str, root: Path) -> tuple[int, int]:
    user, _, group = (spec or "0").partition(":")
    if not user.isdigit():  # a name: look it up in the image's /etc/passwd
        for line in (root / "etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == user:
                return int(fields[2]), int(group) if group.isdigit() else int(fields[3])
        raise ExecutionError(f"user {user!r} is not in the image's /etc/passwd")
    return int(user), int(group) if group.isdigit() else int(user)


@dataclass
class LocalKubelet:
    cluster: Cluster
    layout: OciLayout
    workdir: Path
    replicas: list[Replica] = field(default_factory=list)
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def _rootfs(self, image: str) -> tuple[Path, dict[str, Any]]:
        ref = parse_reference(image)
        key = ref.digest or str(ref)
        try:
            desc = self.layout.resolve(key)
        except NotFoundError:
            with RegistryClient(ClientOptions()) as client:
                desc = pull_image(client, ref, self.layout)
        manifest = self.layout.manifest(desc)
        config: dict[str, Any] = json.loads(self.layout.read_blob(manifest.config.digest)).get("config") or {}
        root = self.workdir / desc.digest.replace(":", "-") / "rootfs"
        if not root.exists():
            tmp = root.with_name("rootfs.partial")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            for layer in manifest.layers:
                with self.layout.open_blob(layer.digest) as fh:
                    apply_layer(tmp, fh)
            tmp.rename(root)
        return root, config

    def run_deployment(self, namespace: str, name: str, *, log: Path) -> list[Replica]:
        dep = self.cluster.get("apps/Deployment", namespace, name)
        if dep is None:
            raise NotFoundError(f'deployment "{name}" not found in namespace "{namespace}"')
        pod = dep["spec"]["template"]["spec"]
        container = pod["containers"][0]
        root, config = self._rootfs(container["image"])
        uid, gid = _user(str(config.get("User") or "0"), root)
        argv = list(container.get("command") or config.get("Entrypoint") or []) + list(
            container.get("args") or config.get("Cmd") or []
        )
        probe = (container.get("readinessProbe") or {}).get("httpGet") or {}
        started: list[Replica] = []
        for _ in range(int(dep["spec"].get("replicas", 1))):
            port = free_port()
            env = dict(e.split("=", 1) for e in config.get("Env") or [])
            env.update({e["name"]: str(e.get("value", "")) for e in container.get("env") or []})
            env.update({"PORT": str(port), "HOST": "127.0.0.1"})  # loopback only, never all interfaces
            with open(log, "ab") as out:
                proc = subprocess.Popen(
                    argv,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    preexec_fn=_enter(root, str(config.get("WorkingDir") or "/"), uid, gid),
                    start_new_session=True,
                )
            self._procs.append(proc)
            started.append(Replica(namespace, name, container["image"], port, proc.pid))
        for replica, proc in zip(started, self._procs[-len(started) :], strict=True):
            self._wait_ready(replica, proc, str(probe.get("path") or "/"), log)
        self.replicas.extend(started)
        n = len(started)
        status = {
            "observedGeneration": dep["metadata"].get("generation", 1),
            "replicas": n,
            "updatedReplicas": n,
            "readyReplicas": n,
            "availableReplicas": n,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            ],
        }
        self.cluster.update_status({**dep, "status": status})
        return started

    def _wait_ready(self, replica: Replica, proc: subprocess.Popen[bytes], path: str, log: Path) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-1500:]
                raise ExecutionError(f"{replica.name} exited with {proc.returncode} before it was ready: {tail}")
            try:
                if httpx.get(replica.url + path, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise ExecutionError(f"{replica.name} did not answer {path} on {replica.url} within {READY_TIMEOUT:.0f}s")

    def stop(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        self._procs.clear()
