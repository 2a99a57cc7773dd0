"""Decode one OSV record file (JSON or YAML by its name) into a ``Vulnerability``; errors name the file."""

from __future__ import annotations

import json
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from shipyard.errors import SpecError
from shipyard.supplychain.vuln.osv import Vulnerability, parse_record

SUFFIXES = (".json", ".yaml", ".yml")


def is_record_name(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.endswith(SUFFIXES) and not base.startswith(".")


def decode(data: bytes, name: str) -> Any:
    try:
        if name.endswith(".json"):
            return json.loads(data)
        return YAML(typ="safe").load(data.decode("utf-8"))
    except (ValueError, YAMLError) as exc:
        # UnicodeDecodeError and JSONDecodeError are ValueErrors.
        raise SpecError(f"not valid {'JSON' if name.endswith('.json') else 'YAML'}: {exc}", file=name) from exc


def load_record(data: bytes, name: str) -> Vulnerability:
    return parse_record(decode(data, name), file=name)
