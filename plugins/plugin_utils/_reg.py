# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""reg.exe: the calls Lifeline makes and reading what ``reg query`` prints (reg query, reg add, reg delete, reg load,
reg unload; Microsoft Learn).

Calls: every key, value name and datum is checked against reg's documented syntax and refused with a ValueError
naming it before anything is built; a builder returns the call (``NativeCall``) for a script to place
(``_powershell.py``). ``hive_root`` and ``with_hive_loaded`` read or change a SYSTEM hive live or offline: the
offline one loaded with reg load and ALWAYS unloaded (finally).

Output of ``reg query``, as Wine's conformance tests check it on real Windows: a blank line, the key in long form
(``HKEY_LOCAL_MACHINE\\...``), one line per value (4 spaces, name, 4 spaces, type, 4 spaces, data), a blank line.
Without /s the subkeys follow, one per line, after the values (and the key itself is not printed when it has no
values); with /s every key is printed with its values and a blank line. Searches (/f, or /v with /s) end with
``End of search: N match(es) found.``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _report
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import flag, integer, shown, windows_path
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import text as _text
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError, split_lines
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import NativeCall

__all__ = [
    "REGISTRY_ROOTS",
    "REGISTRY_TYPES",
    "RegKey",
    "RegValue",
    "hive_root",
    "parse_reg_query",
    "reg_add",
    "reg_delete_key",
    "reg_delete_value",
    "reg_load",
    "reg_query",
    "reg_unload",
    "with_hive_loaded",
]

# reg: "Valid root keys for the local computer are: HKLM, HKCU, HKCR, HKU, and HKCC" (reg add/query).
REGISTRY_ROOTS = {
    "HKLM": "HKLM",
    "HKEY_LOCAL_MACHINE": "HKLM",
    "HKCU": "HKCU",
    "HKEY_CURRENT_USER": "HKCU",
    "HKCR": "HKCR",
    "HKEY_CLASSES_ROOT": "HKCR",
    "HKU": "HKU",
    "HKEY_USERS": "HKU",
    "HKCC": "HKCC",
    "HKEY_CURRENT_CONFIG": "HKCC",
}
# The reg add types Lifeline writes (reg add /t; REG_QWORD is in reg add /? of current Windows).
REGISTRY_TYPES = ("REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ", "REG_DWORD", "REG_QWORD", "REG_BINARY")
_MOUNT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
_DWORD_LIMIT = 2**32
_QWORD_LIMIT = 2**64


def _registry_key(value: object, what: str = "registry key") -> str:
    """``ROOT\\sub\\key`` with a documented root, returned with the short root name."""
    value = _text(value, what)
    root, *components = value.split("\\")
    if root.upper() not in REGISTRY_ROOTS:
        raise ValueError(f"{what} {shown(value)} does not start with HKLM, HKCU, HKCR, HKU or HKCC")
    for component in components:
        if not component:
            raise ValueError(f"{what} {shown(value)} has an empty component (a doubled or trailing backslash)")
        if len(component) > 255:
            raise ValueError(f"{what} {shown(value)} has a component longer than the registry's 255 characters")
        if '"' in component:
            raise ValueError(f'{what} {shown(value)} contains a double quote (")')
    return "\\".join((REGISTRY_ROOTS[root.upper()], *components))


def _value_switch(value: object) -> list[str]:
    """``/v name``, or ``/ve`` for the default value (an empty name)."""
    value = _text(value, "registry value name")
    if value == "":
        return ["/ve"]
    if len(value) > 16383:
        raise ValueError(f"registry value name {shown(value)} is longer than the registry's 16383 characters")
    if value[0] in "/-":
        raise ValueError(f"registry value name {shown(value)} starts with / or -, which reg could read as a switch")
    if '"' in value:
        raise ValueError(f'registry value name {shown(value)} contains a double quote (")')
    return ["/v", value]


def _mount_key(value: object) -> str:
    key = _registry_key(value, "hive mount key")
    root, _separator, name = key.partition("\\")
    if root not in ("HKLM", "HKU") or not _MOUNT_NAME.fullmatch(name):
        raise ValueError(f"hive mount key {shown(value)} is not HKLM\\<name> or HKU\\<name> (letters, digits, _ -)")
    return key


# --- the calls --------------------------------------------------------------------------------------------------------


def reg_query(key: str, value: str | None = None, recursive: bool = False) -> NativeCall:
    """``reg query <key> [/s] [/v <value> | /ve]``; ``value=""`` is the key's default value; ``recursive``: every
    subkey too (with ``value``: that value wherever it is). Exit 0, or 1."""
    subkeys = ["/s"] if flag(recursive, "recursive") else []
    switch = [] if value is None else _value_switch(value)
    return NativeCall("reg.exe", "query", _registry_key(key), *subkeys, *switch)


def _reg_data(type_: str, data: object) -> list[str]:
    if type_ in ("REG_DWORD", "REG_QWORD"):
        limit = _DWORD_LIMIT if type_ == "REG_DWORD" else _QWORD_LIMIT
        return ["/d", str(integer(data, f"{type_} data", 0, limit - 1))]
    if type_ == "REG_BINARY":
        if isinstance(data, bytes | bytearray):
            data = bytes(data).hex().upper()
        if not isinstance(data, str) or not _BINARY.fullmatch(data):
            raise ValueError(f"REG_BINARY data {shown(data)} is neither bytes nor an even number of hex digits")
        return ["/d", data] if data else []
    if type_ == "REG_MULTI_SZ":
        if isinstance(data, str) or not isinstance(data, Sequence):
            raise ValueError(f"REG_MULTI_SZ data {shown(data)} must be a list of strings")
        items = [_text(item, "REG_MULTI_SZ item") for item in data]
        if any(not item or "\\0" in item for item in items):
            raise ValueError(
                f"REG_MULTI_SZ data {shown(data)} has an empty item or one containing \\0, reg's separator"
            )
        data = "\\0".join(items)
    data = _text(data, f"{type_} data")
    if data[:1] in ("/", "-"):
        raise ValueError(f"{type_} data {shown(data)} starts with / or -, which reg could read as a switch")
    return ["/d", data] if data else []


def reg_add(key: str, value: str, type_: str, data: object) -> NativeCall:
    """``reg add <key> /v <value> /t <type> [/d <data>] /f``: create or overwrite, never prompt.

    ``data``: int for REG_DWORD/REG_QWORD, bytes or hex for REG_BINARY, a list of strings for
    REG_MULTI_SZ (joined with reg's default separator ``\\0``), a string otherwise.
    """
    if type_ not in REGISTRY_TYPES:
        raise ValueError(f"registry type {shown(type_)} is not one of {', '.join(REGISTRY_TYPES)}")
    arguments = ["add", _registry_key(key), *_value_switch(value), "/t", type_, *_reg_data(type_, data), "/f"]
    return NativeCall("reg.exe", *arguments)


def reg_delete_value(key: str, value: str) -> NativeCall:
    """``reg delete <key> {/v <value> | /ve} /f``: delete one value, never prompt."""
    return NativeCall("reg.exe", "delete", _registry_key(key), *_value_switch(value), "/f")


def reg_delete_key(key: str) -> NativeCall:
    """``reg delete <key> /f``: delete the key with its values and subkeys, never prompt."""
    return NativeCall("reg.exe", "delete", _registry_key(key), "/f")


def reg_load(mount_key: str, hive_file: str) -> NativeCall:
    """``reg load HKLM\\<name> <hive file>``: mount an offline hive (reg load allows HKLM and HKU only)."""
    return NativeCall("reg.exe", "load", _mount_key(mount_key), windows_path(hive_file, "hive file"))


def reg_unload(mount_key: str) -> NativeCall:
    """``reg unload HKLM\\<name>``."""
    return NativeCall("reg.exe", "unload", _mount_key(mount_key))


def hive_root(mount_key: str | None, hive_file: str | None) -> tuple[str, str | None]:
    """``(root, hive file)``: ``HKLM\\SYSTEM`` and None for the live SYSTEM hive, else the offline hive's mount key
    and file, both checked."""
    if (mount_key is None) != (hive_file is None):
        raise ValueError("an offline hive needs both a mount key and a hive file")
    if mount_key is None:
        return r"HKLM\SYSTEM", None
    return _mount_key(mount_key), windows_path(hive_file, "hive file")


def with_hive_loaded(root: str, hive_file: str, statements: list[str]) -> list[str]:
    """``statements`` between reg load (``load``/``load_rc`` in the report) and a reg unload that runs whatever
    happens (finally; ``unload_rc``); nothing runs when the load fails."""
    return [
        *_report.captured("load", reg_load(root, hive_file)),
        "if ($report.load_rc -eq 0) {",
        "    try {",
        *("        " + statement for statement in statements),
        "    } finally {",
        f"        $null = {reg_unload(root)}",
        "        $report.unload_rc = $LASTEXITCODE",
        "    }",
        "}",
    ]


# --- reading reg query ------------------------------------------------------------------------------------------------

_TOOL = "reg query"
_KEY = re.compile(r"HKEY_(?:LOCAL_MACHINE|CURRENT_USER|CLASSES_ROOT|USERS|CURRENT_CONFIG)(?:\\.+)?")
# The name is the shortest text before "    REG_<type>" followed by 4 spaces or the end of the line,
# so names with spaces and data with runs of 4 spaces both survive.
_VALUE = re.compile(r"    (?P<name>.+?)    (?P<type>REG_[A-Z_]+)(?:    (?P<data>.*))?")
_END_OF_SEARCH = re.compile(r"End of search: (?P<count>[0-9]+) match\(es\) found\.")
_DEFAULT_NAME = "(Default)"
_NOT_SET = "(value not set)"
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
