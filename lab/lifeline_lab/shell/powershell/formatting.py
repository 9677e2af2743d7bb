"""Out-Default for the objects the lab can show: how a value reaching the end of a pipeline becomes text.

PowerShell's formatter writes a string, number or boolean on a line of its own (about_Format.ps1xml); arrays
are shown element by element. Objects that need a table or list view (hashtables, variables) are not formatted
yet: the lab stops rather than print something that only looks like PowerShell.
"""

from __future__ import annotations

from typing import Any

from .errors import not_implemented
from .values import ScriptBlock, to_string, type_name


def output_lines(value: Any) -> list[str]:
    """The lines Out-Default writes for one pipeline object."""
    if value is None:
        return []
    if isinstance(value, list):
        return [line for item in value for line in output_lines(item)]
    if isinstance(value, bool | int | float | str | ScriptBlock):
        return [to_string(value)]
    raise not_implemented(f"the default display of {type_name(value)} objects", None)


def out_string(values: list[Any]) -> str:
    """Out-String: the formatted lines, each ending in CRLF."""
    return "".join(line + "\r\n" for value in values for line in output_lines(value))
