from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.testing.registry import RunningRegistry, registry_available, start_registry

USERS = {"alice": "wonderland", "bob": "builder"}


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    if not registry_available():
        pytest.fail("docker-registry is not installed: apt-get install -y --no-install-recommends docker-registry")
    reg = start_registry(tmp_path_factory.mktemp("registry"))
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    reg = start_registry(tmp_path_factory.mktemp("auth-registry"), users=USERS)
    yield reg
    reg.stop()


@pytest.fixture
def layout_dir(tmp_path: Path) -> Path:
    return tmp_path / "oci"
