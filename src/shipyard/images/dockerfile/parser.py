"""Dockerfile lexing (BuildKit ``frontend/dockerfile/parser``): directives, comments, continuations, heredocs.

Produces one ``RawInstruction`` per instruction: its keyword, leading ``--flags``, the rest of the line (exec
form when it is a JSON array of strings), heredoc bodies, and the line it started on. Errors carry
``file:line`` and the instruction.

* Parser directives (``# syntax=``, ``# escape=``, ``# check=``) are read only before the first comment, blank
  line or instruction; a repeated directive is an error; ``escape`` is a backslash or a backtick.
* A line ending in the escape character continues on the next; comment and blank lines inside a continued
  instruction are dropped.
* ``<<EOF``, ``<<-EOF`` (leading tabs stripped) and quoted ``<<"EOF"`` (no expansion) on RUN, COPY and ADD.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from shipyard.errors import SpecError

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = {"syntax", "escape", "check"}
_HEREDOC = re.compile(r"<<(-?)\s*([\"']?)([a-zA-Z_][a-zA-Z0-9_]*)\2")
HEREDOC_INSTRUCTIONS = {"RUN", "COPY", "ADD"}
INSTRUCTIONS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Heredoc:
    name: str
    content: str
    expand: bool  # False when the delimiter was quoted
    chomp: bool  # <<- strips leading tabs


@dataclass(frozen=True, slots=True)
class RawInstruction:
    keyword: str  # upper case
    flags: tuple[tuple[str, str | None], ...]  # ("from", "build"), ("link", None)
    rest: str  # everything after the flags, continuations joined
    exec_form: tuple[str, ...] | None  # the JSON array, when the rest is one
    line: int
    file: str
    original: str
    heredocs: tuple[Heredoc, ...] = ()

    def error(self, message: str) -> SpecError:
        return SpecError(message, file=self.file, line=self.line, path=self.keyword)


@dataclass
class ParsedFile:
    instructions: list[RawInstruction]
    directives: dict[str, str] = field(default_factory=dict)
    escape: str = "\\"


def _split_flags(text: str) -> tuple[list[tuple[str, str | None]], str]:
    flags: list[tuple[str, str | None]] = []
    rest = text.lstrip()
    while rest.startswith("--"):
        word, _, after = rest.partition(" ")
        if word == "--":
            break
        name, eq, value = word[2:].partition("=")
        flags.append((name.lower(), value if eq else None))
        rest = after.lstrip()
    return flags, rest


def _exec_form(rest: str) -> tuple[str, ...] | None:
    text = rest.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def parse_dockerfile(text: str, file: str = "Dockerfile") -> ParsedFile:
    lines = text.replace("\r\n", "\n").split("\n")
    out = ParsedFile([])
    i = 0
    # Parser directives: only at the very top.
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if not m:
            break
        key, value = m.group(1).lower(), m.group(2)
        if key in _KNOWN_DIRECTIVES:
            if key in out.directives:
                raise SpecError(f"only one {key} parser directive can be used", file=file, line=i + 1, path="directive")
            if key == "escape" and value not in ("\\", "`"):
                raise SpecError(
                    f"invalid escape token {value!r} does not match ` or \\", file=file, line=i + 1, path="directive"
                )
            out.directives[key] = value
        i += 1
    out.escape = out.directives.get("escape", "\\")
    esc = out.escape
    while i < len(lines):
        start = i
        line = lines[i]
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts: list[str] = []
        current = line.rstrip()
        while current.endswith(esc):
            parts.append(current[: -len(esc)])
            # continuation: skip comment and blank lines
            while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1
            if i >= len(lines):
                current = ""
                break
            current = lines[i].rstrip()
            i += 1
        parts.append(current)
        joined = "".join(parts).strip()
        keyword, _, after = joined.partition(" ")
        if "\t" in keyword:
            keyword, _, tail = keyword.partition("\t")
            after = tail + " " + after
        upper = keyword.upper()
        if upper not in INSTRUCTIONS:
            raise SpecError(f"unknown instruction: {keyword}", file=file, line=start + 1, path=keyword)
        flags, rest = _split_flags(after)
        heredocs: list[Heredoc] = []
        if upper in HEREDOC_INSTRUCTIONS and _exec_form(rest) is None:
            for m in _HEREDOC.finditer(rest):
                chomp, quoted, name = m.group(1) == "-", bool(m.group(2)), m.group(3)
                body: list[str] = []
                while True:
                    if i >= len(lines):
                        raise SpecError(f"unterminated heredoc <<{name}", file=file, line=start + 1, path=upper)
                    raw = lines[i]
                    i += 1
                    check = raw.lstrip("\t") if chomp else raw
                    if check == name:
                        break
                    body.append(check)
                heredocs.append(Heredoc(name, "\n".join(body) + "\n", expand=not quoted, chomp=chomp))
        out.instructions.append(
            RawInstruction(upper, tuple(flags), rest, _exec_form(rest), start + 1, file, joined, tuple(heredocs))
        )
    return out
