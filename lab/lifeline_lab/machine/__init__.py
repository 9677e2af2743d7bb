"""The simulated Windows machine: volumes, files, registry, boot store, servicing, BitLocker, boot model."""

from .machine import Crash, Machine, RecoveryImage, new_machine

__all__ = ["Crash", "Machine", "RecoveryImage", "new_machine"]
