"""Variable expansion and word splitting for Dockerfile arguments (BuildKit ``frontend/dockerfile/shell/lex.go``).

Supported: ``$VAR``, ``${VAR}``, ``${VAR:-word}``, ``${VAR-word}``, ``${VAR:+word}``, ``${VAR+word}``,
``${VAR:?message}``, ``${VAR?message}``; single quotes are literal; double quotes group and still expand; the
escape character (``\\`` or the ``# escape=`` one) makes the next character literal. An unset variable
expands to the empty string. ``RUN``, ``CMD`` and ``ENTRYPOINT`` are not expanded by the builder (the shell
in the container does that).
"""

from __future__ import annotations

from collections.abc import Mapping

from shipyard.errors import SpecError


class Lexer:
    def __init__(self, escape: str = "\\") -> None:
        self.escape = escape

    def word(self, text: str, env: Mapping[str, str]) -> str:
        """Expand ``text`` as one word: quotes removed, whitespace kept."""
        words = self._process(text, env, split=False)
        return words[0] if words else ""

    def words(self, text: str, env: Mapping[str, str]) -> list[str]:
        """Expand and split on unquoted whitespace."""
        return self._process(text, env, split=True)

    def _process(self, text: str, env: Mapping[str, str], *, split: bool) -> list[str]:
        out: list[str] = []
        cur: list[str] = []
        have_word = False
        i, n = 0, len(text)
        esc = self.escape
        while i < n:
            ch = text[i]
            if split and ch in " \t\n":
                if have_word:
                    out.append("".join(cur))
                    cur, have_word = [], False
                i += 1
                continue
            have_word = True
            if ch == esc:
                if i + 1 < n:
                    cur.append(text[i + 1])
                    i += 2
                else:
                    cur.append(ch)
                    i += 1
            elif ch == "'":
                end = text.find("'", i + 1)
                if end < 0:
                    raise SpecError(f"unexpected end of statement while looking for matching single-quote in {text!r}")
                cur.append(text[i + 1 : end])
                i = end + 1
            elif ch == '"':
                i += 1
                while True:
                    if i >= n:
                        raise SpecError(
                            f"unexpected end of statement while looking for matching double-quote in {text!r}"
                        )
                    c = text[i]
                    if c == '"':
                        i += 1
                        break
                    if c == esc and i + 1 < n and text[i + 1] in ('"', "$", esc):
                        cur.append(text[i + 1])
                        i += 2
                    elif c == "$":
                        value, i = self._dollar(text, i, env)
                        cur.append(value)
                    else:
                        cur.append(c)
                        i += 1
            elif ch == "$":
                value, i = self._dollar(text, i, env)
                if not split:
                    cur.append(value)
                    continue
                # lex.go wordsStruct.addString: an unquoted expansion is split on whitespace
                for c in value:
                    if c in " \t\n":
                        if have_word and cur:
                            out.append("".join(cur))
                            cur = []
                        have_word = False
                    else:
                        cur.append(c)
                        have_word = True
            else:
                cur.append(ch)
                i += 1
        if have_word or not split:
            out.append("".join(cur))
        return out

    def _dollar(self, text: str, i: int, env: Mapping[str, str]) -> tuple[str, int]:
        n = len(text)
        j = i + 1
        if j < n and text[j] == "{":
            depth, k = 1, j + 1
            while k < n and depth:
                if text[k] == "{":
                    depth += 1
                elif text[k] == "}":
                    depth -= 1
                k += 1
            if depth:
                raise SpecError(f"missing '}}' in {text!r}")
            return self._brace(text[j + 1 : k - 1], env, text), k
        k = j
        if k < n and text[k].isdigit():  # positional: $1 is one digit long
            k += 1
        else:
            while k < n and (text[k].isalnum() or text[k] == "_"):
                k += 1
        if k == j:
            return "$", j
        return env.get(text[j:k], ""), k

    def _brace(self, inner: str, env: Mapping[str, str], whole: str) -> str:
        name_end = 0
        while name_end < len(inner) and (inner[name_end].isalnum() or inner[name_end] == "_"):
            name_end += 1
        name, op = inner[:name_end], inner[name_end:]
        if not name:
            raise SpecError(f"bad substitution in {whole!r}")
        if not op:
            return env.get(name, "")
        is_set = name in env
        value = env.get(name, "")
        for prefix in (":-", ":+", ":?", "-", "+", "?"):
            if op.startswith(prefix):
                word = self.word(op[len(prefix) :], env)
                colon = prefix.startswith(":")
                present = (is_set and value != "") if colon else is_set
                kind = prefix[-1]
                if kind == "-":
                    return value if present else word
                if kind == "+":
                    return word if present else ""
                if not present:
                    raise SpecError(f"{name}: {word or 'is not allowed to be unset'}")
                return value
        raise SpecError(f"unsupported modifier ({op}) in substitution {whole!r}")
