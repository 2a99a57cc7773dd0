"""Go build information from ELF binaries (Go ``debug/buildinfo`` and ``runtime/debug.ParseBuildInfo``).

The data starts at the ``.go.buildinfo`` section, else the first writable, non-executable ``PT_LOAD`` segment.
A 32-byte header begins with ``\\xff Go buildinf:`` (16-byte aligned), then the pointer size and flags. Flag
bit 1 (Go ≥ 1.18) means two uvarint-prefixed strings follow the header inline (Go version, modinfo); otherwise two
pointers at offset 16 lead to Go string headers ``{data, len}`` in the binary's address space. Modinfo is framed by
16-byte sentinels, stripped when byte ``len-17`` is a newline.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

MAGIC = b"\xff Go buildinf:"
_SEARCH = 64 * 1024
_PF_X, _PF_W = 0x1, 0x2
_PT_LOAD = 1


@dataclass(frozen=True, slots=True)
class Module:
    path: str
    version: str
    sum: str = ""


@dataclass(frozen=True, slots=True)
class BuildInfo:
    go_version: str
    path: str = ""
    main: Module | None = None
    deps: tuple[Module, ...] = ()
    settings: tuple[tuple[str, str], ...] = field(default=())
    modinfo: str = ""
    """The module information text as the linker wrote it (sentinels stripped)."""

    def setting(self, key: str) -> str | None:
        return next((v for k, v in self.settings if k == key), None)


class _Elf:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.is64 = data[4] == 2
        self.order = "<" if data[5] == 1 else ">"
        self.segments: list[tuple[int, int, int, int, int]] = []  # type, flags, offset, vaddr, filesz
        self.sections: dict[str, int] = {}
        self._parse()

    def _unpack(self, fmt: str, off: int) -> tuple[int, ...]:
        return struct.unpack_from(self.order + fmt, self.data, off)

    def _parse(self) -> None:
        if self.is64:
            phoff, shoff = self._unpack("QQ", 0x20)
            phentsize, phnum, shentsize, shnum, shstrndx = self._unpack("HHHHH", 0x36)
        else:
            phoff, shoff = self._unpack("II", 0x1C)
            phentsize, phnum, shentsize, shnum, shstrndx = self._unpack("HHHHH", 0x2A)
        for i in range(phnum):
            off = phoff + i * phentsize
            if self.is64:
                ptype, flags, poff, vaddr, _, filesz = self._unpack("IIQQQQ", off)
            else:
                ptype, poff, vaddr, _, filesz, _, flags = self._unpack("IIIIIII", off)
            self.segments.append((ptype, flags, poff, vaddr, filesz))
        headers = []
        for i in range(shnum):
            off = shoff + i * shentsize
            if self.is64:
                name, _, _, addr, soff, size = self._unpack("IIQQQQ", off)
            else:
                name, _, _, addr, soff, size = self._unpack("IIIIII", off)
            headers.append((name, addr, soff, size))
        if headers and 0 <= shstrndx < len(headers):
            _, _, stroff, strsize = headers[shstrndx]
            table = self.data[stroff : stroff + strsize]
            for name, addr, _, _ in headers:
                end = table.find(b"\0", name)
                self.sections[table[name:end].decode("latin-1")] = addr

    def read(self, addr: int, size: int) -> bytes:
        for ptype, _, poff, vaddr, filesz in self.segments:
            if ptype == _PT_LOAD and vaddr <= addr < vaddr + filesz:
                start = poff + (addr - vaddr)
                return self.data[start : start + min(size, vaddr + filesz - addr)]
        return b""

    def data_start(self) -> int | None:
        if ".go.buildinfo" in self.sections:
            return self.sections[".go.buildinfo"]
        for ptype, flags, _, vaddr, _ in self.segments:
            if ptype == _PT_LOAD and flags & _PF_W and not flags & _PF_X:
                return vaddr
        return None


def _uvarint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(buf):
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            break
    raise ValueError("bad uvarint")


def parse_blob(blob: bytes, elf: _Elf | None = None) -> BuildInfo | None:
    """Decode a region that contains the buildinfo header (inline form needs no ELF; pointer form does)."""
    pos = 0
    while True:
        pos = blob.find(MAGIC, pos)
        if pos < 0 or len(blob) - pos < 32:
            return None
        if pos % 16 == 0:
            break
        pos += 1
    header = blob[pos : pos + 32]
    ptr_size, flags = header[14], header[15]
    try:
        if flags & 0x2:
            n, p = _uvarint(blob, pos + 32)
            version = blob[p : p + n]
            n2, p2 = _uvarint(blob, p + n)
            modinfo = blob[p2 : p2 + n2]
        else:
            if elf is None or ptr_size not in (4, 8):
                return None
            order = ">" if flags & 0x1 else "<"
            fmt = order + ("Q" if ptr_size == 8 else "I")
            version = _read_string(elf, struct.unpack_from(fmt, header, 16)[0], ptr_size, order)
            modinfo = _read_string(elf, struct.unpack_from(fmt, header, 16 + ptr_size)[0], ptr_size, order)
    except (ValueError, struct.error):
        return None
    if len(modinfo) >= 33 and modinfo[-17] == 0x0A:
        modinfo = modinfo[16:-16]
    else:
        modinfo = b""
    return parse_modinfo(version.decode("utf-8", "replace"), modinfo.decode("utf-8", "replace"))


def _read_string(elf: _Elf, addr: int, ptr_size: int, order: str) -> bytes:
    fmt = order + ("QQ" if ptr_size == 8 else "II")
    raw = elf.read(addr, 2 * ptr_size)
    if len(raw) < 2 * ptr_size:
        raise ValueError("string header outside the binary")
    data_addr, length = struct.unpack(fmt, raw)
    return elf.read(data_addr, length)


def parse_modinfo(go_version: str, text: str) -> BuildInfo:
    path, main = "", None
    deps: list[Module] = []
    settings: list[tuple[str, str]] = []
    last_main = False
    for line in text.splitlines():
        kind, _, rest = line.partition("\t")
        cols = rest.split("\t")
        if kind == "path":
            path = rest
        elif kind == "mod" and len(cols) >= 2:
            main, last_main = Module(cols[0], cols[1], cols[2] if len(cols) > 2 else ""), True
        elif kind == "dep" and len(cols) >= 2:
            deps.append(Module(cols[0], cols[1], cols[2] if len(cols) > 2 else ""))
            last_main = False
        elif kind == "=>" and len(cols) >= 2:
            # A replacement applies to the module on the line before it (runtime/debug.ParseBuildInfo).
            replaced = Module(cols[0], cols[1], cols[2] if len(cols) > 2 else "")
            if last_main:
                main = replaced
            elif deps:
                deps[-1] = replaced
        elif kind == "build":
            key, _, value = rest.partition("=")
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            settings.append((key, value))
    return BuildInfo(go_version, path, main, tuple(deps), tuple(settings), text)


def read_elf(data: bytes) -> BuildInfo | None:
    """Build info of a Go ELF binary; ``None`` for anything else (not ELF, not Go, or damaged)."""
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    try:
        elf = _Elf(data)
    except struct.error:
        return None
    start = elf.data_start()
    if start is None:
        return None
    return parse_blob(elf.read(start, _SEARCH), elf)
