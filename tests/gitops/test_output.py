"""The rendered YAML stream reads back the same in a YAML 1.1 parser (what `kubectl apply -f -` and Go's yaml.v2
use): strings like "on", "yes", "y", "1:20" are quoted, as kubectl kustomize quotes them."""

from __future__ import annotations

import yaml  # PyYAML: a YAML 1.1 reader, like kubectl's

from shipyard.gitops.kustomize import dump_documents

TRICKY = ["yes", "Yes", "no", "NO", "on", "Off", "y", "n", "true", "False", "1:20", "0b101", "1.0", "0x1f", "~", "null"]


def test_strings_stay_strings_for_a_yaml_1_1_reader() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {v: v for v in TRICKY}}
    assert list(yaml.safe_load_all(dump_documents([obj]))) == [obj]


def test_plain_words_stay_plain() -> None:
    out = dump_documents([{"a": "yesterday", "b": "online", "c": True, "d": 3}])
    assert out == "a: yesterday\nb: online\nc: true\nd: 3\n"
