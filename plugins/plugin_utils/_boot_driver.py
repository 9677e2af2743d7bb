# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_boot_driver's scripts and pure logic: which drivers it refuses, its read and Start scripts (live, or the offline
hive loaded and always unloaded) and reading them, its rollback record (kind boot_driver, ``_records.py``).

Policy (why a driver is refused): a driver the boot path needs cannot be disabled without making the OS volume
unreachable (bugcheck 0x7B INACCESSIBLE_BOOT_DEVICE) or the host unrecoverable. Two rules, both checked before
anything that changes is sent:
- ``DENIED_SERVICES``: the inbox storage, volume, encryption, file system and bus drivers by name (and what
  remote recovery itself needs: NDIS, TCP/IP, WinRM) -- checked before any command is sent at all;
- ``PROTECTED_GROUPS``: the service's ``Group`` value (read first) is one of the load-order groups that bring up
  the boot device, its volume stack and its file system. Microsoft Learn "Specifying Driver Load Order" and the
  ServiceGroupOrder\\List order: bus extenders, SCSI miniport/Port/Primary Disk/SCSI Class (the storage stack),
  Filter and PNP Filter (disk and volume filters such as partmgr's), Boot File System and File System, and the
  minifilter groups "FSFilter Infrastructure" (FltMgr), "FSFilter Encryption" and "FSFilter Compression"
  (Load order groups and altitudes for minifilter drivers): files the boot reads go through them.
An ordinary third-party filter (e.g. "FSFilter Activity Monitor" or "FSFilter Anti-Virus", where endpoint
agents live) is allowed: that is exactly what this module is for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records, _report
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import (
    integer,
    service_name,
    shown,
    windows_path,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import script
from ansible_collections.lifeline.recovery.plugins.plugin_utils._recovery_survey import control_set_name
from ansible_collections.lifeline.recovery.plugins.plugin_utils._reg import (
    RegKey,
    hive_root,
    parse_reg_query,
    reg_add,
    reg_query,
    with_hive_loaded,
)

__all__ = [
    "DENIED_SERVICES",
    "OFFLINE_CONTROL_SETS",
    "PROTECTED_GROUPS",
    "START_TYPES",
    "DriverRead",
    "ServiceState",
    "boot_driver_read",
    "boot_driver_set_start",
    "group_refusal",
    "name_refusal",
    "new_record",
    "parse_driver_read",
    "parse_set_report",
    "read_record",
]

DISABLED = 4
START_TYPES = {0: "boot", 1: "system", 2: "automatic", 3: "manual", 4: "disabled"}
_TOOL = "the boot driver read (reg query as JSON)"

DENIED_SERVICES = frozenset((
    # storage: port/miniport drivers and the disk class driver (0x7B when lost)
    "storport", "stornvme", "storahci", "storvsc", "storflt", "storufs", "iastorav", "iastorv", "megasas",
    "lsi_sas", "lsi_sas2i", "lsi_sas3i", "atapi", "pciide", "intelide", "disk", "ehstorclass", "spaceport",
    # partitions and volumes, snapshots, BitLocker
    "partmgr", "volmgr", "volmgrx", "volsnap", "volume", "mountmgr", "fvevol", "iorate", "vhdmp",
    # file systems, the filter manager and the log file system under the registry's transactions
    "ntfs", "refs", "fltmgr", "clfs", "fileinfo", "wof", "ksecdd", "cng", "ksecpkg",
    # buses and the platform
    "pci", "acpi", "acpiex", "msisadrv", "vdrvroot", "pdc", "vmbus", "vpci", "tpm", "wdf01000",
    # what remote recovery over WinRM needs
    "ndis", "tcpip", "afd", "netbt", "winrm", "rpcss", "http",
))  # fmt: skip
PROTECTED_GROUPS = frozenset(
    group.casefold()
    for group in (
        "Boot Bus Extender", "System Bus Extender", "SCSI miniport", "SCSI Port", "Port", "Primary Disk",
        "SCSI Class", "Filter", "PNP Filter", "Boot File System", "File System", "FSFilter Infrastructure",
        "FSFilter Encryption", "FSFilter Compression",
    )
)  # fmt: skip


def name_refusal(name: str) -> str | None:
    """Why the service ``name`` may not be disabled (deny list), or None."""
    if name.casefold() in DENIED_SERVICES:
        return (
            f"refusing to disable {name}: it is a boot-critical or recovery-critical driver (Lifeline's deny list); "
            "disabling it would leave the OS volume unreachable (0x7B) or the host unreachable; nothing was changed"
        )
    return None


def group_refusal(name: str, group: str | None) -> str | None:
    """Why the service ``name`` in load-order group ``group`` may not be disabled, or None."""
    if group is not None and group.strip().casefold() in PROTECTED_GROUPS:
        return (
            f"refusing to disable {name}: its load-order group {group!r} brings up the boot device, its volumes or "
            "its file system (storage, volume, encryption or file system filter group); nothing was changed"
        )
    return None


@dataclass(frozen=True)
class ServiceState:
    """What the service key holds: Start, Group, ImagePath (None when the value is missing)."""

    start: int | None
    group: str | None
    image_path: str | None

    def to_dict(self) -> dict:
        return {"Start": self.start, "Group": self.group, "ImagePath": self.image_path}


@dataclass(frozen=True)
class DriverRead:
    control_set: str  # CurrentControlSet live, ControlSetNNN offline
    service: ServiceState | None  # None: there is no such service key
    record: str | None  # the rollback record's text, None when there is none
    unload_rc: int | None  # offline only


def _service(text: str, rc: int, what: str) -> ServiceState | None:
    if rc == 1 and not text.strip():
        return None  # reg query: "ERROR: The system was unable to find the specified registry key" (stderr), exit 1
    if rc != 0:
        raise ParseError(_TOOL, f"reg query {what} exited {rc}")
    keys = parse_reg_query(text)
    if not keys:
        return ServiceState(None, None, None)
    key: RegKey = keys[0]
    start, group, image = key.value("Start"), key.value("Group"), key.value("ImagePath")
    if start is not None and not isinstance(start.data, int):
        raise ParseError(_TOOL, f"Start of {what} is {start.type}, not REG_DWORD")
    return ServiceState(
        start.data if start is not None else None,
        group.data if group is not None and isinstance(group.data, str) else None,
        image.data if image is not None and isinstance(image.data, str) else None,
    )


def parse_driver_read(text: str, offline: bool, control_sets: tuple[str, ...] = ()) -> DriverRead:
    """The read script's JSON (``boot_driver_read``). Offline, a failed ``reg load`` is an error naming
    its exit code; the service key is the one in the control set ``Select\\Current`` names."""
    document = _report.document(text, _TOOL)
    record = _report.field(document, "record", str, _TOOL, optional=True)
    if not offline:
        service = _service(
            _report.output(document, "service", _TOOL), _report.rc(document, "service", _TOOL), "the service"
        )
        return DriverRead("CurrentControlSet", service, record, None)
    load_rc = _report.rc(document, "load", _TOOL)
    if load_rc != 0:
        raise ParseError(
            "reg load", f"exit code {load_rc}: {_report.output(document, 'load', _TOOL).strip() or 'no output'}"
        )
    unload_rc = _report.field(document, "unload_rc", int, _TOOL)
    if _report.rc(document, "select", _TOOL) != 0:
        raise ParseError("reg query Select", "the offline hive has no Select key: is this a SYSTEM hive?")
    (select_key,) = parse_reg_query(_report.output(document, "select", _TOOL)) or (None,)
    select = {v.name.casefold(): v.data for v in select_key.values if v.type == "REG_DWORD"} if select_key else {}
    control_set = control_set_name(select)
    if control_set not in control_sets:
        raise ParseError(_TOOL, f"Select\\Current names {control_set}, which Lifeline does not read")
    service = _service(
        _report.output(document, control_set, _TOOL), _report.rc(document, control_set, _TOOL), control_set
    )
    return DriverRead(control_set, service, record, unload_rc)


def parse_set_report(text: str, offline: bool) -> tuple[int, int | None]:
    """``(set_rc, unload_rc)`` from ``boot_driver_set_start``'s JSON."""
    document = _report.document(text, "the Start change (reg add as JSON)")
    if offline:
        load_rc = _report.rc(document, "load", _TOOL)
        if load_rc != 0:
            raise ParseError("reg load", f"exit code {load_rc}: {_report.output(document, 'load', _TOOL).strip()}")
        return _report.rc(document, "set", _TOOL), _report.field(document, "unload_rc", int, _TOOL)
    return _report.rc(document, "set", _TOOL), None


def new_record(service: str, control_set: str, offline: bool, previous: ServiceState, value: int) -> dict:
    """The rollback record of a Start change: what it replaced (Start, Group, ImagePath) and the new Start."""
    return _records.new(
        "boot_driver",
        "win_boot_driver",
        service=service,
        element="Start",
        control_set=control_set,
        offline=offline,
        previous=previous.to_dict(),
        value={"Start": value},
    )


def read_record(text: str, service: str) -> dict:
    """The record, checked: a boot_driver record for ``service`` whose previous Start is 0-4 (ParseError if not)."""
    record = _records.parse(text, "boot_driver")
    if record["service"].casefold() != service.casefold():
        raise ParseError("the boot driver record", f"it is for {record['service']!r}, not {service!r}")
    start = record["previous"].get("Start")
    if isinstance(start, bool) or not isinstance(start, int) or start not in START_TYPES:
        raise ParseError("the boot driver record", f"its previous Start {start!r} is not 0-4")
    return record


# --- the scripts (Microsoft Learn: reg query, reg add, reg load, reg unload; Test-Path, Get-Content) ------
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
        statements += _report.captured("service", reg_query(f"{root}\\CurrentControlSet\\Services\\{service}"))
    else:
        queries = _report.captured("select", reg_query(root + "\\Select"))
        for control_set in OFFLINE_CONTROL_SETS:
            queries += _report.captured(control_set, reg_query(f"{root}\\{control_set}\\Services\\{service}"))
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
    add = _report.captured("set", reg_add(f"{root}\\{control_set}\\Services\\{service}", "Start", "REG_DWORD", start))
    statements = ["$report = @{}"]
    statements += add if hive_file is None else with_hive_loaded(root, hive_file, add)
    statements.append("ConvertTo-Json -InputObject $report -Compress")
    return script(*statements)
