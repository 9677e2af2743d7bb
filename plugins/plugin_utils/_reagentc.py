# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""reagentc.exe: the calls Lifeline makes and reading what ``reagentc /info`` prints ("REAgentC command-line options",
Microsoft Learn).

Calls: ``reagentc /info``, ``reagentc /disable`` ("Disables any active Windows RE image that is mapped to the online
image"; online only) and ``reagentc /enable``. Disabling moves winre.wim from the recovery partition to
``\\Windows\\System32\\Recovery`` of the Windows volume, and enabling moves it back ("Customize Windows RE": the image
is serviced there with DISM between the two). Each builder returns the call (``NativeCall``) for a script to place
(``_powershell.py``).

Output. Microsoft Learn's page shows the syntax, not the output: the en-US text below is from a published console
transcript (Windows Server 2025, build 26100), the sample in tests/unit/collection/samples/reagentc_*.txt::

    Windows Recovery Environment (Windows RE) and system reset configuration
    Information:

        Windows RE status:         Enabled
        Windows RE location:       \\\\?\\GLOBALROOT\\device\\harddisk0\\partition4\\Recovery\\WindowsRE
        Boot Configuration Data (BCD) identifier: 8e73986c-289e-11f0-bf53-a4d06eada308
        Recovery image location:
        Recovery image index:      0
        Custom image location:
        Custom image index:        0

    REAGENTC.EXE: Operation Successful.

Disabled, the status reads ``Disabled``, the location is empty and the identifier is all zeros. ``/enable`` and
``/disable`` print ``REAGENTC.EXE: Operation Successful.``; a failure prints another ``REAGENTC.EXE:`` line (``Unable
to update Boot Configuration Data.``, ``Operation failed: 5``). reagentc's exit codes: NOT FOUND IN SOURCES, so the
text decides. The labels are localized (a de-DE host prints ``Windows RE-Status``): only en-US is read, anything
else raises ParseError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError, split_lines
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import NativeCall

__all__ = [
    "REAGENTC_SUCCESS",
    "ReagentcInfo",
    "parse_reagentc_info",
    "parse_reagentc_result",
    "reagentc_disable",
    "reagentc_enable",
    "reagentc_info",
]

REAGENTC_SUCCESS = "REAGENTC.EXE: Operation Successful."
_TOOL = "reagentc /info"
_HEADER = "Windows Recovery Environment (Windows RE) and system reset configuration"
_FIELD = re.compile(r"(?P<label>[A-Za-z][A-Za-z ()]*?):(?:\s+(?P<value>\S.*))?")
_STATUS, _LOCATION, _IDENTIFIER = "Windows RE status", "Windows RE location", "Boot Configuration Data (BCD) identifier"
_GUID = re.compile(r"\{?(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?")
_NO_GUID = "00000000-0000-0000-0000-000000000000"
_REAGENTC_LINE = re.compile(r"REAGENTC\.EXE: (?P<message>.+)")
_LOCALIZED_HINT = "Lifeline reads en-US reagentc output only"
# reagentc /info's location: the recovery partition as an NT device path (no drive letter).
_DEVICE_PATH = re.compile(r"\\\\\?\\GLOBALROOT\\device\\harddisk[0-9]{1,3}\\partition[0-9]{1,3}(\\[^\\<>:\"/|?*]+)+")


def reagentc_info() -> NativeCall:
    """``reagentc /info``: the status of Windows RE on the running Windows."""
    return NativeCall("reagentc.exe", "/info")


def reagentc_disable() -> NativeCall:
    """``reagentc /disable``: winre.wim moves to ``\\Windows\\System32\\Recovery`` of the running Windows."""
    return NativeCall("reagentc.exe", "/disable")


def reagentc_enable() -> NativeCall:
    """``reagentc /enable``: winre.wim moves back to the recovery partition and the BCD entry is written again."""
    return NativeCall("reagentc.exe", "/enable")


@dataclass(frozen=True)
class ReagentcInfo:
    """What ``reagentc /info`` says: ``enabled``; ``location``: the folder of winre.wim on the recovery partition as
    reagentc prints it (``\\\\?\\GLOBALROOT\\device\\harddisk0\\partition4\\Recovery\\WindowsRE``), None when
    disabled; ``bcd_identifier``: the WinRE loader's BCD GUID without braces, None when all zeros."""

    enabled: bool
    location: str | None
    bcd_identifier: str | None


def parse_reagentc_info(text: str) -> ReagentcInfo:
    """The status in ``reagentc /info`` output; ParseError for a failure line, another language or cut-off output."""
    lines = split_lines(text)
    numbered = [(number, line.strip()) for number, line in enumerate(lines, start=1) if line.strip()]
    failure = _failure(numbered)
    if failure:
        raise ParseError(_TOOL, f"reagentc reported {failure!r}")
    if not numbered or numbered[0][1] != _HEADER:
        number, line = numbered[0] if numbered else (None, None)
        raise ParseError(_TOOL, f"expected '{_HEADER}'; {_LOCALIZED_HINT}", number, line)
    if numbered[-1][1] != REAGENTC_SUCCESS:
        raise ParseError(_TOOL, f"no '{REAGENTC_SUCCESS}' line (cut off?)")
    fields: dict[str, tuple[int, str, str]] = {}
    for number, line in numbered[1:-1]:
        match = _FIELD.fullmatch(line)
        if match:
            fields.setdefault(match.group("label"), (number, line, (match.group("value") or "").strip()))
    for label in (_STATUS, _LOCATION, _IDENTIFIER):
        if label not in fields:
            raise ParseError(_TOOL, f"no '{label}:' line; {_LOCALIZED_HINT}")
    number, line, status = fields[_STATUS]
    if status not in ("Enabled", "Disabled"):
        raise ParseError(_TOOL, f"the status is neither Enabled nor Disabled; {_LOCALIZED_HINT}", number, line)
    number, line, location = fields[_LOCATION]
    if location and not _DEVICE_PATH.fullmatch(location):
        raise ParseError(
            _TOOL, "the location is not a \\\\?\\GLOBALROOT\\device\\harddiskN\\partitionN path", number, line
        )
    number, line, identifier = fields[_IDENTIFIER]
    guid = _GUID.fullmatch(identifier) if identifier else None
    if identifier and not guid:
        raise ParseError(_TOOL, "the BCD identifier is not a GUID", number, line)
    found = guid.group("guid").lower() if guid else None
    enabled = status == "Enabled"
    if enabled and not location:
        raise ParseError(_TOOL, "Windows RE is enabled but no location is shown", *fields[_LOCATION][:2])
    return ReagentcInfo(enabled, location or None, None if found in (None, _NO_GUID) else found)


def parse_reagentc_result(text: str) -> str | None:
    """None when ``reagentc /enable`` or ``/disable`` printed ``REAGENTC.EXE: Operation Successful.``, else the
    message reagentc gave (or a description of the output), for the task's error."""
    numbered = [(number, line.strip()) for number, line in enumerate(split_lines(text), start=1) if line.strip()]
    if any(line == REAGENTC_SUCCESS for _number, line in numbered):
        return None
    failure = _failure(numbered)
    if failure:
        return failure
    return "no output" if not numbered else f"no '{REAGENTC_SUCCESS}' line; {_LOCALIZED_HINT}"


def _failure(numbered: list[tuple[int, str]]) -> str | None:
    """The ``REAGENTC.EXE:`` lines other than the success line, joined (reagentc's error), or None."""
    messages = [
        match.group("message")
        for match in (_REAGENTC_LINE.fullmatch(line) for _number, line in numbered)
        if match and match.group(0) != REAGENTC_SUCCESS
    ]
    return " ".join(messages) or None
