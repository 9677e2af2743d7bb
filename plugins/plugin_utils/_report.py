# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report a survey script prints: ONE JSON object holding the raw output and exit code of each tool it ran.

A script starts ``$report`` (``$report = @{}``, with ``<name> = $null`` for what may stay unset), fills it with
``captured`` statements and cmdlet results, and ends with ``ConvertTo-Json -InputObject $report ... -Compress``.
The controller reads it back with ``document`` and takes each part with ``output``/``rc`` (a captured call) or
``field`` (anything else), then reads each text with that tool's parser: the script decides nothing, in one round
trip. A report that is not what the script prints raises ParseError naming the script (``tool``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import NativeCall

__all__ = ["captured", "document", "field", "output", "rc"]


def captured(name: str, call: NativeCall, quietly: bool = False) -> list[str]:
    """Two statements: the tool's whole output as one string in ``$report.<name>``, its exit code in ``<name>_rc``.

    stderr is not redirected (Windows PowerShell 5.1 turns redirected native stderr into error records), except
    ``quietly``: then it is discarded (``2> $null``), and the script runs the statements under
    ``$ErrorActionPreference = 'Continue'`` (under 'Stop' that redirection is an error).
    """
    discard = " 2> $null" if quietly else ""
    return [f"$report.{name} = {call}{discard} | Out-String", f"$report.{name}_rc = $LASTEXITCODE"]


def document(text: str, tool: str) -> dict:
    """The report a script printed: one JSON object; ParseError naming ``tool`` when there is none."""
    body = text.removeprefix("\ufeff").strip() if isinstance(text, str) else None
    if not body:
        raise ParseError(tool, "no output (the script stopped before printing its JSON)")
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError as error:
        raise ParseError(
            tool, f"not JSON: {error.msg} (column {error.colno})", body.count("\n", 0, error.pos) + 1
        ) from None
    if not isinstance(parsed, dict):
        raise ParseError(tool, "the output is not a JSON object")
    return parsed


def field(report: Mapping, name: str, kinds: type | tuple[type, ...], tool: str, optional: bool = False) -> Any:
    """``report[name]`` when it is of ``kinds`` (true and false are not numbers), else ParseError; ``optional``: None
    when it is absent or null."""
    if name not in report:
        if optional:
            return None
        raise ParseError(tool, f"the JSON lacks {name!r}")
    value = report[name]
    if value is None and optional:
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
        raise ParseError(tool, f"{name!r} is a {type(value).__name__}, not what the script prints")
    return value


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def output(report: Mapping, name: str, tool: str) -> str:
    """What a ``captured`` call printed: Out-String gives "" for no output, which ConvertTo-Json may write as null."""
    return field(report, name, str, tool, optional=True) or ""


def rc(report: Mapping, name: str, tool: str) -> int:
    """The exit code a ``captured`` call left in ``<name>_rc``."""
    return field(report, name + "_rc", int, tool)
