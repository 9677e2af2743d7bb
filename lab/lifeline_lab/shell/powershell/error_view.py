"""Render an error record as Windows PowerShell 5.1's default ("NormalView") error view does.

From the ErrorInstance view in PowerShellCore.format.ps1xml: an optional "<command> : " prefix, the message,
the position block, the indented CategoryInfo and FullyQualifiedErrorId lines, and a final line holding one
space. A parse error's message already starts with its position block.
"""

from __future__ import annotations

import re

from .errors import ErrorRecord
from .position import position_message

_LINE_BREAK = re.compile(r"\r\n|\n|\r")


def error_lines(record: ErrorRecord) -> list[str]:
    """The lines the host writes for one error record (without line terminators)."""
    lines: list[str] = []
    if record.parse_error:
        if record.extent is not None:
            lines.extend(position_message(record.extent))
        lines.extend(_LINE_BREAK.split(record.message))
    else:
        if record.script_text is not None:
            # Write-Error at script level: the invoking script block's text, then " : " (no position block)
            head = f"{record.script_text} : {record.message}"
        elif record.invocation_name:
            head = f"{record.invocation_name} : {record.message}"
        else:
            head = record.message
        lines.extend(_LINE_BREAK.split(head))
        if record.extent is not None and record.script_text is None:
            lines.extend(position_message(record.extent))
    lines.append(f"    + CategoryInfo          : {record.category_info}")
    lines.append(f"    + FullyQualifiedErrorId : {record.error_id}")
    lines.append(" ")
    return lines
