"""manage-bde.exe in the lab: -status, -unlock with a recovery password, -lock, -protectors -get, errors.

Expected texts come from lab/docs/windows-tools.md §3 and the sources cited in
lifeline_lab/shell/tools/manage_bde/messages.py. A recovery password must never come back in a message.
"""

from __future__ import annotations

import pytest

from lifeline_lab.machine import errors, new_machine
from lifeline_lab.machine.bitlocker import BitLocker
from lifeline_lab.machine.machine import Machine
from lifeline_lab.shell.capture import Completed

from .support import lines, locked_in_winre, run

HEADER = (
    "BitLocker Drive Encryption: Configuration Tool version 10.0.20348\r\n"
    "Copyright (C) 2013 Microsoft Corporation. All rights reserved.\r\n"
    "\r\n"
)
FAILURE = 0xFFFFFFFF
WRONG_BUT_WELL_FORMED = "111111-222222-333333-444444-555555-666666-000011-000022"  # blocks: 11 * n < 720896
SYSTEM_HIVE = r"D:\Windows\System32\config\SYSTEM"


@pytest.fixture
def plain() -> Machine:
    return new_machine("WS-0001", 7)


@pytest.fixture
def protected() -> Machine:
    machine = new_machine("WS-0002", 8)
    machine.os_volume.bitlocker = BitLocker()
    machine.enter_environment("normal")
    return machine


@pytest.fixture
def winre() -> Machine:
    """A BitLocker-protected machine in WinRE: the TPM does not unlock there, so D: is locked."""
    return locked_in_winre("WS-0003", 9)


def password_of(machine: Machine) -> str:
    assert machine.os_volume.bitlocker is not None
    return machine.os_volume.bitlocker.recovery_password


# --- -status --------------------------------------------------------------------------------------------------------


def test_status_of_an_unprotected_machine(plain: Machine) -> None:
    assert run(plain, "manage-bde -status") == Completed(
        0,
        HEADER
        + lines(
            "Disk volumes that can be protected with",
            "BitLocker Drive Encryption:",
            "Volume C: []",
            "[OS Volume]",
            "",
            "    Size:                 127.00 GB",
            "    BitLocker Version:    None",
            "    Conversion Status:    Fully Decrypted",
            "    Percentage Encrypted: 0.0%",
            "    Encryption Method:    None",
            "    Protection Status:    Protection Off",
            "    Lock Status:          Unlocked",
            "    Identification Field: None",
            "    Key Protectors:       None Found",
            "",
        ),
        "",
    )


def test_status_of_a_protected_running_windows(protected: Machine) -> None:
    assert run(protected, "manage-bde -status C:") == Completed(
        0,
        HEADER
        + lines(
            "Disk volumes that can be protected with",
            "BitLocker Drive Encryption:",
            "Volume C: []",
            "[OS Volume]",
            "",
            "    Size:                 127.00 GB",
            "    BitLocker Version:    2.0",
            "    Conversion Status:    Used Space Only Encrypted",
            "    Percentage Encrypted: 100.0%",
            "    Encryption Method:    XTS-AES 128",
            "    Protection Status:    Protection On",
            "    Lock Status:          Unlocked",
            "    Identification Field: Unknown",
            "    Key Protectors:",
            "        TPM",
            "        Numerical Password",
            "",
        ),
        "",
    )


LOCKED_IN_WINRE = lines(
    "Disk volumes that can be protected with",
    "BitLocker Drive Encryption:",
    "Volume D: [Label Unknown]",
    "[Data Volume]",
    "",
    "    Size:                 Unknown GB",
    "    BitLocker Version:    2.0",
    "    Conversion Status:    Unknown",
    "    Percentage Encrypted: Unknown%",
    "    Encryption Method:    XTS-AES 128",
    "    Protection Status:    Unknown",
    "    Lock Status:          Locked",
    "    Identification Field: Unknown",
    "    Automatic Unlock:     Disabled",
    "    Key Protectors:",
    "        TPM",
    "        Numerical Password",
    "",
)


def test_status_in_winre_shows_the_offline_os_volume_locked_as_a_data_volume(winre: Machine) -> None:
    # X: (the RAM disk) is not a volume BitLocker can protect, so it is not listed
    assert run(winre, "manage-bde -status") == Completed(0, HEADER + LOCKED_IN_WINRE, "")
    assert run(winre, "manage-bde -status d:") == Completed(0, HEADER + LOCKED_IN_WINRE, "")


def test_status_of_a_volume_bitlocker_cannot_open(winre: Machine) -> None:
    message = (
        "ERROR: The volume {} could not be opened by BitLocker. This may be because the volume does not exist, "
        "or because it is not a valid BitLocker volume.\r\n"
    )
    assert run(winre, "manage-bde -status X:") == Completed(FAILURE, HEADER + message.format("X:"), "")
    assert run(winre, "manage-bde -status Q:") == Completed(FAILURE, HEADER + message.format("Q:"), "")


def test_protection_as_error_level(plain: Machine, protected: Machine) -> None:
    assert run(protected, "manage-bde -status C: -ProtectionAsErrorLevel").exit_code == 0
    assert run(plain, "manage-bde -status C: -p").exit_code == 1


# --- -unlock --------------------------------------------------------------------------------------------------------


def test_unlock_with_a_wrong_password_fails_and_the_volume_stays_locked(winre: Machine) -> None:
    result = run(winre, f"manage-bde -unlock D: -RecoveryPassword {WRONG_BUT_WELL_FORMED}")
    assert result == Completed(
        FAILURE,
        HEADER
        + lines(
            "ERROR: An error occurred (code 0x80310027):",
            "The volume cannot be unlocked with the provided information.",
        ),
        "",
    )
    assert winre.os_volume.bitlocker is not None
    assert winre.os_volume.bitlocker.locked
    assert winre.os_volume.bitlocker.unlock_failures == 1
    with pytest.raises(errors.VolumeLocked):
        winre.drives.read(SYSTEM_HIVE)
    assert "Lock Status:          Locked" in run(winre, "manage-bde -status D:").stdout


def test_unlock_with_the_right_password_makes_the_files_readable(winre: Machine) -> None:
    with pytest.raises(errors.VolumeLocked):
        winre.drives.read(SYSTEM_HIVE)
    result = run(winre, f"manage-bde -unlock D: -RecoveryPassword {password_of(winre)}")
    assert result == Completed(0, HEADER + "The password successfully unlocked volume D:.\r\n", "")
    assert winre.drives.read(SYSTEM_HIVE).startswith(b"regf")
    status = run(winre, "manage-bde -status").stdout
    assert "Volume D: []\r\n[Data Volume]\r\n" in status
    assert "    Lock Status:          Unlocked\r\n" in status
    assert "    Protection Status:    Protection On\r\n" in status


def test_unlock_with_the_short_option_and_lower_case(winre: Machine) -> None:
    result = run(winre, f"manage-bde -unlock -rp {password_of(winre)} d:")
    assert result == Completed(0, HEADER + "The password successfully unlocked volume D:.\r\n", "")


@pytest.mark.parametrize(
    "malformed",
    [
        "123",
        "111111-222222-333333-444444-555555-666666-777777",  # 7 groups
        "111111-222222-333333-444444-555555-666666-777777-888889",  # last group not divisible by 11
        "111111222222333333444444555555666666777777888888",  # no dashes
    ],
)
def test_a_malformed_password_is_refused_before_any_attempt(winre: Machine, malformed: str) -> None:
    result = run(winre, f"manage-bde -unlock D: -RecoveryPassword {malformed}")
    assert result == Completed(
        FAILURE,
        HEADER
        + lines(
            "ERROR: An error occurred (code 0x80310035):",
            "The format of the recovery password provided is invalid. BitLocker recovery passwords are 48 digits. "
            "Verify that the recovery password is in the correct format and then try again.",
        ),
        "",
    )
    assert winre.os_volume.bitlocker is not None
    assert winre.os_volume.bitlocker.unlock_failures == 0
    assert winre.os_volume.bitlocker.locked


def test_unlock_of_an_unprotected_volume(plain: Machine) -> None:
    result = run(plain, f"manage-bde -unlock C: -rp {WRONG_BUT_WELL_FORMED}")
    assert result == Completed(
        FAILURE, HEADER + lines("ERROR: An error occurred (code 0x80310001):", "This drive is not encrypted."), ""
    )


def test_unlock_without_a_password_or_a_drive(winre: Machine) -> None:
    bad = HEADER + lines("ERROR: An error occurred (code 0x80070057):", "The parameter is incorrect.")
    assert run(winre, "manage-bde -unlock D:") == Completed(FAILURE, bad, "")
    assert run(winre, f"manage-bde -unlock -rp {password_of(winre)}") == Completed(FAILURE, bad, "")
    assert run(winre, "manage-bde -unlock D: -RecoveryPassword") == Completed(FAILURE, bad, "")


def test_no_output_of_status_or_unlock_contains_the_password(winre: Machine) -> None:
    password = password_of(winre)
    results = [
        run(winre, "manage-bde -status"),
        run(winre, f"manage-bde -unlock D: -RecoveryPassword {password[:-1]}"),
        run(winre, f"manage-bde -unlock D: -RecoveryPassword {password}x"),
        run(winre, f"manage-bde -unlock X: -RecoveryPassword {password}"),
        run(winre, f"manage-bde -unlock D: -RecoveryPassword {password} -bogus"),
        run(winre, f"manage-bde -unlock D: -rp {password} E:"),
        run(winre, f"manage-bde -unlock D: -rp {password}"),
        run(winre, f"manage-bde -unlock D: -rp {password}"),  # already unlocked
        run(winre, "manage-bde -status"),
        run(winre, f"manage-bde -bogus {password}"),
    ]
    assert results[6].exit_code == 0
    for result in results:
        assert password not in result.stdout + result.stderr
        assert password.replace("-", "") not in result.stdout + result.stderr


# --- -protectors -get and -lock ------------------------------------------------------------------------------------


def test_protectors_get_shows_the_numerical_password_of_an_unlocked_volume(protected: Machine) -> None:
    bitlocker = protected.os_volume.bitlocker
    assert bitlocker is not None
    result = run(protected, "manage-bde -protectors -get C:")
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith(HEADER + lines("Volume C: []", "All Key Protectors", "", "    TPM:"))
    assert text.endswith(
        lines(
            "    Numerical Password:",
            f"      ID: {bitlocker.protector_id}",
            "      Password:",
            f"        {bitlocker.recovery_password}",
        )
    )
    assert run(protected, "manage-bde -protectors C: -get") == result  # the drive may come first


def test_protectors_get_on_a_locked_volume_cannot_read_the_password(winre: Machine) -> None:
    text = run(winre, "manage-bde -protectors -get D:").stdout
    assert "Volume D: [Label Unknown]\r\nAll Key Protectors\r\n" in text
    assert "    Numerical Password:\r\n" in text
    assert "Password:\r\n" not in text.replace("Numerical Password:\r\n", "")
    assert password_of(winre) not in text


def test_protectors_get_without_protectors(plain: Machine) -> None:
    assert run(plain, "manage-bde -protectors -get C:") == Completed(
        FAILURE, HEADER + lines("Volume C: []", "All Key Protectors", "", "ERROR: No key protectors found."), ""
    )


def test_lock_after_unlock_locks_the_volume_again(winre: Machine) -> None:
    run(winre, f"manage-bde -unlock D: -rp {password_of(winre)}")
    assert run(winre, "manage-bde -lock D:") == Completed(0, HEADER, "")
    with pytest.raises(errors.VolumeLocked):
        winre.drives.read(SYSTEM_HIVE)


def test_the_running_windows_volume_cannot_be_locked(protected: Machine) -> None:
    assert run(protected, "manage-bde -lock C:") == Completed(
        FAILURE, HEADER + lines("ERROR: An error occurred (code 0x80070005):", "Access is denied."), ""
    )
    assert protected.os_volume.bitlocker is not None
    assert not protected.os_volume.bitlocker.locked


# --- usage ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command_line", ["manage-bde", "manage-bde -?", "manage-bde /?", "MANAGE-BDE.EXE -?"])
def test_usage(plain: Machine, command_line: str) -> None:
    result = run(plain, command_line)
    assert result.exit_code == 0
    assert result.stdout.startswith(HEADER + "manage-bde[.exe] -parameter [arguments]\r\n\r\nDescription:\r\n")
    assert "    -unlock     Allows access to BitLocker-encrypted data.\r\n" in result.stdout


def test_an_unknown_parameter_and_an_unsimulated_one(plain: Machine) -> None:
    assert run(plain, "manage-bde -frobnicate C:") == Completed(
        FAILURE, HEADER + lines("ERROR: An error occurred (code 0x80070057):", "The parameter is incorrect."), ""
    )
    assert run(plain, "manage-bde -off C:") == Completed(
        FAILURE, HEADER + "The lab does not implement manage-bde -off.\r\n", ""
    )


def test_through_powershell(protected: Machine) -> None:
    result = run(protected, 'powershell -NoProfile -Command "manage-bde -status C:; exit $LASTEXITCODE"')
    assert result.exit_code == 0
    assert "    Lock Status:          Unlocked\r\n" in result.stdout
    failed = run(protected, 'powershell -NoProfile -Command "manage-bde -lock C:; exit $LASTEXITCODE"')
    assert failed.exit_code == FAILURE
    assert "Access is denied." in failed.stdout


# --- TPM And PIN ----------------------------------------------------------------------------------------------------


def test_a_tpm_and_pin_volume_lists_its_protectors_by_windows_type_names() -> None:
    machine = new_machine("WS-0004", 10)
    machine.os_volume.bitlocker = BitLocker(startup="tpm_pin")
    machine.enter_environment("normal")
    status = run(machine, "manage-bde -status C:").stdout
    assert lines("    Key Protectors:", "        TPM And PIN", "        Numerical Password") in status
    assert "        TPM\r\n" not in status
    protectors = run(machine, "manage-bde -protectors -get C:").stdout
    assert lines("All Key Protectors", "", "    TPM And PIN:") in protectors
    assert lines("      PCR Validation Profile:", "        7, 11", "", "    Numerical Password:") in protectors


def test_an_unknown_startup_protector_is_refused() -> None:
    with pytest.raises(ValueError, match="startup protector"):
        BitLocker(startup="pin")
