"""Alpine package version ordering (apk-tools ``src/version.c``):
``digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}``.

Tokens compare pairwise while their kinds agree: numbers numerically, the letter by character, suffixes by rank
(``_alpha < _beta < _pre < _rc`` < none < ``_cvs < _svn < _git < _hg < _p``), ``-rN`` numerically. When one
version runs out or the kinds differ, the longer one is greater, unless what follows is a pre-release suffix.
The commit-hash part (``~abc123``) does not order. apk-tools' special ordering of leading-zero components as
fractions is not reproduced: they compare numerically.
"""

from __future__ import annotations

import re
from functools import lru_cache

DIGIT, LETTER, SUFFIX, SUFFIX_NO, REVISION, END = 1, 2, 3, 4, 5, 6
_PRE = ("alpha", "beta", "pre", "rc")
_POST = ("cvs", "svn", "git", "hg", "p")
_SUFFIX = re.compile(r"_([a-z]+)(\d*)")

Token = tuple[int, int]


@lru_cache(maxsize=65536)
def tokens(version: str) -> tuple[Token, ...]:
    v = version.strip()
    m = re.match(r"\d+", v)
    if m is None:
        raise ValueError(f"apk version must start with a digit: {version!r}")
    out: list[Token] = [(DIGIT, int(m.group()))]
    pos = m.end()
    while pos < len(v):
        rest = v[pos:]
        if (m := re.match(r"\.(\d+)", rest)) and out[-1][0] == DIGIT:
            out.append((DIGIT, int(m.group(1))))
        elif (m := re.match(r"[a-z]", rest)) and out[-1][0] == DIGIT:
            out.append((LETTER, ord(m.group())))
        elif m := _SUFFIX.match(rest):
            name = m.group(1)
            if name in _PRE:
                rank = _PRE.index(name) - len(_PRE)
            elif name in _POST:
                rank = _POST.index(name) + 1
            else:
                raise ValueError(f"unknown apk version suffix _{name} in {version!r}")
            out.append((SUFFIX, rank))
            if m.group(2):
                out.append((SUFFIX_NO, int(m.group(2))))
        elif m := re.match(r"~[0-9a-f]+", rest):
            pass
        elif m := re.match(r"-r(\d+)$", rest):
            out.append((REVISION, int(m.group(1))))
        else:
            raise ValueError(f"invalid apk version {version!r} at {rest!r}")
        pos += m.end()
    return tuple(out)


def compare(a: str, b: str) -> int:
    ta, tb = tokens(a), tokens(b)
    i = 0
    while i < len(ta) and i < len(tb) and ta[i][0] == tb[i][0]:
        if ta[i][1] != tb[i][1]:
            return -1 if ta[i][1] < tb[i][1] else 1
        i += 1
    ka = ta[i][0] if i < len(ta) else END
    kb = tb[i][0] if i < len(tb) else END
    if ka == kb:
        return 0
    if ka == SUFFIX and ta[i][1] < 0:
        return -1
    if kb == SUFFIX and tb[i][1] < 0:
        return 1
    return -1 if ka > kb else 1


def is_valid(version: str) -> bool:
    try:
        tokens(version)
    except ValueError:
        return False
    return True
