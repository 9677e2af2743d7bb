# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scripts of the modules, each combining tool calls and cmdlets into ONE round trip.

The tool builders are in the tool modules (``_reg.py``, ``_bcdedit.py``, ``_dism.py``, ``_manage_bde.py``,
``_files.py``, ``_restart.py``); the scripts here combine their calls (``checked``, ``_report.captured``) and are
joined once by ``script``. Cmdlets stop the script on the first error (PowerShell then exits 1 with the error record
on stderr). Send a script with ``encoded_command``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._bcdedit import (
    bcd_identifier,
    bcdedit_deletevalue,
    bcdedit_enum,
    bcdedit_set,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._dism import dism_get_packages
from ansible_collections.lifeline.recovery.plugins.plugin_utils._files import FILTER_FORBIDDEN, HEADER_LIMIT
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import (
    flag,
    integer,
    service_name,
    shown,
    volume,
    windows_path,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import text as _text
from ansible_collections.lifeline.recovery.plugins.plugin_utils._manage_bde import manage_bde_status
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import checked, quote, script
from ansible_collections.lifeline.recovery.plugins.plugin_utils._reg import (
    hive_root,
    reg_add,
    reg_delete_key,
    reg_query,
    with_hive_loaded,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._report import captured

__all__ = [
    "quarantine_apply",
    "quarantine_survey",
    "recovery_environment_survey",
    "servicing_survey",
]


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
        if not pattern or set(pattern) <= {"."} or ".." in pattern or FILTER_FORBIDDEN.intersection(pattern):
            raise ValueError(
                f'file name pattern {shown(pattern)} must be a file name wildcard without .. \\ / : < > " |'
            )
    count = integer(header_length, "header length", 0, HEADER_LIMIT)
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
    root, hive_file = hive_root(mount_key, hive_file)
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
    statements += queries if hive_file is None else with_hive_loaded(root, hive_file, queries)
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
    root, hive_file = hive_root(mount_key, hive_file)
    statements = ["$report = @{record = $null}"]
    if record_file is not None:
        statements += _records.read_statements(windows_path(record_file, "record file", wildcards=False))
    if hive_file is None:
        statements += captured("service", reg_query(f"{root}\\CurrentControlSet\\Services\\{service}"))
    else:
        queries = captured("select", reg_query(root + "\\Select"))
        for control_set in OFFLINE_CONTROL_SETS:
            queries += captured(control_set, reg_query(f"{root}\\{control_set}\\Services\\{service}"))
        statements += with_hive_loaded(root, hive_file, queries)
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
    root, hive_file = hive_root(mount_key, hive_file)
    wanted = "CurrentControlSet" if hive_file is None else "ControlSetNNN"
    if not isinstance(control_set, str) or not (
        control_set == "CurrentControlSet" if hive_file is None else _CONTROL_SET_NUMBERED.fullmatch(control_set)
    ):
        raise ValueError(f"control set {shown(control_set)} is not {wanted} (live: CurrentControlSet, offline: NNN)")
    start = integer(start, "Start", 0, 4)  # SERVICE_BOOT_START 0 .. SERVICE_DISABLED 4
    add = captured("set", reg_add(f"{root}\\{control_set}\\Services\\{service}", "Start", "REG_DWORD", start))
    statements = ["$report = @{}"]
    statements += add if hive_file is None else with_hive_loaded(root, hive_file, add)
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
    bcd_identifier(identifier)  # ...which must name one entry: a type such as 'all' is refused
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
