"""String literals, escapes and variable names as the PowerShell 5.1 tokenizer reads them (about_Quoting_Rules,
about_Special_Characters, about_Variables).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"  # PowerShell also accepts the typographic single quotes

# Backtick escapes of Windows PowerShell 5.1 (`e and `u{} came with PowerShell 6 and are plain letters here).
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def unescape(text: str, *, doubled_quotes: bool = False) -> str:
    """Apply backtick escapes; in a double-quoted string "" is also one quote."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "`" and index + 1 < len(text):
            following = text[index + 1]
            out.append(_ESCAPES.get(following, following))
            index += 2
            continue
        if doubled_quotes and char == '"' and text[index + 1 : index + 2] == '"':
            index += 1
        out.append(char)
        index += 1
    return "".join(out)


def verbatim(text: str) -> str:
    """The value of a single-quoted literal: no escapes, a doubled quote is one quote."""
    body = text[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char in SINGLE_QUOTES and index + 1 < len(body) and body[index + 1] in SINGLE_QUOTES:
            index += 1
            char = body[index]
        out.append(char)
        index += 1
    return "".join(out)


_HERE_STRING = re.compile(r"\A@[\"']\s*?\r?\n(.*)\r?\n[\"']@\Z", re.DOTALL)
_EMPTY_HERE_STRING = re.compile(r"\A@[\"']\s*?\r?\n[\"']@\Z")


def here_string_body(text: str) -> tuple[int, int]:
    """(start, end) of a here-string's content: from after the opening line to before the closing line."""
    if _EMPTY_HERE_STRING.match(text):
        start = text.index("\n") + 1
        return start, start
    match = _HERE_STRING.match(text)
    if match is None:
        return 2, len(text) - 2
    return match.start(1), match.end(1)


@dataclass(frozen=True)
class VariablePath:
    """A variable reference: optional drive/scope qualifier (env, global, script, local, ...) and name."""

    qualifier: str
    name: str
    splat: bool = False

    @property
    def display(self) -> str:
        """How PowerShell names it in messages, e.g. `env:TEMP` or `x`."""
        return f"{self.qualifier}:{self.name}" if self.qualifier else self.name


def parse_variable(text: str) -> VariablePath:
    """`$x`, `${x y}`, `$env:TEMP`, `$global:x`, `@splat`, `$?` ... as qualifier and name."""
    splat = text.startswith("@")
    body = text[1:]
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    qualifier, sep, name = body.partition(":")
    if not sep or not qualifier:
        return VariablePath("", body, splat)
    return VariablePath(qualifier.lower(), name, splat)


_BAREWORD_VARIABLE = re.compile(r"\$(\{[^}]*\}|[A-Za-z_][\w]*(?::[\w]+)?|[?$^])")


def bareword_parts(text: str) -> list[str | VariablePath] | None:
    """Split an unquoted command argument into literal text and variable references, escapes applied.

    Returns None when it holds a `$(...)` subexpression (tree-sitter leaves those inside generic tokens).
    """
    parts: list[str | VariablePath] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "`" and index + 1 < len(text):
            following = text[index + 1]
            literal.append(_ESCAPES.get(following, following))
            index += 2
            continue
        if char == "$":
            if text.startswith("$(", index):
                return None
            match = _BAREWORD_VARIABLE.match(text, index)
            if match is not None:
                if literal:
                    parts.append("".join(literal))
                    literal = []
                parts.append(parse_variable(match.group(0)))
                index = match.end()
                continue
        literal.append(char)
        index += 1
    if literal or not parts:
        parts.append("".join(literal))
    return parts
