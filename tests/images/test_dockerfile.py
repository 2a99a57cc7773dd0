"""Dockerfile parsing and expansion, each case after BuildKit's frontend/dockerfile parser and shell lexer."""

from __future__ import annotations

import pytest

from shipyard.errors import SpecError, UnsupportedError
from shipyard.images.dockerfile import Lexer, load_dockerfile, needed_stages, parse_dockerfile


def test_continuations_comments_and_blank_lines() -> None:
    text = "FROM a\nRUN echo one \\\n# a comment inside\n\n    two \\\n  three\n# trailing\nCMD x\n"
    p = parse_dockerfile(text)
    assert [(i.keyword, i.line) for i in p.instructions] == [("FROM", 1), ("RUN", 2), ("CMD", 8)]
    assert p.instructions[1].rest == "echo one     two   three"


def test_escape_directive_backtick() -> None:
    text = "# escape=`\n# syntax=docker/dockerfile:1\nFROM a\nRUN dir c:\\ `\n  && echo hi\n"
    p = parse_dockerfile(text)
    assert p.escape == "`"
    assert p.directives == {"escape": "`", "syntax": "docker/dockerfile:1"}
    assert p.instructions[1].rest == "dir c:\\   && echo hi"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# escape=x\nFROM a\n", "invalid escape token"),
        ("# escape=\\\n# escape=`\nFROM a\n", "only one escape"),
        ("FROM a\nFOO bar\n", "unknown instruction: FOO"),
        ("FROM a\nCOPY --form=x a b\n", "unknown flag: --form"),
        ("FROM a\nRUN --chown=1 true\n", "unknown flag: --chown"),
        ("RUN true\n", "first instruction must be FROM"),
        ("FROM a b\n", "one or three arguments"),
        ("FROM a AS 1x\n", "invalid name for build stage"),
        ("FROM a AS x\nFROM b AS x\n", "duplicate stage name"),
        ("FROM a\nRUN <<EOF\nnever closed\n", "unterminated heredoc"),
        ("# just a comment\n", "no FROM"),
    ],
    ids=[
        "escape-value",
        "directive-twice",
        "unknown-instruction",
        "unknown-flag",
        "flag-of-other-instruction",
        "no-from",
        "from-args",
        "stage-name",
        "stage-dup",
        "heredoc",
        "empty",
    ],
)
def test_errors_name_file_line_and_instruction(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message) as err:
        load_dockerfile(text, "ctx/Dockerfile")
    assert err.value.issue.file == "ctx/Dockerfile"
    assert err.value.issue.line is not None


def test_unknown_instruction_error_points_at_its_line() -> None:
    with pytest.raises(SpecError) as err:
        load_dockerfile("FROM a\n\nRUN true\nBOGUS x\n", "Dockerfile")
    assert str(err.value) == "Dockerfile:4 BOGUS: unknown instruction: BOGUS"


@pytest.mark.parametrize(
    "text",
    [
        "FROM a\nRUN --mount=type=cache,target=/c true\n",
        "FROM a\nCOPY --parents a b\n",
        "FROM a\nADD --checksum=sha256:x a b\n",
    ],
    ids=["run-mount", "copy-parents", "add-checksum"],
)
def test_known_but_unimplemented_flags_are_unsupported(text: str) -> None:
    with pytest.raises(UnsupportedError):
        load_dockerfile(text)


def test_heredocs() -> None:
    text = "FROM a\nRUN <<EOF\necho a\necho b\nEOF\nRUN <<-'X' cat\n\tliteral $HOME\n\tX\nCMD done\n"
    p = parse_dockerfile(text)
    run1, run2 = p.instructions[1], p.instructions[2]
    assert run1.heredocs[0].name == "EOF" and run1.heredocs[0].content == "echo a\necho b\n" and run1.heredocs[0].expand
    assert run2.heredocs[0].content == "literal $HOME\n" and not run2.heredocs[0].expand and run2.heredocs[0].chomp
    assert p.instructions[3].keyword == "CMD" and p.instructions[3].line == 9


def test_exec_and_shell_forms() -> None:
    p = parse_dockerfile('FROM a\nCMD ["a", "b c"]\nCMD a "b c"\nENTRYPOINT [not json\n')
    assert p.instructions[1].exec_form == ("a", "b c")
    assert p.instructions[2].exec_form is None
    assert p.instructions[3].exec_form is None  # invalid JSON falls back to shell form, as docker does


def test_flags_and_case_insensitive_keywords() -> None:
    p = parse_dockerfile("from a\ncopy --from=build --chown=1:2 --link src dst\n")
    c = p.instructions[1]
    assert c.keyword == "COPY"
    assert c.flags == (("from", "build"), ("chown", "1:2"), ("link", None))
    assert c.rest == "src dst"


ENV = {"A": "a", "EMPTY": "", "SP": "x y"}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("$A", "a"),
        ("${A}", "a"),
        ("pre${A}post", "preapost"),
        ("${UNSET}", ""),
        ("${UNSET:-dflt}", "dflt"),
        ("${EMPTY:-dflt}", "dflt"),
        ("${EMPTY-dflt}", ""),
        ("${UNSET-dflt}", "dflt"),
        ("${A:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET:-${A}}", "a"),
        ("'$A'", "$A"),
        ('"$A b"', "a b"),
        ("\\$A", "$A"),
        ('"\\"q\\""', '"q"'),
        ("$", "$"),
        ("$1x", "x"),  # lex.go: a name starting with a digit is that one digit
    ],
    ids=lambda v: str(v),
)
def test_expansion(word: str, expected: str) -> None:
    assert Lexer().word(word, ENV) == expected


def test_word_splitting_keeps_quoted_spaces() -> None:
    assert Lexer().words('a "b c" $SP d\\ e', ENV) == ["a", "b c", "x", "y", "d e"]


def test_required_variable_error() -> None:
    with pytest.raises(SpecError, match="UNSET: must be set"):
        Lexer().word("${UNSET:?must be set}", ENV)


def test_only_needed_stages_in_order() -> None:
    df = load_dockerfile(
        "ARG V=1\nFROM a AS deps\nFROM a AS unused\nRUN false\nFROM deps AS build\nFROM a AS tools\n"
        "FROM b\nCOPY --from=build /x /x\nCOPY --from=tools /y /y\n"
    )
    assert [i.keyword for i in df.global_args] == ["ARG"]
    names = [s.name for s in needed_stages(df, df.stages[-1], {})]
    assert names == ["deps", "build", "tools", None]
    assert [s.name for s in needed_stages(df, df.stage("build"), {})] == ["deps", "build"]
    with pytest.raises(SpecError, match="could not be found"):
        df.stage("nope")
