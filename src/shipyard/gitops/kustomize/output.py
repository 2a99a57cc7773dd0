"""kustomize build's YAML stream: documents separated by ``---``."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML


def dump_documents(objs: list[dict[str, Any]]) -> str:
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    y.width = 4096
    y.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    parts = []
    for obj in objs:
        buf = io.StringIO()
        y.dump(obj, buf)
        parts.append(buf.getvalue())
    return "---\n".join(parts)
