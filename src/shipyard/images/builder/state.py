"""What the builder knows about one stage while it runs, and the narrow interfaces it is given."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shipyard.images.builder.config import ConfigState
from shipyard.images.builder.fs import apply_layer
from shipyard.images.layout import OciLayout
from shipyard.images.oci import Descriptor, Platform
from shipyard.images.reference import Reference


class RunInRootfs(Protocol):
    """Runs one ``RUN`` command inside a root filesystem (an OCI runtime, or chroot in namespaces)."""

    def run(
        self,
        rootfs: Path,
        argv: Sequence[str],
        *,
        env: Sequence[str],
        cwd: str,
        uid: int,
        gid: int,
        groups: Sequence[int],
        network: str,
        output: Callable[[str], None],
    ) -> int: ...


class RemoteCache(Protocol):
    """A layer cache shared through a registry (``--cache-repo``): entries are ``{"layer": descriptor|None,
    "diff_id": …}``; ``get`` brings the layer blob into the local store before returning the entry."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, entry: dict[str, Any]) -> None: ...


BaseFetcher = Callable[[Reference, Platform], Descriptor]  # pulls a base image into the store, returns its descriptor


@dataclass(frozen=True, slots=True)
class Layer:
    descriptor: Descriptor
    diff_id: str


@dataclass(frozen=True, slots=True)
class StepRecord:
    stage: str
    line: int
    instruction: str
    cached: bool
    layer: str | None  # digest of the layer it produced, if any


@dataclass
class StageState:
    name: str
    index: int
    rootfs: Path
    platform: Platform
    config: ConfigState
    layers: list[Layer] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    args: dict[str, str] = field(default_factory=dict)
    key: str = ""
    applied: int = 0  # layers already extracted into rootfs
    materialized: bool = False
    pending_dirs: set[str] = field(default_factory=set)
    triggers: list[str] = field(
        default_factory=list
    )  # the base image's ONBUILD instructions  # directories in layers not yet extracted into rootfs
    base_name: str = ""
    base_digest: str | None = None

    def chain(self, *parts: str) -> str:
        h = hashlib.sha256(self.key.encode())
        for p in parts:
            h.update(b"\x00" + p.encode())
        self.key = h.hexdigest()
        return self.key

    def expand_env(self) -> dict[str, str]:
        """ARGs then ENV (ENV wins), for variable expansion in instructions."""
        return {**self.args, **self.config.env()}

    def run_env(self) -> list[str]:
        env = self.config.env()
        merged = {**{k: v for k, v in self.args.items() if k not in env}, **env}
        return [f"{k}={v}" for k, v in merged.items()]

    def materialize(self, layout: OciLayout) -> Path:
        """Extract the layers not yet in ``rootfs`` (lazily: a fully cached build never extracts anything)."""
        if not self.materialized:
            if self.rootfs.exists():
                shutil.rmtree(self.rootfs)
            self.rootfs.mkdir(parents=True)
            self.rootfs.chmod(0o755)
            self.materialized = True
        for layer in self.layers[self.applied :]:
            with layout.open_blob(layer.descriptor.digest) as fh:
                apply_layer(self.rootfs, fh)
        self.applied = len(self.layers)
        self.pending_dirs.clear()
        return self.rootfs


@dataclass
class BuildRequest:
    context: Path
    dockerfile_text: str
    dockerfile_name: str = "Dockerfile"
    tags: Sequence[str] = ()
    build_args: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None
    platforms: Sequence[Platform] = (Platform("linux", "amd64"),)
    host_platform: Platform = field(default_factory=lambda: Platform("linux", "amd64"))
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    no_cache: bool = False
    source_date_epoch: int = 0
    workdir: Path | None = None  # scratch space for stage root filesystems (default: <store>/tmp)
    ignore_text: str | None = None  # .dockerignore content (default: read from the context)


@dataclass
class BuildResult:
    descriptor: Descriptor  # the manifest, or the index for several platforms
    config_digest: str | None
    steps: list[StepRecord]
    tags: list[str]

    @property
    def digest(self) -> str:
        return self.descriptor.digest

    @property
    def cache_hits(self) -> int:
        return sum(1 for s in self.steps if s.cached)
