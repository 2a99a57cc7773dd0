"""COPY and ADD: gather sources (context, another stage, or an image), then write one layer straight from them.

Docker semantics kept: a directory source copies its *contents*; the destination is a directory when it ends
in ``/``, when there are several sources or a wildcard, or when it already is one; relative destinations join
``WORKDIR``; files are owned 0:0 unless ``--chown``; ``--chmod`` sets permission bits; missing parent
directories are created 0755. ``ADD`` also unpacks local tar archives (gzip, bzip2, xz or plain) safely, and
refuses URLs unless the builder was given a fetcher.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import stat
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import SpecError
from shipyard.images.builder.fs import apply_layer, resolve_in_root
from shipyard.images.builder.tarlayer import LayerWriter

UrlFetcher = Callable[[str, Path], None]  # download url into the given file, or raise


@dataclass(frozen=True, slots=True)
class Source:
    """One matched source: where it is on disk, and the name it is known by (its base name at the destination)."""

    path: Path
    name: str
    children: tuple[tuple[Path, str], ...] | None  # for a directory: (path, path relative to it), sorted


def _is_archive(path: Path) -> bool:
    if not path.is_file() or path.is_symlink():
        return False
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def _walk(root: Path) -> tuple[tuple[Path, str], ...]:
    out: list[tuple[Path, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for name in dirnames + filenames:
            r = name if rel == "." else f"{rel}/{name}"
            out.append((Path(dirpath, name), r))
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return tuple(sorted(out, key=lambda x: x[1]))


def stage_sources(root: Path, patterns: list[str]) -> list[Source]:
    """Sources inside another stage's root filesystem (resolved chroot-style, never escaping it)."""
    out: list[Source] = []
    for pattern in patterns:
        clean = posixpath.normpath("/" + pattern)
        parent, base = posixpath.split(clean)
        if any(c in base for c in "*?["):
            pdir = resolve_in_root(root, parent)
            names = sorted(n for n in os.listdir(pdir) if fnmatch.fnmatchcase(n, base)) if pdir.is_dir() else []
            paths = [(pdir / n, n) for n in names]
        else:
            p = resolve_in_root(root, clean)
            if not (p.exists() or p.is_symlink()):
                raise SpecError(f"COPY --from source {pattern!r} not found", path="COPY")
            paths = [(p, base or "")]
        for p, name in paths:
            children = _walk(p) if p.is_dir() and not p.is_symlink() else None
            out.append(Source(p, name, children))
    return out


def plan_copy(
    writer: LayerWriter,
    target_root: Path,
    sources: list[Source],
    dest: str,
    *,
    wildcard: bool,
    uid: int,
    gid: int,
    mode: int | None,
    unpack: bool,
    scratch: Path,
) -> None:
    """Add the entries a COPY/ADD produces to ``writer``."""
    dest_is_dir = dest.endswith("/") or len(sources) > 1 or wildcard
    dest = posixpath.normpath(dest)
    if not dest_is_dir:
        existing = resolve_in_root(target_root, dest)
        dest_is_dir = existing.is_dir()
    arc_dest = dest.lstrip("/")

    def ensure_dirs(arc: str) -> None:
        parts = arc.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if not resolve_in_root(target_root, d).is_dir():
                writer.add_dir(d, uid=uid, gid=gid, mode=0o755)

    for src in sources:
        if src.children is not None:
            if arc_dest:
                ensure_dirs(arc_dest + "/x")
                if not resolve_in_root(target_root, arc_dest).is_dir():
                    writer.add_dir(arc_dest, uid=uid, gid=gid, mode=mode if mode is not None else 0o755)
            for path, rel in src.children:
                writer.add_path(path, f"{arc_dest}/{rel}" if arc_dest else rel, uid=uid, gid=gid, mode=mode)
        elif unpack and _is_archive(src.path):
            staging = Path(tempfile.mkdtemp(dir=scratch, prefix="add-"))
            with open(src.path, "rb") as fh:
                apply_layer(staging, fh, whiteouts=False)
            if arc_dest:
                ensure_dirs(arc_dest + "/x")
            for path, rel in _walk(staging):
                st = path.lstat()
                keep_uid = st.st_uid if uid == 0 and gid == 0 else uid
                keep_gid = st.st_gid if uid == 0 and gid == 0 else gid
                writer.add_path(path, f"{arc_dest}/{rel}" if arc_dest else rel, uid=keep_uid, gid=keep_gid, mode=mode)
        else:
            arc = f"{arc_dest}/{src.name}" if dest_is_dir else arc_dest
            arc = arc.lstrip("/")
            if not arc:
                raise SpecError("cannot copy a file onto the root directory", path="COPY")
            ensure_dirs(arc)
            st = src.path.lstat()
            writer.add_path(src.path, arc, uid=uid, gid=gid, mode=None if stat.S_ISLNK(st.st_mode) else mode)
