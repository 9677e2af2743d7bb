"""How `reg query` prints a value: 4 spaces, name, 4 spaces, type, 4 spaces, data (windows-tools.md §1.3).

Data: REG_SZ and REG_EXPAND_SZ raw (not expanded); REG_DWORD and REG_QWORD as `0x` + lower-case hex without
padding; REG_BINARY upper-case hex without separators; REG_MULTI_SZ items joined by the two characters `\\0`
(or the /se separator); the default value is named `(Default)` and, when not set, shows `(value not set)`.
REG_NONE's display is NOT FOUND IN SOURCES: the lab prints its bytes like REG_BINARY, as Wine's reg does.
"""

from __future__ import annotations

from ....machine.registry import Value
from .common import DEFAULT_NAME

INDENT = "    "
MULTI_SZ_SEPARATOR = "\\0"


def display_name(value: Value) -> str:
    return value.name or DEFAULT_NAME


def display_data(value: Value, separator: str = MULTI_SZ_SEPARATOR) -> str:
    data = value.data
    if isinstance(data, bytes):
        return data.hex().upper()
    if isinstance(data, list):
        return separator.join(data)
    if isinstance(data, int):
        return f"0x{data:x}"
    return data


def value_line(value: Value, separator: str = MULTI_SZ_SEPARATOR) -> str:
    return f"{INDENT}{display_name(value)}{INDENT}{value.type}{INDENT}{display_data(value, separator)}"


def default_not_set_line() -> str:
    # windows-tools.md §1.3 [S:T-reg-default]: `    (Default)    REG_SZ    (value not set)`
    return f"{INDENT}{DEFAULT_NAME}{INDENT}REG_SZ{INDENT}(value not set)"
