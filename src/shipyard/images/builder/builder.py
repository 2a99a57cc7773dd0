"""The daemonless Dockerfile builder.

    builder = Builder(layout, runner=RuncRunner())          # runner: shipyard.runtime.rootfs
    result = builder.build(BuildRequest(context=ctx, dockerfile_text=text, tags=["app:dev"]))
    result.digest                                           # manifest digest in the store

Only the stages the target needs are built, in file order. Each instruction extends the stage's cache key
(base digest → instruction → what it reads: context content for COPY, args and env for RUN); a key already
in the store reuses its layer without running anything, and root filesystems are only extracted when a RUN
or a COPY actually has to execute, so a fully cached rebuild touches no files. Layers are deterministic
(see tarlayer.py) and timestamps come from ``source_date_epoch``: two clean builds give one digest.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shipyard.errors import ExecutionError, NotFoundError, SpecError, UnsupportedError
from shipyard.images.builder.config import ConfigState
from shipyard.images.builder.context import BuildContext
from shipyard.images.builder.copy import UrlFetcher
from shipyard.images.builder.state import (
    BaseFetcher,
    BuildRequest,
    BuildResult,
    Layer,
    RemoteCache,
    RunInRootfs,
    StageState,
    StepRecord,
)
from shipyard.images.builder.steps import StepRunner
from shipyard.images.dockerfile import Dockerfile, Lexer, load_dockerfile, needed_stages, parse_dockerfile
from shipyard.images.dockerfile.stages import arg_pairs, check_flags
from shipyard.images.layout import OciLayout
from shipyard.images.oci import (
    INDEX_TYPES,
    OCI_CONFIG,
    OCI_MANIFEST,
    Descriptor,
    Index,
    Manifest,
    Platform,
    canonical_json,
)
from shipyard.images.reference import parse_reference


def rfc3339(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def platform_args(target: Platform, build: Platform) -> dict[str, str]:
    """BuildKit's automatic platform ARGs, available in the global scope."""
    return {
        "TARGETPLATFORM": str(target),
        "TARGETOS": target.os,
        "TARGETARCH": target.architecture,
        "TARGETVARIANT": target.variant or "",
        "BUILDPLATFORM": str(build),
        "BUILDOS": build.os,
        "BUILDARCH": build.architecture,
        "BUILDVARIANT": build.variant or "",
    }


class Builder:
    def __init__(
        self,
        layout: OciLayout,
        runner: RunInRootfs | None = None,
        *,
        fetch_base: BaseFetcher | None = None,
        fetch_url: UrlFetcher | None = None,
        remote_cache: RemoteCache | None = None,
        on_step: Callable[[StepRecord], None] | None = None,
        on_output: Callable[[str], None] | None = None,
    ) -> None:
        self.layout = layout
        self.runner = runner
        self.fetch_base = fetch_base
        self.fetch_url = fetch_url
        self.remote_cache = remote_cache
        self.on_step = on_step or (lambda _s: None)
        self.on_output = on_output or (lambda _l: None)

    def build(self, req: BuildRequest) -> BuildResult:
        df = load_dockerfile(req.dockerfile_text, req.dockerfile_name)
        scratch_parent = req.workdir or (self.layout.root / "tmp")
        ctx = BuildContext(req.context, req.ignore_text, exclude=(self.layout.root, scratch_parent))
        try:
            scratch_parent.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(dir=scratch_parent, prefix="build-"))
        except OSError as exc:
            raise ExecutionError(
                f"build of {req.dockerfile_name} failed: no scratch space in {scratch_parent}: {exc}"
            ) from exc
        meta_name = "stat-" + hashlib.sha256(str(ctx.root).encode()).hexdigest()[:16] + ".json"
        loaded = self.layout.load_meta(meta_name)
        stat_cache: dict[str, list[object]] = loaded if isinstance(loaded, dict) else {}
        steps: list[StepRecord] = []
        try:
            images: list[tuple[Descriptor, str]] = []
            for platform in req.platforms:
                images.append(self._build_platform(df, ctx, req, platform, scratch, steps, stat_cache))
        except OSError as exc:  # unreadable context files, a full disk: say so, do not leak a traceback
            raise ExecutionError(f"build of {req.dockerfile_name} failed: {exc}") from exc
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            self.layout.save_meta(meta_name, stat_cache)
        if len(images) == 1:
            desc, config_digest = images[0]
            final: Descriptor = desc
        else:
            index = Index(tuple(d for d, _ in images), annotations=dict(req.annotations))
            final, config_digest = self.layout.put_json(index), None
            final = Descriptor(final.media_type, final.digest, final.size)
        names = [str(parse_reference(t)) for t in req.tags]
        for name in names:
            self.layout.tag(name, final)
        return BuildResult(final, config_digest, steps, names)

    def _global_env(self, df: Dockerfile, req: BuildRequest, platform: Platform) -> dict[str, str]:
        lexer = Lexer(df.escape)
        env = platform_args(platform, req.host_platform)
        for instr in df.global_args:
            for name, default in arg_pairs(instr, lexer, env):
                if name in req.build_args:
                    env[name] = req.build_args[name]
                elif default is not None:
                    env[name] = default
        return env

    def _build_platform(
        self,
        df: Dockerfile,
        ctx: BuildContext,
        req: BuildRequest,
        platform: Platform,
        scratch: Path,
        steps: list[StepRecord],
        stat_cache: dict[str, list[object]],
    ) -> tuple[Descriptor, str]:
        global_env = self._global_env(df, req, platform)
        target = df.stage(req.target) if req.target else df.stages[-1]
        stages = needed_stages(df, target, global_env)
        if platform != req.host_platform and any(i.keyword == "RUN" for s in stages for i in s.instructions):
            raise UnsupportedError(
                f"cannot RUN for {platform} on a {req.host_platform} host without an emulator; "
                "multi-platform builds are possible when no RUN executes"
            )
        lexer = Lexer(df.escape)
        states: dict[int, StageState] = {}
        runner = StepRunner(self, df, ctx, req, scratch, states, global_env, steps, stat_cache)
        for stage in stages:
            base = lexer.word(stage.base, global_env)
            stage_platform = Platform.parse(lexer.word(stage.platform, global_env)) if stage.platform else platform
            state = self._start_stage(
                stage.name or str(stage.index), stage.index, base, stage_platform, states, df, scratch
            )
            states[stage.index] = state
            # ONBUILD triggers of an outside base run first, as if written right after FROM (then are dropped)
            for trigger in state.triggers:
                for instr in parse_dockerfile(trigger, f"{base} ONBUILD").instructions:
                    check_flags(instr)
                    if instr.keyword in ("FROM", "ONBUILD", "MAINTAINER"):
                        raise instr.error(f"{instr.keyword} isn't allowed as an ONBUILD trigger")
                    runner.dispatch(state, instr)
            for instr in stage.instructions:
                runner.dispatch(state, instr)
        return self._write_image(states[target.index], req, platform)

    def _start_stage(
        self,
        name: str,
        index: int,
        base: str,
        platform: Platform,
        states: dict[int, StageState],
        df: Dockerfile,
        scratch: Path,
    ) -> StageState:
        rootfs = scratch / f"stage-{index}-{platform.architecture}"
        earlier = {s.name: s.index for s in df.stages[:index] if s.name}
        if base.lower() in earlier:
            parent = states.get(earlier[base.lower()])
            if parent is None:
                raise SpecError(f"stage {base!r} was not built", path="FROM")
            state = StageState(
                name,
                index,
                rootfs,
                platform,
                copy.deepcopy(parent.config),
                list(parent.layers),
                copy.deepcopy(parent.history),
            )
            state.config.cmd_set = False
            state.key, state.base_name, state.base_digest = parent.key, parent.base_name, parent.base_digest
            return state
        if base == "scratch":
            state = StageState(name, index, rootfs, platform, ConfigState.from_base(None))
            state.chain("scratch", str(platform))
            state.base_name = "scratch"
            return state
        ref = parse_reference(base)
        desc = self._resolve_base(base, platform)
        manifest = self.layout.manifest(desc)
        cfg = json.loads(self.layout.read_blob(manifest.config.digest))
        diff_ids = cfg.get("rootfs", {}).get("diff_ids") or []
        if len(diff_ids) != len(manifest.layers):
            raise SpecError(
                f"base image {base}: {len(diff_ids)} diff_ids for {len(manifest.layers)} layers", path="FROM"
            )
        layers = [Layer(d, diff) for d, diff in zip(manifest.layers, diff_ids, strict=True)]
        state = StageState(
            name,
            index,
            rootfs,
            platform,
            ConfigState.from_base(cfg.get("config")),
            layers,
            list(cfg.get("history") or []),
        )
        state.key = desc.digest
        state.chain(str(platform))
        state.triggers = [str(t) for t in (cfg.get("config") or {}).get("OnBuild") or []]
        state.base_name, state.base_digest = str(ref), desc.digest
        return state

    def _resolve_base(self, base: str, platform: Platform) -> Descriptor:
        ref = parse_reference(base)
        desc: Descriptor | None = None
        for name in (str(ref), base):
            try:
                desc = self.layout.resolve(name)
                break
            except NotFoundError:
                continue
        if desc is None and ref.digest and self.layout.has_blob(ref.digest):
            desc = self.layout.resolve(ref.digest)
        if desc is None:
            if self.fetch_base is None:
                raise NotFoundError(
                    f"base image {base} is not in the store: `shipyard image pull {base}` or "
                    f"`shipyard image import-rootfs DIR -t {base}` first"
                )
            desc = self.fetch_base(ref, platform)
        if desc.media_type in INDEX_TYPES:
            for child in Index.from_bytes(self.layout.read_blob(desc.digest)).manifests:
                p = child.platform
                if (
                    p
                    and p.os == platform.os
                    and p.architecture == platform.architecture
                    and (not platform.variant or p.variant == platform.variant)
                ):
                    return child
            raise NotFoundError(f"base image {base} has no manifest for {platform}")
        return desc

    def _write_image(self, state: StageState, req: BuildRequest, platform: Platform) -> tuple[Descriptor, str]:
        for k, v in req.labels.items():
            state.config.label(k, v)
        config: dict[str, Any] = {
            "created": rfc3339(req.source_date_epoch),
            "architecture": platform.architecture,
            "os": platform.os,
        }
        if platform.variant:
            config["variant"] = platform.variant
        config["config"] = state.config.final()
        config["rootfs"] = {"type": "layers", "diff_ids": [layer.diff_id for layer in state.layers]}
        config["history"] = state.history
        raw = canonical_json(config)
        cdigest, csize = self.layout.write_blob(raw)
        manifest = Manifest(
            Descriptor(OCI_CONFIG, cdigest, csize),
            tuple(layer.descriptor for layer in state.layers),
            media_type=OCI_MANIFEST,
            annotations=dict(req.annotations),
        )
        desc = self.layout.put_json(manifest)
        return Descriptor(desc.media_type, desc.digest, desc.size, platform=platform), cdigest


def run_failed(file: str, line: int, text: str, code: int) -> ExecutionError:
    return ExecutionError(f"{file}:{line} RUN {text}: did not complete successfully: exit code {code}")
