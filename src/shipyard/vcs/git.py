"""git through the ``git`` binary: a fetched mirror per remote in a cache, private working clones for edits,
commit and push. Authentication is whatever the user's git already uses (credential helpers, ssh agent);
``GIT_TERMINAL_PROMPT=0`` so a missing credential fails instead of hanging. Credentials embedded in URLs are
redacted from every message this module produces.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import GitError

# Userinfo runs to the last "@" before the host ("user:p@ss@host" has a password with an "@" in it).
_CRED = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s'\"]*@")
# Signs that a push lost a race (the remote moved), as opposed to being refused.
_RACE = re.compile(
    r"fetch first|non-fast-forward|stale info|cannot lock ref|incorrect old value|failed to update ref|"
    r"Updates were rejected because the (?:tip|remote)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``https://user:token@host/x`` → ``https://***@host/x``."""
    return _CRED.sub(lambda m: m.group("scheme") + "***@", text)


class PushRejected(GitError):
    """The remote moved under us; fetch, re-apply, retry."""


@dataclass(frozen=True, slots=True)
class Identity:
    name: str = "shipyard"
    email: str = "shipyard@localhost"


class Git:
    """Runs git in one directory."""

    def __init__(self, cwd: Path, identity: Identity | None = None) -> None:
        self.cwd = cwd
        self.identity = identity

    def run(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        cmd = ["git"]
        if self.identity is not None:
            cmd += ["-c", f"user.name={self.identity.name}", "-c", f"user.email={self.identity.email}"]
        cmd += list(args)
        try:
            proc = subprocess.run(cmd, cwd=self.cwd, input=stdin, capture_output=True, text=True, env=env, check=False)
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror}") from exc
        if check and proc.returncode != 0:
            msg = redact((proc.stderr or proc.stdout).strip())
            raise GitError(f"git {redact(' '.join(args[:2]))} failed: {msg}")
        return proc

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()


def _lock(path: Path) -> contextlib.AbstractContextManager[None]:
    @contextlib.contextmanager
    def held() -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    return held()


class Workspace:
    """A private working clone of ``url`` at ``branch``; ``close()`` removes it."""

    def __init__(self, url: str, branch: str, path: Path, identity: Identity | None) -> None:
        self.url = url
        self.branch = branch
        self.path = path
        self.git = Git(path, identity)

    def head(self) -> str:
        return self.git.out("rev-parse", "HEAD")

    def sync(self) -> str:
        """Fetch the branch and move the working tree to its tip (discarding local edits); returns the tip."""
        self.git.run("fetch", "-q", "origin", f"+refs/heads/{self.branch}:refs/remotes/origin/{self.branch}")
        self.git.run("checkout", "-q", "-B", self.branch, f"origin/{self.branch}")
        self.git.run("reset", "-q", "--hard", f"origin/{self.branch}")
        return self.head()

    def commit_all(self, paths: Sequence[str], message: str) -> str:
        self.git.run("add", "--", *paths)
        self.git.run("commit", "-q", "-F", "-", stdin=message)
        return self.head()

    def push(self, refspec: str) -> None:
        proc = self.git.run("push", "-q", "--porcelain", "origin", refspec, check=False)
        if proc.returncode == 0:
            return
        msg = redact((proc.stderr + "\n" + proc.stdout).strip())
        if _RACE.search(msg):
            raise PushRejected(f"push to {redact(self.url)} rejected, the branch moved: {msg}")
        raise GitError(f"push to {redact(self.url)} refused: {msg}")

    def remote_sha(self, branch: str) -> str | None:
        out = self.git.out("ls-remote", "origin", f"refs/heads/{branch}")
        return out.split()[0] if out else None

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class GitCache:
    """Mirrors of remotes under ``root``; ``workspace(url, branch)`` gives a private clone sharing its objects."""

    def __init__(self, root: Path, identity: Identity | None = None) -> None:
        self.root = root
        self.identity = identity

    def _mirror(self, url: str) -> Path:
        key = hashlib.sha256(url.encode()).hexdigest()[:16]
        return self.root / "mirrors" / f"{key}.git"

    def fetch(self, url: str, *, wait: bool = True) -> Path:
        """Create or refresh the mirror. With ``wait=False`` an existing mirror that another writer is refreshing
        is used as it is: a workspace fetches its branch tip from the remote itself, the mirror only saves
        transferring objects again."""
        mirror = self._mirror(url)
        lock_path = mirror.with_suffix(".lock")
        if not wait and (mirror / "HEAD").exists():
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            with open(lock_path, "a+") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return mirror
                try:
                    Git(mirror).run("remote", "update", "--prune")
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
            return mirror
        with _lock(lock_path):
            if not (mirror / "HEAD").exists():
                # Clone beside it and rename into place: `git clone` writes HEAD long before it is done, and a
                # concurrent workspace() that saw HEAD would clone from a half-made mirror.
                mirror.parent.mkdir(parents=True, exist_ok=True)
                tmp = mirror.with_name(f".{mirror.name}.{uuid.uuid4().hex[:8]}")
                try:
                    Git(mirror.parent).run("clone", "-q", "--mirror", url, str(tmp))
                    shutil.rmtree(mirror, ignore_errors=True)  # a leftover of an interrupted older version
                    os.rename(tmp, mirror)
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
            else:
                Git(mirror).run("remote", "update", "--prune")
        return mirror

    def workspace(self, url: str, branch: str) -> Workspace:
        mirror = self.fetch(url, wait=False)
        path = self.root / "work" / uuid.uuid4().hex
        path.parent.mkdir(parents=True, exist_ok=True)
        Git(path.parent).run("clone", "-q", "--shared", "--no-checkout", str(mirror), str(path))
        ws = Workspace(url, branch, path, self.identity)
        ws.git.run("remote", "set-url", "origin", url)
        ws.sync()
        return ws


def resolve_and_export(cache: GitCache, url: str, revision: str, dest: Path) -> str:
    """Fetch ``url``, resolve ``revision`` (branch, tag, SHA or HEAD) to a commit and write its tree to ``dest``."""
    import io
    import tarfile

    mirror = cache.fetch(url)
    g = Git(mirror)
    sha = ""
    for candidate in (revision, f"refs/heads/{revision}", f"refs/tags/{revision}"):
        proc = g.run("rev-parse", "--verify", "-q", f"{candidate}^{{commit}}", check=False)
        if proc.returncode == 0:
            sha = proc.stdout.strip()
            break
    if not sha:
        raise GitError(f"revision {revision!r} not found in {redact(url)}")
    try:
        proc_bytes = subprocess.run(
            ["git", "archive", "--format=tar", sha], cwd=mirror, capture_output=True, check=True
        ).stdout
    except subprocess.CalledProcessError as exc:
        raise GitError(f"git archive {sha} failed: {redact(exc.stderr.decode(errors='replace'))}") from exc
    dest.mkdir(parents=True, exist_ok=True)

    def safe(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
        # A symlink out of the tree (/etc/passwd, ../../x) is left out rather than failing the whole export:
        # one such file must not stop every app of the repository, and a kustomization that needs it then
        # reports the file as missing.
        try:
            return tarfile.data_filter(member, path)
        except tarfile.FilterError:
            return None

    try:
        with tarfile.open(fileobj=io.BytesIO(proc_bytes)) as tar:
            tar.extractall(dest, filter=safe)
    except tarfile.TarError as exc:
        raise GitError(f"cannot export {redact(url)} at {sha}: {exc}") from exc
    return sha


def init_repo(bare: Path, files: dict[str, str], message: str, *, branch: str = "main") -> str:
    """Create a bare repository at ``bare`` whose ``branch`` holds ``files`` in one commit; returns its SHA."""
    if bare.exists() and any(bare.iterdir()):
        raise GitError(f"{bare} already exists and is not empty")
    bare.mkdir(parents=True, exist_ok=True)
    Git(bare).run("init", "-q", "--bare", "-b", branch)
    work = bare.parent / f".{bare.name}.seed-{uuid.uuid4().hex[:8]}"
    try:
        work.mkdir()
        g = Git(work, Identity())
        g.run("init", "-q", "-b", branch)
        for rel, text in files.items():
            p = work / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        g.run("add", "-A")
        g.run("commit", "-q", "-m", message)
        g.run("push", "-q", str(bare), f"HEAD:refs/heads/{branch}")
        return g.out("rev-parse", "HEAD")
    finally:
        shutil.rmtree(work, ignore_errors=True)
