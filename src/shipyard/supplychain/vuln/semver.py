"""SemVer 2.0.0 precedence (semver.org §11) for npm, Go modules and OSV ``SEMVER`` ranges.

A leading ``v`` is accepted (Go module versions and OSV Go data without it compare equal). Missing minor/patch
read as 0. Build metadata (``+incompatible``, ``+build.5``) is ignored for precedence. Go pseudo-versions
(``v0.0.0-20190125091013-d26f9f9a57f3``, ``v1.2.4-0.20191109021931-daa7c04131f5``) are pre-releases and order
correctly under these rules, which is the point of their design (Go modules reference "Pseudo-versions").
"""

from __future__ import annotations

import re
from functools import lru_cache

_SEMVER = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)

# Pre-release identifiers: numeric ones sort before alphanumeric ones (§11.4.3).
_Ident = tuple[int, int, str]
Key = tuple[int, int, int, int, tuple[_Ident, ...]]


@lru_cache(maxsize=65536)
def key(version: str) -> Key:
    """A sort key with SemVer precedence; ``ValueError`` for a string that is not SemVer."""
    m = _SEMVER.match(version.strip())
    if m is None:
        raise ValueError(f"not a semantic version: {version!r}")
    pre = m.group("pre")
    idents: tuple[_Ident, ...] = ()
    if pre is not None:
        idents = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    # A release (no pre-release) sorts after all of its pre-releases (§11.3): flag 1 vs 0.
    return (
        int(m.group("major")),
        int(m.group("minor") or 0),
        int(m.group("patch") or 0),
        0 if pre is not None else 1,
        idents,
    )


def compare(a: str, b: str) -> int:
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)


def is_valid(version: str) -> bool:
    return _SEMVER.match(version.strip()) is not None
