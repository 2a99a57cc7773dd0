"""Shared fixtures: every test gets its own SHIPYARD_HOME, and paths to the shared upstream material."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    env = os.environ.get("SHIPYARD_SHARED")
    if env:
        return Path(env)
    for candidate in (ROOT.parent / "shared", ROOT.parent.parent / "shared", Path("/work/shared")):
        if candidate.is_dir():
            return candidate
    raise RuntimeError("cannot find the shared/ directory beside the checkout; set SHIPYARD_SHARED")


SHARED = _shared()


@pytest.fixture
def shared() -> Path:
    return SHARED


@pytest.fixture(autouse=True)
def shipyard_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / ".shipyard"
    monkeypatch.setenv("SHIPYARD_HOME", str(home))
    yield home
