"""Fixture root filesystems and Go binaries for SBOM tests, benchmarks and the docs' examples.

``make_rootfs`` writes a small Debian-like tree holding one package of every kind the catalogers read: dpkg
status entries (one not installed, one with a ``Source:``) and a distroless ``status.d`` entry, an apk database,
Python dist-infos and an egg-info, npm ``node_modules`` and a lockfile, a Go binary, and a jar with both
``pom.properties`` and a manifest. ``elf_with_buildinfo`` wraps a Go buildinfo blob in a minimal ELF; the
pointer-form variant lays out Go string headers the way Go < 1.18 linkers did.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

SENTINEL_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
SENTINEL_END = bytes.fromhex("f932433186182072008242104116d8f2")
_VADDR = 0x500000
_OFF = 0x1000


def elf_with_segment(payload: bytes, *, vaddr: int = _VADDR) -> bytes:
    """An ELF64 little-endian executable with one writable, non-executable PT_LOAD holding ``payload``."""
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    header += struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, vaddr, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 0x6, _OFF, vaddr, vaddr, len(payload), len(payload), 0x1000)
    body = header + phdr
    return body + b"\0" * (_OFF - len(body)) + payload


def elf_with_buildinfo(blob: bytes) -> bytes:
    """Inline-form (Go ≥ 1.18) buildinfo: the blob as written by the linker, at the start of the data segment."""
    return elf_with_segment(blob)


def pointer_form_elf(go_version: str, modinfo: str) -> bytes:
    """Go < 1.18 layout: the header holds two pointers to ``{data, len}`` string headers."""
    mod = SENTINEL_START + modinfo.encode() + SENTINEL_END
    ver = go_version.encode()
    # layout: [0:32] header, [32:48] version string header, [48:64] modinfo header, then the bytes.
    ver_at, mod_at = _VADDR + 64, _VADDR + 64 + len(ver)
    header = b"\xff Go buildinf:" + bytes([8, 0]) + struct.pack("<QQ", _VADDR + 32, _VADDR + 48)
    strings = struct.pack("<QQ", ver_at, len(ver)) + struct.pack("<QQ", mod_at, len(mod))
    return elf_with_segment(header + strings + ver + mod)


def _jar(entries: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in sorted(entries.items()):
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


DPKG_STATUS = """\
Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
Description: GNU Bourne Again SHell

Package: removed-thing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.11-1~deb12u2+b1
"""

APK_INSTALLED = """\
C:Q1abc=
P:musl
V:1.2.4-r2
A:x86_64
o:musl
L:MIT

P:libcrypto3
V:3.1.4-r5
A:x86_64
o:openssl
L:Apache-2.0
F:lib
R:libcrypto.so.3
"""


def _write(root: Path, path: str, data: bytes | str, mode: int = 0o644) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.encode() if isinstance(data, str) else data)
    target.chmod(mode)


def make_rootfs(root: Path, go_blob: bytes) -> Path:
    _write(root, "/etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n')
    _write(root, "/var/lib/dpkg/status", DPKG_STATUS)
    _write(root, "/var/lib/dpkg/info/bash.list", "/bin/bash\n")
    _write(root, "/var/lib/dpkg/status.d/tzdata", "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n")
    _write(root, "/var/lib/dpkg/status.d/tzdata.md5sums", "abc  usr/share/zoneinfo/UTC\n")
    _write(
        root,
        "/usr/share/doc/bash/copyright",
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
        "Files: *\nLicense: GPL-3+\n\nFiles: doc/*\nLicense: BSD-3-clause\n",
    )
    _write(
        root,
        "/usr/share/doc/libc6/copyright",
        "This is the Debian prepackaged version of the GNU C Library.\n\nLicense: prose, not a DEP-5 field\n"
        "On Debian systems the full text is in /usr/share/common-licenses/LGPL-2.1.\n",
    )
    _write(root, "/lib/apk/db/installed", APK_INSTALLED)
    site = "/usr/lib/python3/dist-packages"
    _write(
        root,
        f"{site}/Jinja2-3.1.2.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\nLicense: BSD-3-Clause\n\nA template engine.\n",
    )
    _write(root, f"{site}/Jinja2-3.1.2.dist-info/RECORD", "jinja2/__init__.py,,\n")
    _write(
        root,
        f"{site}/shipyard_bar.pkg-1.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: shipyard_bar.pkg\nVersion: 1.0\n"
        "Classifier: License :: OSI Approved :: MIT License\n",
    )
    _write(root, f"{site}/PyYAML-5.3.egg-info", "Metadata-Version: 1.1\nName: PyYAML\nVersion: 5.3\nLicense: MIT\n")
    app = "/srv/app"
    _write(
        root,
        f"{app}/node_modules/lodash/package.json",
        json.dumps({"name": "lodash", "version": "4.17.11", "license": "MIT"}),
    )
    _write(
        root,
        f"{app}/node_modules/@angular/core/package.json",
        json.dumps({"name": "@angular/core", "version": "12.3.1", "license": "MIT"}),
    )
    lock = {
        "name": "app",
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "app", "version": "1.0.0"},
            "node_modules/lodash": {"version": "4.17.11", "license": "MIT"},
            "node_modules/left-pad": {"version": "1.3.0", "license": "WTFPL"},
        },
    }
    _write(root, f"{app}/package-lock.json", json.dumps(lock))
    _write(root, "/usr/local/bin/gotool", elf_with_buildinfo(go_blob), mode=0o755)
    _write(root, "/usr/bin/not-go", b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 2000, mode=0o755)
    jar = _jar(
        {
            "META-INF/MANIFEST.MF": "Manifest-Version: 1.0\r\nImplementation-Title: log4j-core\r\n"
            "Implementation-Version: 2.14.1\r\nBundle-License: https://www.apache.org/licenses/LICENSE-2.0.txt\r\n\r\n",
            "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties": "groupId=org.apache.logging.log4j\n"
            "artifactId=log4j-core\nversion=2.14.1\n",
        }
    )
    _write(root, "/opt/app/lib/log4j-core-2.14.1.jar", jar)
    _write(
        root,
        "/opt/app/lib/plain-1.2.jar",
        _jar({"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nImplementation-Version: 1.2\n\n"}),
    )
    return root
