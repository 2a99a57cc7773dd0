"""Shared fixtures: every test gets its own SHIPYARD_HOME, and paths to the shared upstream material."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.testing.shared import SHARED

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def shared() -> Path:
    return SHARED


@pytest.fixture(autouse=True)
def shipyard_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / ".shipyard"
    monkeypatch.setenv("SHIPYARD_HOME", str(home))
    yield home
