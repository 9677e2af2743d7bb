# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_winre_failover's scripts and pure decisions: Lifeline's failover armed in winre.wim, and the original put back.

Arming follows Microsoft Learn's "Customize Windows RE" and "REAgentC command-line options": ``reagentc /disable``
(winre.wim moves to ``<os_volume>\\Windows\\System32\\Recovery\\Winre.wim``), ``dism /Mount-Image ... /Index:1``,
the files added, ``dism /Unmount-Image /Commit``, ``reagentc /enable``. What is added ("Winpeshl.ini Files":
Windows PE starts the programs of ``[LaunchApps]`` in order, each ``program, arguments``):

- ``Windows\\System32\\Lifeline\\failover.cmd``: the failover script (cmd.exe only, CRLF, ASCII);
- ``Windows\\System32\\winpeshl.ini``: ``LAUNCH_ENTRY`` first in ``[LaunchApps]``, the image's own entries kept after it
  (stock Windows RE starts ``%SYSTEMDRIVE%\\sources\\recovery\\recenv.exe`` there).

Before the image changes, the original is copied to ``<os_volume>\\ProgramData\\Lifeline\\winre\\original\\Winre.wim``
and the rollback record (kind winre_failover, ``_records.py``) holds its SHA-256; the armed image's SHA-256 is
recorded once it is verified (mounted read-only, both files read back). Removal copies the original back and checks
it is byte-exact. A WinRE update replaces winre.wim (its SHA-256 then differs from the armed one recorded): the
failover is then gone, or Windows kept it; Lifeline never reverts a Windows update.

Reading winre.wim needs Windows RE disabled: while it is enabled, the image is on the recovery partition, which has
no drive letter (``reagentc /info`` names it as ``\\\\?\\GLOBALROOT\\device\\harddiskN\\partitionN\\...``, and
that PowerShell 5.1 reads such a path is NOT FOUND IN SOURCES). So the module disables Windows RE for a moment
(``peek_script``: ``reagentc /disable``, then the SHA-256 of the image in ``Windows\\System32\\Recovery``) and enables
it again, the documented steps only; check mode does not, and says so.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records, _report
from ansible_collections.lifeline.recovery.plugins.plugin_utils._dism import dism_mount_image, dism_unmount_image
from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import MININT_KEY, SAFEBOOT_OPTION_KEY
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import volume
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import quote, script
from ansible_collections.lifeline.recovery.plugins.plugin_utils._reagentc import (
    ReagentcInfo,
    parse_reagentc_info,
    reagentc_disable,
    reagentc_enable,
    reagentc_info,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._reg import reg_query

__all__ = [
    "IMAGE_NAME",
    "IN_IMAGE_SCRIPT",
    "LAUNCH_ENTRY",
    "MODULE",
    "WINPESHL",
    "WORK_FOLDER",
    "Paths",
    "Read",
    "Status",
    "arm_record",
    "cmd_text",
    "enable_script",
    "failover_read",
    "has_failover",
    "inspect_script",
    "mount_script",
    "parse_read",
    "paths",
    "peek_script",
    "plan_json",
    "read_record",
    "restore_script",
    "rollback_script",
    "sha256",
    "stage_script",
    "status",
    "step_report",
    "step_sha",
    "winpeshl_with_failover",
    "write_commit_script",
]

MODULE = "win_winre_failover"
WORK_FOLDER = "ProgramData\\Lifeline\\winre"  # on the Windows volume, beside the records
IMAGE_NAME = "Winre.wim"
DISABLED_IMAGE = "Windows\\System32\\Recovery\\" + IMAGE_NAME  # where reagentc /disable puts it
IN_IMAGE_SCRIPT = "Windows\\System32\\Lifeline\\failover.cmd"
WINPESHL = "Windows\\System32\\winpeshl.ini"
LAUNCH_ENTRY = "%SYSTEMDRIVE%\\Windows\\System32\\cmd.exe, /c %SYSTEMDRIVE%\\Windows\\System32\\Lifeline\\failover.cmd"
LAUNCH_SECTION = "[LaunchApps]"
_SHA256 = re.compile(r"[0-9A-F]{64}")
_TOOL = "the Windows RE failover read (JSON)"
_STEP_TOOL = "a Windows RE failover step (JSON)"


# --- where ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paths:
    """Where the module works on a host whose Windows volume is ``os_volume``."""

    os_volume: str
    image: str  # winre.wim while Windows RE is disabled
    work: str
    original_copy: str
    mount: str
    record: str


def paths(os_volume: str) -> Paths:
    os_volume = volume(os_volume, "os_volume")
    work = f"{os_volume}\\{WORK_FOLDER}"
    return Paths(
        os_volume,
        f"{os_volume}\\{DISABLED_IMAGE}",
        work,
        f"{work}\\original\\{IMAGE_NAME}",
        f"{work}\\mount",
        _records.path(os_volume, "winre_failover", None),
    )


# --- the texts --------------------------------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    """SHA-256 as Get-FileHash prints it: 64 upper-case hex digits."""
    return hashlib.sha256(data).hexdigest().upper()


def cmd_text(raw: bytes, where: str) -> str:
    """The failover script as it goes into the image: ASCII (cmd.exe reads the OEM code page), CRLF line ends, one at
    the end. ValueError naming ``where`` for anything else (a script that is not text, or not ASCII)."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError(
            f"the failover script {where} is not ASCII text (cmd.exe reads it in the OEM code page)"
        ) from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not any(line.strip() for line in lines):
        raise ValueError(f"the failover script {where} is empty")
    if any(ord(char) < 32 and char != "\t" for line in lines for char in line):
        raise ValueError(f"the failover script {where} contains control characters")
    return "\r\n".join(lines) + "\r\n"


def winpeshl_with_failover(existing: str) -> str:
    """winpeshl.ini with ``LAUNCH_ENTRY`` first in ``[LaunchApps]`` and every other entry kept in its order (an earlier
    copy of Lifeline's entry is not repeated); other sections are kept. CRLF line ends."""
    lines = [line.rstrip() for line in existing.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    header = next((i for i, line in enumerate(lines) if line.strip().casefold() == LAUNCH_SECTION.casefold()), None)
    if header is None:
        lines = [LAUNCH_SECTION, LAUNCH_ENTRY, *lines]
    else:
        end = next((i for i in range(header + 1, len(lines)) if lines[i].strip().startswith("[")), len(lines))
        kept = [line for line in lines[header + 1 : end] if _entry(line) != _entry(LAUNCH_ENTRY)]
        lines = [*lines[: header + 1], LAUNCH_ENTRY, *kept, *lines[end:]]
    return "\r\n".join(lines) + "\r\n"


def _entry(line: str) -> str:
    return " ".join(line.replace(",", " , ").split()).casefold()


def has_failover(winpeshl: str | None, script_text: str | None) -> bool:
    """Whether an image holding these two files starts Lifeline's failover first."""
    if winpeshl is None or script_text is None:
        return False
    lines = [line.strip() for line in winpeshl.removeprefix("\ufeff").splitlines() if line.strip()]
    header = next((i for i, line in enumerate(lines) if line.casefold() == LAUNCH_SECTION.casefold()), None)
    return header is not None and header + 1 < len(lines) and _entry(lines[header + 1]) == _entry(LAUNCH_ENTRY)


# --- the record -------------------------------------------------------------------------------------------------------


def arm_record(where: Paths, original_sha256: str, script_sha256: str, armed_sha256: str | None = None) -> dict:
    """The record written before the image changes (armed_sha256 null) and once it is verified (armed_sha256 set)."""
    for name, value in (("original", original_sha256), ("script", script_sha256), ("armed", armed_sha256 or "0" * 64)):
        if not _SHA256.fullmatch(value):
            raise ValueError(f"{name} SHA-256 {value!r} is not 64 upper-case hex digits")
    return _records.new(
        "winre_failover", MODULE, image=where.image, original_copy=where.original_copy,
        original_sha256=original_sha256, armed_sha256=armed_sha256, script_sha256=script_sha256,
    )  # fmt: skip


def read_record(text: str | None) -> dict | None:
    """The record (None when there is none); ParseError when it is not a winre_failover record."""
    if text is None:
        return None
    record = _records.parse(text, "winre_failover")
    for name in ("original_sha256", "armed_sha256", "script_sha256"):
        if record[name] is not None and not _SHA256.fullmatch(record[name]):
            raise ParseError("the Windows RE failover record", f"its {name} is not a SHA-256")
    return record


# --- reading the host -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    in_winpe: bool  # the MiniNT key: WinPE/WinRE
    safe_mode: bool  # SafeBoot\Option exists: Safe Mode
    info: ReagentcInfo | None  # None when reagentc /info could not be read
    info_problem: str | None
    disabled_image_sha256: str | None  # winre.wim in Windows\System32\Recovery, when it is there
    record: str | None


def failover_read(where: Paths) -> str:
    """One JSON object: ``minint``/``safeboot`` (reg query: exit 0 when the key exists), ``info`` (reagentc /info),
    ``disabled_image_sha256`` (winre.wim in Windows\\System32\\Recovery, or null) and ``record``."""
    return script(
        "$report = @{record = $null; disabled_image_sha256 = $null}",
        "$ErrorActionPreference = 'Continue'",
        *_report.captured("minint", reg_query(MININT_KEY), quietly=True),
        *_report.captured("safeboot", reg_query(SAFEBOOT_OPTION_KEY), quietly=True),
        *_report.captured("info", reagentc_info(), quietly=True),
        "$ErrorActionPreference = 'Stop'",
        *_hash_if_there("disabled_image_sha256", quote(where.image)),
        *_records.read_statements(where.record),
        "ConvertTo-Json -InputObject $report -Compress",
    )


def _hash_if_there(name: str, path_expression: str) -> list[str]:
    return [
        f"if (Test-Path -LiteralPath {path_expression} -PathType 'Leaf') {{",
        f"    $report.{name} = (Get-FileHash -LiteralPath {path_expression} -Algorithm 'SHA256').Hash",
        "}",
    ]


def parse_read(text: str) -> Read:
    document = _report.document(text, _TOOL)
    codes = {name: _report.rc(document, name, _TOOL) for name in ("minint", "safeboot")}
    for name, code in codes.items():
        if code not in (0, 1):
            raise ParseError(_TOOL, f"reg query of the {name} key exited {code}; reg exits 0 or 1")
    info, problem = None, None
    try:
        info = parse_reagentc_info(_report.output(document, "info", _TOOL))
    except ParseError as error:
        problem = str(error)
    return Read(
        codes["minint"] == 0,
        codes["safeboot"] == 0,
        info,
        problem,
        _sha(_report.field(document, "disabled_image_sha256", str, _TOOL, optional=True)),
        _report.field(document, "record", str, _TOOL, optional=True),
    )


def _sha(value: str | None) -> str | None:
    if value is not None and not _SHA256.fullmatch(value):
        raise ParseError(_STEP_TOOL, "a SHA-256 is not 64 upper-case hex digits")
    return value


def peek_script(where: Paths) -> str:
    """``reagentc /disable`` (``disable``), then winre.wim's SHA-256 where that puts it (``image_sha256``, or null)."""
    return script(
        "$report = @{image_sha256 = $null}",
        *_quiet(*_report.captured("disable", reagentc_disable(), quietly=True)),
        *_hash_if_there("image_sha256", quote(where.image)),
        "ConvertTo-Json -InputObject $report -Compress",
    )


def step_report(text: str) -> dict:
    """The JSON object a step printed; ParseError when there is none."""
    return _report.document(text, _STEP_TOOL)


def step_sha(report: dict, name: str) -> str | None:
    return _sha(_report.field(report, name, str, _STEP_TOOL, optional=True))


# --- deciding ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """Whether the failover is armed, and why not. ``armed`` is None when it cannot be told."""

    armed: bool | None
    reason: str
    record_pending: bool
    script_matches: bool | None
    image_sha256: str | None


def status(info: ReagentcInfo, image_sha256: str | None, record: dict | None, script_sha256: str | None) -> Status:
    """The failover's state from reagentc /info, winre.wim's SHA-256 and the record."""
    pending = record is not None and _records.pending(record)
    matches = None if not pending or script_sha256 is None else record["script_sha256"] == script_sha256
    if not pending:
        reason = "not armed (no Lifeline record)" if record is None else "not armed (the record says removed)"
        return Status(False, reason if info.enabled else "Windows RE is disabled", False, None, image_sha256)
    if not info.enabled:
        return Status(False, "Windows RE is disabled", True, matches, image_sha256)
    if record["armed_sha256"] is None:
        return Status(False, "an earlier arming did not finish (the record has no armed image)", True, matches,
                      image_sha256)  # fmt: skip
    if image_sha256 is None:
        return Status(None, "winre.wim could not be read, so whether it is armed is unknown", True, matches, None)
    if image_sha256 != record["armed_sha256"]:
        return Status(
            False,
            "the failover was replaced by a Windows RE update (winre.wim's SHA-256 differs from the armed image "
            "recorded)",
            True,
            matches,
            image_sha256,
        )
    if matches is False:
        return Status(True, "armed, with a failover script that differs from the one given", True, False, image_sha256)
    return Status(True, "armed", True, matches, image_sha256)


# --- the change steps (Microsoft Learn: Get-FileHash, Copy-Item, New-Item, Get-ChildItem, Set-Content, Get-Content,
# Remove-Item, ConvertFrom-Json; reagentc and dism as built in their modules) ------------------------------------------


def _quiet(*lines: str) -> list[str]:
    """Statements run under 'Continue' (captured calls that discard stderr), back to 'Stop' after."""
    return ["$ErrorActionPreference = 'Continue'", *lines, "$ErrorActionPreference = 'Stop'"]


def stage_script(where: Paths, restore_original: bool) -> str:
    """With Windows RE disabled: keep the original (copy winre.wim to the original copy), or, re-arming, put the
    original copy back first. ``{image_sha256, copy_sha256}`` after."""
    image, copy = quote(where.image), quote(where.original_copy)
    keep = (
        [f"Copy-Item -LiteralPath {copy} -Destination {image} -Force"]
        if restore_original
        else [
            f"$null = New-Item -ItemType 'Directory' -Path {quote(where.original_copy.rsplit(chr(92), 1)[0])} -Force",
            f"Copy-Item -LiteralPath {image} -Destination {copy} -Force",
        ]
    )
    return script(
        "$report = @{}",
        *keep,
        f"$report.image_sha256 = (Get-FileHash -LiteralPath {image} -Algorithm 'SHA256').Hash",
        f"$report.copy_sha256 = (Get-FileHash -LiteralPath {copy} -Algorithm 'SHA256').Hash",
        "ConvertTo-Json -InputObject $report -Compress",
    )


def _empty_mount_folder(where: Paths) -> list[str]:
    mount = quote(where.mount)
    return [
        f"$null = New-Item -ItemType 'Directory' -Path {mount} -Force",
        f"if (@(Get-ChildItem -LiteralPath {mount} -Force).Count -gt 0) {{",
        "    throw ('the mount folder ' + " + mount + " + ' is not empty (an image still mounted?)')",
        "}",
    ]


def _read_files(where: Paths, prefix: str) -> list[str]:
    statements = []
    for name, inside in (("winpeshl", WINPESHL), ("script", IN_IMAGE_SCRIPT)):
        path = quote(f"{where.mount}\\{inside}")
        statements += [
            f"$report.{prefix}{name} = $null",
            f"if (Test-Path -LiteralPath {path} -PathType 'Leaf') {{",
            f"    $report.{prefix}{name} = Get-Content -LiteralPath {path} -Raw -Encoding 'UTF8'",
            "}",
        ]
    return statements


def mount_script(where: Paths) -> str:
    """The record (``record`` on stdin) written, an empty mount folder, winre.wim mounted read/write; ``{mount,
    mount_rc, winpeshl, script}`` (the two files as the image holds them, or null)."""
    return script(
        "$plan = $input | Out-String | ConvertFrom-Json",
        "$report = @{}",
        *_records.write_statements(quote(_records.folder(where.os_volume)), quote(where.record), "$plan.record"),
        *_empty_mount_folder(where),
        *_quiet(*_report.captured("mount", dism_mount_image(where.image, where.mount), quietly=True)),
        "if ($report.mount_rc -eq 0) {",
        *("    " + line for line in _read_files(where, "")),
        "}",
        "ConvertTo-Json -InputObject $report -Compress",
    )


def write_commit_script(where: Paths) -> str:
    """The failover script and winpeshl.ini (``script``, ``winpeshl`` on stdin) written into the mounted image, the
    image unmounted with /Commit, then mounted /ReadOnly to read both back (``check_winpeshl``, ``check_script``),
    unmounted with /Discard, and hashed (``armed_sha256``)."""
    folder = quote(f"{where.mount}\\{IN_IMAGE_SCRIPT.rsplit(chr(92), 1)[0]}")
    return script(
        "$plan = $input | Out-String | ConvertFrom-Json",
        "$report = @{armed_sha256 = $null}",
        f"$null = New-Item -ItemType 'Directory' -Path {folder} -Force",
        f"Set-Content -LiteralPath {quote(where.mount + chr(92) + IN_IMAGE_SCRIPT)} -Value $plan.script "
        "-Encoding 'Ascii' -NoNewline",
        f"Set-Content -LiteralPath {quote(where.mount + chr(92) + WINPESHL)} -Value $plan.winpeshl "
        "-Encoding 'Ascii' -NoNewline",
        *_quiet(*_report.captured("commit", dism_unmount_image(where.mount, commit=True), quietly=True)),
        "if ($report.commit_rc -eq 0) {",
        *("    " + line for line in _verify(where)),
        "}",
        "ConvertTo-Json -InputObject $report -Compress",
    )


def _verify(where: Paths) -> list[str]:
    return [
        *_quiet(*_report.captured("check", dism_mount_image(where.image, where.mount, read_only=True), quietly=True)),
        "if ($report.check_rc -eq 0) {",
        *("    " + line for line in _read_files(where, "check_")),
        *_quiet(*_report.captured("discard", dism_unmount_image(where.mount, commit=False), quietly=True)),
        "}",
        f"$report.armed_sha256 = (Get-FileHash -LiteralPath {quote(where.image)} -Algorithm 'SHA256').Hash",
    ]


def inspect_script(where: Paths) -> str:
    """winre.wim mounted /ReadOnly in an empty folder, its winpeshl.ini and failover script read (``check_*``), then
    unmounted with /Discard: the image is not changed."""
    return script(
        "$report = @{}",
        *_empty_mount_folder(where),
        *_quiet(*_report.captured("check", dism_mount_image(where.image, where.mount, read_only=True), quietly=True)),
        "if ($report.check_rc -eq 0) {",
        *("    " + line for line in _read_files(where, "check_")),
        *_quiet(*_report.captured("discard", dism_unmount_image(where.mount, commit=False), quietly=True)),
        "}",
        "ConvertTo-Json -InputObject $report -Compress",
    )


def restore_script(where: Paths) -> str:
    """The original copy back over winre.wim (Windows RE disabled): ``{image_sha256}`` after."""
    return script(
        "$report = @{}",
        f"Copy-Item -LiteralPath {quote(where.original_copy)} -Destination {quote(where.image)} -Force",
        f"$report.image_sha256 = (Get-FileHash -LiteralPath {quote(where.image)} -Algorithm 'SHA256').Hash",
        "ConvertTo-Json -InputObject $report -Compress",
    )


def _record_from_stdin(where: Paths) -> list[str]:
    """The record given on stdin (``record``, when not null) written to its file."""
    write = _records.write_statements(quote(_records.folder(where.os_volume)), quote(where.record), "$plan.record")
    return ["if ($null -ne $plan.record) {", *("    " + line for line in write), "}"]


def _enable_again() -> list[str]:
    """``reagentc /enable`` then ``reagentc /info``, their output captured as ``enable`` and ``info``."""
    return _quiet(
        *_report.captured("enable", reagentc_enable(), quietly=True),
        *_report.captured("info", reagentc_info(), quietly=True),
    )


def enable_script(where: Paths, remove_copy: bool = False, enable: bool = True) -> str:
    """The record (``record`` on stdin, when not null) written, then ``reagentc /enable`` and ``reagentc /info``
    (``enable``, ``info``); ``remove_copy``: the original copy deleted first (the original is back, byte-exact);
    ``enable=False``: Windows RE was disabled before the task and stays so (record and copy only)."""
    remove = [f"Remove-Item -LiteralPath {quote(where.original_copy)} -Force"] if remove_copy else []
    return script(
        "$plan = $input | Out-String | ConvertFrom-Json",
        "$report = @{}",
        *_record_from_stdin(where),
        *remove,
        *(_enable_again() if enable else []),
        "ConvertTo-Json -InputObject $report -Compress",
    )


def rollback_script(where: Paths, restore_original: bool) -> str:
    """Undo a failed arming, whatever step it reached: the mount discarded (when an image is mounted there; an error
    is ignored), the original copy put back when ``restore_original`` (``image_sha256`` after), the record (``record``
    on stdin, when not null) written, ``reagentc /enable`` and ``reagentc /info``."""
    mount = quote(where.mount)
    restore = (
        [
            f"if (Test-Path -LiteralPath {quote(where.original_copy)} -PathType 'Leaf') {{",
            f"    Copy-Item -LiteralPath {quote(where.original_copy)} -Destination {quote(where.image)} -Force",
            "}",
        ]
        if restore_original
        else []
    )
    return script(
        "$plan = $input | Out-String | ConvertFrom-Json",
        "$report = @{image_sha256 = $null}",
        *_quiet(
            f"if ((Test-Path -LiteralPath {mount}) -and @(Get-ChildItem -LiteralPath {mount} -Force).Count -gt 0) {{",
            *("    " + line for line in _report.captured("discard", dism_unmount_image(where.mount, False), True)),
            "}",
        ),
        *restore,
        *_hash_if_there("image_sha256", quote(where.image)),
        *_record_from_stdin(where),
        *_enable_again(),
        "ConvertTo-Json -InputObject $report -Compress",
    )


def plan_json(**values: object) -> str:
    """What a step reads from standard input."""
    return json.dumps(values, ensure_ascii=True)
