"""The volumes manage-bde works on: lettered volumes BitLocker can open, found by their drive letter.

manage-bde lists "Disk volumes that can be protected with BitLocker Drive Encryption" [S:T-mbde-azure]; WinRE's
X: is a RAM disk, not such a volume, so it is left out, and naming it gives the "could not be opened by
BitLocker" error (messages.volume_not_found). The running Windows's own volume is the [OS Volume]; in WinRE the
offline Windows volume is a [Data Volume] (windows-tools.md §3.2, [S:T-mbde-winre-ocr]).
"""

from __future__ import annotations

import re

from ....machine.filesystem import Volume
from ....machine.machine import Machine

_DRIVE = re.compile(r"^([A-Za-z]):\\?$")


def drive_letter(token: str) -> str | None:
    """`D:` or `d:\\` as `D:`; None when the token is not a drive."""
    match = _DRIVE.match(token)
    return match.group(1).upper() + ":" if match else None


def protectable(machine: Machine) -> list[tuple[str, Volume]]:
    return [(letter, volume) for letter, volume in sorted(machine.drives.letters.items()) if volume.role != "ramdisk"]


def find(machine: Machine, drive: str) -> Volume | None:
    return dict(protectable(machine)).get(drive)


def is_running_os(machine: Machine, volume: Volume) -> bool:
    return volume is machine.os_volume and not machine.in_winpe
