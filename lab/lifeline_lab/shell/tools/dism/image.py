"""The Windows image DISM services: /Online (the running Windows) or /Image:<root> (an offline one).

Microsoft Learn ("DISM Global Options"): /Image is "the full path to the root directory of the offline Windows
image"; the Windows directory must be under it. In the lab an image is a volume holding Windows
(`Volume.servicing`); its version is CurrentBuild and UBR of the image's own SOFTWARE hive (what
`Image Version: 10.0.20348.2227` shows). Errors: an image path without Windows gives DISM's "Unable to access
the image." with Win32 error 2 (the number is NOT FOUND IN SOURCES; ERROR_FILE_NOT_FOUND for the missing Windows
directory is the closest), a BitLocker-locked volume gives FVE_E_LOCKED_VOLUME with its text, /Image naming the
running system gives DISM's "points to a running Windows installation" (error 87, number NOT FOUND), and
/Online in WinPE/WinRE gives "DISM does not support servicing Windows PE with the /Online option." (error 50).
"""

from __future__ import annotations

from dataclasses import dataclass

from ....machine import errors
from ....machine.filesystem import Drives, Volume
from ....machine.paths import BadPath, absolute, join, split_drive
from ....machine.registry import NotAHive, hive_from_bytes
from ....machine.servicing import Servicing
from . import messages as m
from .messages import DismError


@dataclass
class Image:
    volume: Volume
    servicing: Servicing
    drives: Drives
    root: str  # e.g. "D:\\": where the image is in the running environment's drive letters
    online: bool

    def path(self, relative: str) -> str:
        return self.root + relative.lstrip("\\")

    @property
    def version(self) -> str:
        try:
            hive = hive_from_bytes(self.drives.read(self.path(r"Windows\System32\config\SOFTWARE")))
        except (errors.WindowsError_, NotAHive):
            return m.DISM_VERSION
        key = hive.path("Microsoft", "Windows NT", "CurrentVersion")
        build, ubr = key.get("CurrentBuild"), key.get("UBR")
        if build is None or ubr is None:
            return m.DISM_VERSION
        return f"10.0.{build.data}.{ubr.data}"


def running_volume(machine) -> Volume:
    """The volume of the Windows that is running now: the WinRE RAM disk in WinRE, else the OS volume."""
    return machine.ramdisk if machine.in_winpe else machine.os_volume


def open_image(machine, image_path: str | None, working_directory: str) -> Image:
    drives: Drives = machine.drives
    if image_path is None:
        if machine.in_winpe:
            raise DismError(m.ERROR_NOT_SUPPORTED, m.WINPE_ONLINE)
        volume = machine.os_volume
        letter = drives.letter_of(volume) or "C:"
        return Image(volume, volume.servicing or Servicing(), drives, letter + "\\", online=True)
    try:
        drive, parts = split_drive(absolute(image_path.strip('"'), working_directory))
        volume = drives.volume(drive)
    except errors.VolumeLocked:
        raise DismError(m.FVE_E_LOCKED_VOLUME, m.VOLUME_LOCKED) from None
    except (errors.WindowsError_, BadPath):
        raise DismError(m.ERROR_FILE_NOT_FOUND, m.NO_IMAGE) from None
    if parts:  # a folder below a volume's root: the lab keeps Windows images only at volume roots
        raise DismError(m.ERROR_FILE_NOT_FOUND, m.NO_IMAGE)
    if volume is running_volume(machine):
        raise DismError(m.ERROR_INVALID_PARAMETER, m.RUNNING_IMAGE)
    windows = drives.find(join(drive, ["Windows"]))
    if volume.servicing is None or windows is None or not windows.is_dir:
        raise DismError(m.ERROR_FILE_NOT_FOUND, m.NO_IMAGE)
    return Image(volume, volume.servicing, drives, drive + "\\", online=False)
