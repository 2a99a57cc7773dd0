from __future__ import annotations

import pytest

from shipyard.errors import SpecError
from shipyard.resources.loader import format_path, loads


def test_lines_are_kept_for_every_node() -> None:
    docs = loads(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: '1'\n---\nkind: Other\nlist:\n  - 1\n  - two\n",
        file="f.yaml",
    )
    assert [d.kind for d in docs] == ["ConfigMap", "Other"]
    assert docs[0].line_of(("data", "a")) == 6
    assert docs[1].line_of(("list", 1)) == 11
    assert docs[1].line_of(("list", 1, "missing")) == 11
    assert docs[0].name == "x"


def test_yaml_syntax_error_has_file_and_line() -> None:
    with pytest.raises(SpecError) as info:
        loads("a: 1\nb: [1, 2\nc: 3\n", file="bad.yaml")
    assert info.value.issue.file == "bad.yaml"
    assert info.value.issue.line is not None and info.value.issue.line >= 2


def test_duplicate_keys_are_an_error() -> None:
    with pytest.raises(SpecError, match="duplicate"):
        loads("a: 1\na: 2\n", file="dup.yaml")


@pytest.mark.parametrize(
    ("path", "text"),
    [((), ""), (("spec", "tasks", 2, "runAfter"), "spec.tasks[2].runAfter"), (("a", 0, 1), "a[0][1]")],
)
def test_format_path(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(SpecError, match="expands to more than"):
        loads("\n".join(lines) + "\n", file="bomb.yaml")


def test_aliases_within_budget_still_expand() -> None:
    docs = loads("base: &b {x: 1}\ncopy: *b\n", file="ok.yaml")
    assert docs[0].data == {"base": {"x": 1}, "copy": {"x": 1}}
