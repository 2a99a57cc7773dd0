from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from shipyard.images.builder.importer import import_rootfs
from shipyard.images.layout import OciLayout

BUSYBOX = "/bin/busybox"


def make_busybox_rootfs(root: Path) -> Path:
    """A static busybox root filesystem: /bin/busybox from Debian busybox-static plus its applet links."""
    if not Path(BUSYBOX).exists():
        pytest.fail("busybox-static is not installed: apt-get install -y busybox-static")
    (root / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for name in applets:
        if name != "busybox":
            os.symlink("busybox", root / "bin" / name)
    for d in ("etc", "tmp", "root", "home/nonroot"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    (root / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/sh\n"
    )
    (root / "etc" / "group").write_text("root:x:0:\nnonroot:x:65532:\n")
    os.chown(root / "home" / "nonroot", 65532, 65532)
    return root


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_busybox_rootfs(tmp_path_factory.mktemp("busybox") / "rootfs")


@pytest.fixture
def store(tmp_path: Path, busybox_rootfs: Path) -> OciLayout:
    """A content store holding the busybox base as ``busybox:base``."""
    layout = OciLayout(tmp_path / "oci")
    import_rootfs(layout, busybox_rootfs, ["busybox:base"])
    return layout
