"""Reading manifests fast and writing kustomize build's YAML stream (documents separated by ``---``)."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from shipyard.errors import SpecError
from shipyard.resources.loader import load_file


def _plain(node: Any) -> bool:
    if isinstance(node, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in node.items())
    if isinstance(node, list):
        return all(_plain(v) for v in node)
    return not isinstance(node, datetime.date | bytes)


def load_manifests(path: Path) -> list[tuple[Any, int | None]]:
    """``(data, line)`` per document. The C loader is the fast path; anything it cannot give as plain JSON-like
    data (timestamps, binary) or cannot parse goes through the line-tracking loader, which also makes the error
    message (file:line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read manifest: {exc}", file=str(path)) from exc
    try:
        docs = [d for d in YAML(typ="safe").load_all(text) if d is not None]
        if all(_plain(d) for d in docs):
            return [(d, None) for d in docs]
    except YAMLError:
        pass
    return [(d.data, d.line) for d in load_file(path)]


def dump_documents(objs: list[dict[str, Any]]) -> str:
    y = YAML(typ="safe")
    y.default_flow_style = False
    y.width = 4096
    buf = io.StringIO()
    y.dump_all(objs, buf)
    return buf.getvalue()
