"""A minimal DER reader: enough ASN.1 to walk an RFC 3161 timestamp token and X.509 extension values.

``cryptography`` parses certificates but not CMS SignedData, so the timestamp verifier walks the structure with
this reader. Malformed input raises ``ValueError``; callers translate it into their own error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class Node:
    tag: int
    raw: bytes  # the whole TLV
    content: bytes

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def children(self) -> list[Node]:
        return read_all(self.content)


def read(data: bytes, pos: int = 0) -> tuple[Node, int]:
    """One TLV at ``pos``; returns it and the offset after it."""
    if pos + 2 > len(data):
        raise ValueError("DER: truncated header")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("DER: high tag numbers are not supported")
    first = data[pos + 1]
    i = pos + 2
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        if n == 0 or n > 4 or i + n > len(data):
            raise ValueError("DER: bad length")
        length = int.from_bytes(data[i : i + n], "big")
        i += n
    end = i + length
    if end > len(data):
        raise ValueError("DER: content runs past the end")
    return Node(tag, data[pos:end], data[i:end]), end


def read_all(data: bytes) -> list[Node]:
    out: list[Node] = []
    pos = 0
    while pos < len(data):
        node, pos = read(data, pos)
        out.append(node)
    return out


def parse_one(data: bytes) -> Node:
    node, end = read(data)
    if end != len(data):
        raise ValueError("DER: trailing bytes")
    return node


def oid(dotted: str) -> bytes:
    """The DER content bytes of an OBJECT IDENTIFIER (for comparisons)."""
    parts = [int(p) for p in dotted.split(".")]
    out = bytearray([parts[0] * 40 + parts[1]])
    for value in parts[2:]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


def generalized_time(node: Node) -> datetime:
    if node.tag != 0x18:
        raise ValueError("DER: expected GeneralizedTime")
    text = node.content.decode("ascii").rstrip("Z")
    whole, _, frac = text.partition(".")
    moment = datetime.strptime(whole, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    if frac:
        moment = moment.replace(microsecond=int((frac + "000000")[:6]))
    return moment


def utf8_string(data: bytes) -> str:
    """An extension value that is a DER UTF8String (Fulcio OIDs .1.8 and later)."""
    node = parse_one(data)
    if node.tag != 0x0C:
        raise ValueError("DER: expected UTF8String")
    return node.content.decode("utf-8")
