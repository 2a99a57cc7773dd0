"""One Dockerfile instruction at a time: metadata instructions edit the config here; RUN, COPY and ADD make layers
(layer_steps.py).

History entries follow BuildKit: ``created_by`` is the instruction (``RUN /bin/sh -c … # buildkit``),
``comment`` is ``buildkit.dockerfile.v0``, and instructions that change no files are ``empty_layer``.
"""

from __future__ import annotations

import json

from shipyard.errors import SpecError
from shipyard.images.builder.config import expose_ports
from shipyard.images.builder.layer_steps import LayerSteps
from shipyard.images.builder.state import StageState
from shipyard.images.dockerfile import RawInstruction
from shipyard.images.dockerfile.stages import arg_pairs


class StepRunner(LayerSteps):
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
                self._workdir(state, instr, state.config.workdir(self.lexer.word(instr.rest, env)))
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
                raise SpecError(exc.issue.message, file=instr.file, line=instr.line, path=kw) from exc
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
