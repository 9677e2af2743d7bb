"""What the firmware boots, with a BMC's boot override and virtual media (the machine's `firmware` hook).

DSP8010 ComputerSystem: with BootSourceOverrideEnabled Once or Continuous the system boots from
BootSourceOverrideTarget instead of its boot order; Once is then set back to Disabled (boot.py). What firmware
does when the target cannot boot is the UEFI boot manager's: it tries the next Boot#### option of BootOrder
(UEFI Specification, "Boot Manager"); the lab's boot order is the disk, so:

- Cd with an image inserted: the Lifeline recovery image starts Windows PE from the CD (machine.start_winpe),
  which runs lifeline-oob.cmd; any other image boots something the lab cannot run: the machine stays in that
  boot (power "unknown_media": on, no WinRM, BootProgress OSBootStarted) until it is reset. Cd with nothing
  inserted: no bootable CD, the disk boots.
- Pxe, UefiHttp: the lab has no boot server on any network; the attempt fails and the disk boots.
- BiosSetup: the firmware's setup utility; the machine stays there (power "setup") until it is reset.
- Hdd, None, Disabled: the disk boots (bootmgr, with the BitLocker PIN prompt where the volume asks one).

Fault `bmc-boot-ignored`: the firmware consumes a Once override without honouring it (the disk boots).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from . import media
from .power import SETUP, UNKNOWN_MEDIA

if TYPE_CHECKING:
    from ..machine import Machine
    from .service import Bmc

BOOT_IGNORED = "bmc-boot-ignored"


async def boot(bmc: Bmc, machine: Machine) -> bool:
    """One boot's choice: True when the firmware started something other than the disk."""
    target = bmc.boot.take()
    if target is None or BOOT_IGNORED in bmc.faults:
        return False
    if target == "Cd" and bmc.media.inserted:
        await asyncio.sleep(machine.reboot_seconds)
        script = bmc.recovery_script
        if script is not None and media.is_recovery_image(bmc.media.image):
            image = media.recovery_boot_wim(script)
            machine.start_winpe(image, media.recovery_cd(image, machine.ramdisk.serial + 1))
        else:
            machine.stay_in_firmware(UNKNOWN_MEDIA)
        return True
    if target == "BiosSetup":
        await asyncio.sleep(machine.reboot_seconds)
        machine.stay_in_firmware(SETUP)
        return True
    return False  # Hdd; Pxe and UefiHttp find no boot server; Cd without media
