# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""manage-bde.exe: the calls Lifeline makes and reading what manage-bde prints (manage-bde status, manage-bde unlock and
the Win32_EncryptableVolume error codes, Microsoft Learn).

Calls: ``manage-bde -status [<volume>]`` (a ``NativeCall`` for a script to place), and the unlock script of
win_bitlocker_unlock, ``manage_bde_unlock_if_locked``: the lock check and the unlock in one round trip, the recovery
password read from standard input, never part of a script. Nothing here asks for ``manage-bde -protectors -get``,
whose output holds the recovery password of an unlocked volume.

Output. ``-status``: a banner (``BitLocker Drive Encryption: Configuration Tool version ...``, a copyright
line), ``Disk volumes that can be protected with`` / ``BitLocker Drive Encryption:``, then per
volume ``Volume C: [label]``, ``[OS Volume]`` or ``[Data Volume]`` and its fields, each indented 4
with the value in column 27 (``    Lock Status:          Locked``); key protectors follow
``Key Protectors:`` one per line, indented 8, or ``None Found`` on the same line.

``-unlock``: the banner, then ``The password successfully unlocked volume C:.``, or an error:
``ERROR: An error occurred (code 0x80310027):`` and the message on the next line(s).

The unlock script prints both in one JSON object: ``parse_unlock_report``.

A recovery password is a secret. The unlock parser never puts a line of the output into a message,
and the error message it passes on has every run of six or more digits withheld.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _inputs
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import flag
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import (
    ParseError,
    split_lines,
    withhold_digits,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import NativeCall, quote, script

__all__ = [
    "RECOVERY_PASSWORD_VARIABLE",
    "BitLockerVolume",
    "ManageBdeError",
    "UnlockError",
    "UnlockReport",
    "manage_bde_status",
    "manage_bde_unlock_if_locked",
    "parse_manage_bde_status",
    "parse_manage_bde_unlock",
    "parse_unlock_report",
]

# --- the calls --------------------------------------------------------------------------------------------------------


def manage_bde_status(volume: str | None = None) -> NativeCall:
    """``manage-bde -status [<volume>]``."""
    return NativeCall("manage-bde.exe", "-status", *([] if volume is None else [_inputs.volume(volume)]))


# --- the unlock script of win_bitlocker_unlock ------------------------------------------------------------------------
# The recovery password never enters a script: the unlock script reads it from standard input. No builder asks for
# the key protectors: ``manage-bde -protectors -get`` prints the numerical password of an unlocked volume
# (windows-tools.md 3.3; Win32_EncryptableVolume.GetKeyProtectorNumericalPassword fails only while it is locked).

# The variable the unlock script keeps the password in; only its name is ever in the script.
RECOVERY_PASSWORD_VARIABLE = "$recoveryPassword"
# How manage-bde -status shows a locked volume: ``    Lock Status:          Locked`` (windows-tools.md 3.2).
_LOCKED = "Lock Status: +Locked"


def manage_bde_unlock_if_locked(volume: str, check_mode: bool = False) -> str:
    """One script: ``manage-bde -status <volume>``; only when that shows ``Lock Status: Locked``,
    ``manage-bde -unlock <volume> -RecoveryPassword <password>`` and ``manage-bde -status <volume>`` again. It prints
    one JSON object for the controller: ``status``, and after an unlock ``unlock``, ``unlock_rc`` (its exit code) and
    ``status_after``, each a tool's whole output (``Out-String``). Lock check and unlock are one round trip: no other
    command runs between them. ``check_mode``: the status only, and nothing is read from standard input.

    The password is the first line of standard input (``$input``, about_Automatic_Variables): send it with
    ``stdin=password + "\\r\\n"``. It is then in no command line that WinRM or Ansible carries or logs, and in no
    PowerShell error record (those quote the script's text, which holds only the variable's name). manage-bde itself
    takes it as an argument (it has no other way to receive one), so manage-bde's own process command line on the
    host contains it while it runs. Fails (exit 1, nothing run) when standard input is empty.
    """
    drive = _inputs.volume(volume)
    status = f"{manage_bde_status(drive)} | Out-String"
    if flag(check_mode, "check_mode"):
        return script("$report = @{}", f"$report.status = {status}", "ConvertTo-Json -InputObject $report -Compress")
    unlock = f"{NativeCall('manage-bde.exe', '-unlock', drive, '-RecoveryPassword')} {RECOVERY_PASSWORD_VARIABLE}"
    return script(
        f"{RECOVERY_PASSWORD_VARIABLE} = @($input)[0]",
        f"if (-not {RECOVERY_PASSWORD_VARIABLE}) {{ throw 'no recovery password on standard input' }}",
        "$report = @{}",
        f"$report.status = {status}",
        f"if ($report.status -cmatch {quote(_LOCKED)}) {{",
        f"    $report.unlock = {unlock} | Out-String",
        "    $report.unlock_rc = $LASTEXITCODE",
        f"    $report.status_after = {status}",
        "}",
        "ConvertTo-Json -InputObject $report -Compress",
    )


# --- reading manage-bde -----------------------------------------------------------------------------------------------

_STATUS_TOOL = "manage-bde -status"
_UNLOCK_TOOL = "manage-bde -unlock"
_BANNER = re.compile(r"BitLocker Drive Encryption: Configuration Tool version [0-9.]+")
_COPYRIGHT = re.compile(r"Copyright \(C\) [0-9]{4} Microsoft Corporation\. All rights reserved\.")
_INTRO = ("Disk volumes that can be protected with", "BitLocker Drive Encryption:")
_VOLUME = re.compile(r"Volume (?P<mount>[A-Za-z]:|\\\\\?\\Volume\{[0-9A-Fa-f-]{36}\}\\) \[(?P<label>.*)\]")
_VOLUME_TYPE = re.compile(r"\[(?P<type>[A-Z][A-Za-z]*(?: [A-Za-z]+)* Volume)\]")
_FIELD = re.compile(r"    (?P<label>[A-Za-z][A-Za-z ]*):(?P<gap> *)(?P<value>\S.*)?")
_VALUE_COLUMN = 26
_PROTECTOR = re.compile(r" {8}(?P<name>\S.*)")
_FIELDS = (
    "Size",
    "BitLocker Version",
    "Conversion Status",
    "Percentage Encrypted",
    "Encryption Method",
    "Protection Status",
    "Lock Status",
    "Identification Field",
    "Automatic Unlock",
    "Key Protectors",
)
_OPTIONAL_FIELDS = frozenset(("Automatic Unlock",))  # data volumes only
_SIZE = re.compile(r"(?P<number>[0-9]+(?:[.,][0-9]{1,2})?) GB")
_PERCENT = re.compile(r"(?P<number>[0-9]{1,3}(?:[.,][0-9])?)%")
_UNKNOWN = "Unknown"
_LABEL_UNKNOWN = "Label Unknown"
_NONE_FOUND = "None Found"
_PROTECTION = {"Protection On": True, "Protection Off": False, _UNKNOWN: None}
_LOCK = {"Locked": True, "Unlocked": False}
_ERROR_WITH_CODE = re.compile(r"ERROR: An error occurred \(code (?P<code>0x[0-9A-Fa-f]{8})\):")
_ERROR = re.compile(r"ERROR: (?P<message>.*)")
_UNLOCKED = re.compile(r"The password successfully unlocked volume (?P<volume>[A-Za-z]:)\.?")
_DRIVE = re.compile(r"[A-Za-z]:")
_LOCALIZED_HINT = "Lifeline reads en-US manage-bde output only"


@dataclass(frozen=True)
class BitLockerVolume:
    """One volume of ``manage-bde -status``, with the tool's own field names.

    ``mount_point`` is ``C:`` or ``\\\\?\\Volume{guid}\\``; ``label`` is None where manage-bde cannot
    read it (``[Label Unknown]``, a locked volume). ``volume_type`` is ``OS Volume`` or ``Data
    Volume`` (the offline OS volume in WinRE shows as a data volume). Sizes and percentages are None
    when manage-bde prints ``Unknown`` (a locked volume); ``protection_on`` is None for ``Unknown``.
    ``key_protectors`` is empty for ``None Found``; ``automatic_unlock`` None where not printed.
    """

    mount_point: str
    label: str | None
    volume_type: str
    size_gb: float | None
    bitlocker_version: str
    conversion_status: str
    percentage_encrypted: float | None
    encryption_method: str
    protection_on: bool | None
    locked: bool
    identification_field: str
    automatic_unlock: str | None
    key_protectors: tuple[str, ...]


class ManageBdeError(Exception):
    """manage-bde reported an error: ``code`` is its HRESULT (``0x80310027``) where printed, else None.
    ``message`` is the tool's message with every run of six or more digits withheld."""

    def __init__(self, tool: str, code: int | None, message: str) -> None:
        self.tool = tool
        self.code = code
        self.message = message
        shown_code = f" (code {self.code_text})" if code is not None else ""
        super().__init__(f"{tool} failed{shown_code}: {message}")

    @property
    def code_text(self) -> str | None:
        """The code as manage-bde prints it: ``0x80310027``."""
        return None if self.code is None else f"0x{self.code:08x}"


class UnlockError(ManageBdeError):
    """``manage-bde -unlock`` refused to unlock the volume (0x80310027: wrong recovery password)."""


def parse_manage_bde_status(text: str) -> list[BitLockerVolume]:
    """The volumes in ``manage-bde -status [<volume>]`` output, in order.

    Raises ManageBdeError when manage-bde printed an error, and ParseError for empty or localized
    output, an unknown field, a volume cut off before its last field, or a value not in its en-US form
    (a decimal comma is accepted: tr-TR keeps the English labels but prints ``100,0%``).
    """
    lines = split_lines(text)
    volumes: list[BitLockerVolume] = []
    index = _skip_banner(lines, _STATUS_TOOL)
    if index < len(lines) and lines[index] == " ".join(_INTRO):
        index += 1
    elif lines[index : index + 2] == list(_INTRO):
        index += 2
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
        elif _ERROR.fullmatch(line):
            raise _error(lines, index, ManageBdeError, _STATUS_TOOL)
        elif header := _VOLUME.fullmatch(line):
            volume, index = _volume(lines, index, header)
            volumes.append(volume)
        else:
            raise ParseError(_STATUS_TOOL, f"expected 'Volume <letter>: [<label>]'; {_LOCALIZED_HINT}", index + 1, line)
    if not volumes:
        raise ParseError(_STATUS_TOOL, "no volumes (empty or cut off output)")
    return volumes


def _skip_banner(lines: list[str], tool: str) -> int:
    """The index of the first line after the banner and the copyright line (both optional) and blank lines."""
    index = _skip_blank(lines, 0)
    if index < len(lines) and _BANNER.fullmatch(lines[index]):
        index += 1
        if index >= len(lines) or not _COPYRIGHT.fullmatch(lines[index]):
            raise ParseError(tool, "the banner is not followed by the copyright line", index + 1)
        index = _skip_blank(lines, index + 1)
    return index


def _skip_blank(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _volume(lines: list[str], index: int, header: re.Match[str]) -> tuple[BitLockerVolume, int]:
    """The volume whose ``Volume ...`` line (``header``) is ``lines[index]``, and the index after it."""
    start = index + 1
    kind = _VOLUME_TYPE.fullmatch(lines[index + 1]) if index + 1 < len(lines) else None
    if kind is None:
        shown = lines[index + 1] if index + 1 < len(lines) else None
        raise ParseError(_STATUS_TOOL, f"expected [OS Volume] or [Data Volume]; {_LOCALIZED_HINT}", index + 2, shown)
    index += 2
    fields: dict[str, str] = {}
    protectors: list[str] = []
    while index < len(lines) and not _VOLUME.fullmatch(lines[index]):
        line = lines[index]
        index += 1
        if not line.strip():
            continue
        protector = _PROTECTOR.fullmatch(line)
        if protector and list(fields)[-1:] == ["Key Protectors"] and fields["Key Protectors"] == "":
            protectors.append(protector.group("name").rstrip())
            continue
        field_match = _FIELD.fullmatch(line)
        if not field_match or field_match.group("label") not in _FIELDS:
            raise ParseError(_STATUS_TOOL, f"not a field of a volume; {_LOCALIZED_HINT}", index, line)
        label, value = field_match.group("label"), (field_match.group("value") or "").rstrip()
        if value and field_match.start("value") != _VALUE_COLUMN:
            raise ParseError(_STATUS_TOOL, f"the value does not start in column {_VALUE_COLUMN + 1}", index, line)
        if label in fields:
            raise ParseError(_STATUS_TOOL, f"{label} appears twice for one volume", index, line)
        fields[label] = value
    missing = [label for label in _FIELDS if label not in fields and label not in _OPTIONAL_FIELDS]
    if missing:
        raise ParseError(_STATUS_TOOL, f"volume {header.group('mount')} is cut off: no {', '.join(missing)}", start)
    return _bitlocker_volume(header, kind.group("type"), fields, protectors, start), index


def _bitlocker_volume(
    header: re.Match[str], volume_type: str, fields: dict[str, str], protectors: list[str], number: int
) -> BitLockerVolume:
    mount = header.group("mount")
    label = header.group("label")

    def fail(field_name: str) -> ParseError:
        problem = f"volume {mount} has {field_name} {fields[field_name]!r}, not an en-US value; {_LOCALIZED_HINT}"
        return ParseError(_STATUS_TOOL, problem, number)

    key_protectors = fields["Key Protectors"]
    if key_protectors not in ("", _NONE_FOUND):
        raise fail("Key Protectors")
    if key_protectors == "" and not protectors:
        raise ParseError(_STATUS_TOOL, f"volume {mount}: Key Protectors lists nothing (cut off?)", number)
    if fields["Protection Status"] not in _PROTECTION:
        raise fail("Protection Status")
    if fields["Lock Status"] not in _LOCK:
        raise fail("Lock Status")
    return BitLockerVolume(
        mount_point=mount.upper() if len(mount) == 2 else mount,
        label=None if label == _LABEL_UNKNOWN else label,
        volume_type=volume_type,
        size_gb=_number(fields["Size"], _SIZE, "GB", lambda: fail("Size")),
        bitlocker_version=fields["BitLocker Version"],
        conversion_status=fields["Conversion Status"],
        percentage_encrypted=_percentage(fields["Percentage Encrypted"], lambda: fail("Percentage Encrypted")),
        encryption_method=fields["Encryption Method"],
        protection_on=_PROTECTION[fields["Protection Status"]],
        locked=_LOCK[fields["Lock Status"]],
        identification_field=fields["Identification Field"],
        automatic_unlock=fields.get("Automatic Unlock"),
        key_protectors=tuple(protectors),
    )


def _number(value: str, pattern: re.Pattern[str], unit: str, fail: Callable[[], ParseError]) -> float | None:
    """``126.45 GB`` -> 126.45; ``Unknown GB`` -> None. Two or fewer digits after a comma are decimals."""
    if value == f"{_UNKNOWN} {unit}":
        return None
    match = pattern.fullmatch(value)
    if not match:
        raise fail()
    return float(match.group("number").replace(",", "."))


def _percentage(value: str, fail: Callable[[], ParseError]) -> float | None:
    if value == f"{_UNKNOWN}%":
        return None
    match = _PERCENT.fullmatch(value)
    if not match or float(match.group("number").replace(",", ".")) > 100:
        raise fail()
    return float(match.group("number").replace(",", "."))


def _error(lines: list[str], index: int, error_class: type[ManageBdeError], tool: str) -> ManageBdeError:
    """The error whose ``ERROR:`` line is ``lines[index]``; its message runs to the next blank line."""
    with_code = _ERROR_WITH_CODE.fullmatch(lines[index])
    if with_code:
        code: int | None = int(with_code.group("code"), 16)
        message_lines = []
    else:
        code = None
        message_lines = [lines[index].removeprefix("ERROR:").strip()]
    for line in lines[index + 1 :]:
        if not line.strip():
            if message_lines:
                break
            continue
        message_lines.append(line.strip())
    message = " ".join(message_lines).strip() or "(no message)"
    return error_class(tool, code, withhold_digits(message))


def parse_manage_bde_unlock(text: str, volume: str) -> bool:
    """True when ``manage-bde -unlock <volume> -RecoveryPassword ...`` printed its success sentence,
    ``The password successfully unlocked volume <volume>.`` (windows-tools.md 3.4).

    Raises UnlockError (with the code, such as 0x80310027, and the message) when manage-bde printed
    an error, and ParseError for anything else. No line of ``text`` is ever put into a message: the
    output of a command that carried a recovery password is not shown, only line numbers.
    """
    if not isinstance(volume, str) or not _DRIVE.fullmatch(volume):
        raise ValueError("volume must be a drive letter and a colon, such as 'C:'")
    lines = split_lines(text)
    index = _skip_banner(lines, _UNLOCK_TOOL)
    unlocked = False
    for number, line in enumerate(lines[index:], start=index + 1):
        if not line.strip():
            continue
        if _ERROR.fullmatch(line):
            raise _error(lines, number - 1, UnlockError, _UNLOCK_TOOL)
        success = _UNLOCKED.fullmatch(line)
        if success and not unlocked:
            if success.group("volume").upper() != volume.upper():
                raise ParseError(
                    _UNLOCK_TOOL,
                    f"the success sentence names volume {success.group('volume').upper()}, not {volume.upper()}",
                    number,
                )
            unlocked = True
            continue
        raise ParseError(_UNLOCK_TOOL, f"an unexpected line (not shown); {_LOCALIZED_HINT}", number)
    if not unlocked:
        raise ParseError(_UNLOCK_TOOL, f"no success sentence for volume {volume.upper()} (empty or cut off output)")
    return True


# --- the unlock script's report (win_bitlocker_unlock; manage_bde_unlock_if_locked) ----------------------------

_REPORT_TOOL = "the unlock script"


@dataclass(frozen=True)
class UnlockReport:
    """What the unlock script saw: the volume ``before``; when it was locked, ``manage-bde -unlock``'s output
    (``unlock``, not yet read: ``parse_manage_bde_unlock``) and exit code, and the volume ``after``."""

    before: BitLockerVolume
    unlock: str | None = None
    unlock_rc: int | None = None
    after: BitLockerVolume | None = None


def parse_unlock_report(text: str, volume: str) -> UnlockReport:
    """The JSON object the unlock script prints, its ``manage-bde -status`` outputs read for ``volume``.

    Raises ManageBdeError when manage-bde -status printed an error, and ParseError (never showing the output) for
    anything that is not that object: no JSON, a missing field, a status without ``volume``.
    """
    try:
        document = json.loads(text)
    except (TypeError, ValueError):
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("status"), str):
        raise ParseError(_REPORT_TOOL, "no JSON object with the volume's status (the script stopped before its end)")
    before = _status_of(document["status"], volume)
    if "unlock" not in document:
        return UnlockReport(before)
    unlock, unlock_rc = document["unlock"] or "", document.get("unlock_rc")  # Out-String of nothing may be null
    well_formed = (
        isinstance(unlock, str)
        and isinstance(unlock_rc, int)
        and not isinstance(unlock_rc, bool)
        and isinstance(document.get("status_after"), str)
    )
    if not well_formed:
        raise ParseError(_REPORT_TOOL, "an unlock without its exit code or the status after it")
    return UnlockReport(before, unlock, unlock_rc, _status_of(document["status_after"], volume))


def _status_of(text: str, volume: str) -> BitLockerVolume:
    for found in parse_manage_bde_status(text):
        if found.mount_point == volume.upper():
            return found
    raise ParseError(_STATUS_TOOL, f"volume {volume.upper()} is not in the output")
