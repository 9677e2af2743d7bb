"""manage-bde -unlock <drive> -RecoveryPassword|-rp <password>, and -lock <drive> [-ForceDismount].

Unlock [S:MS-mbde-unlock] [S:MS-unlocknum]: a volume without BitLocker is "not encrypted"; a password that is
not 8 groups of 6 digits each divisible by 11 is refused with FVE_E_INVALID_PASSWORD_FORMAT before any unlock is
tried; an already unlocked volume succeeds ("If the volume is already unlocked and no other errors occur, this
method returns 0."); a wrong password gives FVE_E_FAILED_AUTHENTICATION and the volume stays locked; success
prints "The password successfully unlocked volume C:." [S:T-mbde-unlock-ok]. The password is never printed.
-RecoveryKey, -Password and -Certificate are not simulated (the lab's volumes have no such protectors).

Lock (Microsoft Learn "manage-bde lock", Win32_EncryptableVolume.Lock): a fully decrypted volume cannot be locked
(FVE_E_NOT_ENCRYPTED), nor one whose protection is suspended (FVE_E_PROTECTION_DISABLED), nor the running
operating system's volume; a volume with files in use needs -ForceDismount (E_ACCESS_DENIED). What -lock prints
on success is NOT FOUND IN SOURCES: the lab prints nothing after the header.
"""

from __future__ import annotations

from ....machine.bitlocker import is_valid_recovery_password
from ....machine.filesystem import Volume
from ....machine.machine import Machine
from .cmdline import CommandLine, only
from .messages import (
    ACCESS_DENIED,
    FAILED_AUTHENTICATION,
    INVALID_PARAMETER,
    INVALID_PASSWORD_FORMAT,
    NOT_ENCRYPTED,
    PROTECTION_DISABLED,
    coded,
    lab_refusal,
    volume_not_found,
)
from .volumes import find, is_running_os


def _volume(machine: Machine, line: CommandLine) -> tuple[str, Volume]:
    if line.drive is None:
        raise coded(INVALID_PARAMETER)
    volume = find(machine, line.drive)
    if volume is None:
        raise volume_not_found(line.drive)
    return line.drive, volume


def unlock(machine: Machine, line: CommandLine) -> tuple[list[str], int]:
    for unsupported in ("recoverykey", "password", "certificate"):
        if unsupported in line.options:
            raise lab_refusal(f"-unlock -{unsupported}")
    only(line, {"recoverypassword"})
    password = line.options.get("recoverypassword")
    if password is None:
        raise coded(INVALID_PARAMETER)
    drive, volume = _volume(machine, line)
    bitlocker = volume.bitlocker
    if bitlocker is None:
        raise coded(NOT_ENCRYPTED)
    if not is_valid_recovery_password(password):
        raise coded(INVALID_PASSWORD_FORMAT)
    if bitlocker.locked and not bitlocker.unlock(password):
        raise coded(FAILED_AUTHENTICATION)
    return [f"The password successfully unlocked volume {drive}."], 0


def _in_use(volume: Volume) -> bool:
    return volume.root.in_use_by is not None or any(node.in_use_by for _, node in volume.root.walk(""))


def lock(machine: Machine, line: CommandLine) -> tuple[list[str], int]:
    only(line, {"forcedismount"})
    _, volume = _volume(machine, line)
    bitlocker = volume.bitlocker
    if bitlocker is None:
        raise coded(NOT_ENCRYPTED)
    if not bitlocker.protection_on:
        raise coded(PROTECTION_DISABLED)
    if is_running_os(machine, volume):
        raise coded(ACCESS_DENIED)
    if _in_use(volume):
        if "forcedismount" not in line.options:
            raise coded(ACCESS_DENIED)
        raise lab_refusal("-lock -ForceDismount of a volume with open files")
    bitlocker.locked = True
    return [], 0
