"""BitLocker state of a volume, and the recovery password rules.

A recovery password is 48 digits in 8 blocks of 6; each block is divisible by 11 and below 720896
(2^16 * 11), since each encodes 16 bits of the key (Microsoft Learn, "BitLocker recovery overview";
manage-bde -protectors docs). A recovery password is a secret: nothing here prints it.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field

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
    tpm: bool = True
    unlock_failures: int = 0

    def unlock(self, recovery_password: str) -> bool:
        if recovery_password == self.recovery_password:
            self.locked = False
            return True
        self.unlock_failures += 1
        return False

    def lock_for_boot(self, tpm_can_unlock: bool) -> None:
        """At each boot the volume starts locked; Windows' boot manager unlocks it with the TPM, WinRE cannot."""
        self.locked = self.protection_on and not (self.tpm and tpm_can_unlock)
