"""The OS volume seen as C: whatever environment runs: how an installer or the scenarios touch the disk."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .filesystem import Drives

if TYPE_CHECKING:
    from .machine import Machine


def os_drive(machine: Machine) -> Drives:
    return Drives({"C:": machine.os_volume})
