"""Dockerfile structure: global ARGs, stages, flag validation, and which stages a target needs.

Flags allowed per instruction follow the Dockerfile reference; an unknown flag is an error naming the file,
line and instruction, and flags shipyard does not implement (``RUN --mount``, ``--security``, ``COPY
--parents``/``--exclude``, ``ADD --checksum``/``--keep-git-dir``) are ``UnsupportedError``s, never ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shipyard.errors import SpecError, UnsupportedError
from shipyard.images.dockerfile.expand import Lexer
from shipyard.images.dockerfile.parser import ParsedFile, RawInstruction, parse_dockerfile

ALLOWED_FLAGS: dict[str, set[str]] = {
    "FROM": {"platform"},
    "RUN": {"mount", "network", "security"},
    "COPY": {"from", "chown", "chmod", "link", "parents", "exclude"},
    "ADD": {"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"},
    "HEALTHCHECK": {"interval", "timeout", "start-period", "start-interval", "retries"},
}
UNSUPPORTED_FLAGS: dict[str, set[str]] = {
    "RUN": {"mount", "security"},
    "COPY": {"parents", "exclude"},
    "ADD": {"checksum", "keep-git-dir", "exclude"},
}


@dataclass
class Stage:
    index: int
    name: str | None
    base: str  # as written (expanded later with the global ARGs)
    platform: str | None
    from_instr: RawInstruction
    instructions: list[RawInstruction] = field(default_factory=list)


@dataclass
class Dockerfile:
    file: str
    global_args: list[RawInstruction]
    stages: list[Stage]
    escape: str

    def stage(self, ref: str) -> Stage:
        for s in self.stages:
            if s.name is not None and s.name == ref.lower():
                return s
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        names = ", ".join(s.name or str(s.index) for s in self.stages)
        raise SpecError(f"target stage {ref!r} could not be found (stages: {names})", file=self.file, path="--target")


def check_flags(instr: RawInstruction) -> None:
    allowed = ALLOWED_FLAGS.get(instr.keyword, set())
    for name, _ in instr.flags:
        if name not in allowed:
            raise instr.error(f"unknown flag: --{name}")
        if name in UNSUPPORTED_FLAGS.get(instr.keyword, set()):
            raise UnsupportedError(
                f"{instr.file}:{instr.line} {instr.keyword} --{name} is not supported by shipyard's builder"
            )


def flag(instr: RawInstruction, name: str) -> str | None:
    values = [v for n, v in instr.flags if n == name]
    if not values:
        return None
    if len(values) > 1:
        raise instr.error(f"--{name} given more than once")
    return values[0] if values[0] is not None else "true"


def load_dockerfile(text: str, file: str = "Dockerfile") -> Dockerfile:
    parsed: ParsedFile = parse_dockerfile(text, file)
    global_args: list[RawInstruction] = []
    stages: list[Stage] = []
    for instr in parsed.instructions:
        check_flags(instr)
        if instr.keyword == "FROM":
            words = instr.rest.split()
            if len(words) == 3 and words[1].lower() == "as":
                name: str | None = words[2].lower()
            elif len(words) == 1:
                name = None
            else:
                raise instr.error("FROM requires either one or three arguments: FROM <image> [AS <name>]")
            if name is not None and (not name[0].isalpha() or not all(c.isalnum() or c in "._-" for c in name)):
                raise instr.error(
                    f"invalid name for build stage: {name!r}, name can't start with a number or contain symbols"
                )
            if name is not None and any(s.name == name for s in stages):
                raise instr.error(f"duplicate stage name {name!r}")
            stages.append(Stage(len(stages), name, words[0], flag(instr, "platform"), instr))
        elif not stages:
            if instr.keyword != "ARG":
                raise instr.error("no build stage in current context: the first instruction must be FROM (or ARG)")
            global_args.append(instr)
        else:
            stages[-1].instructions.append(instr)
    if not stages:
        raise SpecError("the Dockerfile has no FROM instruction", file=file, line=1, path="FROM")
    return Dockerfile(file, global_args, stages, parsed.escape)


def arg_pairs(instr: RawInstruction, lexer: Lexer, env: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """``ARG a b=1 c="x y"`` → [(a, None), (b, "1"), (c, "x y")]."""
    out: list[tuple[str, str | None]] = []
    for word in lexer.words(instr.rest, env):
        name, eq, value = word.partition("=")
        if not name:
            raise instr.error(f"invalid ARG {word!r}")
        out.append((name, value if eq else None))
    if not out:
        raise instr.error("ARG requires at least one argument")
    return out


def stage_dependencies(df: Dockerfile, stage: Stage, global_env: Mapping[str, str]) -> set[int]:
    """Indexes of the stages ``stage`` reads from: ``FROM <stage>`` and ``COPY --from=<stage>``."""
    lexer = Lexer(df.escape)
    deps: set[int] = set()
    earlier = {s.name: s.index for s in df.stages[: stage.index] if s.name}
    base = lexer.word(stage.base, global_env).lower()
    if base in earlier:
        deps.add(earlier[base])
    for instr in stage.instructions:
        src = flag(instr, "from") if instr.keyword == "COPY" else None
        if src is None:
            continue
        src = lexer.word(src, global_env).lower()
        if src in earlier:
            deps.add(earlier[src])
        elif src.isdigit():
            if int(src) >= stage.index:
                raise instr.error(f"COPY --from={src} refers to a stage that is not before this one")
            deps.add(int(src))
    return deps


def needed_stages(df: Dockerfile, target: Stage, global_env: Mapping[str, str]) -> list[Stage]:
    """The target and every stage it transitively depends on, in file order (others are not built)."""
    need: set[int] = set()
    todo = [target.index]
    while todo:
        i = todo.pop()
        if i in need:
            continue
        need.add(i)
        todo.extend(stage_dependencies(df, df.stages[i], global_env))
    return [s for s in df.stages if s.index in need]
