"""A static busybox root filesystem for base images in tests and the demo (no outside registry needed).

``busybox_rootfs(dir)`` copies ``/bin/busybox`` (Debian ``busybox-static``) to ``bin/busybox``, links every
applet to it, and writes ``/etc/passwd`` and ``/etc/group`` with root and ``nonroot`` (65532, as distroless).
``shipyard image import-rootfs DIR -t busybox:base`` (or ``import_rootfs``) turns it into an image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from shipyard.errors import ExecutionError

BUSYBOX = "/bin/busybox"


def busybox_rootfs(root: Path) -> Path:
    if not Path(BUSYBOX).is_file():
        raise ExecutionError("busybox-static is not installed: apt-get install -y busybox-static")
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
    if os.geteuid() == 0:
        os.chown(root / "home" / "nonroot", 65532, 65532)
    return root
