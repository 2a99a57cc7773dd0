"""RUN, COPY and ADD: the instructions that make layers.

RUN diffs the stage's root filesystem before and after the command (whiteouts for deletions, an opaque
marker for a replaced directory); COPY and ADD write their layer straight from the sources, so a COPY never
needs the files to be in the root filesystem first. Either way a cache hit skips all of it.
"""

from __future__ import annotations

import json
import os
import posixpath
from pathlib import Path

from shipyard.errors import ExecutionError
from shipyard.images.builder.copy import Source, plan_copy, stage_sources
from shipyard.images.builder.fs import OPAQUE, diff, resolve_in_root, snapshot
from shipyard.images.builder.state import Layer, StageState
from shipyard.images.builder.stepbase import StepBase
from shipyard.images.builder.tarlayer import LayerWriter
from shipyard.images.builder.users import chown_ids, resolve_user
from shipyard.images.dockerfile import RawInstruction
from shipyard.images.dockerfile.stages import flag
from shipyard.images.oci import Platform


class LayerSteps(StepBase):
    def _workdir(self, state: StageState, instr: RawInstruction, path: str) -> None:
        """dockerfile2llb: WORKDIR mkdirs the path (with parents, owned by the current USER) in its own layer;
        the layer is empty, and dropped, when the directory already exists."""
        created_by = f"WORKDIR {path}"
        user = state.config.config.get("User") or ""
        key = state.chain("WORKDIR", path, user)
        hit, layer = self._cached(key)
        # a directory the last COPY just wrote exists: no need to extract that layer to find out
        if not hit and path != "/" and path.strip("/") not in state.pending_dirs:
            root = state.materialize(self.layout)
            target = resolve_in_root(root, path)
            if not target.is_dir():
                who = resolve_user(root, user) if user else None
                created = _make_workdir(root, path, who.uid if who else 0, who.gid if who else 0)
                w = LayerWriter(self.layout, epoch=self.req.source_date_epoch)
                for p in created:
                    w.add_path(p, p.relative_to(root).as_posix())
                res = w.finish()
                layer = Layer(res.descriptor, res.diff_id)
        if not hit:
            self._store(key, layer)
        self._add_layer(state, instr, created_by, layer, cached=hit, in_rootfs=not hit)

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
            state.pending_dirs |= w.directories
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


def _make_workdir(root: Path, cwd: str, uid: int, gid: int) -> list[Path]:
    """Create a missing WORKDIR owned by the user (BuildKit's mkdir runs as the stage's USER); returns the
    directories it created, outermost first."""
    missing: list[Path] = []
    path = resolve_in_root(root, cwd)
    while not path.exists() and path != root:
        missing.append(path)
        path = path.parent
    for p in reversed(missing):
        p.mkdir()
        os.chown(p, uid, gid)
        p.chmod(0o755)
    return list(reversed(missing))
