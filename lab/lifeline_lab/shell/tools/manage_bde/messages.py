"""manage-bde's texts, error format and exit codes (windows-tools.md §3).

- Every run starts with the two header lines and a blank line; the build is Windows Server 2022's, 20348
  [S:T-mbde-azure] [S:T-mbde-errors].
- Errors: `ERROR: An error occurred (code 0x8031xxxx):` then the system message, lower-case hex
  [S:T-mbde-errors] [S:SUP-bl-ts]; some errors are one `ERROR: ...` line (`ERROR: No key protectors found.`
  [S:T-mbde-errors]; the volume-not-found line quoted by a Microsoft update note, index 35239446958).
- Everything goes to stdout: a public script ("Check if drive is locked with Bitlocker", code search) looks for
  lines starting with `ERROR:` in what PowerShell captures from `manage-bde -status`, which is stdout only.
  No source states the stream outright.
- Exit codes: 0 on success [S:T-mbde-lastexit]; the failure value is NOT FOUND IN SOURCES, the lab uses
  0xFFFFFFFF (-1). `-status -ProtectionAsErrorLevel` exits 0 when protected, 1 when not [S:MS-mbde-status].
- System messages: 0x80310027 FVE_E_FAILED_AUTHENTICATION "The volume cannot be unlocked with the provided
  information." [S:MS-unlocknum]; 0x80310035 FVE_E_INVALID_PASSWORD_FORMAT "The format of the recovery password
  provided is invalid. BitLocker recovery passwords are 48 digits. Verify that the recovery password is in the
  correct format and then try again." (Microsoft Learn, Azure Data Box Disk troubleshooting, quoting Win32Message
  for 2150694965); 0x80310001 "This drive is not encrypted." [S:T-mbde-errors]; 0x80070057 "The parameter is
  incorrect." and 0x80070005 "Access is denied." (FormatMessage). None of them repeats the arguments: a recovery
  password typed on the command line never comes back in a message.
"""

from __future__ import annotations

VERSION = "10.0.20348"
HEADER = (
    f"BitLocker Drive Encryption: Configuration Tool version {VERSION}\r\n"
    "Copyright (C) 2013 Microsoft Corporation. All rights reserved.\r\n"
    "\r\n"
)
EXIT_FAILURE = 0xFFFFFFFF

# `manage-bde` with no parameters, as a sandbox recorded it on stdout (index 36913617075; build 18362; the lab
# prints its own build in the header). The lab prints it for `-?` and `/?` too ("Displays brief help").
USAGE = """manage-bde[.exe] -parameter [arguments]

Description:
    Configures BitLocker Drive Encryption on disk volumes.

Parameter List:
    -status     Provides information about BitLocker-capable volumes.
    -on         Encrypts the volume and turns BitLocker protection on.
    -off        Decrypts the volume and turns BitLocker protection off.
    -pause      Pauses encryption, decryption, or free space wipe.
    -resume     Resumes encryption, decryption, or free space wipe.
    -lock       Prevents access to BitLocker-encrypted data.
    -unlock     Allows access to BitLocker-encrypted data.
    -autounlock Manages automatic unlocking of data volumes.
    -protectors Manages protection methods for the encryption key.
    -SetIdentifier or -si
                Configures the identification field for a volume.
    -ForceRecovery or -fr
                Forces a BitLocker-protected OS to recover on restarts.
    -changepassword
                Modifies password for a data volume.
    -changepin  Modifies PIN for a volume.
    -changekey  Modifies startup key for a volume.
    -KeyPackage or -kp
                Generates a key package for a volume.
    -upgrade    Upgrades the BitLocker version.
    -WipeFreeSpace or -w
                Wipes the free space on the volume.
    -ComputerName or -cn
                Runs on another computer. Examples: "ComputerX", "127.0.0.1"
    -? or /?    Displays brief help. Example: "-ParameterSet -?"
    -Help or -h Displays complete help. Example: "-ParameterSet -h"

Examples:
    manage-bde -status
    manage-bde -on C: -RecoveryPassword -RecoveryKey F:\\
    manage-bde -unlock E: -RecoveryKey F:\\84E151C1...7A62067A512.bek

""".replace("\n", "\r\n")

NOT_ENCRYPTED = (0x80310001, "This drive is not encrypted.")
FAILED_AUTHENTICATION = (0x80310027, "The volume cannot be unlocked with the provided information.")
INVALID_PASSWORD_FORMAT = (
    0x80310035,
    "The format of the recovery password provided is invalid. BitLocker recovery passwords are 48 digits. "
    "Verify that the recovery password is in the correct format and then try again.",
)
# Lock with protection suspended: the Win32_EncryptableVolume.Lock documentation's words for the code.
PROTECTION_DISABLED = (
    0x80310021,
    "The volume's encryption key is available in the clear on the disk, preventing the volume from being locked.",
)
ACCESS_DENIED = (0x80070005, "Access is denied.")
INVALID_PARAMETER = (0x80070057, "The parameter is incorrect.")
NO_KEY_PROTECTORS = "ERROR: No key protectors found."


class ManageBdeError(Exception):
    """A failure: the lines manage-bde prints after its header, and the exit code."""

    def __init__(self, lines: list[str], exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(" ".join(lines))
        self.lines = lines
        self.exit_code = exit_code


def coded(error: tuple[int, str]) -> ManageBdeError:
    code, message = error
    return ManageBdeError([f"ERROR: An error occurred (code 0x{code:08x}):", message])


def volume_not_found(drive: str) -> ManageBdeError:
    """The volume does not exist or BitLocker cannot handle it (a RAM disk such as WinRE's X:)."""
    return ManageBdeError(
        [
            f"ERROR: The volume {drive} could not be opened by BitLocker. This may be because the volume does not "
            "exist, or because it is not a valid BitLocker volume."
        ]
    )


def lab_refusal(what: str) -> ManageBdeError:
    """A documented parameter the lab does not simulate (never echoes argument values)."""
    return ManageBdeError([f"The lab does not implement manage-bde {what}."])
