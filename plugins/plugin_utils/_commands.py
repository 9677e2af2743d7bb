# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Lifeline says to Windows hosts: one builder per tool call, and the scripts that combine them.

Every builder validates its inputs against the grammar the tool documents (Microsoft Learn command
references) and raises ValueError naming the bad value before anything is built; values reach the
script only through ``quote`` and ``native`` (``_powershell.py``), so each stays one literal.
A native tool's builder returns its call (``NativeCall``), a cmdlet's builder its statements; the scripts
combine them (``native_script``, ``checked``, ``_report.captured``) and are joined once by ``script``.
Cmdlets stop the script on the first error (PowerShell then exits 1 with the error record on stderr). Send a
script with ``encoded_command``. Outputs are localized where the tool localizes them: parse them defensively.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _inputs, _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import (
    flag,
    integer,
    service_name,
    shown,
    volume,
    windows_path,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import text as _text
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import NativeCall, checked, quote, script
from ansible_collections.lifeline.recovery.plugins.plugin_utils._report import captured

__all__ = [
    "BCD_WELL_KNOWN_IDENTIFIERS",
    "RECOVERY_PASSWORD_VARIABLE",
    "REGISTRY_ROOTS",
    "REGISTRY_TYPES",
    "bcdedit_deletevalue",
    "bcdedit_enum",
    "bcdedit_set",
    "dism_get_packages",
    "dism_remove_package",
    "dism_revert_pending",
    "file_hash",
    "file_header_hex",
    "get_child_items_json",
    "get_content",
    "last_boot_time",
    "manage_bde_status",
    "manage_bde_unlock_if_locked",
    "move_item",
    "new_directory",
    "quarantine_apply",
    "quarantine_survey",
    "recovery_environment_survey",
    "reg_add",
    "reg_delete_key",
    "reg_delete_value",
    "reg_load",
    "reg_query",
    "reg_unload",
    "servicing_survey",
    "set_content",
    "shutdown_restart",
    "test_path",
    "wpeutil_reboot",
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
# bcdedit /? ID: the well-known identifiers.
BCD_WELL_KNOWN_IDENTIFIERS = frozenset(
    (
        "{bootmgr}",
        "{fwbootmgr}",
        "{memdiag}",
        "{ntldr}",
        "{current}",
        "{default}",
        "{badmemory}",
        "{bootloadersettings}",
        "{dbgsettings}",
        "{emssettings}",
        "{globalsettings}",
        "{hypervisorsettings}",
        "{resumeloadersettings}",
        "{ramdiskoptions}",
    )
)
_GUID_IDENTIFIER = re.compile(r"\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}", re.I | re.A)
# bcdedit /enum <type>.
_BCD_ENUM_TYPES = frozenset(("active", "firmware", "bootapp", "bootmgr", "osloader", "resume", "inherit", "all"))
_BCD_ELEMENT = re.compile(r"[a-z]+", re.ASCII)
_BCD_VALUE = re.compile(r"[A-Za-z0-9{\\][A-Za-z0-9{}=:.\\_-]*", re.ASCII)
_MOUNT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
# DISM package identity: Name~PublicKeyToken~Architecture~Language~Version.
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9_.~-]{1,255}", re.ASCII)
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*", re.ASCII)
# Get-ChildItem -Filter goes to FindFirstFile, which also reads < > " as wildcards.
_FILTER_FORBIDDEN = set('\\/:<>"|')
_DWORD_LIMIT = 2**32
_QWORD_LIMIT = 2**64
_SHUTDOWN_DELAY_LIMIT = 315360000  # shutdown /t: 0-315360000 seconds (10 years)
_HEADER_LIMIT = 4096


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


def _store(store: object) -> list[str]:
    return [] if store is None else ["/store", windows_path(store, "BCD store")]


def _bcd_identifier(value: object) -> str:
    if not isinstance(value, str) or not (
        value.lower() in BCD_WELL_KNOWN_IDENTIFIERS or _GUID_IDENTIFIER.fullmatch(value)
    ):
        raise ValueError(
            f"BCD identifier {shown(value)} is neither a well-known identifier such as {{default}} nor a GUID"
        )
    return value


def _bcd_element(value: object) -> str:
    if not isinstance(value, str) or not _BCD_ELEMENT.fullmatch(value):
        raise ValueError(f"BCD element {shown(value)} is not a bcdedit element name (lower-case letters)")
    return value


def _image(image: object) -> list[str]:
    """DISM's image switch: ``/Online`` for None, else ``/Image:<path>`` (then ``/English`` output)."""
    target = "/Online" if image is None else "/Image:" + windows_path(image, "Windows image")
    return [target, "/English"]


# --- reg.exe (Microsoft Learn: reg query, reg add, reg delete, reg load, reg unload) -------------


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
        if not isinstance(data, str) or not _HEX.fullmatch(data):
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


def _mount_key(value: object) -> str:
    key = _registry_key(value, "hive mount key")
    root, _, name = key.partition("\\")
    if root not in ("HKLM", "HKU") or not _MOUNT_NAME.fullmatch(name):
        raise ValueError(f"hive mount key {shown(value)} is not HKLM\\<name> or HKU\\<name> (letters, digits, _ -)")
    return key


def reg_load(mount_key: str, hive_file: str) -> NativeCall:
    """``reg load HKLM\\<name> <hive file>``: mount an offline hive (reg load allows HKLM and HKU only)."""
    return NativeCall("reg.exe", "load", _mount_key(mount_key), windows_path(hive_file, "hive file"))


def reg_unload(mount_key: str) -> NativeCall:
    """``reg unload HKLM\\<name>``."""
    return NativeCall("reg.exe", "unload", _mount_key(mount_key))


def _hive_root(mount_key: str | None, hive_file: str | None) -> tuple[str, str | None]:
    """``(root, hive file)``: ``HKLM\\SYSTEM`` and None for the live SYSTEM hive, else the offline hive's mount key
    and file, both checked."""
    if (mount_key is None) != (hive_file is None):
        raise ValueError("an offline hive needs both a mount key and a hive file")
    if mount_key is None:
        return r"HKLM\SYSTEM", None
    return _mount_key(mount_key), windows_path(hive_file, "hive file")


def _offline(root: str, hive_file: str, statements: list[str]) -> list[str]:
    """``statements`` between reg load (``load``/``load_rc`` in the report) and a reg unload that runs whatever
    happens (finally; ``unload_rc``); nothing runs when the load fails."""
    return [
        *captured("load", reg_load(root, hive_file)),
        "if ($report.load_rc -eq 0) {",
        "    try {",
        *("        " + statement for statement in statements),
        "    } finally {",
        f"        $null = {reg_unload(root)}",
        "        $report.unload_rc = $LASTEXITCODE",
        "    }",
        "}",
    ]


# --- bcdedit.exe (Microsoft Learn: bcdedit /enum, /set, /deletevalue, /store) -------------------


def bcdedit_enum(store: str | None = None, verbose: bool = True, entries: str | None = None) -> NativeCall:
    """``bcdedit [/store <file>] /enum [<entries>] [/v]``; ``entries``: a type (``all``, ``osloader``…) or an id."""
    listed = []
    if isinstance(entries, str) and entries.lower() in _BCD_ENUM_TYPES:
        listed = [entries.lower()]
    elif entries is not None:
        listed = [_bcd_identifier(entries)]
    verbose_switch = ["/v"] if flag(verbose, "verbose") else []
    return NativeCall("bcdedit.exe", *_store(store), "/enum", *listed, *verbose_switch)


def bcdedit_set(identifier: str, element: str, value: str, store: str | None = None) -> NativeCall:
    """``bcdedit [/store <file>] /set <id> <element> <value>``, e.g. ``/set {default} safeboot network``."""
    if not isinstance(value, str) or not _BCD_VALUE.fullmatch(value):
        raise ValueError(f"BCD value {shown(value)} is not a bcdedit value (letters, digits and {{}}=:.\\_-)")
    return NativeCall("bcdedit.exe", *_store(store), "/set", _bcd_identifier(identifier), _bcd_element(element), value)


def bcdedit_deletevalue(identifier: str, element: str, store: str | None = None) -> NativeCall:
    """``bcdedit [/store <file>] /deletevalue <id> <element>``."""
    return NativeCall("bcdedit.exe", *_store(store), "/deletevalue", _bcd_identifier(identifier), _bcd_element(element))


# --- manage-bde.exe (Microsoft Learn: manage-bde status) -------------------------------------------


def manage_bde_status(volume: str | None = None) -> NativeCall:
    """``manage-bde -status [<volume>]``."""
    return NativeCall("manage-bde.exe", "-status", *([] if volume is None else [_inputs.volume(volume)]))


# --- manage-bde.exe for win_bitlocker_unlock (Microsoft Learn: manage-bde status, manage-bde unlock) -------------
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


# --- dism.exe (Microsoft Learn: DISM global options, operating system package servicing) --------


def dism_get_packages(image: str | None = None) -> NativeCall:
    """``dism {/Image:<path> | /Online} /English /Get-Packages``."""
    return NativeCall("dism.exe", *_image(image), "/Get-Packages")


def dism_remove_package(image: str | None, package_name: str) -> NativeCall:
    """``dism {/Image:<path> | /Online} /English /Remove-Package /PackageName:<name> /NoRestart``.

    Exit 3010 means a restart is needed to finish.
    """
    if not isinstance(package_name, str) or not _PACKAGE_NAME.fullmatch(package_name):
        raise ValueError(f"package name {shown(package_name)} is not a DISM package identity (letters, digits, _.~-)")
    return NativeCall("dism.exe", *_image(image), "/Remove-Package", "/PackageName:" + package_name, "/NoRestart")


def dism_revert_pending(image: str | None) -> NativeCall:
    """``dism {/Image:<path> | /Online} /English /Cleanup-Image /RevertPendingActions``.

    0x800F082F means there was nothing to revert.
    """
    return NativeCall("dism.exe", *_image(image), "/Cleanup-Image", "/RevertPendingActions")


# --- restarts (Microsoft Learn: shutdown, wpeutil) ---------------------------------------------


def shutdown_restart(delay_seconds: int, comment: str | None = None) -> NativeCall:
    """``shutdown /r /t <delay> /f [/c <comment>]``: restart, closing applications (as /t > 0 implies)."""
    arguments = ["/r", "/t", str(integer(delay_seconds, "restart delay", 0, _SHUTDOWN_DELAY_LIMIT)), "/f"]
    if comment is not None:
        if len(_text(comment, "restart comment")) > 512:
            raise ValueError(f"restart comment {shown(comment)} is longer than shutdown's 512 characters")
        arguments += ["/c", comment]
    return NativeCall("shutdown.exe", *arguments)


def wpeutil_reboot() -> NativeCall:
    """``wpeutil reboot``: restart from Windows PE / WinRE."""
    return NativeCall("wpeutil.exe", "reboot")


# --- cmdlets (Microsoft Learn: Microsoft.PowerShell.Management / Utility, CimCmdlets) -----------


def get_child_items_json(folder: str, pattern: str, recurse: bool = False) -> list[str]:
    """The files in ``folder`` matching ``pattern`` as one JSON array (``[]`` when none).

    Each item: FullName, Length, CreationTimeUtc and LastWriteTimeUtc (ConvertTo-Json's DateTime form,
    ``"\\/Date(ms)\\/"`` in Windows PowerShell 5.1; cmdlets only, no .NET methods). Hidden and system
    files included (-Force). ``pattern`` is a -Filter wildcard (``*`` and ``?``) for names inside
    ``folder``: no path separators, no ``..``.
    """
    folder = windows_path(folder, "folder")
    pattern = _text(pattern, "file name pattern")
    if not pattern or set(pattern) <= {"."} or _FILTER_FORBIDDEN.intersection(pattern):
        raise ValueError(f'file name pattern {shown(pattern)} must be a file name wildcard without \\ / : < > " |')
    listing = (
        f"Get-ChildItem -LiteralPath {quote(folder)} -Filter {quote(pattern)} -File -Force"
        + (" -Recurse" if flag(recurse, "recurse") else "")
        + " | Select-Object -Property 'FullName', 'Length', 'CreationTimeUtc', 'LastWriteTimeUtc'"
    )
    return [f"$items = @({listing})", "ConvertTo-Json -InputObject $items -Compress"]


def file_header_hex(path: str, count: int) -> list[str]:
    """The first ``count`` bytes of a file as a JSON array of numbers, ``[170,170,170,170,1,0,35,1]`` (fewer if
    it is shorter, ``[]`` when empty), read with ``Get-Content -Encoding Byte -TotalCount`` (5.1; no .NET)."""
    path = windows_path(path, "file")
    count = integer(count, "header length", 1, _HEADER_LIMIT)
    return [
        f"$bytes = @(Get-Content -LiteralPath {quote(path)} -Encoding 'Byte' -TotalCount {count} -Force)",
        "ConvertTo-Json -InputObject $bytes -Compress",
    ]


def file_hash(path: str) -> list[str]:
    """The SHA-256 of a file as 64 upper-case hex digits (Get-FileHash)."""
    return [f"(Get-FileHash -LiteralPath {quote(windows_path(path, 'file'))} -Algorithm 'SHA256').Hash"]


def move_item(source: str, destination: str) -> list[str]:
    """Move-Item without -Force: fails rather than overwrite. Windows PowerShell 5.1 expands
    wildcards in -Destination, so ``[`` and ``]`` are refused there."""
    source = windows_path(source, "source")
    destination = windows_path(destination, "destination", wildcards=False)
    return [f"Move-Item -LiteralPath {quote(source)} -Destination {quote(destination)}"]


def new_directory(path: str) -> list[str]:
    """Create a folder and any missing parents; nothing happens when it exists."""
    path = windows_path(path, "folder", wildcards=False)
    return [f"$null = New-Item -ItemType 'Directory' -Path {quote(path)} -Force"]


def test_path(path: str) -> list[str]:
    """``True`` or ``False``: whether the path exists (Test-Path -LiteralPath)."""
    return [f"Test-Path -LiteralPath {quote(windows_path(path, 'path'))}"]


def set_content(path: str, text: str) -> list[str]:
    """Write ``text`` to a file as UTF-8 (5.1 adds a BOM), no newline added, replacing it (e.g. a manifest)."""
    path = windows_path(path, "file")
    return [f"Set-Content -LiteralPath {quote(path)} -Value {quote(text)} -Encoding 'UTF8' -NoNewline"]


def get_content(path: str) -> list[str]:
    """A UTF-8 file's whole text (nothing for an empty file)."""
    return [f"Get-Content -LiteralPath {quote(windows_path(path, 'file'))} -Raw -Encoding 'UTF8'"]


def last_boot_time() -> list[str]:
    """The last boot time as an ISO 8601 UTC string (Win32_OperatingSystem.LastBootUpTime)."""
    return ["(Get-CimInstance -ClassName 'Win32_OperatingSystem').LastBootUpTime.ToUniversalTime().ToString('o')"]


# --- win_quarantine_files (Microsoft Learn: Get-ChildItem, Get-FileHash, Get-Content, Select-Object,
# ConvertTo-Json, ConvertFrom-Json, Test-Path, New-Item, Move-Item, Set-Content; about_Automatic_Variables $input)


def quarantine_survey(
    folder: str,
    patterns: Sequence[str],
    header_length: int,
    quarantine_folder: str,
    record_file: str,
    legacy_manifest: str,
) -> str:
    """One JSON object: ``folder_found``, ``candidates`` (the files in ``folder`` matching any pattern, hidden
    and system ones included), ``quarantined`` (the files in ``quarantine_folder``), ``record`` (the rollback
    record's text or null) and ``legacy_manifest`` (the text of the record Lifeline 0.1.0 kept in the quarantine
    folder, or null). Each file: FullName, Length, LastWriteTimeUtc (``\\/Date(ms)\\/`` in 5.1), SHA256 and, when
    ``header_length`` > 0, Header: its first bytes as numbers (``Get-Content -Encoding Byte -TotalCount``).
    """
    folder = windows_path(folder, "folder", wildcards=False)
    quarantine_folder = windows_path(quarantine_folder, "quarantine folder", wildcards=False)
    record_file = windows_path(record_file, "record file", wildcards=False)
    legacy_manifest = windows_path(legacy_manifest, "manifest", wildcards=False)
    if isinstance(patterns, str) or not patterns:
        raise ValueError("patterns must be a non-empty list of file name wildcards")
    for pattern in patterns:
        pattern = _text(pattern, "file name pattern")
        if not pattern or set(pattern) <= {"."} or ".." in pattern or _FILTER_FORBIDDEN.intersection(pattern):
            raise ValueError(
                f'file name pattern {shown(pattern)} must be a file name wildcard without .. \\ / : < > " |'
            )
    count = integer(header_length, "header length", 0, _HEADER_LIMIT)
    properties = "'FullName', 'Length', 'LastWriteTimeUtc', $hash"
    statements = [
        f"$folder = {quote(folder)}",
        f"$quarantine = {quote(quarantine_folder)}",
        "$report = @{record = $null; legacy_manifest = $null}",
        "$hash = @{Name = 'SHA256'; Expression = {(Get-FileHash -LiteralPath $_.FullName -Algorithm 'SHA256').Hash}}",
    ]
    candidate_properties = properties
    if count:
        statements.append(
            "$header = @{Name = 'Header'; Expression = "
            f"{{@(Get-Content -LiteralPath $_.FullName -Encoding 'Byte' -TotalCount {count} -Force)}}}}"
        )
        candidate_properties += ", $header"
    listed = ", ".join(quote(pattern) for pattern in patterns)
    statements += [
        "$found = Test-Path -LiteralPath $folder -PathType 'Container'",
        "$candidates = @()",
        "if ($found) {",
        f"    $candidates = @(foreach ($pattern in @({listed})) {{",
        "        Get-ChildItem -LiteralPath $folder -Filter $pattern -File -Force |",
        f"            Select-Object -Property {candidate_properties}",
        "    })",
        "}",
        "$quarantined = @()",
        "if (Test-Path -LiteralPath $quarantine -PathType 'Container') {",
        "    $quarantined = @(Get-ChildItem -LiteralPath $quarantine -File -Force |",
        f"        Select-Object -Property {properties})",
        "}",
        *_records.read_statements(record_file),
        *_records.read_statements(legacy_manifest, into="legacy_manifest"),
        "$report.folder_found = $found",
        "$report.candidates = $candidates",
        "$report.quarantined = $quarantined",
        "ConvertTo-Json -InputObject $report -Depth 4 -Compress",
    ]
    return script(*statements)


def quarantine_apply() -> str:
    """Carry out a quarantine plan read from standard input (JSON, send it as ``stdin``), so no path or
    record text is ever part of the script or its command line, whatever its length.

    The plan: ``folder`` (created when ``create`` is true), the rollback record (``record`` text written to
    ``record_path`` in ``record_folder``, before the moves when ``record_first`` is true, else after them), and
    ``moves``: each ``{from, to, into}`` moves the file ``from`` into the folder ``into`` (keeping its name, which
    ``to`` spells out). A file already at ``to`` stops the script before that move: nothing is overwritten.
    """
    write = _records.write_statements("$plan.record_folder", "$plan.record_path", "$plan.record")
    return script(
        "$plan = $input | Out-String | ConvertFrom-Json",
        "if ($plan.create) { $null = New-Item -ItemType 'Directory' -Path $plan.folder -Force }",
        "if ($plan.record_first) {",
        *("    " + statement for statement in write),
        "}",
        "foreach ($move in $plan.moves) {",
        "    if (Test-Path -LiteralPath $move.to) { throw ('Lifeline refuses to overwrite ' + $move.to) }",
        "    Move-Item -LiteralPath $move.from -Destination $move.into",
        "}",
        "if (-not $plan.record_first) {",
        *("    " + statement for statement in write),
        "}",
        "'done'",
    )


# --- the host survey (the fleet inventory's probe, win_recovery_facts, win_recovery_reboot) and win_recovery_facts'
# SYSTEM hive survey (Microsoft Learn: reg query, reg load, reg unload, manage-bde status, bcdedit /enum, DISM
# /Get-Packages, Get-CimInstance Win32_OperatingSystem and Win32_LogicalDisk, Get-ChildItem, Get-Content -Encoding
# Byte, ConvertTo-Json). Each script prints ONE JSON object holding the raw text and exit code of every tool it ran;
# the controller parses each text with the tool's parser (_recovery_survey.py) into the host model (_host_model.py),
# whose rules decide. The scripts decide nothing: they read what was asked, in one round trip.

# The indicators of where a host is (_host_model.py): the MiniNT key of Windows PE, SafeBoot\Option of Safe Mode.
MININT_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\MiniNT"
SAFEBOOT_OPTION_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Option"
# Enough for DUMP_HEADER64 up to its four bugcheck parameters (0x40-0x5F); DUMP_HEADER32's end at 0x3C (mindumpdef.h).
MINIDUMP_HEADER_BYTES = 0x60
MINIDUMPS_LISTED = 20  # newest first; Windows keeps 50 by default (CrashControl MinidumpsCount)
_CONTROL_SET = re.compile(r"CurrentControlSet|ControlSet[0-9]{3}", re.ASCII)


def recovery_environment_survey(
    bitlocker: bool = True, boot: bool = True, crashes: bool = True, minidumps: int = MINIDUMPS_LISTED
) -> str:
    """Where the host is and what its volumes hold, as one JSON object (one round trip): the one survey of a host,
    read by ``_recovery_survey.parse_environment_survey`` into the host model.

    Always: ``computer_name``, ``system_drive`` and ``system_root`` ($env:), ``minint`` and ``safeboot`` (reg query
    text and exit codes of the MiniNT key and of SafeBoot\\Option /v OptionValue), ``last_boot``
    (Win32_OperatingSystem LastBootUpTime), ``now`` (Get-Date, to compare host times with), and ``volumes``: every
    lettered volume (Win32_LogicalDisk) with its file system, whether ``<L>:\\Windows\\System32\\config\\SYSTEM``
    and ``<L>:\\Windows\\WinSxS\\pending.xml`` exist, and with ``crashes`` its newest ``minidumps`` in
    ``<L>:\\Windows\\Minidump`` (name, size, time, first 0x60 bytes). ``bitlocker``: manage-bde -status;
    ``boot``: bcdedit /enum (the system store: the boot manager and the loaders in its display order).
    """
    bitlocker, boot, crashes = flag(bitlocker, "bitlocker"), flag(boot, "boot"), flag(crashes, "crashes")
    minidumps = integer(minidumps, "minidumps listed", 1, MINIDUMPS_LISTED)
    statements = [
        "$report = @{system_drive = $env:SystemDrive; system_root = $env:SystemRoot}",
        "$report.computer_name = $env:COMPUTERNAME",
        # An absent key is an expected answer (exit 1): reg's "unable to find" on stderr is discarded, so the script
        # writes nothing but its JSON ('Continue': 5.1 under 'Stop' turns redirected native stderr into an error).
        "$ErrorActionPreference = 'Continue'",
        *captured("minint", reg_query(MININT_KEY), quietly=True),
        *captured("safeboot", reg_query(SAFEBOOT_OPTION_KEY, "OptionValue"), quietly=True),
        "$ErrorActionPreference = 'Stop'",
        "$report.last_boot = (Get-CimInstance -ClassName 'Win32_OperatingSystem').LastBootUpTime",
        "$report.now = (Get-Date).ToUniversalTime()",
    ]
    if crashes:
        statements.append(
            "$header = @{Name = 'Header'; Expression = "
            f"{{@(Get-Content -LiteralPath $_.FullName -Encoding 'Byte' -TotalCount {MINIDUMP_HEADER_BYTES})}}}}"
        )
    statements += [
        "$report.volumes = @(foreach ($disk in @(Get-CimInstance -ClassName 'Win32_LogicalDisk')) {",
        "    $windows = $disk.DeviceID + '\\Windows'",
        "    $volume = @{letter = $disk.DeviceID; file_system = $disk.FileSystem",
        "        system_hive = Test-Path -LiteralPath ($windows + '\\System32\\config\\SYSTEM') -PathType 'Leaf'",
        "        pending_xml = Test-Path -LiteralPath ($windows + '\\WinSxS\\pending.xml') -PathType 'Leaf'}",
    ]
    if crashes:
        statements += [
            "    $volume.minidumps = @()",
            "    if (Test-Path -LiteralPath ($windows + '\\Minidump') -PathType 'Container') {",
            "        $dumps = Get-ChildItem -LiteralPath ($windows + '\\Minidump') -Filter '*.dmp' -File |",
            "            Sort-Object -Property 'LastWriteTimeUtc' -Descending |",
            f"            Select-Object -First {minidumps} -Property 'Name', 'Length', 'LastWriteTimeUtc', $header",
            "        $volume.minidumps = @($dumps)",
            "    }",
        ]
    statements += ["    $volume", "})"]
    if bitlocker:
        statements += captured("manage_bde", manage_bde_status())
    if boot:
        statements += captured("bcdedit", bcdedit_enum(verbose=False))
    statements.append("ConvertTo-Json -InputObject $report -Depth 5 -Compress")
    return script(*statements)


def system_hive_survey(
    control_set: str | None,
    mount_key: str | None = None,
    hive_file: str | None = None,
    drivers: bool = True,
    remote: bool = True,
    crashes: bool = True,
    servicing_image: str | bool | None = False,
) -> str:
    """The SYSTEM hive facts as one JSON object: the live hive (``mount_key`` None), or the offline one
    ``hive_file`` loaded at ``mount_key`` (``HKLM\\<unique name>``) and ALWAYS unloaded in a finally block.

    ``select`` (reg query Select) always; with ``control_set`` (``CurrentControlSet`` live, ``ControlSetNNN``
    offline; None reads only Select) also ``start``/``image_path``/``group`` (reg query <set>\\Services /s /v
    Start, ImagePath, Group) for ``drivers``, ``network`` (SafeBoot\\Network subkeys) and ``winrm``
    (Services\\WinRM /v DependOnService) for ``remote``, ``crash_control`` for ``crashes``. ``load_rc`` and
    ``unload_rc`` report the mount. ``servicing_image``: False skips DISM, None runs dism /Online, a path runs
    dism /Image:<path> /Get-Packages AFTER the hive is unloaded (DISM loads the image's hives itself).
    """
    root, hive_file = _hive_root(mount_key, hive_file)
    if control_set is not None and (not isinstance(control_set, str) or not _CONTROL_SET.fullmatch(control_set)):
        raise ValueError(f"control set {shown(control_set)} is neither CurrentControlSet nor ControlSetNNN")
    if mount_key is not None and control_set == "CurrentControlSet":
        raise ValueError("an offline hive has no CurrentControlSet: name its ControlSetNNN (from Select\\Current)")
    drivers, remote, crashes = flag(drivers, "drivers"), flag(remote, "remote"), flag(crashes, "crashes")
    queries = captured("select", reg_query(root + "\\Select"))
    if control_set is not None:
        services = f"{root}\\{control_set}\\Services"
        control = f"{root}\\{control_set}\\Control"
        if drivers:
            for name, value in (("start", "Start"), ("image_path", "ImagePath"), ("group", "Group")):
                queries += captured(name, reg_query(services, value, recursive=True))
        if remote:
            queries += captured("network", reg_query(control + "\\SafeBoot\\Network"))
            queries += captured("winrm", reg_query(services + "\\WinRM", "DependOnService"))
        if crashes:
            queries += captured("crash_control", reg_query(control + "\\CrashControl"))
    statements = ["$report = @{}"]
    statements += queries if hive_file is None else _offline(root, hive_file, queries)
    if servicing_image is not False:
        if servicing_image is not None and not isinstance(servicing_image, str):
            raise ValueError(f"servicing image {shown(servicing_image)} must be a path, None (online) or False")
        statements += captured("dism", dism_get_packages(servicing_image))
    statements.append("ConvertTo-Json -InputObject $report -Depth 3 -Compress")
    return script(*statements)


# --- win_servicing (Microsoft Learn: DISM operating system package servicing; Get-ChildItem, Get-Content) ---


def servicing_survey(image: str | None, os_volume: str) -> str:
    """One JSON object: ``dism`` (/Get-Packages output) and ``dism_rc``; ``pending_xml`` (whether
    ``<os_volume>\\Windows\\WinSxS\\pending.xml`` exists: operations waiting for the next boot); ``records``
    (the text of each ``servicing-*.json`` rollback record, so a rerun knows what it removed)."""
    pending = windows_path(volume(os_volume) + "\\Windows\\WinSxS\\pending.xml", "pending.xml path")
    folder = _records.folder(os_volume)
    return script(
        "$report = @{}",
        *captured("dism", dism_get_packages(image)),
        f"$report.pending_xml = Test-Path -LiteralPath {quote(pending)} -PathType 'Leaf'",
        "$report.records = @()",
        f"if (Test-Path -LiteralPath {quote(folder)} -PathType 'Container') {{",
        f"    $files = Get-ChildItem -LiteralPath {quote(folder)} -Filter {quote(_records.pattern('servicing'))} -File",
        "    $report.records = @(foreach ($file in @($files)) { Get-Content -LiteralPath $file.FullName -Raw })",
        "}",
        "ConvertTo-Json -InputObject $report -Depth 3 -Compress",
    )


# --- win_boot_driver (Microsoft Learn: reg query, reg add, reg load, reg unload; Test-Path, Get-Content) ------
_CONTROL_SET_NUMBERED = re.compile(r"ControlSet[0-9]{3}", re.ASCII)
# Control sets an offline read looks at: Windows 8 and later keep ControlSet001 (and rarely 002); the
# controller picks the one Select\Current names (a Current beyond these is reported, never guessed).
OFFLINE_CONTROL_SETS = ("ControlSet001", "ControlSet002", "ControlSet003")


def boot_driver_read(
    service: str, record_file: str | None, mount_key: str | None = None, hive_file: str | None = None
) -> str:
    """One JSON object: the service's key (``reg query ...\\Services\\<service>``: Start, Group, ImagePath...) and
    the rollback record's text (``record``, null when there is none or ``record_file`` is None).

    Live: ``service``/``service_rc`` from CurrentControlSet. Offline (``mount_key`` + ``hive_file``): the hive
    is loaded, ``select`` (reg query Select) and ``<ControlSetNNN>``/``<ControlSetNNN>_rc`` for each of
    ``OFFLINE_CONTROL_SETS`` are read, and the hive is ALWAYS unloaded (finally); ``load_rc``/``unload_rc``.
    """
    service = service_name(service)
    root, hive_file = _hive_root(mount_key, hive_file)
    statements = ["$report = @{record = $null}"]
    if record_file is not None:
        statements += _records.read_statements(windows_path(record_file, "record file", wildcards=False))
    if hive_file is None:
        statements += captured("service", reg_query(f"{root}\\CurrentControlSet\\Services\\{service}"))
    else:
        queries = captured("select", reg_query(root + "\\Select"))
        for control_set in OFFLINE_CONTROL_SETS:
            queries += captured(control_set, reg_query(f"{root}\\{control_set}\\Services\\{service}"))
        statements += _offline(root, hive_file, queries)
    statements.append("ConvertTo-Json -InputObject $report -Compress")
    return script(*statements)


def boot_driver_set_start(
    service: str, start: int, control_set: str, mount_key: str | None = None, hive_file: str | None = None
) -> str:
    """``reg add ...\\Services\\<service> /v Start /t REG_DWORD /d <start> /f`` as one JSON object (``set_rc``).

    Live: ``control_set`` is ``CurrentControlSet``. Offline: the hive is loaded, Start is set in ``control_set``
    (``ControlSetNNN``, from Select\\Current) and the hive is ALWAYS unloaded (finally); ``load_rc``/``unload_rc``.
    """
    service = service_name(service)
    root, hive_file = _hive_root(mount_key, hive_file)
    wanted = "CurrentControlSet" if hive_file is None else "ControlSetNNN"
    if not isinstance(control_set, str) or not (
        control_set == "CurrentControlSet" if hive_file is None else _CONTROL_SET_NUMBERED.fullmatch(control_set)
    ):
        raise ValueError(f"control set {shown(control_set)} is not {wanted} (live: CurrentControlSet, offline: NNN)")
    start = integer(start, "Start", 0, 4)  # SERVICE_BOOT_START 0 .. SERVICE_DISABLED 4
    add = captured("set", reg_add(f"{root}\\{control_set}\\Services\\{service}", "Start", "REG_DWORD", start))
    statements = ["$report = @{}"]
    statements += add if hive_file is None else _offline(root, hive_file, add)
    statements.append("ConvertTo-Json -InputObject $report -Compress")
    return script(*statements)


# --- win_boot_config (Microsoft Learn: bcdedit /set, /deletevalue, /store) ----------------------------------


def bcdedit_changes(identifier: str, changes: Sequence[tuple[str, str | None]], store: str | None = None) -> str:
    """Several ``bcdedit [/store <file>] /set <id> <element> <value>`` (or ``/deletevalue <id> <element>`` for a
    None value) in ONE script that stops at the first failure with its exit code (one round trip)."""
    if isinstance(changes, str) or not changes:
        raise ValueError("a BCD change needs at least one element to set or delete")
    statements = []
    for element, value in changes:
        if value is None:
            statements += checked(bcdedit_deletevalue(identifier, element, store))
        else:
            statements += checked(bcdedit_set(identifier, element, value, store))
    return script(*statements, "exit 0")


def boot_config_read(identifier: str, store: str | None = None, record_file: str | None = None) -> str:
    """One JSON object: ``bcdedit`` (``bcdedit [/store <file>] /enum <id> /v`` text) and ``bcdedit_rc``, and the
    rollback record's text (``record``, null when there is none or ``record_file`` is None)."""
    statements = ["$report = @{record = $null}"]
    if record_file is not None:
        statements += _records.read_statements(windows_path(record_file, "record file", wildcards=False))
    read = bcdedit_enum(store, entries=identifier)  # the store is checked first, then the identifier...
    _bcd_identifier(identifier)  # ...which must name one entry: a type such as 'all' is refused
    statements += captured("bcdedit", read)
    statements.append("ConvertTo-Json -InputObject $report -Compress")
    return script(*statements)


# --- win_safe_mode_network_service (Microsoft Learn: reg query, reg add, reg delete; BcdLibrary_SafeBoot: Safe
# Mode with Networking loads the drivers and services named, or whose group is named, by a subkey of
# Control\SafeBoot\Network; the subkey's default value says what it is: "Service", "Driver" or "Driver Group").
SAFEBOOT_NETWORK_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Network"
SAFEBOOT_KINDS = ("Service", "Driver")


def safeboot_network_read(services: Sequence[str], record_file: str) -> str:
    """One JSON object: ``minint``/``minint_rc`` (reg query MiniNT: exit 0 in WinPE/WinRE), ``network``/``network_rc``
    (reg query SafeBoot\\Network: its subkeys), ``service<i>``/``service<i>_rc`` (reg query Services\\<name>: Type,
    DependOnService...) for each of ``services`` in order, and ``record`` (the rollback record's text, or null)."""
    if isinstance(services, str) or not services:
        raise ValueError("services must be a non-empty list of service names")
    names = [service_name(name) for name in services]
    record_file = windows_path(record_file, "record file", wildcards=False)
    statements = [
        "$report = @{record = $null}",
        *captured("minint", reg_query(MININT_KEY)),
        *captured("network", reg_query(SAFEBOOT_NETWORK_KEY)),
    ]
    for index, name in enumerate(names):
        statements += captured(f"service{index}", reg_query(f"HKLM\\SYSTEM\\CurrentControlSet\\Services\\{name}"))
    statements += [*_records.read_statements(record_file), "ConvertTo-Json -InputObject $report -Compress"]
    return script(*statements)


def safeboot_network_change(add: Sequence[tuple[str, str]], remove: Sequence[str], os_volume: str, record: dict) -> str:
    """ONE script: when adding, the rollback record (kind safeboot_network) is written FIRST, then ``reg add
    SafeBoot\\Network\\<name> /ve /t REG_SZ /d <kind> /f`` for each (name, kind); when removing, ``reg delete
    SafeBoot\\Network\\<name> /f`` for each and the record is written after. Stops at the first failing reg with its
    exit code; cmdlets stop on error."""
    if isinstance(add, str) or isinstance(remove, str) or (not add and not remove) or (add and remove):
        raise ValueError("a SafeBoot\\Network change either adds or removes at least one service")
    write = _records.write_record(os_volume, "safeboot_network", None, record)
    changes = []
    for name, kind in add:
        if kind not in SAFEBOOT_KINDS:
            raise ValueError(f"SafeBoot entry kind {shown(kind)} is not one of {', '.join(SAFEBOOT_KINDS)}")
        changes += checked(reg_add(f"{SAFEBOOT_NETWORK_KEY}\\{service_name(name)}", "", "REG_SZ", kind))
    for name in remove:
        changes += checked(reg_delete_key(f"{SAFEBOOT_NETWORK_KEY}\\{service_name(name)}"))
    return script(*(write + changes if add else changes + write), "exit 0")
