"""Which version order an OSV ecosystem uses (OSV schema "affected.package.ecosystem" + "Version ordering").

``Debian:12``, ``Ubuntu:22.04`` → dpkg; ``Alpine:v3.19`` → apk; ``PyPI`` → PEP 440 (``packaging``); ``npm``,
``Go``, ``crates.io`` and every ``SEMVER`` range → SemVer. An ecosystem without an order here is matched on
explicit ``versions`` lists only, and the scan says so.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from packaging.version import InvalidVersion, Version

from shipyard.supplychain.vuln import apk, dpkg, semver

Compare = Callable[[str, str], int]


@lru_cache(maxsize=65536)
def _pep440(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion as exc:
        raise ValueError(f"not a PEP 440 version: {version!r}") from exc


def pep440_compare(a: str, b: str) -> int:
    va, vb = _pep440(a), _pep440(b)
    return (va > vb) - (va < vb)


_BY_BASE: dict[str, Compare] = {
    "PyPI": pep440_compare,
    "npm": semver.compare,
    "Go": semver.compare,
    "crates.io": semver.compare,
    "Hex": semver.compare,
    "Pub": semver.compare,
    "Debian": dpkg.compare,
    "Ubuntu": dpkg.compare,
    "Alpine": apk.compare,
    "Wolfi": apk.compare,
    "Chainguard": apk.compare,
}


def base(ecosystem: str) -> str:
    """``Debian:12`` → ``Debian``; ``Alpine:v3.19`` → ``Alpine``."""
    return ecosystem.split(":", 1)[0]


def comparator(ecosystem: str) -> Compare | None:
    return _BY_BASE.get(base(ecosystem))


def same_ecosystem(record: str, package: str) -> bool:
    """An advisory for ``Debian`` (no release) applies to every release; ``Debian:12`` only to Debian 12;
    ``Ubuntu:22.04:LTS`` to a package of ``Ubuntu:22.04`` (the record may qualify the release further)."""
    if record == package:
        return True
    rparts, pparts = record.split(":"), package.split(":")
    if rparts[0] != pparts[0]:
        return False
    if len(rparts) == 1 or len(pparts) == 1:
        return True
    return rparts[: len(pparts)] == pparts
