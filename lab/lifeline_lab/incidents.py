"""A failure arriving on a running Windows, as a bad update lands: `lifeline-lab fault HOST FAILURE` and
`lifeline-lab incident FAILURE --share S`.

The failure is installed on disk as the update leaves it (failures.py, through the live registry), then the
running machine does what Windows does with it; nothing here decides a boot's outcome, the boot model does:

- a driver that reads data files while it runs crashes as soon as the faulty data arrives: the CrowdStrike
  sensor loaded channel file 291 when it was delivered and bugchecked 0x50 on running machines, which then
  crashed again at every boot (windows-recovery.md, "The July 2024 CrowdStrike channel-file outage"). The lab
  records the bugcheck and its minidump and restarts the machine (Machine.crash_while_running); the boot cycle
  then follows from the disks (crash, crash, WinRE; a boot loop where recovery is disabled; the PIN prompt of a
  TPM And PIN volume first);
- a driver image, the boot configuration and pending servicing operations are read at boot (a driver loads at
  boot, the boot manager reads the BCD, pending.xml runs at boot: windows-recovery.md), so those failures wait
  for the next restart, which `restart=True` makes happen now (as `shutdown /r` would).
"""

from __future__ import annotations

import random

from . import failures
from .machine import Machine
from .machine.boot import BootOutcome, loads_bad_data
from .machine.drives_helpers import os_drive

# When each failure bites a running machine; `running_crash` decides it from the disks, a unit test checks
# these words against it.
WHEN = {
    "crowdstrike-291": "at once (the running sensor loads the new channel file and bugchecks 0x50)",
    "bad-boot-driver": "at the next restart (the new driver build loads at boot)",
    "bad-quality-update": "at the next restart (the replaced storport.sys loads at boot)",
    "broken-bcd": "at the next restart (the boot manager reads the BCD at boot)",
    "stuck-pending-actions": "at the next restart (pending servicing operations run at boot)",
}
ARRIVING = tuple(name for name in failures.FAILURES if failures.FAILURES[name] is not None)


class IncidentError(ValueError):
    """Bad input for a fault or an incident, refused before anything is touched."""


def runs_windows(machine: Machine) -> bool:
    """Whether Windows runs normally: where an update lands (not Safe Mode, WinRE, or a machine that is down)."""
    return machine.power == "running" and machine.environment == "normal"


def running_crash(machine: Machine) -> BootOutcome | None:
    """The bugcheck of a running driver whose data files now hold content it crashes on, or None.

    The driver runs when its service is installed and not disabled (Start 4) and Windows runs normally; in
    Safe Mode only what SafeBoot lists loads, and the lab lets failures arrive on a normal Windows only.
    """
    if not runs_windows(machine):
        return None
    for name, fault in machine.driver_faults.items():
        service = machine.registry.open("HKLM\\SYSTEM\\CurrentControlSet\\Services\\" + name)
        start = service.get("Start") if service is not None else None
        if start is None or start.data == 4 or not loads_bad_data(os_drive(machine), fault):
            continue
        image = service.get("ImagePath")
        module = str(image.data).rsplit("\\", 1)[-1] if image is not None else f"{name}.sys"
        return BootOutcome(
            None, bugcheck=fault.bugcheck, parameters=fault.parameters, module=module,
            reason=f"{module} crashed on its data files while Windows ran",
        )  # fmt: skip
    return None


def check_failure(failure: str) -> None:
    if failure not in ARRIVING:
        raise IncidentError(f"unknown failure {failure!r}; one of {', '.join(ARRIVING)}")


def arrive(machine: Machine, failure: str, rng: random.Random, restart: bool = False) -> str:
    """Install `failure` on a machine running Windows normally, then what Windows does; says what happened."""
    check_failure(failure)
    if not runs_windows(machine):
        where = machine.environment if machine.power == "running" else machine.power
        raise IncidentError(f"{machine.computer_name} is not running Windows normally ({where}): no update lands there")
    failures.FAILURES[failure](machine, rng)
    crash = running_crash(machine)
    if crash is not None:
        machine.crash_while_running(crash)
        return f"crashed at once (bugcheck 0x{crash.bugcheck:08X} in {crash.module}); restarting"
    if restart:
        machine.restart()
        return "installed; restarting now"
    return "installed; bites at the next restart"


def choose(names: list[str], share: float, seed: int) -> list[str]:
    """The hosts an incident strikes: round(share * len(names)) of them (at least one), chosen by `seed` alone."""
    if not 0 < share <= 1:
        raise IncidentError(f"--share must be above 0 and at most 1, not {share}")
    if not names:
        return []
    count = max(1, int(share * len(names) + 0.5))
    return sorted(random.Random(seed).sample(sorted(names), count))
