"""Debian version ordering (deb-version(7), dpkg ``verrevcmp``): ``[epoch:]upstream[-revision]``.

Epochs compare numerically; upstream and revision alternate non-digit runs, compared character by character
with ``~`` before end-of-string before letters before everything else, and digit runs compared numerically.
So ``1.0~rc1 < 1.0 < 1.0+b1 < 1.0a`` and ``1:0.9 > 2.0``.
"""

from __future__ import annotations

from functools import lru_cache


def _order(c: str) -> int:
    if c == "~":
        return -1
    if c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _verrevcmp(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


@lru_cache(maxsize=65536)
def split(version: str) -> tuple[int, str, str]:
    v = version.strip()
    epoch = 0
    if ":" in v:
        head, _, v = v.partition(":")
        if not head.isdigit():
            raise ValueError(f"bad epoch in Debian version {version!r}")
        epoch = int(head)
    upstream, sep, revision = v.rpartition("-")
    if not sep:
        upstream, revision = v, ""
    if not upstream or not upstream[0].isdigit():
        raise ValueError(f"Debian upstream version must start with a digit: {version!r}")
    return epoch, upstream, revision


def compare(a: str, b: str) -> int:
    ea, ua, ra = split(a)
    eb, ub, rb = split(b)
    if ea != eb:
        return (ea > eb) - (ea < eb)
    c = _verrevcmp(ua, ub)
    if c:
        return (c > 0) - (c < 0)
    c = _verrevcmp(ra, rb)
    return (c > 0) - (c < 0)


def is_valid(version: str) -> bool:
    try:
        split(version)
    except ValueError:
        return False
    return True
