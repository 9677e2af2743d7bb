"""TPM And PIN at boot, and failures that land on a running Windows (lifeline_lab.incidents)."""

from __future__ import annotations

import asyncio
import random

import pytest

from lifeline_lab import failures, incidents, scenarios
from lifeline_lab.machine import new_machine
from lifeline_lab.machine.bitlocker import BitLocker
from lifeline_lab.machine.drives_helpers import os_drive
from lifeline_lab.machine.machine import Machine

FAST = 0.01


def running(name: str = "T-0001", startup: str | None = None) -> Machine:
    machine = new_machine(name, 1)
    machine.reboot_seconds = FAST
    if startup is not None:
        machine.os_volume.bitlocker = BitLocker(startup=startup)
        machine.enter_environment("normal")
    return machine


async def settle(machine: Machine, until, limit: float = 2.0) -> None:
    for _ in range(int(limit / FAST)):
        if until(machine):
            return
        await asyncio.sleep(FAST)
    raise AssertionError(f"still {machine.power}/{machine.environment} after {limit} s")


def test_a_tpm_only_volume_boots_by_itself_and_a_tpm_and_pin_one_waits_at_the_prompt():
    async def scenario():
        tpm = running("T-0001", "tpm")
        tpm.restart()
        await settle(tpm, lambda m: m.power == "running" and m.boots >= 3)
        assert not tpm.os_volume.locked

        pin = running("T-0002", "tpm_pin")
        boots = pin.boots
        pin.restart()
        await settle(pin, lambda m: m.power == "pin_prompt")
        await asyncio.sleep(5 * FAST)
        assert (pin.power, pin.boots, pin.winrm_reachable()) == ("pin_prompt", boots, False)
        assert pin.snapshot()["bitlocker"]["pin_prompt"] is True
        assert pin.enter_pin()
        await settle(pin, lambda m: m.power == "running")
        assert pin.winrm_reachable() and not pin.os_volume.locked
        assert not pin.enter_pin()  # not at the prompt any more

    asyncio.run(scenario())


def test_safe_mode_waits_for_the_pin_too_but_winre_does_not():
    async def scenario():
        machine = running("T-0003", "tpm_pin")
        incidents.arrive(machine, "crowdstrike-291", random.Random(1))
        for _ in range(2):  # every Windows boot waits for the PIN, then crashes
            await settle(machine, lambda m: m.power == "pin_prompt")
            machine.enter_pin()
            await settle(machine, lambda m: m.power != "pin_prompt")
        await settle(machine, lambda m: m.environment == "winre" and m.power == "running")
        assert machine.os_volume.locked  # WinRE started without the PIN and cannot unseal the volume

        store = machine.system_store()
        store.entries[machine.os_entry_id].elements["safeboot"] = "Network"
        machine.save_system_store(store)
        machine.restart()
        await settle(machine, lambda m: m.power == "pin_prompt")
        machine.enter_pin()
        await settle(machine, lambda m: m.power == "running")
        assert machine.environment == "safe_mode_network" and not machine.os_volume.locked

    asyncio.run(scenario())


def test_suspended_protection_asks_no_pin():
    assert not BitLocker(startup="tpm_pin", protection_on=False).pin_at_boot
    assert BitLocker(startup="tpm_pin").key_protectors == ["TPM And PIN", "Numerical Password"]
    assert BitLocker().key_protectors == ["TPM", "Numerical Password"]


def test_channel_file_291_crashes_a_running_windows_at_once_and_the_boot_cycle_ends_in_winre():
    async def scenario():
        machine = running()
        happened = incidents.arrive(machine, "crowdstrike-291", random.Random(1))
        assert "crashed at once" in happened and "0x00000050" in happened
        assert machine.power == "booting" and not machine.winrm_reachable()
        first = machine.crashes[0]
        assert (first.bugcheck, first.module) == (0x50, "CSAgent.sys") and machine.failed_boots == 0
        assert os_drive(machine).listdir(r"C:\Windows\Minidump")  # the running crash left its minidump
        await settle(machine, lambda m: m.environment == "winre" and m.power == "running")
        assert [crash.bugcheck for crash in machine.crashes] == [0x50, 0x50, 0x50]

    asyncio.run(scenario())


def test_the_sensor_was_installed_through_the_live_registry():
    machine = running()
    incidents.arrive(machine, "bad-boot-driver", random.Random(1))
    assert machine.registry.open(r"HKLM\SYSTEM\CurrentControlSet\Services\ctxflt") is not None
    assert machine.power == "running"


@pytest.mark.parametrize("failure", ["bad-boot-driver", "bad-quality-update", "broken-bcd", "stuck-pending-actions"])
def test_failures_read_at_boot_wait_for_the_next_restart(failure):
    async def scenario():
        machine = running()
        assert incidents.arrive(machine, failure, random.Random(1)) == "installed; bites at the next restart"
        await asyncio.sleep(5 * FAST)
        assert (machine.power, machine.environment, machine.crashes) == ("running", "normal", [])
        assert machine.winrm_reachable()
        machine.restart()
        await settle(machine, lambda m: m.environment == "winre" and m.power == "running")
        assert len(machine.crashes) == 2

    asyncio.run(scenario())


def test_restart_makes_a_next_boot_failure_bite_now():
    async def scenario():
        machine = running()
        assert incidents.arrive(machine, "broken-bcd", random.Random(1), restart=True) == "installed; restarting now"
        await settle(machine, lambda m: m.environment == "winre" and m.power == "running")

    asyncio.run(scenario())


def test_the_help_words_agree_with_what_the_disks_decide():
    assert set(incidents.WHEN) == set(incidents.ARRIVING)
    for failure, when in incidents.WHEN.items():
        machine = running()
        failures.FAILURES[failure](machine, random.Random(1))
        assert (incidents.running_crash(machine) is not None) is when.startswith("at once"), failure


def test_a_failure_lands_only_on_a_running_normal_windows_and_names_must_be_known():
    machine = running()
    machine.enter_environment("safe_mode_network")
    with pytest.raises(incidents.IncidentError, match="not running Windows normally"):
        incidents.arrive(machine, "crowdstrike-291", random.Random(1))
    assert not machine.driver_faults  # nothing was touched
    with pytest.raises(incidents.IncidentError, match="unknown failure"):
        incidents.arrive(running(), "healthy", random.Random(1))


def test_an_incident_chooses_its_hosts_by_the_seed_alone():
    names = [f"WS-{index:04d}" for index in range(1, 21)]
    chosen = incidents.choose(names, 0.5, 7)
    assert len(chosen) == 10 and chosen == incidents.choose(list(reversed(names)), 0.5, 7)
    assert chosen != incidents.choose(names, 0.5, 8)
    assert incidents.choose(names, 0.01, 1) and len(incidents.choose(names, 1, 1)) == 20
    for share in (0, 1.5, -1):
        with pytest.raises(incidents.IncidentError, match="--share"):
            incidents.choose(names, share, 1)


def test_profiles_take_bitlocker_kinds_and_the_old_booleans():
    path = scenarios.SCENARIO_DIR / "x.yaml"
    assert scenarios._profile({"bitlocker": True}, path, 0).bitlocker == "tpm"
    assert scenarios._profile({"bitlocker": False}, path, 0).bitlocker == "none"
    assert scenarios._profile({"bitlocker": "tpm_pin"}, path, 0).bitlocker == "tpm_pin"
    with pytest.raises(scenarios.ScenarioError, match="bitlocker must be one of"):
        scenarios._profile({"bitlocker": "pin"}, path, 0)
    with pytest.raises(scenarios.ScenarioError, match="PIN prompt without bitlocker: tpm_pin"):
        scenarios._profile({"failure": "crowdstrike-291", "lands_in": "pin_prompt", "bitlocker": "tpm"}, path, 0)


def test_a_pin_prompt_landing_has_the_running_crash_and_no_failed_boot():
    machine = new_machine("CS-0009", 9)
    profile = scenarios.Profile(failure="crowdstrike-291", lands_in="pin_prompt", bitlocker="tpm_pin")
    scenarios.apply(machine, profile, random.Random(0))
    assert machine.power == "pin_prompt" and machine.failed_boots == 0
    assert [(crash.bugcheck, crash.module) for crash in machine.crashes] == [(0x50, "CSAgent.sys")]
    truth = machine.snapshot()["bitlocker"]
    assert truth["key_protectors"] == ["TPM And PIN", "Numerical Password"] and truth["startup_protector"] == "tpm_pin"
