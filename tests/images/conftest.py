from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.images.builder.importer import import_rootfs
from shipyard.images.layout import OciLayout
from shipyard.testing.rootfs import busybox_rootfs as make_busybox_rootfs


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_busybox_rootfs(tmp_path_factory.mktemp("busybox") / "rootfs")


@pytest.fixture
def store(tmp_path: Path, busybox_rootfs: Path) -> OciLayout:
    """A content store holding the busybox base as ``busybox:base``."""
    layout = OciLayout(tmp_path / "oci")
    import_rootfs(layout, busybox_rootfs, ["busybox:base"])
    return layout
