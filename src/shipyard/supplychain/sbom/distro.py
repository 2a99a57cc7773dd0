"""Which distribution a filesystem is: ``/etc/os-release`` (else ``/usr/lib/os-release``, os-release(5)), with
``/etc/alpine-release`` and ``/etc/debian_version`` as fallbacks for minimal images that lack os-release."""

from __future__ import annotations

import shlex

from shipyard.supplychain.sbom.model import Distro

FILES = ("/etc/os-release", "/usr/lib/os-release", "/etc/alpine-release", "/etc/debian_version")


def parse_os_release(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            parts = shlex.split(value)
        except ValueError:
            parts = [value.strip("\"'")]
        out[key.strip()] = parts[0] if parts else ""
    return out


def detect(files: dict[str, bytes]) -> Distro | None:
    """``files`` maps the paths in ``FILES`` that exist (as regular files) to their bytes."""
    for path in FILES[:2]:
        if path in files:
            fields = parse_os_release(files[path].decode("utf-8", "replace"))
            if fields.get("ID"):
                return Distro(
                    id=fields["ID"].lower(),
                    version_id=fields.get("VERSION_ID", ""),
                    id_like=tuple(fields.get("ID_LIKE", "").split()),
                    pretty_name=fields.get("PRETTY_NAME", ""),
                )
    if "/etc/alpine-release" in files:
        return Distro("alpine", files["/etc/alpine-release"].decode("utf-8", "replace").strip())
    if "/etc/debian_version" in files:
        version = files["/etc/debian_version"].decode("utf-8", "replace").strip()
        return Distro("debian", version.split(".")[0] if version[:1].isdigit() else "")
    return None
