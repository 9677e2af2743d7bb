"""Scenarios: YAML files in lifeline_lab/scenarios/ that say what a fleet's machines suffer and where they are.

A scenario is a list of profiles with shares of the fleet. A profile names a failure (failures.py),
the OS volume's BitLocker (`bitlocker`: none, tpm for TPM only, tpm_pin for TPM And PIN, each with a
recovery password; true and false still mean tpm and none), whether the organisation prepared the host for
remote recovery (`prepared`: WinRM under SafeBoot\\Network) or armed it (`armed`: that, and Lifeline's
failover in winre.wim), and where the machine is when the fleet comes up (`lands_in`): normal, safe_mode,
safe_mode_network, winre (stock WinRE: it waits for a person and answers no WinRM), boot_loop
(recoveryenabled No: it keeps crashing and never reaches WinRE), or pin_prompt (a TPM And PIN host that
restarted and waits for its PIN: after the running crash for a failure that bites at once, incidents.py).
`bmc: true` gives the host's server a BMC: a DMTF Redfish service on its own address (fleet.py, bmc/).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from . import failures
from .incidents import running_crash
from .machine import Machine
from .machine.bitlocker import STARTUP_PROTECTORS, TPM_AND_PIN, TPM_ONLY, BitLocker
from .machine.machine import PIN_PROMPT

SCENARIO_DIR = Path(__file__).parent / "scenarios"
LANDINGS = ("normal", "safe_mode", "safe_mode_network", "winre", "boot_loop", PIN_PROMPT)
NO_BITLOCKER = "none"
BITLOCKER_KINDS = (NO_BITLOCKER, *STARTUP_PROTECTORS)
_BITLOCKER_BOOLEANS = {True: TPM_ONLY, False: NO_BITLOCKER}  # the key's older yes/no form


class ScenarioError(Exception):
    pass


@dataclass(frozen=True)
class Profile:
    share: float = 1.0
    failure: str = "healthy"
    lands_in: str = "normal"
    bitlocker: str = NO_BITLOCKER  # BITLOCKER_KINDS
    prepared: bool = False
    armed: bool = False  # prepared, and the WinRE failover installed in winre.wim (needs the fleet's script)
    boot_window_seconds: float = 0.0
    bmc: bool = False  # the server has a BMC: a Redfish service the fleet serves beside it (bmc/)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    name_prefix: str
    reboot_seconds: float
    profiles: tuple[Profile, ...]

    def assign(self, count: int) -> list[Profile]:
        """Spread profiles over `count` hosts by share, interleaved (smooth weighted round robin), deterministically."""
        total = sum(p.share for p in self.profiles)
        credit = [0.0] * len(self.profiles)
        chosen = []
        for _ in range(count):
            for index, profile in enumerate(self.profiles):
                credit[index] += profile.share / total
            best = max(range(len(self.profiles)), key=lambda i: credit[i])
            credit[best] -= 1
            chosen.append(self.profiles[best])
        return chosen


def available() -> list[str]:
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.yaml"))


def load(name: str) -> Scenario:
    path = SCENARIO_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ScenarioError(f"unknown scenario {name!r}; available: {', '.join(available())}")
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario file {path} is not a mapping")
    prefix = str(data.get("name_prefix", "WS"))
    if not prefix.isalnum() or len(prefix) > 8:
        raise ScenarioError(f"{path}: name_prefix must be up to 8 letters or digits (NetBIOS names are 15 at most)")
    profiles = tuple(_profile(raw, path, index) for index, raw in enumerate(data.get("profiles") or [{}]))
    return Scenario(
        name=str(data.get("name", name)),
        description=str(data.get("description", "")),
        name_prefix=prefix,
        reboot_seconds=float(data.get("reboot_seconds", 5.0)),
        profiles=profiles,
    )


def _profile(raw: object, path: Path, index: int) -> Profile:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: profiles[{index}] must be a mapping")
    known = {f.name for f in fields(Profile)}
    unknown = set(raw) - known
    if unknown:
        raise ScenarioError(f"{path}: profiles[{index}] has unknown keys {sorted(unknown)}")
    if isinstance(raw.get("bitlocker"), bool):
        raw = {**raw, "bitlocker": _BITLOCKER_BOOLEANS[raw["bitlocker"]]}
    profile = Profile(**raw)
    if profile.bitlocker not in BITLOCKER_KINDS:
        raise ScenarioError(f"{path}: profiles[{index}].bitlocker must be one of {BITLOCKER_KINDS}")
    if profile.lands_in == PIN_PROMPT and profile.bitlocker != TPM_AND_PIN:
        raise ScenarioError(f"{path}: profiles[{index}] lands at the PIN prompt without bitlocker: {TPM_AND_PIN}")
    if profile.failure not in failures.FAILURES:
        raise ScenarioError(
            f"{path}: profiles[{index}].failure {profile.failure!r} is not one of {list(failures.FAILURES)}"
        )
    if profile.lands_in not in LANDINGS:
        raise ScenarioError(f"{path}: profiles[{index}].lands_in must be one of {LANDINGS}")
    if profile.share <= 0:
        raise ScenarioError(f"{path}: profiles[{index}].share must be positive")
    return profile


SETTLE_STEPS = 100_000


def _boot_until_settled(machine: Machine) -> None:
    """Restart the machine and let it boot as its disks decide, instantly, on an event loop of its own (the
    fleet's loop is not running yet for it): until no restart and no WinRE app is left."""
    seconds, window = machine.reboot_seconds, machine.boot_window_seconds
    machine.reboot_seconds = machine.boot_window_seconds = 0.0

    async def settle() -> None:
        machine.restart(0)
        for _ in range(SETTLE_STEPS):
            await asyncio.sleep(0)
            tasks = (machine._restart, machine._winpeshl)
            if all(task is None or task.done() for task in tasks):
                return
        raise ScenarioError(f"{machine.computer_name} never settled (a boot loop without WinRE?)")

    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, settle()).result()
    finally:
        machine.reboot_seconds, machine.boot_window_seconds = seconds, window


def apply(machine: Machine, profile: Profile, rng: random.Random, winre_failover: bytes | None = None) -> None:
    """Install the profile's failure and bring the machine to where the profile says it is.

    The landing must agree with the boot model: a failure that breaks Safe Mode too cannot land in
    Safe Mode, and a healthy machine cannot land in WinRE by crashing. A mismatch is a scenario error.
    An armed host with a failure lands where the real boot cycle takes it (crash, crash, WinRE, its
    [LaunchApps], ...), run to its end before the fleet serves; `lands_in` must name that place.
    """
    if profile.bitlocker != NO_BITLOCKER:
        machine.os_volume.bitlocker = BitLocker(startup=profile.bitlocker)
    if profile.armed:
        if winre_failover is None:
            raise ScenarioError(
                "an armed profile needs the WinRE failover script: lifeline-lab up --winre-failover PATH"
            )
        failures.prepare_for_remote_recovery(machine)
        failures.arm_winre_failover(machine, winre_failover)
    elif profile.prepared:
        failures.prepare_for_remote_recovery(machine)
    machine.boot_window_seconds = profile.boot_window_seconds
    install = failures.FAILURES[profile.failure]
    if profile.armed and install is not None:
        install(machine, rng)
        _boot_until_settled(machine)
        if machine.environment != profile.lands_in:
            raise ScenarioError(
                f"armed {profile.failure} lands in {machine.environment} by the boot cycle, not {profile.lands_in}"
            )
        return
    if install is not None:
        install(machine, rng)
        outcome = machine.boot_outcome()
        if outcome.environment is not None:
            raise ScenarioError(f"failure {profile.failure} did not stop {machine.computer_name} from booting")
        if profile.lands_in == PIN_PROMPT:
            crash = running_crash(machine)  # a failure that bites at once crashed the running Windows first
            if crash is not None:
                machine.record_crash(crash, failed_boot=False)
        else:
            for _ in range(2):
                machine.record_crash(outcome)
    if profile.lands_in in ("safe_mode", "safe_mode_network"):
        store = machine.system_store()
        store.entries[machine.os_entry_id].elements["safeboot"] = (
            "Network" if profile.lands_in.endswith("network") else "Minimal"
        )
        machine.save_system_store(store)
        outcome = machine.boot_outcome()
        if outcome.environment != profile.lands_in:
            raise ScenarioError(f"{profile.failure} also breaks {profile.lands_in}: {outcome.reason}")
        machine.failed_boots = 0
        machine.enter_environment(profile.lands_in)
    elif profile.lands_in == "winre":
        if install is None:
            raise ScenarioError("a healthy machine does not land in WinRE by itself")
        machine.failed_boots = 0
        machine.enter_environment("winre")
    elif profile.lands_in == PIN_PROMPT:
        machine.power = PIN_PROMPT  # the fleet starts its boot cycle, which waits for the PIN
    elif profile.lands_in == "boot_loop":
        if install is None:
            raise ScenarioError("a healthy machine does not boot-loop")
        store = machine.system_store()
        store.entries[machine.os_entry_id].elements["recoveryenabled"] = "No"
        machine.save_system_store(store)
        machine.failed_boots = 0
        machine.power = "booting"  # the fleet starts its boot cycle
    else:
        if install is not None:
            raise ScenarioError(f"failure {profile.failure} cannot land in normal mode")
        machine.enter_environment("normal")
