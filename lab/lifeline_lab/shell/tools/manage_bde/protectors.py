"""manage-bde -protectors -get <drive>: the volume's key protectors, their IDs, and the recovery password.

Layout [S:T-mbde-intune] [S:T-mbde-locked] [S:T-mbde-errors] (windows-tools.md §3.3): `Volume C: [label]`,
`All Key Protectors`, a blank line, then per protector its type (indent 4), `ID: {GUID}` (indent 6) and details
(indent 6, values indent 8), a blank line between protectors; a volume without protectors ends with
`ERROR: No key protectors found.`. The Numerical Password protector shows its password, as Windows does; on a
locked volume the password cannot be read (GetKeyProtectorNumericalPassword fails with FVE_E_LOCKED_VOLUME
[S:MS-getnumpw]) and only its ID is shown. The TPM protector's PCR profile is 7, 11: Secure Boot's default
(Microsoft Learn, BitLocker group policy "Configure TPM platform validation profile for native UEFI firmware").
The startup protector's heading is its type name, `TPM:` or `TPM And PIN:` (Microsoft Learn,
"ProtectKeyWithTPMAndPIN method of the Win32_EncryptableVolume class"; public captures show `TPM And PIN:` with
`ID:` and `PCR Validation Profile:` below it, as for `TPM:`).
-add, -delete, -disable, -enable, -adbackup, -aadbackup and -type are not simulated.
"""

from __future__ import annotations

import uuid

from ....machine.bitlocker import BitLocker
from ....machine.machine import Machine
from .cmdline import CommandLine, only
from .messages import INVALID_PARAMETER, NO_KEY_PROTECTORS, ManageBdeError, coded, lab_refusal, volume_not_found
from .volumes import find

ACTIONS = ("get", "add", "delete", "disable", "enable", "adbackup", "aadbackup")


def tpm_protector_id(bitlocker: BitLocker) -> str:
    """The lab keeps one protector ID per volume; the TPM protector's is derived from it, stable across runs."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_OID, bitlocker.protector_id)).upper() + "}"


def protectors(machine: Machine, line: CommandLine) -> tuple[list[str], int]:
    actions = [action for action in ACTIONS if action in line.options]
    if len(actions) != 1:
        raise coded(INVALID_PARAMETER)
    if actions[0] != "get":
        raise lab_refusal(f"-protectors -{actions[0]}")
    if "type" in line.options or "id" in line.options:
        raise lab_refusal("-protectors -get -type/-id")
    only(line, {"get"})
    if line.drive is None:
        raise coded(INVALID_PARAMETER)
    volume = find(machine, line.drive)
    if volume is None:
        raise volume_not_found(line.drive)
    label = "Label Unknown" if volume.locked else volume.label
    lines = [f"Volume {line.drive} [{label}]", "All Key Protectors", ""]
    bitlocker = volume.bitlocker
    if bitlocker is None:
        raise ManageBdeError([*lines, NO_KEY_PROTECTORS])
    startup, numerical_password = bitlocker.key_protectors
    lines += [
        f"    {startup}:",
        f"      ID: {tpm_protector_id(bitlocker)}",
        "      PCR Validation Profile:",
        "        7, 11",
        "",
    ]
    lines += [f"    {numerical_password}:", f"      ID: {bitlocker.protector_id}"]
    if not bitlocker.locked:
        lines += ["      Password:", "        " + bitlocker.recovery_password]  # Windows prints it here, and only here
    return lines, 0
