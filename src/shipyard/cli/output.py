"""Rendering shared by every command: rich for people, ``-o json|yaml`` for scripts."""

from __future__ import annotations

import enum
import io
import json
import sys
from typing import Any

from rich.console import Console
from ruamel.yaml import YAML

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class OutputFormat(enum.StrEnum):
    json = "json"
    yaml = "yaml"


def dump_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False)


def dump_yaml(obj: Any) -> str:
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    buf = io.StringIO()
    y.dump(obj, buf)
    return buf.getvalue()


def emit(obj: Any, fmt: OutputFormat | str) -> None:
    """Print ``obj`` for a script to read."""
    text = dump_json(obj) if OutputFormat(fmt) is OutputFormat.json else dump_yaml(obj)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
