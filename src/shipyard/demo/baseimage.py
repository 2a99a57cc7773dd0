"""The demo's base image: a small Python runtime assembled from this machine's installed Debian packages.

No outside registry: the files of a few installed packages (the interpreter, its standard library, the shared
libraries ``python3.11`` links against, and a static busybox for ``/bin/sh``) are copied into a root
filesystem, ``/var/lib/dpkg/status`` holds exactly those packages' stanzas from the host's status file (so an
SBOM sees real Debian packages), ``/etc/passwd`` has ``root`` and ``nonroot`` (65532), and the tree is imported
as a one-layer image (``import_rootfs``). The tag carries a hash of the stanzas: the image is built once and
reused until the host's packages change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import ExecutionError, NotFoundError
from shipyard.images.builder.importer import import_rootfs
from shipyard.images.layout import OciLayout
from shipyard.images.reference import parse_reference

# The interpreter and its standard library, the shared libraries `ldd /usr/bin/python3.11` lists, and busybox.
PACKAGES = (
    "python3.11-minimal",
    "libpython3.11-minimal",
    "libpython3.11-stdlib",
    "libc6",
    "zlib1g",
    "libexpat1",
    "busybox-static",
)
STATUS = Path("/var/lib/dpkg/status")
INFO = Path("/var/lib/dpkg/info")
REPOSITORY = "localhost/shipyard/python"
# Documentation, manual pages and translations are left out (copyright files stay: the SBOM reads licences there).
_SKIP = (
    "/usr/share/man/",
    "/usr/share/locale/",
    "/usr/share/info/",
    "/usr/share/lintian/",
    "/usr/lib/x86_64-linux-gnu/gconv/",
)
_MERGED = ("bin", "sbin", "lib", "lib64")
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/sh\n"
GROUP = "root:x:0:\nnonroot:x:65532:\n"


@dataclass(frozen=True, slots=True)
class BaseImage:
    name: str  # the full reference in the content store
    digest: str  # manifest digest
    packages: tuple[str, ...]
    built: bool  # False when the store already had it


def stanzas(status_text: str, packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """The installed stanza of each package, verbatim, from a dpkg status file."""
    found: dict[str, str] = {}
    for block in status_text.split("\n\n"):
        fields = dict(
            line.split(":", 1) for line in block.splitlines() if line and not line[0].isspace() and ":" in line
        )
        name = fields.get("Package", "").strip()
        if name in packages and fields.get("Status", "").strip() == "install ok installed":
            found[name] = block.strip("\n")
    missing = [p for p in packages if p not in found]
    if missing:
        raise NotFoundError(f"Debian packages not installed on this machine: {', '.join(missing)}")
    return found


def available() -> bool:
    """Whether this machine can assemble the base (dpkg database with every package, python3.11 present)."""
    try:
        stanzas(STATUS.read_text())
    except (OSError, NotFoundError):
        return False
    return Path("/usr/bin/python3.11").exists() and Path("/bin/busybox").exists()


def _tag(found: dict[str, str]) -> str:
    digest = hashlib.sha256("\n\n".join(found[p] for p in PACKAGES).encode()).hexdigest()[:12]
    return str(parse_reference(f"{REPOSITORY}:3.11-debian12-{digest}"))


def _package_files(package: str) -> list[str]:
    for name in (f"{package}.list", f"{package}:amd64.list"):
        path = INFO / name
        if path.exists():
            return [line for line in path.read_text().splitlines() if line and line != "/."]
    raise NotFoundError(f"no file list for {package} in {INFO}")


def _copy(src: str, root: Path) -> None:
    if src.startswith(_SKIP) or (src.startswith("/usr/share/doc/") and not src.endswith("/copyright")):
        return
    dest = root / src.lstrip("/")
    st = os.lstat(src)
    if stat.S_ISDIR(st.st_mode):
        dest.mkdir(parents=True, exist_ok=True)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists() or dest.is_symlink():
        return
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), dest)
    elif stat.S_ISREG(st.st_mode):
        shutil.copy2(src, dest)


def assemble(root: Path, found: dict[str, str]) -> None:
    """Lay out the root filesystem under ``root`` (an empty directory)."""
    (root / "usr").mkdir(parents=True)
    for d in _MERGED:  # Debian 12 is merged-/usr: /bin → usr/bin …
        (root / "usr" / d).mkdir()
        (root / d).symlink_to(f"usr/{d}")
    for package in PACKAGES:
        for src in _package_files(package):
            _copy(src, root)
    busybox = root / "usr/bin/busybox"
    applets = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        link = root / "usr/bin" / applet
        if applet != "busybox" and not (link.exists() or link.is_symlink()):
            link.symlink_to("busybox")
    (root / "usr/bin/python3").symlink_to("python3.11")
    etc = root / "etc"
    etc.mkdir(exist_ok=True)
    (etc / "passwd").write_text(PASSWD)
    (etc / "group").write_text(GROUP)
    shutil.copyfile("/usr/lib/os-release", etc / "os-release")
    dpkg = root / "var/lib/dpkg"
    dpkg.mkdir(parents=True)
    (dpkg / "status").write_text("\n\n".join(found[p] for p in PACKAGES) + "\n")
    for d, mode in (("tmp", 0o1777), ("root", 0o700), ("home/nonroot", 0o755)):
        (root / d).mkdir(parents=True, exist_ok=True)
        (root / d).chmod(mode)
    os.chown(root / "home/nonroot", 65532, 65532)


def ensure_base_image(layout: OciLayout) -> BaseImage:
    """The base image in the store, assembled and imported only when the store does not have it yet."""
    try:
        found = stanzas(STATUS.read_text())
    except OSError as exc:
        raise ExecutionError(f"cannot read {STATUS}: {exc}") from exc
    name = _tag(found)
    try:
        desc = layout.resolve(name)
        return BaseImage(name, desc.digest, PACKAGES, built=False)
    except NotFoundError:
        pass
    with tempfile.TemporaryDirectory(prefix="shipyard-base-") as tmp:
        root = Path(tmp) / "rootfs"
        root.mkdir()
        try:
            assemble(root, found)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise ExecutionError(f"assembling the Python base root filesystem failed: {exc}") from exc
        config = {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"],
            "Cmd": ["python3"],
        }
        desc = import_rootfs(layout, root, [name], config=config)
    return BaseImage(name, desc.digest, PACKAGES, built=True)
