"""HTTP header maps as Go's ``net/http.Header``: canonical keys (``textproto.CanonicalMIMEHeaderKey``), many
values per key, ``get`` returning the first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

Header = Mapping[str, Sequence[str]]

_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def canonical_key(key: str) -> str:
    """``x-github-event`` → ``X-Github-Event``. Keys with non-token bytes are returned unchanged, as in Go."""
    if not key or any(c not in _TOKEN for c in key):
        return key
    out = []
    upper = True
    for c in key:
        out.append(c.upper() if upper else c.lower())
        upper = c == "-"
    return "".join(out)


def canonical(pairs: Iterable[tuple[str, str]] | Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Build a header map from (key, value) pairs or another map, canonicalising keys and keeping value order."""
    items: Iterable[tuple[str, str]]
    if isinstance(pairs, Mapping):
        items = ((k, v) for k, vs in pairs.items() for v in vs)
    else:
        items = pairs
    out: dict[str, list[str]] = {}
    for k, v in items:
        out.setdefault(canonical_key(k), []).append(v)
    return out


def get(header: Header, key: str) -> str:
    values = header.get(canonical_key(key)) or header.get(key) or ()
    return values[0] if values else ""
