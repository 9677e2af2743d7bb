# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading ``reg query`` output (reg query, Microsoft Learn).

Layout, as Wine's conformance tests check it on real Windows: a blank line, the key in long form
(``HKEY_LOCAL_MACHINE\\...``), one line per value (4 spaces, name, 4 spaces, type, 4 spaces, data),
a blank line. Without /s the subkeys follow, one per line, after the values (and the key itself is
not printed when it has no values); with /s every key is printed with its values and a blank line.
Searches (/f, or /v with /s) end with ``End of search: N match(es) found.``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError, split_lines

__all__ = ["RegKey", "RegValue", "parse_reg_query"]

_TOOL = "reg query"
_KEY = re.compile(r"HKEY_(?:LOCAL_MACHINE|CURRENT_USER|CLASSES_ROOT|USERS|CURRENT_CONFIG)(?:\\.+)?")
# The name is the shortest text before "    REG_<type>" followed by 4 spaces or the end of the line,
# so names with spaces and data with runs of 4 spaces both survive.
_VALUE = re.compile(r"    (?P<name>.+?)    (?P<type>REG_[A-Z_]+)(?:    (?P<data>.*))?")
_END_OF_SEARCH = re.compile(r"End of search: (?P<count>[0-9]+) match\(es\) found\.")
_DEFAULT_NAME = "(Default)"
_NOT_SET = "(value not set)"
_CONVERTED = frozenset(("REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ", "REG_DWORD", "REG_QWORD", "REG_BINARY"))
# Types reg can show whose display is not documented: their data is kept as printed.
_AS_PRINTED = frozenset(
    (
        "REG_NONE",
        "REG_LINK",
        "REG_DWORD_BIG_ENDIAN",
        "REG_DWORD_LITTLE_ENDIAN",
        "REG_RESOURCE_LIST",
        "REG_FULL_RESOURCE_DESCRIPTOR",
        "REG_RESOURCE_REQUIREMENTS_LIST",
    )
)
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_BINARY = re.compile(r"(?:[0-9a-fA-F]{2})*")
_LOCALIZED_HINT = "Lifeline reads en-US reg output only"

RegData = str | int | bytes | tuple[str, ...]


@dataclass(frozen=True)
class RegValue:
    """A registry value. ``name`` is ``""`` for the default value (reg shows ``(Default)``).

    ``data`` by type: REG_SZ and REG_EXPAND_SZ a str (not expanded), REG_DWORD and REG_QWORD an int,
    REG_MULTI_SZ a tuple of str, REG_BINARY bytes; other types the text reg printed.
    """

    name: str
    type: str
    data: RegData


@dataclass(frozen=True)
class RegKey:
    """A registry key as reg query printed it: its path in long form (``HKEY_LOCAL_MACHINE\\...``, the
    rest in the case the caller typed), its values, and the subkeys reg listed (plain query only: in
    /s output every subkey is a RegKey of its own). A default value shown as ``(value not set)`` does
    not exist and is left out.
    """

    path: str
    values: tuple[RegValue, ...] = ()
    subkeys: tuple[str, ...] = ()

    def value(self, name: str) -> RegValue | None:
        """The value called ``name`` (case-insensitive, like the registry; ``""`` for the default), or None."""
        folded = name.casefold()
        return next((value for value in self.values if value.name.casefold() == folded), None)


def parse_reg_query(text: str, recursive: bool = False) -> list[RegKey]:
    """The keys in ``reg query`` output; ``recursive`` says whether the query had /s.

    Without /s the result is one RegKey (the queried key, with its values and subkeys); with /s one
    per key printed. Empty output gives ``[]``: reg printed nothing to list (exit code 1 means the
    key or value does not exist). Raises ParseError for anything else, such as a localized
    ``(Default)`` name or summary line.
    """
    blocks = _blocks(split_lines(text))
    if recursive:
        return [_recursive_key(block) for block in blocks]
    return _plain_query(blocks)


_Line = tuple[int, str]


def _blocks(lines: list[str]) -> list[list[_Line]]:
    """The runs of non-blank lines, up to the "End of search" line that closes a search."""
    blocks: list[list[_Line]] = []
    current: list[_Line] = []
    searched = False
    for number, line in enumerate(lines, start=1):
        if searched:
            if line.strip():
                raise ParseError(_TOOL, "text after the 'End of search' line", number, line)
            continue
        if _END_OF_SEARCH.fullmatch(line):
            searched = True
        elif line.strip():
            current.append((number, line))
            continue
        if current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _recursive_key(block: list[_Line]) -> RegKey:
    """One block of /s output: a key line, then its values."""
    path = _key_line(block[0])
    values = []
    for number, line in block[1:]:
        if _KEY.fullmatch(line):
            raise ParseError(
                _TOOL, "a second key in one block; /s output has a blank line after every key", number, line
            )
        values.append(_value_line(number, line))
    return RegKey(path, tuple(_existing(values)))


def _plain_query(blocks: list[list[_Line]]) -> list[RegKey]:
    """Plain output: [key + values], then [subkey lines]; either may be missing."""
    if not blocks:
        return []
    if len(blocks) > 2:
        number, line = blocks[2][0]
        raise ParseError(_TOOL, "more than a key's values and its subkeys (was this /s output?)", number, line)
    first = blocks[0]
    has_values = len(first) > 1 and not _KEY.fullmatch(first[1][1])
    if has_values:
        path = _key_line(first[0])
        values = [_value_line(number, line) for number, line in first[1:]]
        subkey_block = blocks[1] if len(blocks) == 2 else []
    else:
        if len(blocks) == 2:
            number, line = blocks[1][0]
            raise ParseError(_TOOL, "a second list of subkeys", number, line)
        path, values, subkey_block = None, [], first
    for number, line in subkey_block[1:]:
        if _VALUE.fullmatch(line):
            raise ParseError(_TOOL, "a value under a subkey (was this /s output? say recursive=True)", number, line)
    subkeys = [_key_line(entry) for entry in subkey_block]
    if path is None:
        path = _parent(subkey_block[0])
    for (number, line), subkey in zip(subkey_block, subkeys, strict=True):
        if subkey.rpartition("\\")[0].casefold() != path.casefold():
            raise ParseError(_TOOL, f"not a direct subkey of {path!r}", number, line)
    return [RegKey(path, tuple(_existing(values)), tuple(subkeys))]


def _parent(entry: _Line) -> str:
    number, line = entry
    parent = _key_line(entry).rpartition("\\")[0]
    if not parent:
        raise ParseError(_TOOL, "a root key cannot be a subkey", number, line)
    return parent


def _key_line(entry: _Line) -> str:
    number, line = entry
    if _KEY.fullmatch(line):
        return line
    if _VALUE.fullmatch(line):
        raise ParseError(_TOOL, "a value line where a key line (HKEY_...) was expected", number, line)
    raise ParseError(_TOOL, f"neither a key (HKEY_...) nor a value line; {_LOCALIZED_HINT}", number, line)


def _value_line(number: int, line: str) -> RegValue | None:
    """The value on ``line``; None for a default value that is not set."""
    match = _VALUE.fullmatch(line)
    if not match:
        raise ParseError(_TOOL, f"not a value line ('    name    REG_type    data'); {_LOCALIZED_HINT}", number, line)
    name, type_, data = match.group("name"), match.group("type"), match.group("data") or ""
    if name == _DEFAULT_NAME:
        if data == _NOT_SET and type_ == "REG_SZ":
            return None
        name = ""
    elif name.startswith("(") and name.endswith(")"):
        raise ParseError(_TOOL, f"looks like a localized '(Default)'; {_LOCALIZED_HINT}", number, line)
    return RegValue(name, type_, _data(type_, data, number, line))


def _data(type_: str, data: str, number: int, line: str) -> RegData:
    if type_ in ("REG_SZ", "REG_EXPAND_SZ"):
        return data
    if type_ == "REG_MULTI_SZ":
        return tuple(data.split("\\0")) if data else ()
    if type_ in ("REG_DWORD", "REG_QWORD"):
        bits = 32 if type_ == "REG_DWORD" else 64
        if not _HEX.fullmatch(data) or int(data, 16) >= 1 << bits:
            raise ParseError(_TOOL, f"{type_} data is not a {bits}-bit 0x hexadecimal number", number, line)
        return int(data, 16)
    if type_ == "REG_BINARY":
        if not _BINARY.fullmatch(data):
            raise ParseError(_TOOL, "REG_BINARY data is not pairs of hexadecimal digits", number, line)
        return bytes.fromhex(data)
    if type_ in _AS_PRINTED:
        return data
    raise ParseError(_TOOL, f"unknown registry type {type_}", number, line)


def _existing(values: list[RegValue | None]) -> list[RegValue]:
    return [value for value in values if value is not None]
