"""Binding resolution, table-driven from tektoncd/triggers ``pkg/template/event_test.go``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shipyard.pipelines.triggers.bindings import (
    BindingError,
    BindingParam,
    TemplateParam,
    check_duplicates,
    make_event,
    resolve_params,
)
from shipyard.pipelines.triggers.headers import canonical
from shipyard.pipelines.triggers.jsonpath import find_expressions

OBJECTS = '{"a":"v","c":{"d":"e"},"empty": "","null": null, "number": 42}'
ARRAYS = '[{"a": "b"}, {"c": "d"}, {"e": "f"}]'
CHILD = '{"child":[{"a": "b", "w": "1"}, {"a": "c", "w": "2"}, {"a": "d", "w": "3"}]}'


def _resolve(
    value: str,
    body: str | bytes = b"",
    header: dict[str, list[str]] | None = None,
    extensions: dict[str, Any] | None = None,
) -> str:
    raw = body.encode() if isinstance(body, str) else body
    event = make_event(raw, canonical(header or {}), extensions or {}, "1234567")
    return resolve_params([BindingParam("foo", value)], event, None)["foo"]


# (id citing TestApplyEventValuesToParams, value, body, header, extensions, want)
CASES: list[tuple[str, str, str, dict[str, list[str]] | None, dict[str, Any] | None, str]] = [
    (
        "header with single values",
        "$(header)",
        "",
        {"Header-One": ["val1", "val2"]},
        None,
        '{"Header-One":"val1,val2"}',
    ),
    ("header keys miss-match case", "$(header.header-one)", "", {"Header-One": ["val1"]}, None, "val1"),
    ("header keys match case", "$(header.Header-One)", "", {"Header-One": ["val1"]}, None, "val1"),
    (
        "headers - multiple values joined by comma",
        "$(header.header-one)",
        "",
        {"Header-One": ["val1", "val2"]},
        None,
        "val1,val2",
    ),
    ("no body", "$(body)", "", None, None, "null"),
    ("empty body", "$(body)", "{}", None, None, "{}"),
    ("entire body", "$(body)", OBJECTS, None, None, '{"a":"v","c":{"d":"e"},"empty":"","null":null,"number":42}'),
    ("entire array body", "$(body)", ARRAYS, None, None, ARRAYS.replace(" ", "")),
    ("array key", "$(body.a[1])", '{"a": [{"k": 1}, {"k": 2}, {"k": 3}]}', None, None, '{"k":2}'),
    ("array last key", "$(body.a[-1:])", '{"a": [{"k": 1}, {"k": 2}, {"k": 3}]}', None, None, '{"k":3}'),
    ("body - key with string val", "$(body.a)", OBJECTS, None, None, "v"),
    ("body - key with object val", "$(body.c)", OBJECTS, None, None, '{"d":"e"}'),
    ("body - empty string val", "$(body.empty)", OBJECTS, None, None, ""),
    ("body - null val", "$(body.null)", OBJECTS, None, None, "null"),
    ("body - number val", "$(body.number)", OBJECTS, None, None, "42"),
    ("body with special chars", "$(body)", '{"a": "v\\r\\n烈"}', None, None, '{"a":"v\\r\\n烈"}'),
    (
        "param contains multiple JSONPath expressions",
        "$(body.a): $(body.b)",
        '{"a": "val1", "b": "val2"}',
        None,
        None,
        "val1: val2",
    ),
    (
        "param contains both static values and JSONPath expressions",
        "body.a is: $(body.a)",
        '{"a": "val1"}',
        None,
        None,
        "body.a is: val1",
    ),
    ("Array filters", "$(body.child[?(@.a == 'd')].w)", CHILD, None, None, "3"),
    (
        "filters + multiple JSONPath expressions",
        "$(body.child[?(@.a == 'd')].w) : $(body.child[0].a)",
        CHILD,
        None,
        None,
        "3 : b",
    ),
    ("extensions", "$(extensions.foo)", "", None, {"foo": "bar"}, "bar"),
    (
        "extensions - extract single value from JSON body",
        "$(extensions.foo.bar[1])",
        "",
        None,
        {"foo": {"bar": ["a", "b", "c"]}},
        "b",
    ),
    (
        "extensions - extract JSON values",
        "$(extensions.foo)",
        "",
        None,
        {"foo": [{"a": "1"}, {"b": "2"}]},
        '[{"a":"1"},{"b":"2"}]',
    ),
    ("context.eventID (TestResolveParams values with newlines)", "$(context.eventID)", "", None, None, "1234567"),
    (
        "values with newlines are JSON-escaped (TestResolveParams)",
        "$(body.foo)",
        '{"foo": "bar\\r\\nbaz"}',
        None,
        None,
        "bar\\r\\nbaz",
    ),
    ("escaped dot in a key (docs/triggerbindings.md)", "$(body.a\\.b)", '{"a.b": "dotted"}', None, None, "dotted"),
    ("slice of several values is a JSON array", "$(body.a[0:2])", '{"a": [1, 2, 3]}', None, None, "[1,2]"),
    (
        "quotes in strings are escaped, not quoted (jsonpath.go getResults)",
        "$(body.m)",
        '{"m": "say \\"hi\\""}',
        None,
        None,
        'say \\"hi\\"',
    ),
    (
        "HTML characters are escaped as Go's encoding/json does",
        "$(body.m)",
        '{"m": "<a&b>"}',
        None,
        None,
        "\\u003ca\\u0026b\\u003e",
    ),
    ("nested wrappers collapse to the innermost", "$($(body.a))", '{"a": "v"}', None, None, "$(v)"),
    ("numbers are float64: 42.0 prints as 42", "$(body.n)", '{"n": 42.0}', None, None, "42"),
    ("float64 shortest form", "$(body.n)", '{"n": 1.5}', None, None, "1.5"),
    (
        "big integers lose precision as in Go",
        "$(body.n)",
        '{"n": 12345678901234567890}',
        None,
        None,
        "12345678901234567000",
    ),
    ("exponent form from 1e21", "$(body.n)", '{"n": 1e21}', None, None, "1e+21"),
    ("small exponent without leading zero", "$(body.n)", '{"n": 0.0000001}', None, None, "1e-7"),
    ("numbers inside objects", "$(body.o)", '{"o": {"n": 2.0, "m": [1, 0.5]}}', None, None, '{"m":[1,0.5],"n":2}'),
]


@pytest.mark.parametrize(
    ("value", "body", "header", "extensions", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_apply_event_values_to_params(
    value: str, body: str, header: dict[str, list[str]] | None, extensions: dict[str, Any] | None, want: str
) -> None:
    assert _resolve(value, body, header, extensions) == want


ERRORS = [
    ("missing key", "$(body.missing)", "{}", None),
    ("non JSON body", "$(body)", "{blahblah}", None),
    ("invalid expression(s)", "$(body.[0])", '["a", "b"]', None),
    ("invalid extension", "$(extensions.missing)", "{}", {"foo": "bar"}),
    ("missing header", "$(header.x-nope)", "{}", None),
    ("index out of range", "$(body.a[5])", '{"a": [1]}', None),
]


@pytest.mark.parametrize(("value", "body", "extensions"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_apply_event_values_to_params_error(value: str, body: str, extensions: dict[str, Any] | None) -> None:
    with pytest.raises(BindingError):
        _resolve(value, body, None, extensions)


def test_defaults_merged_and_not_overriding() -> None:
    # TestApplyEventValuesMergeInDefaultParams + TestResolveParams "add default values if param missing from body"
    event = make_event(b'{"foo": "x"}', {}, {}, "1")
    got = resolve_params(
        [BindingParam("p1", "val1"), BindingParam("p2", "$(body.p2)")],
        event,
        [TemplateParam("p2", "defaultVal"), TemplateParam("p3", "three"), TemplateParam("nodefault")],
    )
    assert got == {"p1": "val1", "p2": "defaultVal", "p3": "three"}


def test_default_does_not_override_event_value() -> None:
    event = make_event(b"{}", {}, {}, "1")
    assert resolve_params([BindingParam("p1", "val1")], event, [TemplateParam("p1", "defaultVal")]) == {"p1": "val1"}


def test_missing_value_without_default_fails_the_trigger() -> None:
    event = make_event(b"{}", {}, {}, "1")
    with pytest.raises(BindingError, match="failed to replace JSONPath value for param p1"):
        resolve_params([BindingParam("p1", "$(body.nope)")], event, [TemplateParam("other", "d")])


def test_duplicate_binding_params_are_an_error() -> None:
    # resource.go resolveBindingsToParams: "duplicate param name"
    with pytest.raises(BindingError, match="duplicate param name: a"):
        check_duplicates([BindingParam("a", "1"), BindingParam("a", "2")])


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("$(body)", [("body", "$(body)")]),
        ("$(header.x-github-event)", [("header.X-Github-Event", "$(header.x-github-event)")]),
        ("a $(body.a) b $(body.b(c)) ", [("body.a", "$(body.a)"), ("body.b(c)", "$(body.b(c))")]),
        ("no expressions", []),
        ("$(unterminated", []),
    ],
    ids=["whole body", "header canonicalised", "balanced parens", "none", "unterminated"],
)
def test_find_expressions(value: str, want: list[tuple[str, str]]) -> None:
    # jsonpath.go findTektonExpressions
    assert find_expressions(value) == want


def test_whole_header_is_json_of_joined_values() -> None:
    got = _resolve("$(header)", "", {"one": ["one"], "two": ["one", "two"]})
    assert json.loads(got) == {"One": "one", "Two": "one,two"}
