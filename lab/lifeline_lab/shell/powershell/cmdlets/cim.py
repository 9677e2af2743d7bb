"""Get-CimInstance (gcim) and Get-WmiObject (gwmi) for the few root\\cimv2 classes a recovery script reads.

Classes (MS Learn, Win32_OperatingSystem, Win32_LogicalDisk, Win32_Volume), read from the machine:
- Win32_OperatingSystem: Caption ("Microsoft " + the SOFTWARE hive's ProductName), Version ("10.0." + build),
  BuildNumber, CSName, LastBootUpTime (machine.boot_time; local time is UTC on the lab's hosts), LocalDateTime,
  OSArchitecture, SystemDirectory, WindowsDirectory, SystemDrive;
- Win32_LogicalDisk: one per drive letter (DeviceID, DriveType 3, FileSystem, Size, FreeSpace, VolumeName,
  VolumeSerialNumber);
- Win32_Volume: every volume, lettered or not (DriveLetter, Label, Capacity, FreeSpace, FileSystem, DeviceID,
  Name). A BitLocker-locked volume reports no file system and no free space (NOT FOUND IN SOURCES: the closest
  documented behaviour is that its contents cannot be read).
Get-CimInstance returns datetimes as System.DateTime; Get-WmiObject returns them as DMTF strings
("yyyymmddHHMMSS.mmmmmm+UUU", windows-tools.md §7.6). An unknown class is "Invalid class " (HRESULT 0x80041010)
for the CIM cmdlet and "Invalid class "<name>"" (ManagementException) for the WMI one. -Filter takes simple WQL
comparisons joined by AND/OR. The default display of these objects is not implemented: select properties.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ....machine import errors as win
from .. import datetimes
from ..binding import CmdletInfo, Param, convert_string_array
from ..datetimes import PSDateTime
from ..errors import ErrorRecord, not_implemented
from ..values import PSObject, to_string
from .provider import machine_of

if TYPE_CHECKING:
    from ..commands import CmdletCall

_NAMESPACES = ("root\\cimv2", "root/cimv2")
_CIM_COMMAND = "Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand"


class ManagementInstance(PSObject):
    """A CIM instance (Get-CimInstance) or a ManagementObject (Get-WmiObject) with fixed property values."""

    def __init__(self, class_name: str, values: dict[str, Any], *, wmi: bool, computer: str) -> None:
        super().__init__()
        self.class_name = class_name
        self.wmi = wmi
        if wmi:
            self.type_names = (f"System.Management.ManagementObject#root\\cimv2\\{class_name}",
                               "System.Management.ManagementObject", "System.Object")  # fmt: skip
            values = {"__CLASS": class_name, "__NAMESPACE": "root\\cimv2", "__SERVER": computer, **values}
        else:
            self.type_names = (f"Microsoft.Management.Infrastructure.CimInstance#root/cimv2/{class_name}",
                               "Microsoft.Management.Infrastructure.CimInstance", "System.Object")  # fmt: skip
            values = {**values, "PSComputerName": None}
        for name, value in values.items():
            self.add_property(name, lambda value=value: value)

    def to_string(self) -> str:
        return self.class_name


def _dmtf(moment: PSDateTime) -> str:
    """CIM_DATETIME for a UTC-zoned host: yyyymmddHHMMSS.mmmmmm+000."""
    return moment.value.strftime("%Y%m%d%H%M%S.%f") + "+000"


def _software_value(machine: Any, name: str) -> Any:
    try:
        key = machine.registry.open(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion")
    except (win.WindowsError_, KeyError, ValueError):
        return None  # a hive that cannot be read gives the defaults
    value = key.get(name) if key is not None else None
    return value.data if value is not None else None


def _operating_system(call: CmdletCall, machine: Any, wmi: bool) -> list[dict[str, Any]]:
    env = call.session.env
    root = next((value for key, value in env.items() if key.casefold() == "systemroot"), "C:\\Windows")
    product = _software_value(machine, "ProductName") or "Windows Server 2022 Datacenter"
    build = str(_software_value(machine, "CurrentBuild") or "20348")
    boot = PSDateTime.from_utc(machine.boot_time)
    now = PSDateTime.from_utc(datetimes.utc_now())
    values: dict[str, Any] = {
        "BootDevice": "\\Device\\HarddiskVolume1",
        "BuildNumber": build,
        "Caption": f"Microsoft {product}",
        "CSName": machine.hostname,
        "LastBootUpTime": _dmtf(boot) if wmi else boot,
        "LocalDateTime": _dmtf(now) if wmi else now,
        "OSArchitecture": "64-bit",
        "OSType": 18,
        "ProductType": 3,
        "Status": "OK",
        "SystemDirectory": root.rstrip("\\") + "\\system32",
        "SystemDrive": root[:2],
        "Version": f"10.0.{build}",
        "WindowsDirectory": root.rstrip("\\"),
    }
    return [values]


def _logical_disks(machine: Any) -> list[dict[str, Any]]:
    disks = []
    for letter in sorted(machine.drives.letters):
        volume = machine.drives.letters[letter]
        readable = not volume.locked
        disks.append(
            {
                "DeviceID": letter,
                "DriveType": 3,
                "FileSystem": volume.filesystem if readable else None,
                "FreeSpace": volume.free_bytes() if readable else None,
                "Size": volume.size_bytes if readable else None,
                "VolumeName": volume.label if readable else None,
                "VolumeSerialNumber": f"{volume.serial & 0xFFFFFFFF:08X}" if readable else None,
            }
        )
    return disks


def _volumes(machine: Any) -> list[dict[str, Any]]:
    volumes = [(letter, volume) for letter, volume in sorted(machine.drives.letters.items())]
    for volume in (machine.esp, machine.recovery):
        if machine.drives.letter_of(volume) is None:
            volumes.append((None, volume))
    result = []
    for letter, volume in volumes:
        device = (
            f"\\\\?\\Volume{{{volume.serial & 0xFFFFFFFF:08x}-0000-0000-0000-{volume.serial & 0xFFFFFFFFFFFF:012x}}}\\"
        )
        readable = not volume.locked
        result.append(
            {
                "Capacity": volume.size_bytes,
                "DeviceID": device,
                "DriveLetter": letter,
                "DriveType": 3,
                "FileSystem": volume.filesystem if readable else None,
                "FreeSpace": volume.free_bytes() if readable else None,
                "Label": volume.label or None,
                "Name": (letter + "\\") if letter else device,
            }
        )
    return result


_WQL = re.compile(r"\s*(\w+)\s*(=|<>|!=|<=|>=|<|>|LIKE)\s*('(?:[^']|'')*'|\"[^\"]*\"|[^\s]+)\s*", re.IGNORECASE)


def _filter(call: CmdletCall, text: str) -> Any:
    """A -Filter of comparisons joined by AND / OR (no parentheses), as a predicate on a value dict."""
    terms: list[list[tuple[str, str, Any]]] = [[]]
    rest = text
    while rest.strip():
        match = _WQL.match(rest)
        if match is None:
            raise not_implemented(f"the WQL filter {text!r}", call.extent)
        name, op, raw = match.group(1), match.group(2).upper(), match.group(3)
        if raw[:1] in "'\"":
            value: Any = raw[1:-1].replace("''", "'")
        else:
            value = int(raw) if raw.lstrip("-").isdigit() else {"TRUE": True, "FALSE": False}.get(raw.upper(), raw)
        terms[-1].append((name, op, value))
        rest = rest[match.end() :]
        joiner = re.match(r"\s*(AND|OR)\s+", rest, re.IGNORECASE)
        if joiner is None:
            if rest.strip():
                raise not_implemented(f"the WQL filter {text!r}", call.extent)
            break
        if joiner.group(1).upper() == "OR":
            terms.append([])
        rest = rest[joiner.end() :]

    def compare(actual: Any, op: str, wanted: Any) -> bool:
        if isinstance(actual, str) and isinstance(wanted, str):
            actual, wanted = actual.casefold(), wanted.casefold()
        if op == "LIKE":
            pattern = re.escape(str(wanted)).replace("%", ".*").replace("_", ".")
            return re.fullmatch(pattern, str(actual or ""), re.IGNORECASE) is not None
        if actual is None:
            return False
        try:
            return {"=": actual == wanted, "<>": actual != wanted, "!=": actual != wanted, "<": actual < wanted,
                    ">": actual > wanted, "<=": actual <= wanted, ">=": actual >= wanted}[op]  # fmt: skip
        except TypeError:
            return False

    def predicate(values: dict[str, Any]) -> bool:
        folded = {key.casefold(): value for key, value in values.items()}
        return any(all(compare(folded.get(n.casefold()), op, v) for n, op, v in group) for group in terms)

    return predicate


_CLASSES = {
    "win32_operatingsystem": ("Win32_OperatingSystem", _operating_system),
    "win32_logicaldisk": ("Win32_LogicalDisk", lambda call, machine, wmi: _logical_disks(machine)),
    "win32_volume": ("Win32_Volume", lambda call, machine, wmi: _volumes(machine)),
}


def _query(text: str) -> tuple[str, str | None]:
    match = re.match(r"\s*SELECT\s+\*\s+FROM\s+(\w+)(?:\s+WHERE\s+(.*))?\s*$", text, re.IGNORECASE | re.DOTALL)
    if match is None:
        return "", None
    return match.group(1), match.group(2)


async def _instances(call: CmdletCall, *, wmi: bool) -> None:
    args = call.args
    if "ComputerName" in args or "CimSession" in args:
        raise not_implemented(f"{call.info.name} on a remote computer", call.extent)
    namespace = to_string(args.get("Namespace", "root\\cimv2"))
    class_name = to_string(args.get("ClassName", args.get("Class", "")))
    condition = to_string(args["Filter"]) if "Filter" in args else None
    if "Query" in args:
        class_name, condition = _query(to_string(args["Query"]))
        if not class_name:
            raise not_implemented(f"the WQL query {to_string(args['Query'])!r}", call.extent)
    if namespace.casefold() not in _NAMESPACES:
        raise not_implemented(f"{call.info.name} in the namespace {namespace}", call.extent)
    known = _CLASSES.get(class_name.casefold())
    if known is None:
        if wmi:
            record = call.record(f'Invalid class "{class_name}"', "InvalidType", "ManagementException",
                                 "GetWMIManagementException")  # fmt: skip
        else:
            record = ErrorRecord(
                "Invalid class ", "MetadataError", "CimException", f"HRESULT 0x80041010,{_CIM_COMMAND}",
                f"{namespace}:{class_name}", "String", activity=call.info.name, extent=call.extent,
                invocation_name=call.invocation_name,
            )  # fmt: skip
        call.write_error(record)
        return
    machine = machine_of(call)
    name, build = known
    predicate = _filter(call, condition) if condition else None
    for values in build(call, machine, wmi):
        if predicate is None or predicate(values):
            call.emit(ManagementInstance(name, values, wmi=wmi, computer=machine.hostname))


async def _get_cim_instance(call: CmdletCall) -> None:
    await _instances(call, wmi=False)


async def _get_wmi_object(call: CmdletCall) -> None:
    await _instances(call, wmi=True)


GET_CIM_INSTANCE = CmdletInfo(
    "Get-CimInstance",
    _CIM_COMMAND,
    (
        Param("ClassName", "System.String", to_string, position=0),
        Param("Namespace", "System.String", to_string),
        Param("Filter", "System.String", to_string),
        Param("Property", "System.String[]", convert_string_array, aliases=("SelectProperties",)),
        Param("Query", "System.String", to_string),
        Param("ComputerName", "System.String[]", convert_string_array, aliases=("CN", "ServerName")),
        Param("CimSession", "Microsoft.Management.Infrastructure.CimSession[]"),
    ),
    _get_cim_instance,
    aliases=("gcim",),
)
GET_WMI_OBJECT = CmdletInfo(
    "Get-WmiObject",
    "GetWmiObjectCommand",
    (
        Param("Class", "System.String", to_string, position=0, aliases=("ClassName",)),
        Param("Property", "System.String[]", convert_string_array, position=1),
        Param("Namespace", "System.String", to_string, aliases=("NS",)),
        Param("Filter", "System.String", to_string),
        Param("Query", "System.String", to_string),
        Param("ComputerName", "System.String[]", convert_string_array, aliases=("Cn",)),
    ),
    _get_wmi_object,
    aliases=("gwmi",),
)
