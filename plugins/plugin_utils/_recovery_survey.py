# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The survey scripts, and reading them into the host model (``_host_model.py``) and the facts: pure functions.

``recovery_environment_survey`` and ``system_hive_survey`` (the scripts, at the end of this module) print one JSON
object holding the raw output and exit code of each tool they ran; each text is read here with that tool's parser
(``_reg``, ``_manage_bde``, ``_bcdedit``, ``_dism``). The environment survey becomes an
``EnvironmentSurvey``, judged by the rules of ``_host_model.py`` (environment, where Windows is, the latest crash)
wherever it is read: the fleet inventory's probe, win_recovery_facts and win_recovery_reboot. Which drivers are
third-party is decided here, on the controller, by the rule below.

Third-party drivers: whether a driver is signed by Microsoft cannot be read remotely with the tools WinRE has.
The rule is a list: a boot (0) or system (1) start service whose name is not in ``INBOX_BOOT_AND_SYSTEM_DRIVERS``
(drivers a default Windows 10/11 or Server 2016-2025 installation, Hyper-V/Azure guests included, starts at
boot or system start) is reported as third-party, with its ImagePath and Group so an operator can judge. A
third-party driver that reuses an inbox name is missed; an inbox driver missing from the list is reported.
"""

from __future__ import annotations

import datetime
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _report
from ansible_collections.lifeline.recovery.plugins.plugin_utils._bcdedit import (
    BcdEntry,
    bcdedit_enum,
    parse_bcdedit_enum,
    parse_object_present,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._dism import (
    Package,
    dism_get_packages,
    parse_dism_packages,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import (
    FAILOVER_MARKER,
    MININT_KEY,
    SAFEBOOT_OPTION_KEY,
    EnvironmentSurvey,
    Minidump,
    SurveyVolume,
    default_entry,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import flag, integer, shown
from ansible_collections.lifeline.recovery.plugins.plugin_utils._manage_bde import (
    ManageBdeError,
    manage_bde_status,
    parse_manage_bde_status,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError, withhold_digits
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import script
from ansible_collections.lifeline.recovery.plugins.plugin_utils._reg import (
    RegKey,
    hive_root,
    parse_reg_query,
    reg_query,
    with_hive_loaded,
)

__all__ = [
    "INBOX_BOOT_AND_SYSTEM_DRIVERS",
    "MINIDUMPS_LISTED",
    "MINIDUMP_HEADER_BYTES",
    "HiveSurvey",
    "boot_summary",
    "control_set_name",
    "dump_bugcheck",
    "parse_environment_survey",
    "parse_hive_survey",
    "recovery_environment_survey",
    "system_hive_survey",
]

_ENV_TOOL = "the environment survey (reg query, Get-CimInstance, manage-bde, bcdedit as JSON)"
_HIVE_TOOL = "the SYSTEM hive survey (reg query as JSON)"
_DOTNET_DATE = re.compile(r"/Date\((-?[0-9]{1,15})\)/")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_LETTER = re.compile(r"[A-Za-z]:")

# Boot- and system-start drivers of default Windows installations (Services\<name> Start 0 or 1 on Windows 10/11
# and Server 2016-2025, physical, Hyper-V and Azure), lower case. Kept short on purpose: see the module docstring.
INBOX_BOOT_AND_SYSTEM_DRIVERS = frozenset((
    "acpi", "acpiex", "acpipagr", "afd", "afunix", "ahcache", "amdsata", "amdsbs", "amdxata", "arcsas", "atapi",
    "b06bdrv", "bam", "basicdisplay", "basicrender", "beep", "bindflt", "bowser", "bttflt", "cdrom", "cimfs",
    "cldflt", "clfs", "cmbatt", "cng", "compositebus", "condrv", "csc", "dam", "dfsc", "disk", "dxgkrnl",
    "ehstorclass", "ehstortcgdrv", "filecrypt", "fileinfo", "filetrace", "fltmgr", "fvevol", "gencounter",
    "gpuenergydrv", "hvcrash", "hvservice", "hwpolicy", "hyperkbd", "hypervideo", "iastorav", "iastorv", "intelide",
    "intelpep", "intelppm", "iorate", "ksecdd", "ksecpkg", "kdnic", "lsi_sas", "lsi_sas2i", "lsi_sas3i", "luafv",
    "megasas", "megasas2i", "megasas35i", "megasr", "mountmgr", "mpsdrv", "msfs", "mshidkmdf", "msisadrv", "msquic",
    "msrpc", "mssecflt", "mssmbios", "mup", "ndis", "ndiscap", "ndu", "netbios", "netbt", "netvsc", "npfs",
    "npsvctrig", "nsiproxy", "ntfs", "null", "nvraid", "nvstor", "partmgr", "pci", "pciide", "pcw", "pdc", "peauth",
    "percsas2i", "percsas3i", "ramdisk", "rdyboost", "refs", "sgrmagent", "spaceport", "spaceparser", "srv2",
    "srvnet", "stexstor", "storahci", "storflt", "stornvme", "storport", "storqosflt", "storvsc", "storufs",
    "tcpip", "tcpip6", "tcpipreg", "tdx", "tpm", "tsusbhub", "uefi", "umbus", "vdrvroot", "vhdmp", "vid", "vmbus",
    "vmgid", "vmbushid", "volmgr", "volmgrx", "volsnap", "volume", "vpci", "vsmraid", "vstxraid", "wcifs", "wcnfs",
    "wdboot", "wdfilter", "wdf01000", "wfplwfs", "wimmount", "windowstrustedrt", "windowstrustedrtproxy", "wof",
    "ws2ifsl", "wtd",
))  # fmt: skip


# --- the environment survey ------------------------------------------------------------------------------------


def host_time(value: object, what: str, tool: str = _ENV_TOOL) -> datetime.datetime:
    """A DateTime as Windows PowerShell 5.1's ConvertTo-Json writes it (``\\/Date(ms)\\/``, maybe wrapped in
    ``{"value": ...}``) or as ISO 8601 with a zone (PowerShell 7), in UTC."""
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    if isinstance(value, str):
        match = _DOTNET_DATE.fullmatch(value)
        if match:
            return _EPOCH + datetime.timedelta(milliseconds=int(match.group(1)))
        try:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(datetime.UTC)
    raise ParseError(tool, f"{what} {withhold_digits(repr(value))[:80]} is not a date with a time zone")


def _safe_boot_option(document: Mapping) -> int | str | None:
    """SafeBoot\\Option's OptionValue: None when reg finds no such key (exit 1), the REG_DWORD, or what stood there
    instead, as text for the evidence (another type, no value, output reg's parser does not understand)."""
    rc = _report.rc(document, "safeboot", _ENV_TOOL)
    if rc == 1:
        return None
    if rc != 0:
        raise ParseError("reg query SafeBoot\\Option", f"exit code {rc}; reg exits 0 (found) or 1 (not found)")
    try:
        keys = parse_reg_query(_report.output(document, "safeboot", _ENV_TOOL))
    except ParseError as error:
        return f"unreadable ({error})"
    value = keys[0].value("OptionValue") if keys else None
    if value is None:
        return "missing"
    if value.type == "REG_DWORD" and isinstance(value.data, int):
        return value.data
    return f"{value.type} {value.data!r}"[:300]


def _mini_nt(document: Mapping) -> bool:
    """Whether reg query found the MiniNT key: exit 0 found, 1 not found (Microsoft Learn, reg query)."""
    rc = _report.rc(document, "minint", _ENV_TOOL)
    if rc not in (0, 1):
        raise ParseError("reg query MiniNT", f"exit code {rc}; reg exits 0 (found) or 1 (not found)")
    return rc == 0


def _minidump(item: object, position: int) -> Minidump:
    where = f"minidump {position}"
    if not isinstance(item, dict):
        raise ParseError(_ENV_TOOL, f"{where} is not an object")
    name = _report.field(item, "Name", str, _ENV_TOOL)
    size = _report.field(item, "Length", int, _ENV_TOOL)
    header = item.get("Header") or []
    if not isinstance(header, list) or not all(
        isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in header
    ):
        raise ParseError(_ENV_TOOL, f"{where}: Header is not a list of bytes")
    kind, bugcheck, parameters = dump_bugcheck(bytes(header))
    time = host_time(item.get("LastWriteTimeUtc"), f"{where} time")
    return Minidump(name, size, time, kind, bugcheck, parameters)


# The Windows SDK's mindumpdef.h: DUMP_HEADER32 (4-byte packed; Signature 'PAGE', ValidDump 'DUMP') has ten ULONGs,
# then BugCheckCode at 0x28 and four ULONG parameters at 0x2C; DUMP_HEADER64 (Signature 'PAGE', ValidDump 'DU64')
# has BugCheckCode at 0x38 and four ULONG64 parameters at 0x40 (8-byte aligned), 0x60 bytes in all.
_DUMP_HEADERS = {b"PAGEDU64": (0x38, "<4Q", 0x40), b"PAGEDUMP": (0x28, "<4I", 0x2C)}


def dump_bugcheck(header: bytes) -> tuple[str | None, int | None, tuple[int, ...]]:
    """``(header, bugcheck, parameters)`` of a kernel dump header: ``PAGEDU64`` or ``PAGEDUMP`` with the code and
    its four parameters, or ``(None, None, ())`` for anything else (a dump cut off while it was written)."""
    layout = _DUMP_HEADERS.get(header[:8])
    if layout is None:
        return None, None, ()
    code_at, parameters_format, parameters_at = layout
    if len(header) < parameters_at + struct.calcsize(parameters_format):
        return None, None, ()
    (code,) = struct.unpack_from("<I", header, code_at)
    return header[:8].decode("ascii"), code, struct.unpack_from(parameters_format, header, parameters_at)


def _volume(item: object, position: int) -> SurveyVolume:
    if not isinstance(item, dict):
        raise ParseError(_ENV_TOOL, f"volume {position} is not an object")
    letter = _report.field(item, "letter", str, _ENV_TOOL)
    if not _LETTER.fullmatch(letter):
        raise ParseError(_ENV_TOOL, f"volume {position} has no drive letter ({letter[:20]!r})")
    dumps = item.get("minidumps")
    if dumps is not None and not isinstance(dumps, list):
        dumps = [dumps]  # ConvertTo-Json writes a one-item @() from a hashtable value as the item itself
    return SurveyVolume(
        letter=letter.upper(),
        file_system=_report.field(item, "file_system", str, _ENV_TOOL, optional=True),
        system_hive=_report.field(item, "system_hive", bool, _ENV_TOOL),
        pending_xml=_report.field(item, "pending_xml", bool, _ENV_TOOL),
        minidumps=None if dumps is None else tuple(_minidump(d, n) for n, d in enumerate(dumps, start=1)),
    )


def parse_environment_survey(text: str) -> EnvironmentSurvey:
    """The output of ``recovery_environment_survey``. Raises ParseError for output that is not the script's
    JSON or a tool text its parser refuses; a manage-bde or bcdedit failure is kept as ``*_error`` instead
    (the rest of the facts stay useful)."""
    document = _report.document(text, _ENV_TOOL)
    system_drive = _report.field(document, "system_drive", str, _ENV_TOOL)
    if not _LETTER.fullmatch(system_drive):
        raise ParseError(_ENV_TOOL, f"SystemDrive {system_drive[:20]!r} is not a drive letter")
    volumes = document.get("volumes") or []
    if isinstance(volumes, dict):
        volumes = [volumes]
    bitlocker = bitlocker_error = boot = boot_error = None
    if "manage_bde_rc" in document:
        try:
            bitlocker = tuple(parse_manage_bde_status(_report.output(document, "manage_bde", _ENV_TOOL)))
        except (ManageBdeError, ParseError) as error:
            bitlocker_error = f"{error} (exit code {_report.rc(document, 'manage_bde', _ENV_TOOL)})"
    if "bcdedit_rc" in document:
        try:
            boot = tuple(parse_bcdedit_enum(_report.output(document, "bcdedit", _ENV_TOOL)))
        except ParseError as error:
            boot_error = f"{error} (exit code {_report.rc(document, 'bcdedit', _ENV_TOOL)})"
    marker, marker_error = _failover_marker(document)
    return EnvironmentSurvey(
        computer_name=_report.field(document, "computer_name", str, _ENV_TOOL),
        system_drive=system_drive.upper(),
        system_root=_report.field(document, "system_root", str, _ENV_TOOL, optional=True),
        mini_nt=_mini_nt(document),
        safe_boot_option=_safe_boot_option(document),
        last_boot_time=host_time(document.get("last_boot"), "LastBootUpTime"),
        host_time=host_time(document.get("now"), "Get-Date"),
        volumes=tuple(_volume(item, n) for n, item in enumerate(volumes, start=1)),
        bitlocker=bitlocker,
        bitlocker_error=bitlocker_error,
        boot=boot,
        boot_error=boot_error,
        failover_marker=marker,
        failover_marker_error=marker_error,
    )


def _failover_marker(document: Mapping) -> tuple[bool | None, str | None]:
    """Whether the system store holds the failover marker: ``(True|False, None)``, or ``(None, problem)`` when
    bcdedit's answer is neither the object nor "no matching objects" (not asked for: ``(None, None)``)."""
    if "marker_rc" not in document:
        return None, None
    try:
        return parse_object_present(_report.output(document, "marker", _ENV_TOOL), FAILOVER_MARKER), None
    except ParseError as error:
        return None, f"{error} (exit code {_report.rc(document, 'marker', _ENV_TOOL)})"


# --- the facts of the environment survey ----------------------------------------------------------------------


def boot_summary(entries: tuple[BcdEntry, ...] | None) -> dict | None:
    """The default loader's recovery-relevant elements (bcdedit's own names; None where not set)."""
    entry = default_entry(entries)
    if entries is None:
        return None
    manager = next((e for e in entries if e.identifier == "{bootmgr}"), None)
    summary: dict[str, Any] = {
        "default_entry": entry.identifier if entry else None,
        "timeout": manager.get("timeout") if manager else None,
        "entries": [e.identifier for e in entries],
    }
    for name in ("description", "device", "osdevice", "path", "systemroot", "safeboot", "safebootalternateshell",
                 "bootstatuspolicy", "recoveryenabled", "recoverysequence"):  # fmt: skip
        value = entry.get(name) if entry else None
        summary[name] = list(value) if isinstance(value, tuple) else value
    return summary


# --- the SYSTEM hive survey ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HiveSurvey:
    select: dict[str, int]
    drivers: tuple[dict, ...] | None
    safeboot_network: tuple[str, ...] | None
    winrm_dependencies: tuple[str, ...] | None
    crash_control: dict | None
    groups: dict[str, str]
    packages: tuple[Package, ...] | None
    servicing_error: str | None
    unload_rc: int | None


def control_set_name(select: Mapping[str, int]) -> str:
    """``ControlSet001`` for ``Select\\Current`` 1 (windows-recovery.md "Offline registry")."""
    current = select.get("current")
    if not isinstance(current, int) or not 1 <= current <= 999:
        raise ParseError("reg query Select", f"Current is {current!r}, not a control set number")
    return f"ControlSet{current:03d}"


def _values_by_service(text: str, rc: int, value: str) -> dict[str, Any]:
    """``{service: data}`` from ``reg query <Services> /s /v <value>`` (exit 1 with no match is an empty search)."""
    if rc not in (0, 1):
        raise ParseError(f"reg query /s /v {value}", f"exit code {rc}")
    found: dict[str, Any] = {}
    for key in parse_reg_query(text, recursive=True) if text.strip() else []:
        path = key.path.split("\\")
        entry = key.value(value)
        if entry is not None and len(path) >= 2 and path[-2].casefold() == "services":
            found[path[-1]] = entry.data
    return found


def _subkey_names(key: RegKey | None) -> tuple[str, ...]:
    return tuple(sub.rsplit("\\", 1)[-1] for sub in key.subkeys) if key else ()


def parse_hive_survey(text: str) -> HiveSurvey:
    """The output of ``system_hive_survey``. Raises ParseError when the hive could not be loaded or read."""
    document = _report.document(text, _HIVE_TOOL)
    if "load_rc" in document and _report.rc(document, "load", _HIVE_TOOL) != 0:
        problem = " ".join(_report.output(document, "load", _HIVE_TOOL).split())[:200] or "see stderr"
        raise ParseError("reg load", f"exit code {_report.rc(document, 'load', _HIVE_TOOL)}: {problem}")
    unload_rc = document.get("unload_rc") if "load_rc" in document else None
    if _report.rc(document, "select", _HIVE_TOOL) != 0:
        raise ParseError("reg query Select", f"exit code {_report.rc(document, 'select', _HIVE_TOOL)}: no Select key")
    (select_key,) = parse_reg_query(_report.output(document, "select", _HIVE_TOOL)) or (None,)
    select = {v.name.casefold(): v.data for v in select_key.values if v.type == "REG_DWORD"} if select_key else {}
    drivers = None
    groups: dict[str, str] = {}
    if "start_rc" in document:
        starts = _values_by_service(
            _report.output(document, "start", _HIVE_TOOL), _report.rc(document, "start", _HIVE_TOOL), "Start"
        )
        images = _values_by_service(
            _report.output(document, "image_path", _HIVE_TOOL),
            _report.rc(document, "image_path", _HIVE_TOOL),
            "ImagePath",
        )
        groups = _values_by_service(
            _report.output(document, "group", _HIVE_TOOL), _report.rc(document, "group", _HIVE_TOOL), "Group"
        )
        drivers = tuple(
            {
                "name": name,
                "start": start,
                "start_type": "boot" if start == 0 else "system",
                "group": groups.get(name) or None,
                "image_path": images.get(name),
            }
            for name, start in sorted(starts.items(), key=lambda item: item[0].casefold())
            if start in (0, 1) and name.casefold() not in INBOX_BOOT_AND_SYSTEM_DRIVERS
        )
    network = dependencies = None
    if "network_rc" in document:
        found = _report.rc(document, "network", _HIVE_TOOL) == 0
        keys = parse_reg_query(_report.output(document, "network", _HIVE_TOOL)) if found else []
        network = _subkey_names(keys[0] if keys else None)
        dependencies = ()
        if _report.rc(document, "winrm", _HIVE_TOOL) == 0:
            (winrm,) = parse_reg_query(_report.output(document, "winrm", _HIVE_TOOL)) or (None,)
            value = winrm.value("DependOnService") if winrm else None
            dependencies = tuple(value.data) if value is not None and isinstance(value.data, tuple) else ()
    crash_control = None
    if "crash_control_rc" in document and _report.rc(document, "crash_control", _HIVE_TOOL) == 0:
        (key,) = parse_reg_query(_report.output(document, "crash_control", _HIVE_TOOL)) or (None,)
        crash_control = {v.name: v.data for v in key.values if isinstance(v.data, int | str)} if key else {}
    packages = servicing_error = None
    if "dism_rc" in document:
        try:
            packages = tuple(parse_dism_packages(_report.output(document, "dism", _HIVE_TOOL)))
        except ParseError as error:
            servicing_error = f"{error} (exit code {_report.rc(document, 'dism', _HIVE_TOOL)})"
    return HiveSurvey(
        select, drivers, network, dependencies, crash_control, groups, packages, servicing_error, unload_rc
    )


def remote_recovery(hive: HiveSurvey) -> dict | None:
    """Whether WinRM runs in Safe Mode with Networking: listed under SafeBoot\\Network, and so is each service it
    depends on (by name, or by its load-order group when the driver survey read the groups)."""
    if hive.safeboot_network is None:
        return None
    listed = {name.casefold() for name in hive.safeboot_network}
    groups = {name.casefold(): group.casefold() for name, group in hive.groups.items() if isinstance(group, str)}
    missing = [
        dependency
        for dependency in hive.winrm_dependencies or ()
        if dependency.casefold() not in listed and groups.get(dependency.casefold()) not in listed
    ]
    winrm = "winrm" in listed
    return {
        "prepared": winrm and not missing,
        "winrm_listed": winrm,
        "winrm_dependencies": list(hive.winrm_dependencies or ()),
        "dependencies_not_listed": missing,
    }


# --- the scripts --------------------------------------------------------------------------------------------------
# The host survey (the fleet inventory's probe, win_recovery_facts, win_recovery_reboot) and win_recovery_facts'
# SYSTEM hive survey (Microsoft Learn: reg query, reg load, reg unload, manage-bde status, bcdedit /enum, DISM
# /Get-Packages, Get-CimInstance Win32_OperatingSystem and Win32_LogicalDisk, Get-ChildItem, Get-Content -Encoding
# Byte, ConvertTo-Json). Each script prints ONE JSON object holding the raw text and exit code of every tool it ran;
# the controller parses each text with the tool's parser (the functions above) into the host model
# (_host_model.py), whose rules decide. The scripts decide nothing: they read what was asked, in one round trip.

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
    ``boot``: bcdedit /enum (the system store: the boot manager and the loaders in its display order) and
    ``marker``: bcdedit /enum <the failover marker> /v (``_host_model.FAILOVER_MARKER``).
    """
    bitlocker, boot, crashes = flag(bitlocker, "bitlocker"), flag(boot, "boot"), flag(crashes, "crashes")
    minidumps = integer(minidumps, "minidumps listed", 1, MINIDUMPS_LISTED)
    statements = [
        "$report = @{system_drive = $env:SystemDrive; system_root = $env:SystemRoot}",
        "$report.computer_name = $env:COMPUTERNAME",
        # An absent key is an expected answer (exit 1): reg's "unable to find" on stderr is discarded, so the script
        # writes nothing but its JSON ('Continue': 5.1 under 'Stop' turns redirected native stderr into an error).
        "$ErrorActionPreference = 'Continue'",
        *_report.captured("minint", reg_query(MININT_KEY), quietly=True),
        *_report.captured("safeboot", reg_query(SAFEBOOT_OPTION_KEY, "OptionValue"), quietly=True),
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
        statements += _report.captured("manage_bde", manage_bde_status())
    if boot:
        statements += _report.captured("bcdedit", bcdedit_enum(verbose=False))
        statements += _report.captured("marker", bcdedit_enum(entries=FAILOVER_MARKER))
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
    queries = _report.captured("select", reg_query(root + "\\Select"))
    if control_set is not None:
        services = f"{root}\\{control_set}\\Services"
        control = f"{root}\\{control_set}\\Control"
        if drivers:
            for name, value in (("start", "Start"), ("image_path", "ImagePath"), ("group", "Group")):
                queries += _report.captured(name, reg_query(services, value, recursive=True))
        if remote:
            queries += _report.captured("network", reg_query(control + "\\SafeBoot\\Network"))
            queries += _report.captured("winrm", reg_query(services + "\\WinRM", "DependOnService"))
        if crashes:
            queries += _report.captured("crash_control", reg_query(control + "\\CrashControl"))
    statements = ["$report = @{}"]
    statements += queries if hive_file is None else with_hive_loaded(root, hive_file, queries)
    if servicing_image is not False:
        if servicing_image is not None and not isinstance(servicing_image, str):
            raise ValueError(f"servicing image {shown(servicing_image)} must be a path, None (online) or False")
        statements += _report.captured("dism", dism_get_packages(servicing_image))
    statements.append("ConvertTo-Json -InputObject $report -Depth 3 -Compress")
    return script(*statements)
