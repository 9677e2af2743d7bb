"""Device elements (device, osdevice, ...) between the store's volume names and this boot's drive letters.

The store names a partition by its volume (the lab keeps `partition=\\Device\\HarddiskVolumeN`, see
windows_image.boot_store); bcdedit shows it with the letter the volume has in the running environment
(`partition=C:`), and the volume's device name when it has no letter (`partition=\\Device\\HarddiskVolume1`);
a RAM disk image shows its file's volume in brackets (`ramdisk=[\\Device\\HarddiskVolume4]\\...`)
(windows-tools.md §2.3 "Value rendering"; [S:T-bcd-packt], [S:T-bcd-all]). On input, `partition=D:` means the
volume that is D: now.
"""

from __future__ import annotations

import re

from ....machine.filesystem import Drives

_PARTITION = re.compile(r"^partition=(.+)$", re.IGNORECASE)
_BRACKETED = re.compile(r"^(ramdisk|file|vhd)=\[([^\]]+)\](.*)$", re.IGNORECASE)
_LETTER = re.compile(r"^[A-Za-z]:$")
_KEYWORDS = ("boot", "unknown", "locate")


class NoSuchVolume(Exception):
    """`partition=Q:` names a letter no volume has in this environment."""


def _device_of_letter(letter: str, drives: Drives) -> str:
    volume = drives.letters.get(letter.upper())
    if volume is None or not volume.device:
        raise NoSuchVolume(letter)
    return volume.device


def _letter_of_device(device: str, drives: Drives) -> str | None:
    for letter, volume in sorted(drives.letters.items()):
        if volume.device and volume.device.lower() == device.lower():
            return letter
    return None


def parse(text: str, drives: Drives) -> str | None:
    """The stored form of a device value typed on the command line, or None when it is not a device."""
    partition = _PARTITION.match(text)
    if partition:
        target = partition.group(1)
        if _LETTER.match(target):
            return "partition=" + _device_of_letter(target, drives)
        return "partition=" + target if target.lower().startswith("\\device\\") else None
    bracketed = _BRACKETED.match(text)
    if bracketed:
        kind, inside, rest = bracketed.groups()
        if _LETTER.match(inside):
            inside = _device_of_letter(inside, drives)
        return f"{kind.lower()}=[{inside}]{rest}"
    lowered = text.lower()
    if lowered in _KEYWORDS or lowered.startswith("locate="):
        return lowered
    return None


def render(stored: str, drives: Drives) -> str:
    """The device as /enum shows it in this environment."""
    partition = _PARTITION.match(stored)
    if partition:
        letter = _letter_of_device(partition.group(1), drives)
        return f"partition={letter}" if letter else stored
    bracketed = _BRACKETED.match(stored)
    if bracketed:
        kind, inside, rest = bracketed.groups()
        letter = _letter_of_device(inside, drives)
        return f"{kind}=[{letter or inside}]{rest}"
    return stored
