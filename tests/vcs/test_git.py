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
