"""reg add: create a key and set one value (MS Learn "reg add"; data rules from Wine's tests on Windows, §1.5).

Without /v or /ve the key's (Default) value is the target: `reg add <key> /f` initialises it as an empty REG_SZ.
Without /f an existing value is only overwritten after `Value <name> exists, overwrite(Yes/No)? ` is answered
Yes on stdin (§1.4; the answer follows the prompt on the same line). The data is validated before anything
changes; the hive file is flushed after the change.
"""

from __future__ import annotations

import re

from ....machine import errors
from ...context import ProcessContext
from .common import (
    ACCESS_DENIED,
    DEFAULT_NAME,
    SUCCESS,
    RegFailure,
    confirm,
    flush,
    has_mount,
    invalid_key,
    invalid_syntax,
    lab_limit,
    open_key,
    parse_key,
    parse_switches,
    registry_of,
    system_error,
    write_lines,
)

OPERATION = "ADD"
WITH_ARGUMENT = frozenset({"v", "t", "s", "d"})
FLAGS = frozenset({"ve", "f", "reg:32", "reg:64"})
# MS Learn "reg add" /t, plus REG_QWORD and REG_NONE (Wine's tests on Windows).
LAB_TYPES = {
    "REG_SZ": "REG_SZ",
    "REG_EXPAND_SZ": "REG_EXPAND_SZ",
    "REG_MULTI_SZ": "REG_MULTI_SZ",
    "REG_DWORD": "REG_DWORD",
    "REG_DWORD_LITTLE_ENDIAN": "REG_DWORD",  # the same type number (4) as REG_DWORD
    "REG_QWORD": "REG_QWORD",
    "REG_BINARY": "REG_BINARY",
    "REG_NONE": "REG_NONE",
}
UNSIMULATED_TYPES = ("REG_DWORD_BIG_ENDIAN", "REG_LINK", "REG_FULL_RESOURCE_DESCRIPTOR")
DEFAULT_SEPARATOR = "\\0"

Data = str | int | bytes | list[str]


class BadData(ValueError):
    """Data that reg refuses for the type (exit 1)."""


def parse_integer(text: str, bits: int) -> int:
    """Decimal or 0x hex (a leading zero stays decimal: `0123` is 123). REG_DWORD refuses negatives, REG_QWORD
    accepts a negative decimal as its two's complement (`-1`), never `-0x1`; the value must fit (§1.5)."""
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
        value = int(text[2:], 16)
    elif re.fullmatch(r"[0-9]+", text):
        value = int(text, 10)
    elif bits == 64 and re.fullmatch(r"-[0-9]+", text):
        value = int(text, 10) + (1 << 64)
        if value < 0:
            raise BadData(text)
    else:
        raise BadData(text)
    if value >= 1 << bits:
        raise BadData(text)
    return value


def parse_binary(text: str) -> bytes:
    """Hex digits without `0x`; an odd count gets a leading zero nibble (`DeAdBeEf0DD` -> 0d ea db ee f0 dd)."""
    if not re.fullmatch(r"[0-9a-fA-F]*", text):
        raise BadData(text)
    if len(text) % 2:
        text = "0" + text
    return bytes.fromhex(text)


def parse_multi_sz(text: str, separator: str) -> list[str]:
    """Items split at the separator: an empty first or inner item fails, a trailing separator is dropped."""
    if text in ("", separator):
        return []
    items = text.split(separator)
    if items[-1] == "":
        items.pop()
    if any(item == "" for item in items):
        raise BadData(text)
    return items


def parse_data(type_: str, data: str | None, separator: str) -> Data:
    if type_ in ("REG_SZ", "REG_EXPAND_SZ"):
        return data or ""
    if type_ == "REG_MULTI_SZ":
        return parse_multi_sz(data or "", separator)
    if type_ == "REG_DWORD":
        if data is None:
            raise BadData("REG_DWORD needs /d")  # `/v dword1 /t REG_DWORD /f` exits 1
        return parse_integer(data, 32)
    if type_ == "REG_QWORD":
        return 0 if data is None else parse_integer(data, 64)
    if type_ == "REG_BINARY":
        return parse_binary(data or "")
    # REG_NONE: the data is stored as a UTF-16 string with its terminator (Wine's test on Windows: /d Test
    # gives "T\0e\0s\0t\0\0\0", no /d gives "\0\0").
    return ((data or "") + "\0").encode("utf-16-le")


def _separator(switches: dict[str, str | None]) -> str:
    if "s" not in switches:
        return DEFAULT_SEPARATOR
    separator = switches["s"] or ""
    # §1.5: more than one character, an empty separator or "\0" itself exit 1.
    if len(separator) != 1:
        raise invalid_syntax(OPERATION)
    return separator


async def run(args: list[str], ctx: ProcessContext) -> int:
    if not args or args[0].startswith(("/", "-")):
        raise invalid_syntax(OPERATION)
    key_name = parse_key(args[0], OPERATION)
    if not key_name.parts:
        raise invalid_key(OPERATION)  # `reg add HKCU\ /v x ...` exits 1 (§1.5)
    switches = parse_switches(args[1:], OPERATION, WITH_ARGUMENT, FLAGS)
    if "v" in switches and "ve" in switches:
        raise invalid_syntax(OPERATION)
    type_name = (switches["t"] or "").upper() if "t" in switches else "REG_SZ"
    if type_name in UNSIMULATED_TYPES:
        raise lab_limit(f"{type_name} values")
    type_ = LAB_TYPES.get(type_name)
    if type_ is None:
        raise invalid_syntax(OPERATION)  # the exact text for an unknown type is NOT FOUND IN SOURCES
    try:
        data = parse_data(type_, switches.get("d"), _separator(switches))
    except BadData:
        # The exact text for bad data is NOT FOUND IN SOURCES; Wine's tests only show exit 1. The lab uses
        # the documented syntax error.
        raise invalid_syntax(OPERATION) from None
    registry = registry_of(ctx)
    if not has_mount(registry, key_name):
        raise RegFailure(ACCESS_DENIED)  # only mounted hives hold keys: HKLM\NewHive cannot be created
    name = switches.get("v") or ""
    existing = open_key(registry, key_name)
    exists = existing is not None and existing.get(name) is not None
    if (
        exists
        and "f" not in switches
        and not await confirm(ctx, f"Value {name or DEFAULT_NAME} exists, overwrite(Yes/No)? ")
    ):
        return 1  # what reg prints when not confirmed is NOT FOUND IN SOURCES: nothing changes, exit 1
    try:
        registry.create(key_name.display).set(name, type_, data)
    except errors.WindowsError_ as exc:
        raise system_error(exc) from None
    flush(registry)
    write_lines(ctx.write_stdout, SUCCESS)
    return 0
