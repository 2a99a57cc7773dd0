"""One Dockerfile instruction at a time: metadata instructions edit the config; RUN, COPY and ADD make layers.

History entries follow BuildKit: ``created_by`` is the instruction (``RUN /bin/sh -c … # buildkit``),
``comment`` is ``buildkit.dockerfile.v0``, and instructions that change no files are ``empty_layer``.
"""

from __future__ import annotations

import json
import os
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.errors import ExecutionError, SpecError
from shipyard.images.builder.config import expose_ports
from shipyard.images.builder.context import BuildContext
from shipyard.images.builder.copy import Source, plan_copy, stage_sources
from shipyard.images.builder.fs import OPAQUE, diff, resolve_in_root, snapshot
from shipyard.images.builder.state import BuildRequest, Layer, StageState, StepRecord
from shipyard.images.builder.tarlayer import LayerWriter
from shipyard.images.builder.users import chown_ids, resolve_user
from shipyard.images.dockerfile import Dockerfile, Lexer, RawInstruction
from shipyard.images.dockerfile.stages import arg_pairs, flag
from shipyard.images.oci import Descriptor, Platform

if TYPE_CHECKING:
    from shipyard.images.builder.builder import Builder

COMMENT = "buildkit.dockerfile.v0"


class StepRunner:
    def __init__(
        self,
        builder: Builder,
        df: Dockerfile,
        ctx: BuildContext,
        req: BuildRequest,
        scratch: Path,
        states: dict[int, StageState],
        global_env: dict[str, str],
        steps: list[StepRecord],
        stat_cache: dict[str, list[object]],
    ) -> None:
        self.b = builder
        self.layout = builder.layout
        self.df = df
        self.ctx = ctx
        self.req = req
        self.scratch = scratch
        self.states = states
        self.global_env = global_env
        self.steps = steps
        self.stat_cache = stat_cache
        self.lexer = Lexer(df.escape)
        self.images: dict[str, StageState] = {}

    # -- helpers ---------------------------------------------------------------------------------------
    def _history(self, state: StageState, created_by: str, empty: bool) -> None:
        entry: dict[str, Any] = {
            "created": _rfc3339(self.req.source_date_epoch),
            "created_by": created_by,
            "comment": COMMENT,
        }
        if empty:
            entry["empty_layer"] = True
        state.history.append(entry)

    def _record(self, state: StageState, instr: RawInstruction, cached: bool, layer: Layer | None) -> None:
        rec = StepRecord(state.name, instr.line, instr.original, cached, layer.descriptor.digest if layer else None)
        self.steps.append(rec)
        self.b.on_step(rec)

    def _cached(self, key: str) -> tuple[bool, Layer | None]:
        if self.req.no_cache:
            return False, None
        entry = self.layout.cache_get(key)
        if entry is None and self.b.remote_cache is not None:
            entry = self.b.remote_cache.get(key)
            if entry is not None:
                self.layout.cache_put(key, entry)
        if entry is None:
            return False, None
        layer = entry.get("layer")
        if layer is None:
            return True, None
        return True, Layer(Descriptor.from_dict(layer), str(entry["diff_id"]))

    def _store(self, key: str, layer: Layer | None) -> None:
        entry: dict[str, Any] = {"layer": layer.descriptor.to_dict() if layer else None}
        if layer:
            entry["diff_id"] = layer.diff_id
        self.layout.cache_put(key, entry)
        if self.b.remote_cache is not None:
            self.b.remote_cache.put(key, entry)

    def _metadata(self, state: StageState, instr: RawInstruction, created_by: str) -> None:
        state.chain(instr.keyword, created_by)
        self._history(state, created_by, empty=True)
        self._record(state, instr, cached=False, layer=None)

    # -- dispatch --------------------------------------------------------------------------------------
    def dispatch(self, state: StageState, instr: RawInstruction) -> None:
        kw = instr.keyword
        env = state.expand_env()
        try:
            if kw == "RUN":
                self._run(state, instr)
            elif kw in ("COPY", "ADD"):
                self._copy(state, instr, add=kw == "ADD")
            elif kw == "ARG":
                for name, default in arg_pairs(instr, self.lexer, env):
                    if name in self.req.build_args:
                        value: str | None = self.req.build_args[name]
                    elif default is not None:
                        value = default
                    else:
                        value = self.global_env.get(name)
                    if value is not None:
                        state.args[name] = value
                    state.chain("ARG", name, value or "")
                self._record(state, instr, cached=False, layer=None)
            elif kw == "ENV":
                pairs = self._pairs(instr, env)
                for k, v in pairs:
                    state.config.set_env(k, v)
                self._metadata(state, instr, "ENV " + " ".join(f"{k}={v}" for k, v in pairs))
            elif kw == "LABEL":
                pairs = self._pairs(instr, env)
                for k, v in pairs:
                    state.config.label(k, v)
                self._metadata(state, instr, "LABEL " + " ".join(f"{k}={v}" for k, v in pairs))
            elif kw == "WORKDIR":
                path = state.config.workdir(self.lexer.word(instr.rest, env))
                self._metadata(state, instr, f"WORKDIR {path}")
            elif kw == "USER":
                user = self.lexer.word(instr.rest, env)
                if not user:
                    raise instr.error("USER requires exactly one argument")
                state.config.config["User"] = user
                self._metadata(state, instr, f"USER {user}")
            elif kw == "EXPOSE":
                ports = expose_ports(self.lexer.words(instr.rest, env))
                state.config.expose(ports)
                self._metadata(state, instr, "EXPOSE map[" + " ".join(f"{p}:{{}}" for p in ports) + "]")
            elif kw == "VOLUME":
                paths = list(instr.exec_form) if instr.exec_form is not None else self.lexer.words(instr.rest, env)
                state.config.volume([self.lexer.word(p, env) for p in paths])
                self._metadata(state, instr, f"VOLUME {json.dumps(paths)}")
            elif kw in ("CMD", "ENTRYPOINT"):
                argv = state.config.command(instr.exec_form, instr.rest)
                (state.config.set_cmd if kw == "CMD" else state.config.set_entrypoint)(argv)
                self._metadata(state, instr, f"{kw} {json.dumps(argv)}")
            elif kw == "SHELL":
                if instr.exec_form is None or not instr.exec_form:
                    raise instr.error("SHELL requires the arguments to be in JSON form")
                state.config.config["Shell"] = list(instr.exec_form)
                self._metadata(state, instr, f"SHELL {json.dumps(list(instr.exec_form))}")
            elif kw == "STOPSIGNAL":
                state.config.config["StopSignal"] = self.lexer.word(instr.rest, env)
                self._metadata(state, instr, f"STOPSIGNAL {state.config.config['StopSignal']}")
            elif kw == "HEALTHCHECK":
                self._healthcheck(state, instr)
            elif kw == "ONBUILD":
                trigger = instr.rest.strip()
                first = trigger.split(None, 1)[0].upper() if trigger else ""
                if first in ("ONBUILD", "FROM", "MAINTAINER", ""):
                    raise instr.error(f"{first or 'an empty'} isn't allowed as an ONBUILD trigger")
                state.config.add_onbuild(trigger)
                self._metadata(state, instr, f"ONBUILD {trigger}")
            elif kw == "MAINTAINER":
                self._metadata(state, instr, f"MAINTAINER {instr.rest.strip()}")
            else:
                raise instr.error(f"unknown instruction: {kw}")
        except SpecError as exc:
            if exc.issue.file is None:
                raise SpecError(f"{kw}: {exc.issue.message}", file=instr.file, line=instr.line, path=kw) from exc
            raise

    def _pairs(self, instr: RawInstruction, env: dict[str, str]) -> list[tuple[str, str]]:
        words = self.lexer.words(instr.rest, env)
        if not words:
            raise instr.error(f"{instr.keyword} requires at least one argument")
        if "=" not in words[0]:
            if instr.keyword == "LABEL" or len(words) < 2:
                raise instr.error(f"{instr.keyword} names can not be blank / must be of the form key=value")
            # legacy "ENV key value with spaces": the value is the rest of the line, expanded as one word
            key, _, rest = instr.rest.strip().partition(" ")
            return [(key, self.lexer.word(rest.strip(), env))]
        out = []
        for w in words:
            k, eq, v = w.partition("=")
            if not eq or not k:
                raise instr.error(f"syntax error - can't find = in {w!r}. Must be of the form: name=value")
            out.append((k, v))
        return out

    def _healthcheck(self, state: StageState, instr: RawInstruction) -> None:
        rest = instr.rest.strip()
        head, _, tail = rest.partition(" ")
        if head.upper() == "NONE":
            if tail.strip() or instr.flags:
                raise instr.error("HEALTHCHECK NONE takes no arguments")
            state.config.config["Healthcheck"] = {"Test": ["NONE"]}
        elif head.upper() == "CMD":
            from shipyard.images.dockerfile.parser import _exec_form

            exec_form = _exec_form(tail)
            test = ["CMD", *exec_form] if exec_form is not None else ["CMD-SHELL", tail.strip()]
            opts = {n: v or "" for n, v in instr.flags}
            state.config.healthcheck(test, opts)
        else:
            raise instr.error("HEALTHCHECK requires CMD or NONE")
        self._metadata(state, instr, f"HEALTHCHECK {json.dumps(state.config.config['Healthcheck'])}")

    # -- RUN ---------------------------------------------------------------------------------------
    def _run(self, state: StageState, instr: RawInstruction) -> None:
        network = flag(instr, "network") or "default"
        if network not in ("default", "host", "none"):
            raise instr.error(f"--network={network}: want default, host or none")
        if instr.exec_form is not None:
            argv = list(instr.exec_form)
        elif (
            instr.heredocs
            and instr.rest.strip() == f"<<{'-' if instr.heredocs[0].chomp else ''}{instr.heredocs[0].name}"
        ):
            argv = [*state.config.shell(), instr.heredocs[0].content]
        elif instr.heredocs:
            script = instr.rest + "\n" + "".join(h.content + h.name + "\n" for h in instr.heredocs)
            argv = [*state.config.shell(), script]
        else:
            argv = [*state.config.shell(), instr.rest]
        args = sorted(f"{k}={v}" for k, v in state.args.items())
        prefix = f"|{len(args)} {' '.join(args)} " if args else ""
        created_by = f"RUN {prefix}{' '.join(argv)} # buildkit"
        cwd = state.config.config.get("WorkingDir") or "/"
        user = state.config.config.get("User") or "root"
        key = state.chain(
            "RUN",
            json.dumps(argv),
            json.dumps(args),
            json.dumps(state.config.env(), sort_keys=True),
            cwd,
            user,
            network,
        )
        hit, layer = self._cached(key)
        if not hit:
            if self.b.runner is None:
                raise ExecutionError(
                    f"{instr.file}:{instr.line} RUN needs a container runtime, and none was given to the builder"
                )
            root = state.materialize(self.layout)
            before = snapshot(root)
            who = resolve_user(root, user)
            _make_workdir(root, cwd, who.uid, who.gid)
            code = self.b.runner.run(
                root,
                argv,
                env=state.run_env(),
                cwd=cwd,
                uid=who.uid,
                gid=who.gid,
                groups=who.groups,
                network=network,
                output=self.b.on_output,
            )
            if code != 0:
                raise ExecutionError(
                    f"{instr.file}:{instr.line} RUN {instr.rest.strip()}: did not complete successfully: exit code {code}"
                )
            changes = diff(before, snapshot(root))
            layer = None
            if not changes.empty():
                w = LayerWriter(self.layout, epoch=self.req.source_date_epoch)
                for p in changes.opaque:
                    w.add_whiteout(f"{p}/{OPAQUE}")
                for p in changes.deleted:
                    parent, base = posixpath.split(p)
                    w.add_whiteout(posixpath.join(parent, ".wh." + base))
                for p in changes.changed:
                    w.add_path(root / p, p)
                res = w.finish()
                layer = Layer(res.descriptor, res.diff_id)
            self._store(key, layer)
        self._add_layer(state, instr, created_by, layer, cached=hit, in_rootfs=not hit)

    def _add_layer(
        self,
        state: StageState,
        instr: RawInstruction,
        created_by: str,
        layer: Layer | None,
        *,
        cached: bool,
        in_rootfs: bool,
    ) -> None:
        if layer is not None:
            state.layers.append(layer)
            if in_rootfs and state.materialized and state.applied == len(state.layers) - 1:
                state.applied = len(state.layers)
        self._history(state, created_by, empty=layer is None)
        self._record(state, instr, cached, layer)

    # -- COPY / ADD --------------------------------------------------------------------------------
    def _copy(self, state: StageState, instr: RawInstruction, *, add: bool) -> None:
        env = state.expand_env()
        words = (
            [self.lexer.word(w, env) for w in instr.exec_form]
            if instr.exec_form is not None
            else self.lexer.words(instr.rest, env)
        )
        if len(words) < 2:
            raise instr.error(f"{instr.keyword} requires at least two arguments, but got {len(words)}")
        srcs, dest = words[:-1], words[-1]
        workdir = state.config.config.get("WorkingDir") or "/"
        dest_abs = dest if dest.startswith("/") else posixpath.join(workdir, dest)
        # dockerfile2llb: a destination of "." or "", or ending in "/", is a directory
        if (dest in (".", "") or dest.endswith(("/", "/."))) and not dest_abs.endswith("/"):
            dest_abs = posixpath.normpath(dest_abs) + "/"
        from_ = flag(instr, "from")
        if add and from_ is not None:
            raise instr.error("ADD does not take --from; use COPY --from")
        chown = flag(instr, "chown")
        chown = self.lexer.word(chown, env) if chown else None
        chmod = flag(instr, "chmod")
        mode: int | None = None
        if chmod is not None:
            try:
                mode = int(chmod, 8)
            except ValueError as exc:
                raise instr.error(f"invalid --chmod={chmod}: want an octal mode such as 755") from exc
            if mode > 0o7777:
                raise instr.error(f"invalid --chmod={chmod}: out of range")
        heredocs = {f"<<{h.name}": h for h in instr.heredocs} | {f"<<-{h.name}": h for h in instr.heredocs}
        wildcard = any(any(c in s for c in "*?[") for s in srcs)
        sources: list[Source]
        if from_ is not None:
            src_state = self._source_stage(self.lexer.word(from_, self.global_env), state.platform)
            content = src_state.key

            def load() -> list[Source]:
                return stage_sources(src_state.materialize(self.layout), srcs)

        else:
            rels: list[str] = []
            for s in srcs:
                if s in heredocs:
                    continue
                if add and "://" in s:
                    raise instr.error(
                        f"ADD {s}: downloading URLs needs network access, and this build has no URL fetcher; download the file into the context and COPY it"
                    )
                for rel in self.ctx.match(s):
                    rels.extend(self.ctx.expand(rel))
            content = self.ctx.content_key(sorted(set(rels)), self.stat_cache)
            content += json.dumps([(k, heredocs[k].content) for k in srcs if k in heredocs])

            def load() -> list[Source]:
                out: list[Source] = []
                for s in srcs:
                    if s in heredocs:
                        p = self.scratch / f"heredoc-{instr.line}-{heredocs[s].name}"
                        p.write_text(heredocs[s].content)
                        out.append(Source(p, heredocs[s].name, None))
                        continue
                    for rel in self.ctx.match(s):
                        path = self.ctx.path(rel)
                        if path.is_dir() and not path.is_symlink():
                            kids = tuple(
                                (self.ctx.path(r), r[len(rel) + 1 :] if rel else r)
                                for r in self.ctx.expand(rel)
                                if r != rel
                            )
                            out.append(Source(path, posixpath.basename(rel), kids))
                        else:
                            out.append(Source(path, posixpath.basename(rel), None))
                return out

        flags = " ".join(f"--{n}={v}" if v is not None else f"--{n}" for n, v in instr.flags)
        created_by = f"{instr.keyword} {flags + ' ' if flags else ''}{' '.join(srcs)} {dest} # buildkit"
        key = state.chain(instr.keyword, json.dumps(srcs), dest_abs, chown or "", chmod or "", content)
        hit, layer = self._cached(key)
        if not hit:
            root = state.materialize(self.layout)
            sources = load()
            if not sources and wildcard:
                raise instr.error(f"no source files were specified or matched by {' '.join(srcs)}")
            uid, gid = chown_ids(root, chown) if chown else (0, 0)
            w = LayerWriter(self.layout, epoch=self.req.source_date_epoch)
            plan_copy(
                w,
                root,
                sources,
                dest_abs,
                wildcard=wildcard,
                uid=uid,
                gid=gid,
                mode=mode,
                unpack=add,
                scratch=self.scratch,
            )
            res = w.finish()
            layer = Layer(res.descriptor, res.diff_id)
            self._store(key, layer)
        self._add_layer(state, instr, created_by, layer, cached=hit, in_rootfs=False)

    def _source_stage(self, name: str, platform: Platform) -> StageState:
        for idx, st in self.states.items():
            stage = self.df.stages[idx]
            if stage.name == name.lower() or str(idx) == name:
                return st
        if name not in self.images:  # COPY --from=<image>: a pseudo-stage made from that image
            state = self.b._start_stage(
                f"image:{name}", len(self.df.stages), name, platform, self.states, self.df, self.scratch
            )
            state.rootfs = self.scratch / f"image-{len(self.images)}"
            self.images[name] = state
        return self.images[name]


def _make_workdir(root: Path, cwd: str, uid: int, gid: int) -> None:
    """Create a missing WORKDIR owned by the user (BuildKit's mkdir runs as the stage's USER)."""
    missing: list[Path] = []
    path = resolve_in_root(root, cwd)
    while not path.exists() and path != root:
        missing.append(path)
        path = path.parent
    for p in reversed(missing):
        p.mkdir()
        os.chown(p, uid, gid)


def _rfc3339(epoch: int) -> str:
    from shipyard.images.builder.builder import rfc3339

    return rfc3339(epoch)
