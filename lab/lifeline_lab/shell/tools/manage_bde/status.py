"""manage-bde -status [<drive>] [-ProtectionAsErrorLevel]: one block per volume (windows-tools.md §3.2).

Layout [S:T-mbde-azure] [S:T-mbde-py] [S:T-mbde-tr] [S:T-mbde-locked]: `Volume C: [label]` (`[]` for no label,
`[Label Unknown]` when locked), `[OS Volume]` or `[Data Volume]`, a blank line, then fields indented 4 with the
label in a 22-column field; data volumes add `Automatic Unlock: Disabled`; protectors one per line indented 8, or
`None Found`; a blank line after each block. A locked volume shows Unknown size, conversion, percentage and
protection. The lab shows a protected, unlocked volume as `Used Space Only Encrypted`, 100.0% (the captures'
values), and "Identification Field: Unknown" as the captures do. Whether `-status X:` prints the "Disk volumes"
lines is not stated anywhere; a script that runs `manage-bde -status c:` keeps a sample with them
[S:T-mbde-py], so the lab prints them.
"""

from __future__ import annotations

from ....machine.filesystem import Volume
from ....machine.machine import Machine
from .cmdline import CommandLine, only
from .messages import volume_not_found
from .volumes import find, is_running_os, protectable

FIELD_WIDTH = 22
GB = 1024**3


def protector_names(volume: Volume) -> list[str]:
    bitlocker = volume.bitlocker
    if bitlocker is None:
        return []
    return bitlocker.key_protectors


def _field(label: str, value: str) -> str:
    return "    " + f"{label}:".ljust(FIELD_WIDTH) + value


def volume_block(machine: Machine, letter: str, volume: Volume) -> list[str]:
    bitlocker = volume.bitlocker
    os_volume = is_running_os(machine, volume)
    label = "Label Unknown" if volume.locked else volume.label
    size = f"{volume.size_bytes / GB:.2f} GB"
    if bitlocker is None:
        fields = [("Size", size), ("BitLocker Version", "None"), ("Conversion Status", "Fully Decrypted"),
                  ("Percentage Encrypted", "0.0%"), ("Encryption Method", "None"),
                  ("Protection Status", "Protection Off"), ("Lock Status", "Unlocked"),
                  ("Identification Field", "None")]  # fmt: skip
    elif bitlocker.locked:
        fields = [("Size", "Unknown GB"), ("BitLocker Version", "2.0"), ("Conversion Status", "Unknown"),
                  ("Percentage Encrypted", "Unknown%"), ("Encryption Method", bitlocker.encryption_method),
                  ("Protection Status", "Unknown"), ("Lock Status", "Locked"),
                  ("Identification Field", "Unknown")]  # fmt: skip
    else:
        protection = "Protection On" if bitlocker.protection_on else "Protection Off"
        fields = [("Size", size), ("BitLocker Version", "2.0"), ("Conversion Status", "Used Space Only Encrypted"),
                  ("Percentage Encrypted", "100.0%"), ("Encryption Method", bitlocker.encryption_method),
                  ("Protection Status", protection), ("Lock Status", "Unlocked"),
                  ("Identification Field", "Unknown")]  # fmt: skip
    if not os_volume:
        fields.append(("Automatic Unlock", "Disabled"))
    lines = [f"Volume {letter} [{label}]", "[OS Volume]" if os_volume else "[Data Volume]", ""]
    lines.extend(_field(name, value) for name, value in fields)
    names = protector_names(volume)
    if names:
        lines.append(_field("Key Protectors", "").rstrip())
        lines.extend(" " * 8 + name for name in names)
    else:
        lines.append(_field("Key Protectors", "None Found"))
    return lines


def status(machine: Machine, line: CommandLine) -> tuple[list[str], int]:
    only(line, {"protectionaserrorlevel"})
    if line.drive is not None:
        volume = find(machine, line.drive)
        if volume is None:
            raise volume_not_found(line.drive)
        chosen = [(line.drive, volume)]
    else:
        chosen = protectable(machine)
    lines = ["Disk volumes that can be protected with", "BitLocker Drive Encryption:"]
    for letter, volume in chosen:
        lines.extend(volume_block(machine, letter, volume))
        lines.append("")
    code = 0
    if "protectionaserrorlevel" in line.options:
        protected = all(v.bitlocker is not None and v.bitlocker.protection_on for _, v in chosen)
        code = 0 if protected else 1
    return lines, code
