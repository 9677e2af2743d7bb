"""The BMC's System Event Log as a Redfish LogService: the OS-stop events Windows writes there.

Windows Server (2003 R2 on) ships an IPMI driver that writes records to the BMC's SEL at boot-up, shutdown and
bug check (Intel, "System Event Log Troubleshooting Guide for EPSD Platforms", ch. "Microsoft Windows Records";
Dell TechCenter, "What are these BMC SEL records logged by Windows?"): at a bug check, an OS Stop/Shutdown
record (IPMI sensor type 20h, generator 0041h, offset 1h "Runtime Critical Stop") and then OEM records (type
DEh, Microsoft's IANA number 311) holding the stop code and its four parameters. The lab shows each bugcheck as
two LogEntry resources (DSP8010 LogEntry: EntryType SEL with SensorType "OS Stop/Shutdown", then EntryType Oem
with the stop code decoded into the Message; how a given BMC words these messages is NOT FOUND IN SOURCES,
the texts are the lab's). Boot failures without a bugcheck (a broken BCD, servicing) write nothing. Whether the
IPMI driver is loaded early enough to record a boot driver's bugcheck is NOT FOUND IN SOURCES: the lab records
every bugcheck.
"""

from __future__ import annotations

from ..machine import Machine
from ..machine.machine import Crash

OEM_FORMAT = "Windows bug check (IPMI OEM record DEh, manufacturer 311)"


def entry_pairs(machine: Machine) -> list[tuple[str, Crash, str]]:
    """(Id, crash, kind) of each entry, oldest first; kind is "stop" or "code"."""
    entries = []
    for crash in machine.crashes:
        if crash.bugcheck is None:
            continue
        stamp = int(crash.time.timestamp() * 1000)
        entries += [(f"{stamp}1", crash, "stop"), (f"{stamp}2", crash, "code")]
    return entries


def entry_document(entry_id: str, crash: Crash, kind: str) -> dict:
    created = crash.time.isoformat(timespec="seconds")
    if kind == "stop":
        return {
            "Id": entry_id,
            "Name": "OS Stop/Shutdown",
            "EntryType": "SEL",
            "Severity": "Critical",
            "Created": created,
            "SensorType": "OS Stop/Shutdown",
            "SensorNumber": 0,
            "EntryCode": "Assert",
            "Message": "OS Stop/Shutdown: Runtime Critical Stop (core dump, blue screen)",
        }
    parameters = ", ".join(f"0x{p:016X}" for p in crash.parameters)
    return {
        "Id": entry_id,
        "Name": "Bug check",
        "EntryType": "Oem",
        "OemRecordFormat": OEM_FORMAT,
        "Severity": "Critical",
        "Created": created,
        "Message": f"Bug check 0x{crash.bugcheck:08X} ({parameters})",
    }
