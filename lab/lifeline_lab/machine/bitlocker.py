"""BitLocker state of a volume, and the recovery password rules.

A recovery password is 48 digits in 8 blocks of 6; each block is divisible by 11 and below 720896
(2^16 * 11), since each encodes 16 bits of the key (Microsoft Learn, "BitLocker recovery overview";
manage-bde -protectors docs). A recovery password is a secret: nothing here prints it.

Key protectors of an OS volume: a startup protector, TPM only or TPM And PIN, and the Numerical Password
(the recovery password) beside it. The protector type names are Windows' own ("A key protector of type
"TPM And PIN" is created", Microsoft Learn, "ProtectKeyWithTPMAndPIN method of the Win32_EncryptableVolume
class"). A TPM-only volume is unlocked by the boot manager at every Windows boot without anyone present; a TPM
And PIN volume needs the PIN typed at the pre-boot prompt first ("Preboot authentication with BitLocker can
require the use of either user input, such as a PIN, ... prior to making the contents of the system drive
accessible", Microsoft Learn, "BitLocker countermeasures"). With protection suspended "the encryption key
[is] available in the clear" and integrity is not validated at start-up (Microsoft Learn, "Suspend-BitLocker"),
so the lab asks no PIN then. WinRE starts from the recovery partition, which BitLocker does not encrypt, and
never unseals the OS volume's key (the volume stays locked there), so the lab asks no PIN for it either; no
source says so in as many words. The lab keeps no PIN: a person at the console (`lifeline-lab pin`) knows it.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field

TPM_ONLY = "tpm"
TPM_AND_PIN = "tpm_pin"
STARTUP_PROTECTORS = {TPM_ONLY: "TPM", TPM_AND_PIN: "TPM And PIN"}  # kind -> Windows' protector type name
NUMERICAL_PASSWORD = "Numerical Password"

_FORMAT = re.compile(r"^\d{6}(-\d{6}){7}$")


def is_valid_recovery_password(text: str) -> bool:
    if not _FORMAT.match(text):
        return False
    return all(int(block) % 11 == 0 and int(block) < 720896 for block in text.split("-"))


def new_recovery_password() -> str:
    return "-".join(f"{secrets.randbelow(65536) * 11:06d}" for _ in range(8))


@dataclass
class BitLocker:
    recovery_password: str = field(default_factory=new_recovery_password, repr=False)
    protector_id: str = field(default_factory=lambda: "{" + str(uuid.uuid4()).upper() + "}")
    protection_on: bool = True
    locked: bool = False
    encryption_method: str = "XTS-AES 128"
    startup: str = TPM_ONLY  # the startup key protector: TPM_ONLY or TPM_AND_PIN
    unlock_failures: int = 0

    def __post_init__(self) -> None:
        if self.startup not in STARTUP_PROTECTORS:
            raise ValueError(f"unknown BitLocker startup protector {self.startup!r}; one of {list(STARTUP_PROTECTORS)}")

    @property
    def key_protectors(self) -> list[str]:
        """The volume's key protectors by Windows' type names, the startup protector first."""
        return [STARTUP_PROTECTORS[self.startup], NUMERICAL_PASSWORD]

    @property
    def pin_at_boot(self) -> bool:
        """Whether a Windows boot waits at the pre-boot PIN prompt (TPM And PIN, protection on)."""
        return self.protection_on and self.startup == TPM_AND_PIN

    def unlock(self, recovery_password: str) -> bool:
        if recovery_password == self.recovery_password:
            self.locked = False
            return True
        self.unlock_failures += 1
        return False

    def lock_for_boot(self, tpm_can_unlock: bool) -> None:
        """At each boot the volume starts locked; Windows' boot manager unlocks it with the TPM (for TPM And PIN,
        once the PIN was typed at the pre-boot prompt, which the machine's boot cycle waits for), WinRE cannot."""
        self.locked = self.protection_on and not tpm_can_unlock
