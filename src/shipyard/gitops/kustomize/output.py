"""Reading manifests fast and writing kustomize build's YAML stream (documents separated by ``---``)."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import SafeRepresenter

from shipyard.errors import SpecError
from shipyard.resources.loader import load_file


def _plain(node: Any) -> bool:
    if isinstance(node, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in node.items())
    if isinstance(node, list):
        return all(_plain(v) for v in node)
    return not isinstance(node, datetime.date | bytes)


MAX_NODES = 1_000_000  # per document, counting every alias expansion


def ensure_bounded(data: Any, where: str) -> Any:
    """A document whose aliases expand past ``MAX_NODES`` nodes (a "billion laughs" bomb) is refused: every
    transformer walks the expanded tree, so a few hundred bytes in a GitOps repo would stall the sync agent."""
    budget = MAX_NODES
    stack = [data]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise SpecError(f"document expands to more than {MAX_NODES} nodes (YAML alias bomb?)", file=where)
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return data


def precheck(text: str, where: str) -> str:
    """Refuse an alias bomb *before* the line-tracking loader sees it (that loader copies every alias into
    plain dicts, so the expansion itself would take minutes). Parse errors are left to that loader, which
    reports them with file:line."""
    try:
        for doc in YAML(typ="safe").load_all(text):
            ensure_bounded(doc, where)
    except YAMLError:
        pass
    return text


def load_manifests(path: Path) -> list[tuple[Any, int | None]]:
    """``(data, line)`` per document. The C loader is the fast path; anything it cannot give as plain JSON-like
    data (timestamps, binary) or cannot parse goes through the line-tracking loader, which also makes the error
    message (file:line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read manifest: {exc}", file=str(path)) from exc
    try:
        docs = [ensure_bounded(d, str(path)) for d in YAML(typ="safe").load_all(text) if d is not None]
        if all(_plain(d) for d in docs):
            return [(d, None) for d in docs]
    except YAMLError:
        pass
    precheck(text, str(path))
    return [(ensure_bounded(d.data, str(path)), d.line) for d in load_file(path)]


# Plain scalars a YAML 1.1 reader (kubectl apply, Go's yaml.v2, PyYAML) resolves to something other than a string:
# booleans like yes/on/y, sexagesimal and binary numbers. kubectl kustomize quotes them; so must we, or
# `shipyard gitops render | kubectl apply -f -` turns `value: "on"` into true.
_YAML11 = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|[-+]?0b[01_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$"
)


def _str(representer: SafeRepresenter, data: str) -> ScalarNode:
    if _YAML11.match(data):
        node: ScalarNode = representer.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    else:
        node = representer.represent_str(data)
    return node


def dump_documents(objs: list[dict[str, Any]]) -> str:
    y = YAML(typ="safe")
    y.default_flow_style = False  # before y.representer is first touched: it is built from these settings
    y.width = 4096
    y.representer.add_representer(str, _str)
    buf = io.StringIO()
    y.dump_all(objs, buf)
    return buf.getvalue()
