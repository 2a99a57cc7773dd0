"""``USER name[:group]`` → numeric ids, read from the stage's ``/etc/passwd`` and ``/etc/group`` (runc's
``user.GetExecUser`` rules: numeric ids need no entry; a name must exist; the primary group comes from passwd
unless a group is given; supplementary groups are those listing the user)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import SpecError
from shipyard.images.builder.fs import resolve_in_root


@dataclass(frozen=True, slots=True)
class ExecUser:
    uid: int
    gid: int
    groups: tuple[int, ...] = ()
    home: str = "/"


def _rows(root: Path, name: str) -> list[list[str]]:
    path = resolve_in_root(root, f"/etc/{name}")
    try:
        text = path.read_text(errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def resolve_user(root: Path, spec: str) -> ExecUser:
    user, _, group = (spec or "root").partition(":")
    passwd = _rows(root, "passwd")
    groups = _rows(root, "group")
    uid: int | None = None
    gid = 0
    name = user
    home = "/"
    for row in passwd:
        if len(row) >= 4 and (row[0] == user or (user.isdigit() and row[2] == user)):
            uid, gid, name = int(row[2]), int(row[3]), row[0]
            home = row[5] if len(row) > 5 and row[5] else "/"
            break
    if uid is None:
        if not user.isdigit():
            raise SpecError(f"unable to find user {user}: no matching entries in passwd file", path="USER")
        uid = int(user)
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            for row in groups:
                if len(row) >= 3 and row[0] == group:
                    gid = int(row[2])
                    break
            else:
                raise SpecError(f"unable to find group {group}: no matching entries in group file", path="USER")
        extra: tuple[int, ...] = ()
    else:
        extra = tuple(
            sorted({int(r[2]) for r in groups if len(r) >= 4 and name in r[3].split(",") and r[2].isdigit()} - {gid})
        )
    return ExecUser(uid, gid, extra, home)


def chown_ids(root: Path | None, spec: str) -> tuple[int, int]:
    """``COPY --chown=user[:group]``: names need the stage's passwd/group files, numbers do not."""
    user, _, group = spec.partition(":")
    if user.isdigit() and (not group or group.isdigit()):
        return int(user), int(group) if group else int(user)
    if root is None:
        raise SpecError(f"--chown={spec}: names need a root filesystem with /etc/passwd", path="COPY")
    uid = resolve_user(root, user).uid
    # Dockerfile reference: a user without a group uses the same number as the GID.
    gid = resolve_user(root, f"{user}:{group}").gid if group else uid
    return uid, gid
