"""A read-only filesystem view to catalogue: the ``Source`` protocol and the plain-directory source.

A source streams the contents of the files catalogers ask for in one pass (``contents``) and lists all its files
(``entries``), so an image's layers are read sequentially, once, never extracted to disk. Paths are absolute
POSIX paths inside the view (``/var/lib/dpkg/status``) whatever the host.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from shipyard.errors import NotFoundError
from shipyard.supplychain.sbom.model import SourceInfo, SourceKind

# A cataloger never needs more than this from one file (Go binaries are the largest thing read).
MAX_READ = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str
    size: int
    mode: int
    layer: str | None = None
    link: str | None = None
    """Target of a symlink; ``None`` for regular files."""

    @property
    def executable(self) -> bool:
        return self.link is None and bool(self.mode & 0o111)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


Wanted = Callable[[FileEntry], bool]
Retain = Callable[[FileEntry, bytes], bool]


class Source(Protocol):
    @property
    def info(self) -> SourceInfo: ...

    def entries(self) -> Iterator[FileEntry]:
        """Every regular file and symlink of the final view."""
        ...

    def contents(self, wanted: Wanted, retain: Retain | None = None) -> Iterator[tuple[FileEntry, bytes]]:
        """The bytes of each regular file ``wanted`` accepts (from its metadata) and ``retain`` keeps (from its
        bytes), in one pass over the storage. ``entries`` is cheap afterwards."""
        ...


def normalise(name: str) -> str | None:
    """``./usr/bin/x`` → ``/usr/bin/x``; ``None`` when the name climbs above the root (``../etc/passwd``)."""
    parts: list[str] = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


class DirectorySource:
    """A directory on disk treated as a root filesystem. Symlinks are listed, never followed."""

    def __init__(self, root: str | Path, *, name: str | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise NotFoundError(f"{root}: no such directory")
        self._info = SourceInfo(kind=SourceKind.DIRECTORY, name=name or str(root))

    @property
    def info(self) -> SourceInfo:
        return self._info

    def entries(self) -> Iterator[FileEntry]:
        root = str(self.root)
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            rel = os.path.relpath(dirpath, root)
            base = "" if rel == "." else "/" + rel.replace(os.sep, "/")
            # Symlinks to directories show up in dirnames; list them as links too.
            names = sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))])
            for fname in names:
                full = os.path.join(dirpath, fname)
                try:
                    st = os.lstat(full)
                except OSError:
                    continue
                if stat.S_ISLNK(st.st_mode):
                    yield FileEntry(f"{base}/{fname}", 0, st.st_mode & 0o7777, None, os.readlink(full))
                elif stat.S_ISREG(st.st_mode):
                    yield FileEntry(f"{base}/{fname}", st.st_size, st.st_mode & 0o7777)

    def contents(self, wanted: Wanted, retain: Retain | None = None) -> Iterator[tuple[FileEntry, bytes]]:
        for entry in self.entries():
            if entry.link is not None or not wanted(entry):
                continue
            try:
                with open(self.root / entry.path.lstrip("/"), "rb") as fh:
                    data = fh.read(MAX_READ)
            except OSError:
                continue  # unreadable (permissions, vanished): not evidence of anything
            if retain is None or retain(entry, data):
                yield entry, data
