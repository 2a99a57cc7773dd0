"""Read multi-document YAML into plain Python data while remembering where every node came from.

A ``Document`` carries the plain ``data`` (dicts, lists, str, int, float, bool, None) that models validate, and
``lines``: for every path (a tuple of keys and indexes) the 1-based line it starts on, so any validation error can
name ``file:line field.path``. Duplicate keys and YAML syntax errors are ``SpecError``s with the position.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from shipyard.errors import SpecError

PathKey = tuple[str | int, ...]


@dataclass(slots=True)
class Document:
    """One YAML document: its data, its source file, its index in the file, and a line for every node."""

    data: Any
    file: str
    index: int = 0
    lines: dict[PathKey, int] = field(default_factory=dict)

    @property
    def kind(self) -> str | None:
        return self.data.get("kind") if isinstance(self.data, Mapping) else None

    @property
    def api_version(self) -> str | None:
        return self.data.get("apiVersion") if isinstance(self.data, Mapping) else None

    @property
    def name(self) -> str | None:
        if not isinstance(self.data, Mapping):
            return None
        meta = self.data.get("metadata")
        if not isinstance(meta, Mapping):
            return None
        value = meta.get("name") or meta.get("generateName")
        return value if isinstance(value, str) else None

    @property
    def line(self) -> int | None:
        return self.lines.get(())

    def line_of(self, path: PathKey) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return None
            p = p[:-1]


class _TooLarge(Exception):
    pass


def format_path(path: PathKey) -> str:
    """``("spec", "tasks", 2, "runAfter")`` → ``spec.tasks[2].runAfter``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    return y


# A document may expand to at most this many nodes once aliases are followed: a "billion laughs" alias bomb
# otherwise takes minutes and gigabytes to expand (Kubernetes' YAML decoder guards the same way).
MAX_NODES = 1_000_000


class _Budget:
    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_NODES


def _plain(node: Any, path: PathKey, lines: dict[PathKey, int], budget: _Budget | None = None) -> Any:
    if budget is not None:
        budget.left -= 1
        if budget.left < 0:
            raise _TooLarge
    if isinstance(node, CommentedMap):
        if node.lc.line is not None:
            lines.setdefault(path, node.lc.line + 1)
        out: dict[str, Any] = {}
        for key, value in node.items():
            skey = key if isinstance(key, str) else str(key)
            try:
                kline = node.lc.key(key)[0] + 1
            except (KeyError, TypeError, AttributeError):
                kline = None
            if kline is not None:
                lines[(*path, skey)] = kline
            out[skey] = _plain(value, (*path, skey), lines, budget)
        return out
    if isinstance(node, CommentedSeq):
        if node.lc.line is not None:
            lines.setdefault(path, node.lc.line + 1)
        items: list[Any] = []
        for i, value in enumerate(node):
            try:
                iline = node.lc.item(i)[0] + 1
            except (KeyError, TypeError, AttributeError, IndexError):
                iline = None
            if iline is not None:
                lines[(*path, i)] = iline
            items.append(_plain(value, (*path, i), lines, budget))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    # Timestamps, binary and other YAML scalar types: keep their text form, as Kubernetes' JSON decoding would.
    return str(node)


def loads(text: str, file: str = "<string>") -> list[Document]:
    """Parse every document in ``text``; empty documents are dropped."""
    docs: list[Document] = []
    try:
        for index, node in enumerate(_yaml().load_all(io.StringIO(text))):
            if node is None:
                continue
            lines: dict[PathKey, int] = {}
            try:
                data = _plain(node, (), lines, _Budget())
            except _TooLarge:
                raise SpecError(
                    f"document {index + 1} expands to more than {MAX_NODES:,} nodes through YAML aliases; refusing it",
                    file=file,
                ) from None
            docs.append(Document(data=data, file=file, index=index, lines=lines))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError(f"invalid YAML: {problem}", file=file, line=line) from exc
    except YAMLError as exc:
        raise SpecError(f"invalid YAML: {exc}", file=file) from exc
    return docs


def load_file(path: str | Path) -> list[Document]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SpecError("no such file", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text: {exc.reason} at byte {exc.start}", file=str(path)) from exc
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", file=str(path)) from exc
    return loads(text, file=str(path))


def iter_yaml_files(directory: str | Path) -> Iterator[Path]:
    for p in sorted(Path(directory).rglob("*")):
        if p.is_file() and p.suffix in (".yaml", ".yml", ".json"):
            yield p


def load_documents(paths: list[str | Path]) -> list[Document]:
    """Load files and directories (recursively, ``*.yaml|*.yml|*.json``) in the order given."""
    docs: list[Document] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            for f in iter_yaml_files(p):
                docs.extend(load_file(f))
        else:
            docs.extend(load_file(p))
    return docs
