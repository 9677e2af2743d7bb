# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scripts Lifeline runs on Windows hosts: one builder per tool call, each returning a whole script.

Every builder validates its inputs against the grammar the tool documents (Microsoft Learn command
references) and raises ValueError naming the bad value before anything is built; values reach the
script only through ``quote`` and ``native`` (``_powershell.py``), so each stays one literal.
Native tools run through ``native`` and the script ends with their exit code; cmdlet scripts stop
on the first error (PowerShell then exits 1 with the error record on stderr). Send a script with
``encoded_command``. Outputs are localized where the tool localizes them: parse them defensively.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ansible_collections.lifeline.recovery.plugins.plugin_utils._escrow import recovery_password_problem
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import (
    exit_with_native_code,
    native,
    quote,
    script,
    shown,
)

__all__ = [
    "BCD_WELL_KNOWN_IDENTIFIERS",
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
    "manage_bde_unlock",
    "move_item",
    "new_directory",
    "recovery_probe",
    "reg_add",
    "reg_delete_value",
    "reg_load",
    "reg_query",
    "reg_unload",
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
_VOLUME = re.compile(r"[A-Za-z]:", re.ASCII)
_MOUNT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
# DISM package identity: Name~PublicKeyToken~Architecture~Language~Version.
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9_.~-]{1,255}", re.ASCII)
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*", re.ASCII)
# Characters Windows does not allow in a path component (Naming Files, Paths, and Namespaces).
_PATH_FORBIDDEN = set('<>:"/|?*')
# Get-ChildItem -Filter goes to FindFirstFile, which also reads < > " as wildcards.
_FILTER_FORBIDDEN = set('\\/:<>"|')
_DWORD_LIMIT = 2**32
_QWORD_LIMIT = 2**64
_SHUTDOWN_DELAY_LIMIT = 315360000  # shutdown /t: 0-315360000 seconds (10 years)
_HEADER_LIMIT = 4096


def _controls(value: str) -> bool:
    return any(unicodedata.category(char) in ("Cc", "Cs") for char in value)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, not {type(value).__name__}")
    if _controls(value):
        raise ValueError(f"{what} {shown(value)} contains a control character")
    return value


def _windows_path(value: object, what: str, wildcards: bool = True) -> str:
    """An absolute local path ``X:\\dir\\name``; ``wildcards=False`` also refuses ``[`` and ``]``."""
    value = _text(value, what)
    if not _VOLUME.match(value) or value[2:3] != "\\":
        raise ValueError(f"{what} {shown(value)} is not an absolute path such as 'C:\\Windows'")
    if value == value[:3]:
        return value
    for component in value[3:].split("\\"):
        if not component:
            raise ValueError(f"{what} {shown(value)} has an empty component (a doubled or trailing backslash)")
        if component in (".", ".."):
            raise ValueError(f"{what} {shown(value)} contains a '.' or '..' component")
        if component[-1] in " .":
            raise ValueError(f"{what} {shown(value)} has a component ending in a space or dot, which Windows drops")
        bad = sorted(
            _PATH_FORBIDDEN.intersection(component) | ({"[", "]"} & set(component) if not wildcards else set())
        )
        if bad:
            raise ValueError(f"{what} {shown(value)} contains {' '.join(bad)}, not allowed here")
    return value


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
    return [] if store is None else ["/store", _windows_path(store, "BCD store")]


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


def _volume(value: object) -> str:
    if not isinstance(value, str) or not _VOLUME.fullmatch(value):
        raise ValueError(f"volume {shown(value)} is not a drive letter with a colon, such as 'C:'")
    return value.upper()


def _image(image: object) -> list[str]:
    """DISM's image switch: ``/Online`` for None, else ``/Image:<path>`` (then ``/English`` output)."""
    target = "/Online" if image is None else "/Image:" + _windows_path(image, "Windows image")
    return [target, "/English"]


def _integer(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} {shown(value)} is not an integer from {low} to {high}")
    return value


def _flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false, not {shown(value)}")
    return value


def _native_script(program: str, *arguments: str) -> str:
    return script(native(program, *arguments), exit_with_native_code())


# --- reg.exe (Microsoft Learn: reg query, reg add, reg delete, reg load, reg unload) -------------


def reg_query(key: str, value: str | None = None) -> str:
    """``reg query <key> [/v <value> | /ve]``; ``value=""`` is the key's default value. Exit 0, or 1."""
    switch = [] if value is None else _value_switch(value)
    return _native_script("reg.exe", "query", _registry_key(key), *switch)


def _reg_data(type_: str, data: object) -> list[str]:
    if type_ in ("REG_DWORD", "REG_QWORD"):
        limit = _DWORD_LIMIT if type_ == "REG_DWORD" else _QWORD_LIMIT
        return ["/d", str(_integer(data, f"{type_} data", 0, limit - 1))]
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


def reg_add(key: str, value: str, type_: str, data: object) -> str:
    """``reg add <key> /v <value> /t <type> [/d <data>] /f``: create or overwrite, never prompt.

    ``data``: int for REG_DWORD/REG_QWORD, bytes or hex for REG_BINARY, a list of strings for
    REG_MULTI_SZ (joined with reg's default separator ``\\0``), a string otherwise.
    """
    if type_ not in REGISTRY_TYPES:
        raise ValueError(f"registry type {shown(type_)} is not one of {', '.join(REGISTRY_TYPES)}")
    arguments = ["add", _registry_key(key), *_value_switch(value), "/t", type_, *_reg_data(type_, data), "/f"]
    return _native_script("reg.exe", *arguments)


def reg_delete_value(key: str, value: str) -> str:
    """``reg delete <key> {/v <value> | /ve} /f``: delete one value, never prompt."""
    return _native_script("reg.exe", "delete", _registry_key(key), *_value_switch(value), "/f")


def _mount_key(value: object) -> str:
    key = _registry_key(value, "hive mount key")
    root, _, name = key.partition("\\")
    if root not in ("HKLM", "HKU") or not _MOUNT_NAME.fullmatch(name):
        raise ValueError(f"hive mount key {shown(value)} is not HKLM\\<name> or HKU\\<name> (letters, digits, _ -)")
    return key


def reg_load(mount_key: str, hive_file: str) -> str:
    """``reg load HKLM\\<name> <hive file>``: mount an offline hive (reg load allows HKLM and HKU only)."""
    return _native_script("reg.exe", "load", _mount_key(mount_key), _windows_path(hive_file, "hive file"))


def reg_unload(mount_key: str) -> str:
    """``reg unload HKLM\\<name>``."""
    return _native_script("reg.exe", "unload", _mount_key(mount_key))


# --- bcdedit.exe (Microsoft Learn: bcdedit /enum, /set, /deletevalue, /store) -------------------


def bcdedit_enum(store: str | None = None, verbose: bool = True, entries: str | None = None) -> str:
    """``bcdedit [/store <file>] /enum [<entries>] [/v]``; ``entries``: a type (``all``, ``osloader``…) or an id."""
    listed = []
    if isinstance(entries, str) and entries.lower() in _BCD_ENUM_TYPES:
        listed = [entries.lower()]
    elif entries is not None:
        listed = [_bcd_identifier(entries)]
    verbose_switch = ["/v"] if _flag(verbose, "verbose") else []
    return _native_script("bcdedit.exe", *_store(store), "/enum", *listed, *verbose_switch)


def bcdedit_set(identifier: str, element: str, value: str, store: str | None = None) -> str:
    """``bcdedit [/store <file>] /set <id> <element> <value>``, e.g. ``/set {default} safeboot network``."""
    if not isinstance(value, str) or not _BCD_VALUE.fullmatch(value):
        raise ValueError(f"BCD value {shown(value)} is not a bcdedit value (letters, digits and {{}}=:.\\_-)")
    return _native_script(
        "bcdedit.exe", *_store(store), "/set", _bcd_identifier(identifier), _bcd_element(element), value
    )


def bcdedit_deletevalue(identifier: str, element: str, store: str | None = None) -> str:
    """``bcdedit [/store <file>] /deletevalue <id> <element>``."""
    return _native_script(
        "bcdedit.exe", *_store(store), "/deletevalue", _bcd_identifier(identifier), _bcd_element(element)
    )


# --- manage-bde.exe (Microsoft Learn: manage-bde status, manage-bde unlock) ----------------------


def manage_bde_status(volume: str | None = None) -> str:
    """``manage-bde -status [<volume>]``."""
    return _native_script("manage-bde.exe", "-status", *([] if volume is None else [_volume(volume)]))


def manage_bde_unlock(volume: str, recovery_password: str) -> str:
    """``manage-bde -unlock <volume> -RecoveryPassword <password>``.

    The returned script and its encoded command line CONTAIN THE RECOVERY PASSWORD (base64 hides
    nothing): send them only from a task with ``no_log``, and never display, log or return them.
    This builder logs nothing, and its errors never contain the password (only why it is invalid).
    The password is a command-line argument, as manage-bde requires, so the host can see it in its
    own process auditing while manage-bde runs.
    """
    volume = _volume(volume)
    problem = recovery_password_problem(recovery_password) if isinstance(recovery_password, str) else "not a string"
    if problem:
        raise ValueError(f"the recovery password is not valid: {problem}")
    return _native_script("manage-bde.exe", "-unlock", volume, "-RecoveryPassword", recovery_password)


# --- dism.exe (Microsoft Learn: DISM global options, operating system package servicing) --------


def dism_get_packages(image: str | None = None) -> str:
    """``dism {/Image:<path> | /Online} /English /Get-Packages``."""
    return _native_script("dism.exe", *_image(image), "/Get-Packages")


def dism_remove_package(image: str | None, package_name: str) -> str:
    """``dism {/Image:<path> | /Online} /English /Remove-Package /PackageName:<name> /NoRestart``.

    Exit 3010 means a restart is needed to finish.
    """
    if not isinstance(package_name, str) or not _PACKAGE_NAME.fullmatch(package_name):
        raise ValueError(f"package name {shown(package_name)} is not a DISM package identity (letters, digits, _.~-)")
    return _native_script("dism.exe", *_image(image), "/Remove-Package", "/PackageName:" + package_name, "/NoRestart")


def dism_revert_pending(image: str | None) -> str:
    """``dism {/Image:<path> | /Online} /English /Cleanup-Image /RevertPendingActions``.

    0x800F082F means there was nothing to revert.
    """
    return _native_script("dism.exe", *_image(image), "/Cleanup-Image", "/RevertPendingActions")


# --- restarts (Microsoft Learn: shutdown, wpeutil) ---------------------------------------------


def shutdown_restart(delay_seconds: int, comment: str | None = None) -> str:
    """``shutdown /r /t <delay> /f [/c <comment>]``: restart, closing applications (as /t > 0 implies)."""
    arguments = ["/r", "/t", str(_integer(delay_seconds, "restart delay", 0, _SHUTDOWN_DELAY_LIMIT)), "/f"]
    if comment is not None:
        if len(_text(comment, "restart comment")) > 512:
            raise ValueError(f"restart comment {shown(comment)} is longer than shutdown's 512 characters")
        arguments += ["/c", comment]
    return _native_script("shutdown.exe", *arguments)


def wpeutil_reboot() -> str:
    """``wpeutil reboot``: restart from Windows PE / WinRE."""
    return _native_script("wpeutil.exe", "reboot")


# --- cmdlets (Microsoft Learn: Microsoft.PowerShell.Management / Utility, CimCmdlets) -----------


def get_child_items_json(folder: str, pattern: str, recurse: bool = False) -> str:
    """The files in ``folder`` matching ``pattern`` as one JSON array (``[]`` when none).

    Each item: FullName, Length, CreationTimeUtc and LastWriteTimeUtc (ISO 8601 round-trip
    strings, ``…Z``). Hidden and system files included (-Force). ``pattern`` is a -Filter
    wildcard (``*`` and ``?``) for names inside ``folder``: no path separators, no ``..``.
    """
    folder = _windows_path(folder, "folder")
    pattern = _text(pattern, "file name pattern")
    if not pattern or set(pattern) <= {"."} or _FILTER_FORBIDDEN.intersection(pattern):
        raise ValueError(f'file name pattern {shown(pattern)} must be a file name wildcard without \\ / : < > " |')
    times = ", ".join(
        f"@{{Name = {quote(name)}; Expression = {{$_.{name}.ToString('o')}}}}"
        for name in ("CreationTimeUtc", "LastWriteTimeUtc")
    )
    listing = (
        f"Get-ChildItem -LiteralPath {quote(folder)} -Filter {quote(pattern)} -File -Force"
        + (" -Recurse" if _flag(recurse, "recurse") else "")
        + f" | Select-Object -Property 'FullName', 'Length', {times}"
    )
    return script(f"$items = @({listing})", "ConvertTo-Json -InputObject $items -Compress")


def file_header_hex(path: str, count: int) -> str:
    """The first ``count`` bytes of a file as ``AA-AA-AA-AA-01-00-23-01`` (fewer if it is shorter)."""
    path = _windows_path(path, "file")
    count = _integer(count, "header length", 1, _HEADER_LIMIT)
    return script(
        f"$stream = [System.IO.File]::OpenRead({quote(path)})",
        "try {",
        f"    $buffer = New-Object -TypeName 'System.Byte[]' -ArgumentList {count}",
        "    $read = 0",
        f"    while ($read -lt {count}) {{",
        f"        $got = $stream.Read($buffer, $read, {count} - $read)",
        "        if ($got -eq 0) { break }",
        "        $read += $got",
        "    }",
        "    [System.BitConverter]::ToString($buffer, 0, $read)",
        "} finally {",
        "    $stream.Dispose()",
        "}",
    )


def file_hash(path: str) -> str:
    """The SHA-256 of a file as 64 upper-case hex digits (Get-FileHash)."""
    return script(f"(Get-FileHash -LiteralPath {quote(_windows_path(path, 'file'))} -Algorithm 'SHA256').Hash")


def move_item(source: str, destination: str) -> str:
    """Move-Item without -Force: fails rather than overwrite. Windows PowerShell 5.1 expands
    wildcards in -Destination, so ``[`` and ``]`` are refused there."""
    source = _windows_path(source, "source")
    destination = _windows_path(destination, "destination", wildcards=False)
    return script(f"Move-Item -LiteralPath {quote(source)} -Destination {quote(destination)}")


def new_directory(path: str) -> str:
    """Create a folder and any missing parents; nothing happens when it exists."""
    path = _windows_path(path, "folder", wildcards=False)
    return script(f"$null = New-Item -ItemType 'Directory' -Path {quote(path)} -Force")


def test_path(path: str) -> str:
    """``True`` or ``False``: whether the path exists (Test-Path -LiteralPath)."""
    return script(f"Test-Path -LiteralPath {quote(_windows_path(path, 'path'))}")


def set_content(path: str, text: str) -> str:
    """Write ``text`` to a file as UTF-8 (5.1 adds a BOM), no newline added, replacing it (e.g. a manifest)."""
    path = _windows_path(path, "file")
    return script(f"Set-Content -LiteralPath {quote(path)} -Value {quote(text)} -Encoding 'UTF8' -NoNewline")


def get_content(path: str) -> str:
    """A UTF-8 file's whole text (nothing for an empty file)."""
    return script(f"Get-Content -LiteralPath {quote(_windows_path(path, 'file'))} -Raw -Encoding 'UTF8'")


def last_boot_time() -> str:
    """The last boot time as an ISO 8601 UTC string (Win32_OperatingSystem.LastBootUpTime)."""
    return script("(Get-CimInstance -ClassName 'Win32_OperatingSystem').LastBootUpTime.ToUniversalTime().ToString('o')")


# --- recovery probe: one look at a host's boot environment (used by the fleet inventory) --------
# Documented indicators only: WinPE/WinRE has HKLM\SYSTEM\CurrentControlSet\Control\MiniNT and the
# X: system drive (Microsoft Learn, "WinPE: Identify drive letters"/"WinPE overview"); Safe Mode
# records HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Option OptionValue (1 minimal, 2 network;
# the codes of GetSystemMetrics SM_CLEANBOOT); manage-bde -status gives each volume's Lock Status;
# the latest minidump in <OS volume>\Windows\Minidump starts with the DUMP_HEADER64 fields.

RECOVERY_PROBE_HEADER_BYTES = 0x60  # up to the four bugcheck parameters (0x40-0x5F)
_MINI_NT_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\MiniNT"
_SAFE_BOOT_OPTION_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Option"
# Where WinRE mounts the offline OS volume: any letter but X: (the RAM disk); C: first.
_OS_VOLUME_LETTERS = "CDEFGHIJKLMNOPQRSTUVWYZ"


def recovery_probe() -> str:
    """One script that prints one JSON object: what the fleet inventory needs to classify a host.

    Keys: ``system_drive``, ``computer_name``, ``mini_nt`` (bool), ``safe_boot_option`` (reg query
    output, empty when the key is absent), ``manage_bde`` (manage-bde -status output),
    ``os_volume`` (``C:``…, or null when no readable volume holds Windows, e.g. locked by
    BitLocker), and from the newest minidump: ``minidump_name``, ``minidump_time`` (ISO 8601 UTC),
    ``minidump_header`` (its first bytes as numbers). Parse it with
    ``_parse_recovery_probe.parse_recovery_probe``. Native tools' error output is discarded and
    does not stop the script (Windows PowerShell 5.1 would turn it into errors under 'Stop').
    """
    letters = ", ".join(quote(letter) for letter in _OS_VOLUME_LETTERS)
    return script(
        "$ErrorActionPreference = 'Continue'",
        "$look = @{}",
        "$look.system_drive = $env:SystemDrive",
        "$look.computer_name = $env:COMPUTERNAME",
        f"{native('reg.exe', 'query', _MINI_NT_KEY)} 2> $null | Out-Null",
        "$look.mini_nt = $LASTEXITCODE -eq 0",
        f"$look.safe_boot_option = @({native('reg.exe', 'query', _SAFE_BOOT_OPTION_KEY, '/v', 'OptionValue')}"
        ' 2> $null) -join "`n"',
        f'$look.manage_bde = @({native("manage-bde.exe", "-status")} 2> $null) -join "`n"',
        "$os = $null",
        f"foreach ($letter in @({letters})) {{",
        '    $drive = $letter + ":"',
        "    if ($drive -ne $env:SystemDrive -or -not $look.mini_nt) {",
        r"        if (Test-Path -LiteralPath ($drive + '\Windows\System32\config\SYSTEM')) { $os = $drive; break }",
        "    }",
        "}",
        "$look.os_volume = $os",
        "if ($os) {",
        r"    $dumps = @(Get-ChildItem -LiteralPath ($os + '\Windows\Minidump') -Filter '*.dmp' -File -Force"
        " -ErrorAction 'SilentlyContinue' | Sort-Object -Property 'LastWriteTimeUtc')",
        "    if ($dumps.Count -gt 0) {",
        "        $latest = $dumps[-1]",
        "        $look.minidump_name = $latest.Name",
        "        $look.minidump_time = $latest.LastWriteTimeUtc.ToString('o')",
        "        $look.minidump_header = @(Get-Content -LiteralPath $latest.FullName -Encoding 'Byte'"
        f" -TotalCount {RECOVERY_PROBE_HEADER_BYTES})",
        "    }",
        "}",
        "ConvertTo-Json -InputObject $look -Compress",
    )
