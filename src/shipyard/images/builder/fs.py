"""Filesystem work inside a build root, confined to it: path resolution, layer extraction, snapshots and diffs.

Every path is resolved the way a chroot would (``resolve_in_root``): ``..`` stops at the root and symlinks,
absolute or relative, are followed *inside* the root, so neither a hostile layer nor a hostile context can
write outside. Archive members whose names are absolute or climb out with ``..`` are refused outright.
Extraction applies OCI whiteouts (image-spec ``layer.md``): ``.wh.<name>`` deletes ``<name>`` from lower
layers, ``.wh..wh..opq`` hides every lower child of its directory.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from shipyard.errors import SpecError

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
# Mount points the OCI runtime fills in; their contents never belong in a layer (kaniko's ignore list).
RUNTIME_DIRS = ("proc", "sys", "dev")


def clean_member(name: str, what: str = "archive entry") -> str:
    """A member name as a clean relative path; refuse absolute names and ``..`` that climbs out."""
    if name.startswith("/"):
        raise SpecError(f"{what} {name!r} has an absolute path; refusing to extract it", path="layer")
    norm = posixpath.normpath(name) if name not in ("", ".", "./") else "."
    if norm == ".." or norm.startswith("../"):
        raise SpecError(f"{what} {name!r} points outside the extraction root; refusing to extract it", path="layer")
    return "" if norm == "." else norm


def resolve_in_root(root: Path, path: str, *, follow_last: bool = True) -> Path:
    """Resolve ``path`` as a process chrooted at ``root`` would; the result is always under ``root``."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    hops = 0
    while parts:
        comp = parts.pop(0)
        if comp == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = root.joinpath(*resolved, comp)
        if (parts or follow_last) and candidate.is_symlink():
            hops += 1
            if hops > 40:
                raise SpecError(f"too many levels of symbolic links resolving {path!r}", path="path")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        resolved.append(comp)
    return root.joinpath(*resolved)


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.exists():
        if path.is_symlink():
            path.unlink()
        return
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def apply_layer(root: Path, fileobj: IO[bytes], *, whiteouts: bool = True) -> list[str]:
    """Extract a (possibly compressed) layer tar stream into ``root``; returns the member paths written."""
    written: list[str] = []
    seen: set[str] = set()
    dir_times: list[tuple[Path, int]] = []
    try:
        tar = tarfile.open(fileobj=fileobj, mode="r|*")  # noqa: SIM115 - entered with `with tar:` below
    except tarfile.TarError as exc:
        raise SpecError(f"not a tar archive: {exc}", path="layer") from exc
    with tar:
        try:
            for m in tar:
                _apply_member(root, tar, m, whiteouts, seen, written, dir_times)
        except tarfile.TarError as exc:
            raise SpecError(f"corrupt tar archive: {exc}", path="layer") from exc
    for path, mtime in reversed(dir_times):
        os.utime(path, (mtime, mtime), follow_symlinks=False)
    return written


def _apply_member(
    root: Path,
    tar: tarfile.TarFile,
    m: tarfile.TarInfo,
    whiteouts: bool,
    seen: set[str],
    written: list[str],
    dir_times: list[tuple[Path, int]],
) -> None:
    name = clean_member(m.name)
    if not name:
        return
    parent_rel, base = posixpath.split(name)
    if whiteouts and base.startswith(WHITEOUT):
        pdir = resolve_in_root(root, parent_rel)
        if base == OPAQUE:
            if pdir.is_dir() and not pdir.is_symlink():
                for child in pdir.iterdir():
                    if posixpath.join(parent_rel, child.name) not in seen:
                        _remove(child)
        elif base == WHITEOUT:
            raise SpecError(f"invalid whiteout entry {m.name!r}", path="layer")
        else:
            _remove(pdir / base[len(WHITEOUT) :])
        return
    pdir = resolve_in_root(root, parent_rel)
    pdir.mkdir(parents=True, exist_ok=True)
    dest = pdir / base
    seen.add(name)
    if m.isdir():
        if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
            _remove(dest)
        dest.mkdir(exist_ok=True)
    else:
        if dest.is_symlink() or dest.exists():
            _remove(dest)
        if m.isreg():
            src = tar.extractfile(m)
            assert src is not None
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        elif m.issym():
            os.symlink(m.linkname, dest)
        elif m.islnk():
            target = resolve_in_root(root, clean_member(m.linkname, "hard link target"), follow_last=False)
            if not target.exists() and not target.is_symlink():
                raise SpecError(f"hard link {m.name!r} points to missing {m.linkname!r}", path="layer")
            os.link(target, dest, follow_symlinks=False)
        elif m.ischr() or m.isblk() or m.isfifo():
            kind = stat.S_IFCHR if m.ischr() else stat.S_IFBLK if m.isblk() else stat.S_IFIFO
            os.mknod(dest, kind | (m.mode & 0o7777), os.makedev(m.devmajor, m.devminor))
        else:
            return
    written.append(name)
    if not m.islnk():
        os.lchown(dest, m.uid, m.gid)
        if not m.issym():
            os.chmod(dest, m.mode & 0o7777)
        if m.isdir():
            dir_times.append((dest, int(m.mtime)))
        else:
            os.utime(dest, (int(m.mtime), int(m.mtime)), follow_symlinks=False)


@dataclass(frozen=True, slots=True)
class Entry:
    mode: int
    uid: int
    gid: int
    size: int
    mtime_ns: int
    ino: int
    link: str


def snapshot(root: Path) -> dict[str, Entry]:
    """Metadata of every path under ``root`` (kaniko's "redo" mode: mode, owner, size, mtime, link)."""
    out: dict[str, Entry] = {}

    def walk(dir_path: str, rel: str) -> None:
        with os.scandir(dir_path) as it:
            for e in it:
                r = f"{rel}/{e.name}" if rel else e.name
                st = e.stat(follow_symlinks=False)
                link = os.readlink(e.path) if stat.S_ISLNK(st.st_mode) else ""
                out[r] = Entry(st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, st.st_ino, link)
                if stat.S_ISDIR(st.st_mode) and not (not rel and e.name in RUNTIME_DIRS):
                    walk(e.path, r)

    walk(str(root), "")
    return out


@dataclass(frozen=True, slots=True)
class Diff:
    changed: list[str]  # added or modified, sorted
    deleted: list[str]  # top-most deleted paths only
    opaque: list[str]  # directories replaced wholesale

    def empty(self) -> bool:
        return not (self.changed or self.deleted or self.opaque)


def diff(before: dict[str, Entry], after: dict[str, Entry]) -> Diff:
    changed: list[str] = []
    opaque: list[str] = []
    for path, new in after.items():
        old = before.get(path)
        if "/" not in path and path in RUNTIME_DIRS and old is None:
            continue  # created by the runtime as a mount point
        if old is None:
            changed.append(path)
        elif stat.S_ISDIR(old.mode) and stat.S_ISDIR(new.mode) and old.ino != new.ino:
            opaque.append(path)
            changed.append(path)
        elif (old.mode, old.uid, old.gid, old.size, old.mtime_ns, old.link) != (
            new.mode,
            new.uid,
            new.gid,
            new.size,
            new.mtime_ns,
            new.link,
        ):
            changed.append(path)
    gone = sorted(p for p in before if p not in after)
    opaque_set = set(opaque)
    deleted: list[str] = []
    for path in gone:
        parents = list(_parents(path))
        if any(p in opaque_set for p in parents) or any(p in before and p not in after for p in parents):
            continue
        deleted.append(path)
    return Diff(sorted(changed), deleted, sorted(opaque))


def _parents(path: str) -> Iterable[str]:
    parts = path.split("/")
    for i in range(1, len(parts)):
        yield "/".join(parts[:i])
