"""The git adapter: credentials redacted from every message, git failures become GitError."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.errors import GitError
from shipyard.vcs.git import GitCache, redact


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("https://user:s3cret@git.example.com/org/repo.git", "https://***@git.example.com/org/repo.git"),
        ("fatal: unable to access 'https://tok@h/x'", "fatal: unable to access 'https://***@h/x'"),
        ("ssh://git@host/x", "ssh://***@host/x"),
        ("/srv/git/repo.git", "/srv/git/repo.git"),
        ("https://u:p@ss@h.example/x and https://h2/y", "https://***@h.example/x and https://h2/y"),
    ],
    ids=["user-password", "token-in-message", "ssh-user", "local-path", "at-sign-in-password"],
)
def test_redact(text: str, want: str) -> None:
    assert redact(text) == want


@pytest.mark.integration
def test_clone_failure_is_git_error_without_credentials(tmp_path: Path) -> None:
    cache = GitCache(tmp_path / "cache")
    with pytest.raises(GitError) as info:
        cache.workspace(f"file://user:hunter2@{tmp_path}/missing.git", "main")
    assert "hunter2" not in str(info.value)


@pytest.mark.integration
def test_the_mirror_appears_only_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`git clone` writes HEAD before it finishes; a concurrent workspace() that saw HEAD used to clone from a
    half-made mirror ("repository ... does not exist" in the 20-promotion race). The mirror is cloned beside its
    final path and renamed into place."""
    import subprocess

    from shipyard.vcs.git import Git

    bare = tmp_path / "r.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    cache = GitCache(tmp_path / "cache")
    final = cache._mirror(str(bare))
    seen: list[tuple[str, bool]] = []
    real_run = Git.run

    def spy(self: Git, *args: str, **kw: object) -> object:
        if args[:3] == ("clone", "-q", "--mirror"):
            seen.append((args[-1], final.exists()))
        return real_run(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Git, "run", spy)
    assert cache.fetch(str(bare)) == final
    assert seen and seen[0][0] != str(final) and seen[0][1] is False
    assert (final / "HEAD").is_file()
    assert [p.name for p in final.parent.iterdir() if p.name.startswith(".")] == []
