"""The build context: ``.dockerignore`` filtering, COPY source matching confined to the context, content keys.

``.dockerignore`` follows moby/patternmatcher: one Go ``filepath.Match`` pattern per line with ``**`` for any
number of directories, ``!`` for exceptions, the last matching pattern wins, and a pattern that matches a
directory also matches everything under it. COPY sources are cleaned relative to the context root; a source
that climbs out (``../x``) is an error, and symlinks inside the context are copied as links, never followed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import posixpath
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import SpecError

_WILDCARD = re.compile(r"[*?\[]")


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 1
                if i + 1 < n and pattern[i + 1] == "/":
                    i += 1
                    out.append("(?:.*/)?")
                else:
                    out.append(".*")
            else:
                out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise SpecError(f"syntax error in .dockerignore pattern {pattern!r}", path=".dockerignore")
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            if body.startswith("^"):
                body = "!" + body[1:]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    out.append("$")
    return re.compile("".join(out))


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    pattern: str
    regex: re.Pattern[str]
    exclusion: bool


def parse_dockerignore(text: str) -> list[IgnoreRule]:
    rules: list[IgnoreRule] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        line = posixpath.normpath(line).lstrip("/")
        if line in ("", "."):
            continue
        rules.append(IgnoreRule(line, _glob_regex(line), exclusion))
    return rules


def ignored(rules: list[IgnoreRule], path: str) -> bool:
    parents = path.split("/")
    candidates = ["/".join(parents[: i + 1]) for i in range(len(parents))]
    matched = False
    for rule in rules:
        if any(rule.regex.match(c) for c in candidates):
            matched = not rule.exclusion
    return matched


class BuildContext:
    """A directory sent to the builder, minus what ``.dockerignore`` excludes."""

    def __init__(self, root: Path, ignore_text: str | None = None, *, exclude: tuple[Path, ...] = ()) -> None:
        self.root = root.resolve()
        # the content store (and the builder's scratch space) must never copy itself into an image
        self.exclude = {p.resolve() for p in exclude}
        if not self.root.is_dir():
            raise SpecError(f"build context {root} is not a directory", path="context")
        if ignore_text is None:
            f = self.root / ".dockerignore"
            ignore_text = f.read_text() if f.is_file() else ""
        self.rules = parse_dockerignore(ignore_text)
        self._files: list[str] | None = None

    def files(self) -> list[str]:
        """Every kept path (files, links and directories), relative, sorted."""
        if self._files is None:
            out: list[str] = []
            for dirpath, dirnames, filenames in os.walk(self.root):
                rel = os.path.relpath(dirpath, self.root)
                rel = "" if rel == "." else rel
                for name in dirnames + filenames:
                    r = f"{rel}/{name}" if rel else name
                    if not ignored(self.rules, r):
                        out.append(r)
                dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
            self._files = sorted(out)
            if self.exclude:
                skip = [
                    str(p.relative_to(self.root))
                    for p in self.exclude
                    if p.is_relative_to(self.root) and p != self.root
                ]
                self._files = [f for f in self._files if not any(f == s or f.startswith(s + "/") for s in skip)]
        return self._files

    def match(self, source: str) -> list[str]:
        """Context paths a COPY source names; ``""`` is the context root itself."""
        clean = posixpath.normpath("/" + source.replace("\\", "/")).lstrip("/") if source else ""
        if _climbs(source):
            raise SpecError(f"COPY source {source!r} is outside the build context", path="COPY")
        if clean in ("", "."):
            return [""]
        files = self.files()
        if _WILDCARD.search(clean):
            depth = clean.count("/")
            hits = [f for f in files if f.count("/") == depth and fnmatch.fnmatchcase(f, clean)]
            return hits
        if clean not in set(files):
            raise SpecError(
                f"COPY source {source!r} not found in the build context (or excluded by .dockerignore)", path="COPY"
            )
        return [clean]

    def expand(self, rel: str) -> list[str]:
        """``rel`` and, for a directory, everything kept beneath it."""
        if rel == "":
            return self.files()
        prefix = rel + "/"
        return [rel, *(f for f in self.files() if f.startswith(prefix))]

    def path(self, rel: str) -> Path:
        return self.root / rel if rel else self.root

    def content_key(self, rels: list[str], stat_cache: dict[str, list[object]] | None = None) -> str:
        """SHA-256 over (path, type, mode, size, content or link target) of every path; mtime is excluded
        (kaniko ``CacheHasher``). ``stat_cache`` maps a path to [size, mtime_ns, ino, ctime_ns, hash] so an
        unchanged file is not read again."""
        h = hashlib.sha256()
        for rel in rels:
            full = self.path(rel)
            st = full.lstat()
            h.update(f"{rel}\0{stat.S_IFMT(st.st_mode)}\0{stat.S_IMODE(st.st_mode):o}\0".encode())
            if stat.S_ISLNK(st.st_mode):
                h.update(os.readlink(full).encode())
            elif stat.S_ISREG(st.st_mode):
                sig: list[object] = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
                cached = stat_cache.get(rel) if stat_cache is not None else None
                if cached is not None and cached[:4] == sig:
                    digest = str(cached[4])
                else:
                    digest = _file_sha256(full)
                    if stat_cache is not None:
                        stat_cache[rel] = [*sig, digest]
                h.update(digest.encode())
            h.update(b"\n")
        return h.hexdigest()


def _climbs(source: str) -> bool:
    depth = 0
    for part in source.replace("\\", "/").split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
