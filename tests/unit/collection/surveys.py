"""The host survey's JSON as ``_recovery_survey.recovery_environment_survey`` prints it, around real samples of each
tool's output (``samples/``), for the tests of what reads it: the host model, the inventory's verdicts,
win_recovery_facts and win_recovery_reboot. Not a conftest: plain functions the tests import."""

from __future__ import annotations

import json
import struct
from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_bytes().decode("utf-8")


def dump_header(code: int, *parameters: int, signature: bytes = b"PAGEDU64") -> bytes:
    """A kernel dump header as the Windows SDK's mindumpdef.h lays it out: DUMP_HEADER64 (PAGEDU64: the code at
    0x38, four ULONG64 parameters at 0x40, 0x60 bytes) or DUMP_HEADER32 (PAGEDUMP: the code at 0x28, four ULONGs
    at 0x2C, 0x3C bytes)."""
    parameters = parameters or (0, 0, 0, 0)
    if signature == b"PAGEDU64":
        header = bytearray(0x60)
        struct.pack_into("<I", header, 0x38, code)
        struct.pack_into("<4Q", header, 0x40, *parameters)
    else:
        header = bytearray(0x3C)
        struct.pack_into("<5I", header, 0x28, code, *parameters)
    header[0:8] = signature
    return bytes(header)


def minidump(name: str, milliseconds: int, header: bytes) -> dict:
    """One item of a volume's ``minidumps``: the file's name, size, time (5.1's ``\\/Date(ms)\\/``) and header."""
    return {"Name": name, "Length": 8192, "LastWriteTimeUtc": f"\\/Date({milliseconds})\\/", "Header": list(header)}


def volume(letter: str, system_hive: bool = True, pending_xml: bool = False, minidumps: list | None = None) -> dict:
    found = {"letter": letter, "file_system": "NTFS", "system_hive": system_hive, "pending_xml": pending_xml}
    return found if minidumps is None else {**found, "minidumps": minidumps}


# A host running Windows from C: (normal unless minint/safeboot say otherwise): overrides for survey_json.
RUNNING = {
    "system_drive": "C:",
    "system_root": "C:\\Windows",
    "minint": "",
    "minint_rc": 1,
    "volumes": [volume("C:", minidumps=[])],
}
SAFE_BOOT_OPTION = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SafeBoot\\Option\r\n" \
                   "    OptionValue    REG_DWORD    0x{}\r\n\r\n"  # fmt: skip


def survey_json(**overrides) -> str:
    """The survey of a host in WinRE with its Windows on D: (override any key; ``RUNNING`` for a running Windows)."""
    document = {
        "computer_name": "WS-1",
        "system_drive": "X:",
        "system_root": "X:\\windows",
        "minint": "\r\n",
        "minint_rc": 0,
        "safeboot": "",
        "safeboot_rc": 1,
        "last_boot": "\\/Date(1721362140000)\\/",
        "now": {"value": "\\/Date(1721362200000)\\/", "DisplayHint": 2, "DateTime": "Friday, July 19, 2024"},
        "volumes": [volume("D:", pending_xml=True, minidumps=[]), volume("X:", minidumps=[])],
        "manage_bde": sample("mbde_status_fully_decrypted.txt"),
        "manage_bde_rc": 0,
        "bcdedit": sample("bcdedit_reference_safeboot.txt"),
        "bcdedit_rc": 0,
    }
    document.update(overrides)
    return json.dumps(document).replace("\\\\/", "\\/")
