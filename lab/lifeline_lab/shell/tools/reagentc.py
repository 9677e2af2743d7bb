"""reagentc.exe, the Windows Recovery Agent of a running Windows: /info, /disable, /enable, /boottore.

Syntax and meaning: Microsoft Learn, "REAgentC command-line options" (windows-tools.md §8 [S:MS-reagentc]):
`/info` "Displays the current status of Windows RE"; `/disable` "Disables any active Windows RE image that is
mapped to the online image" (online only); `/enable` with no image named uses "the default Winre.wim file from
the \\Windows\\System32\\Recovery folder"; `/boottore` "Specifies that Windows RE starts automatically the next
time the system starts" (online only). reagentc.exe is part of full Windows, not of WinPE/WinRE (programs.py).

What the lab does, and the grade of each step (DOC = Microsoft, 3P = published transcripts and scripts,
NOT FOUND = no source; the lab then does the least that keeps the machine consistent):
- The state is the system BCD store: Windows RE is enabled when the Windows loader's `recoverysequence` names a
  WinRE loader (an osloader whose device is a ramdisk). The machine's boot model asks the same question before
  starting WinRE after failed boots (Machine._winre_allowed). Whether reagentc also reads `recoveryenabled`:
  NOT FOUND (the lab does not read it; `/enable` sets it to Yes).
- `/info` prints the en-US block of a published transcript (3P, windows-tools.md §8; KB5028997 quotes the
  location line): status, location `\\\\?\\GLOBALROOT\\device\\harddisk0\\partitionN\\Recovery\\WindowsRE`, the WinRE
  loader's GUID without braces, then the recovery and custom image lines (the lab has neither: empty, index 0),
  a blank line and `REAGENTC.EXE: Operation Successful.`. Disabled: `Disabled`, an empty location and the zero
  GUID (3P). The lab's disk is disk 0 and a volume's N in \\Device\\HarddiskVolumeN is its partition number
  (a lab simplification).
- `/disable` moves Winre.wim from the recovery partition to C:\\Windows\\System32\\Recovery\\Winre.wim (DOC,
  indirectly: /enable reads it from there; 3P: "Winre.wim is ... in \\Windows\\System32\\Recovery ... when
  disabled"), removes the Windows loader's `recoverysequence` (which BCD elements reagentc changes: NOT FOUND;
  the WinRE loader entry is kept) and writes ReAgent.xml. Already disabled: `REAGENTC.EXE: Windows RE is
  already disabled.` (3P transcript), nothing changes.
- `/enable` moves C:\\Windows\\System32\\Recovery\\Winre.wim to \\Recovery\\WindowsRE\\Winre.wim on the recovery
  partition, links the WinRE loader again (`recoverysequence`, `recoveryenabled Yes`; a new WinRE loader if it
  was deleted) and writes ReAgent.xml. Without the image: `REAGENTC.EXE: The Windows RE image was not found.`
  (3P, quoted in several published scripts). Already enabled: `REAGENTC.EXE: Operation Successful.` and no
  change (what real reagentc prints then: NOT FOUND).
- `/boottore` marks the machine to start WinRE at its next start (where Windows keeps that mark: NOT FOUND);
  refused while Windows RE is disabled (the real message: NOT FOUND, lab note on stderr).
- ReAgent.xml (C:\\Windows\\System32\\Recovery): only WinreBCD id, WinreLocation and InstallState, the fields
  published ReAgent.xml files show (3P); the file's full schema: NOT FOUND.
- Exit codes: NOT FOUND IN SOURCES. The lab exits 0 when it prints `Operation Successful.` or "already
  disabled", 1 otherwise. Other commands and options (/setreimage, /setosimage, /setbootshelllink, /target,
  /osguid, /auditmode, the help text): a lab note on stderr, exit 1.
"""

from __future__ import annotations

import re

from ...machine import errors
from ...machine.bcd import BcdEntry, BcdStore, new_guid
from ...machine.filesystem import Drives, Volume
from ...machine.windows_image import REAGENT_XML, RECOVERY_FOLDER, STAGED_WINRE_WIM, WINRE_WIM, reagent_xml
from ..context import ProcessContext

SUCCESS = "REAGENTC.EXE: Operation Successful.\r\n"
ALREADY_DISABLED = "REAGENTC.EXE: Windows RE is already disabled.\r\n"
IMAGE_NOT_FOUND = "REAGENTC.EXE: The Windows RE image was not found.\r\n"
NO_GUID = "00000000-0000-0000-0000-000000000000"
INFO = (
    "Windows Recovery Environment (Windows RE) and system reset configuration\r\n"
    "Information:\r\n"
    "\r\n"
    "    Windows RE status:         {status}\r\n"
    "    Windows RE location:{location}\r\n"
    "    Boot Configuration Data (BCD) identifier: {identifier}\r\n"
    "    Recovery image location:\r\n"
    "    Recovery image index:      0\r\n"
    "    Custom image location:\r\n"
    "    Custom image index:        0\r\n"
    "\r\n" + SUCCESS
)
LOCATION_COLUMN = "       "  # the value column starts where `Windows RE status:         ` puts it
RAMDISK = re.compile(r"ramdisk=\[(?P<volume>[^\]]+)\](?P<path>[^,]*)", re.IGNORECASE)
VOLUME_NUMBER = re.compile(r"HarddiskVolume(?P<n>\d+)$", re.IGNORECASE)
DOCUMENTED = {"/setreimage", "/setosimage", "/setbootshelllink", "/getrecoverysettings", "/setrecoverysettings"}


class Refused(Exception):
    """What the lab does not simulate, or a refusal whose real text is NOT FOUND: a note on stderr, exit 1."""


async def run(argv: list[str], ctx: ProcessContext) -> int:
    """Run reagentc.exe with argv (argv[0] is the program)."""
    machine = ctx.machine
    if machine is None:
        ctx.write_stderr("The lab has no machine behind this process: REAGENTC needs its Windows.\r\n")
        return 1
    args = [arg.lower() for arg in argv[1:]]
    commands = {"/info": _info, "/disable": _disable, "/enable": _enable, "/boottore": _boot_to_re}
    try:
        if len(args) != 1 or args[0] not in commands:
            named = args[0] if args else ""
            known = named in commands or named in DOCUMENTED
            raise Refused(
                f"The lab does not implement reagentc {' '.join(argv[1:])}."
                if known
                else "The lab does not reproduce reagentc's usage text."
            )
        text, code = commands[args[0]](machine)
    except Refused as note:
        ctx.write_stderr(f"{note} (lab refusal; the real message is NOT FOUND IN SOURCES)\r\n")
        return 1
    ctx.write_stdout(text)
    return code


# --- where things are -------------------------------------------------------------------------------------------


def _store(machine) -> BcdStore:
    store = machine.system_store()
    if store is None:
        raise Refused("The system BCD store cannot be read")
    return store


def winre_loader(machine, store: BcdStore) -> BcdEntry | None:
    """The WinRE loader the Windows loader's recoverysequence names, or None (Windows RE disabled)."""
    windows = store.entries.get(machine.os_entry_id)
    linked = windows.elements.get("recoverysequence") if windows else None
    entry = store.entries.get(str(linked).lower()) if linked else None
    if entry is None or not RAMDISK.match(str(entry.elements.get("device", ""))):
        return None
    return entry


def _partition_path(volume_device: str, folder: str) -> str:
    match = VOLUME_NUMBER.search(volume_device)
    number = match.group("n") if match else "0"
    return f"\\\\?\\GLOBALROOT\\device\\harddisk0\\partition{number}\\{folder.strip(chr(92))}"


def _os_drives(machine) -> Drives:
    return Drives({"C:": machine.os_volume})


def _recovery_drives(machine) -> tuple[Drives, Volume]:
    return Drives({"R:": machine.recovery}), machine.recovery


# --- commands ---------------------------------------------------------------------------------------------------


def _info(machine) -> tuple[str, int]:
    store = _store(machine)
    entry = winre_loader(machine, store)
    if entry is None:
        return INFO.format(status="Disabled", location="", identifier=NO_GUID), 0
    match = RAMDISK.match(str(entry.elements["device"]))
    assert match is not None
    folder = match.group("path").rsplit("\\", 1)[0]
    location = LOCATION_COLUMN + _partition_path(match.group("volume"), folder)
    return INFO.format(status="Enabled", location=location, identifier=entry.identifier.strip("{}")), 0


def _disable(machine) -> tuple[str, int]:
    store = _store(machine)
    entry = winre_loader(machine, store)
    if entry is None:
        return ALREADY_DISABLED, 0
    location = machine.winre_image_location()
    os_drives = _os_drives(machine)
    if location is not None:
        volume, path = location
        source = Drives({"R:": volume})
        if source.find("R:\\" + path) is not None:
            os_drives.mkdir("C:\\" + RECOVERY_FOLDER, parents=True)
            if os_drives.find("C:\\" + STAGED_WINRE_WIM) is not None:
                os_drives.delete("C:\\" + STAGED_WINRE_WIM)
            os_drives.write("C:\\" + STAGED_WINRE_WIM, source.read("R:\\" + path))
            source.delete("R:\\" + path)
    del store.entries[machine.os_entry_id].elements["recoverysequence"]
    machine.save_system_store(store)
    _write_reagent_xml(machine, None)
    return SUCCESS, 0


def _enable(machine) -> tuple[str, int]:
    store = _store(machine)
    if winre_loader(machine, store) is not None:
        return SUCCESS, 0
    os_drives = _os_drives(machine)
    staged = os_drives.find("C:\\" + STAGED_WINRE_WIM)
    if staged is None or staged.is_dir:
        return IMAGE_NOT_FOUND, 1
    recovery, volume = _recovery_drives(machine)
    recovery.mkdir("R:\\" + WINRE_WIM.rsplit("\\", 1)[0], parents=True)
    if recovery.find("R:\\" + WINRE_WIM) is not None:
        recovery.delete("R:\\" + WINRE_WIM)
    recovery.write("R:\\" + WINRE_WIM, staged.data)
    try:
        os_drives.delete("C:\\" + STAGED_WINRE_WIM)
    except errors.WindowsError_:
        pass  # a read-only or busy staged copy stays; the image is on the recovery partition either way
    entry = _winre_entry(machine, store, volume)
    windows = store.entries[machine.os_entry_id]
    windows.elements["recoverysequence"] = entry.identifier
    windows.elements["recoveryenabled"] = "Yes"
    machine.save_system_store(store)
    machine.recovery_entry_id = entry.identifier
    _write_reagent_xml(machine, entry.identifier)
    return SUCCESS, 0


def _winre_entry(machine, store: BcdStore, volume: Volume) -> BcdEntry:
    """The WinRE loader to link: the machine's own if it is still in the store (pointed at the recovery partition's
    image), else a new one (its elements as Windows setup writes them, windows_image.boot_store)."""
    device = f"ramdisk=[{volume.device}]\\{WINRE_WIM}"
    entry = store.entries.get(machine.recovery_entry_id)
    if entry is not None:
        for name in ("device", "osdevice"):
            options = str(entry.elements.get(name, "")).partition(",")[2]
            entry.elements[name] = f"{device},{options}" if options else device
        return entry
    identifier = new_guid()
    entry = BcdEntry(
        identifier,
        "osloader",
        {
            "device": device,
            "path": "\\windows\\system32\\winload.efi",
            "description": "Windows Recovery Environment",
            "locale": "en-US",
            "inherit": "{bootloadersettings}",
            "displaymessage": "Recovery",
            "osdevice": device,
            "systemroot": "\\windows",
            "nx": "OptIn",
            "bootmenupolicy": "Standard",
            "winpe": "Yes",
        },
    )
    store.entries[identifier] = entry
    return entry


def _boot_to_re(machine) -> tuple[str, int]:
    if winre_loader(machine, _store(machine)) is None:
        raise Refused("reagentc /boottore while Windows RE is disabled")
    machine.boot_to_winre = True
    return SUCCESS, 0


def _write_reagent_xml(machine, winre_id: str | None) -> None:
    drives = _os_drives(machine)
    drives.mkdir("C:\\" + RECOVERY_FOLDER, parents=True)
    drives.write("C:\\" + REAGENT_XML, reagent_xml(winre_id))
